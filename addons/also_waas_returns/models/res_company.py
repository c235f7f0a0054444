from odoo import _, api, fields, models
from odoo.exceptions import UserError


def _find_or_create(model, vals, keys=("name", "usage", "location_id", "company_id")):
    """The record matching ``vals`` on ``keys`` (archived included: left by an earlier
    install of this addon, its receipts and their numbering kept), active again; else a new
    one. A reinstall thus reuses the returns locations and operation type instead of
    numbering receipts from 1 again."""
    found = model.with_context(active_test=False).search(
        [(key, "=", vals[key]) for key in keys], order="id", limit=1
    )
    if not found:
        return model.create(vals)
    if not found.active:
        found.active = True
    return found


class ResCompany(models.Model):
    _inherit = "res.company"

    waas_pickup_fee_product_id = fields.Many2one(
        comodel_name="product.product",
        string="Secure Pickup Fee Product",
        domain="[('type', '=', 'service')]",
        help="Product invoiced to the end customer when a secure pickup by ALSO is confirmed.",
    )
    waas_pickup_fee_amount = fields.Monetary(
        string="Secure Pickup Fee",
        currency_field="currency_id",
        help="Price (untaxed) of one secure pickup, whatever the number of devices.",
    )
    waas_self_return_days = fields.Integer(
        string="Self-Return Delay (days)",
        default=14,
        help="Days the end customer has to ship the devices back itself; the expected-by "
        "date of a self-return defaults to its confirmation date plus this delay.",
    )
    waas_missing_grace_days = fields.Integer(
        string="Missing Devices Grace Period (days)",
        default=30,
        help="Days after the expected-by date of a self-return before the devices still "
        "missing are charged to the end customer at their replacement value and marked lost.",
    )
    waas_return_picking_type_id = fields.Many2one(
        comodel_name="stock.picking.type",
        string="Returns Operation Type",
        check_company=True,
        help="Incoming operation type of the receipts of returned WaaS devices.",
    )
    waas_return_location_id = fields.Many2one(
        comodel_name="stock.location",
        string="WaaS Returns Location",
        check_company=True,
        help="Where returned devices arrive and wait for their data wiping.",
    )
    waas_refurbish_location_id = fields.Many2one(
        comodel_name="stock.location",
        string="Refurbish Location",
        check_company=True,
        help="Where wiped devices go when their return is closed.",
    )

    _sql_constraints = [
        (
            "waas_missing_grace_days_not_negative",
            "CHECK(waas_missing_grace_days >= 0)",
            "The grace period for missing devices cannot be negative.",
        ),
    ]

    @api.model
    def _waas_returns_setup_all(self):
        """At install: set up every company that has a warehouse."""
        return self.search([])._waas_returns_setup(skip_without_warehouse=True)

    def _waas_returns_setup(self, skip_without_warehouse=False):
        """Make sure each company has its WaaS returns and refurbish locations and its
        returns operation type (created once, under the company's first warehouse)."""
        # sudo: configuration records created once per company; the user confirming a
        # return (WaaS user) has no Inventory configuration rights.
        Location = self.env["stock.location"].sudo()
        PickingType = self.env["stock.picking.type"].sudo()
        customers = self.env.ref("stock.stock_location_customers")
        for company in self.sudo():
            if (
                company.waas_return_location_id
                and company.waas_refurbish_location_id
                and company.waas_return_picking_type_id
            ):
                continue
            warehouse = (
                self.env["stock.warehouse"]
                .sudo()
                .search([("company_id", "=", company.id)], limit=1)
            )
            if not warehouse and skip_without_warehouse:
                continue
            if not warehouse:
                raise UserError(
                    _(
                        "Company %(company)s has no warehouse: WaaS returns need one to "
                        "receive the devices.",
                        company=company.name,
                    )
                )
            vals = {}
            if not company.waas_return_location_id:
                vals["waas_return_location_id"] = _find_or_create(
                    Location,
                    {
                        "name": _("WaaS Returns"),
                        "usage": "internal",
                        "location_id": warehouse.view_location_id.id,
                        "company_id": company.id,
                    },
                ).id
            if not company.waas_refurbish_location_id:
                vals["waas_refurbish_location_id"] = _find_or_create(
                    Location,
                    {
                        "name": _("Refurbish"),
                        "usage": "internal",
                        "location_id": warehouse.view_location_id.id,
                        "company_id": company.id,
                    },
                ).id
            if not company.waas_return_picking_type_id:
                vals["waas_return_picking_type_id"] = _find_or_create(
                    PickingType,
                    {
                        "name": _("WaaS Returns"),
                        "code": "incoming",
                        "sequence_code": "WRET",
                        "company_id": company.id,
                        "warehouse_id": warehouse.id,
                        "default_location_src_id": customers.id,
                        "default_location_dest_id": vals.get(
                            "waas_return_location_id", company.waas_return_location_id.id
                        ),
                        "use_create_lots": False,
                        "use_existing_lots": True,
                        "create_backorder": "ask",
                    },
                    keys=("code", "sequence_code", "company_id", "warehouse_id"),
                ).id
            company.write(vals)
        return True
