# Copyright 2026 ALSO Holding AG
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The WaaS returns locations and operation type move from the company to the warehouse.

An older version made them on first use and kept them on the company; they now belong to
the warehouse (as its other locations and operation types). The records an older version
made are taken over by their warehouse, which becomes the company's returns warehouse;
every other warehouse gets its own, as at install."""

from odoo import SUPERUSER_ID, api
from odoo.tools.sql import column_exists

# {column of res_company in the older version: field of stock.warehouse}
OLD_COLUMNS = {
    "waas_return_location_id": "waas_return_loc_id",
    "waas_refurbish_location_id": "waas_refurbish_loc_id",
    "waas_return_picking_type_id": "waas_return_type_id",
}


def _take_over(env):
    cr = env.cr
    if not all(column_exists(cr, "res_company", column) for column in OLD_COLUMNS):
        return
    cr.execute(
        """
        SELECT company.id, t.warehouse_id, company.waas_return_location_id,
               company.waas_refurbish_location_id, company.waas_return_picking_type_id
          FROM res_company company
          JOIN stock_picking_type t ON t.id = company.waas_return_picking_type_id
         WHERE t.warehouse_id IS NOT NULL
        """
    )
    for company_id, warehouse_id, *record_ids in cr.fetchall():
        warehouse = env["stock.warehouse"].browse(warehouse_id)
        vals = {
            field_name: record_id
            for field_name, record_id in zip(OLD_COLUMNS.values(), record_ids, strict=True)
            if record_id and not warehouse[field_name]
        }
        if vals:
            warehouse.write(vals)
        company = env["res.company"].browse(company_id)
        if not company.waas_return_warehouse_id:
            company.waas_return_warehouse_id = warehouse


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    _take_over(env)
    env["stock.warehouse"]._waas_returns_setup_all()
