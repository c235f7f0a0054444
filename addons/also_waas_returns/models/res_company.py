from odoo import _, fields, models
from odoo.exceptions import UserError


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
    waas_return_warehouse_id = fields.Many2one(
        comodel_name="stock.warehouse",
        string="Returns Warehouse",
        check_company=True,
        help="Warehouse receiving the returned WaaS devices: its WaaS Returns operation type "
        "and its WaaS Returns and Refurbish locations are used. Empty: the company's first "
        "warehouse.",
    )

    _sql_constraints = [
        (
            "waas_missing_grace_days_not_negative",
            "CHECK(waas_missing_grace_days >= 0)",
            "The grace period for missing devices cannot be negative.",
        ),
    ]

    def _waas_return_warehouse(self):
        """The warehouse of this company's WaaS returns (the one set in the settings, else
        the company's first); its returns locations, operation type and route were made
        with it (see stock.warehouse)."""
        self.ensure_one()
        warehouse = self.waas_return_warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", self.id)], limit=1
        )
        if not warehouse:
            raise UserError(
                _(
                    "Company %(company)s has no warehouse: WaaS returns need one to receive "
                    "the devices. Create a warehouse (Inventory > Configuration > Warehouses).",
                    company=self.name,
                )
            )
        if not (
            warehouse.waas_return_type_id
            and warehouse.waas_return_loc_id
            and warehouse.waas_refurbish_loc_id
            and warehouse.waas_return_route_id
        ):
            raise UserError(
                _(
                    "Warehouse %(warehouse)s of company %(company)s has no WaaS returns "
                    "operation type, locations or route: update the ALSO WaaS Returns addon "
                    "to create them.",
                    warehouse=warehouse.name,
                    company=self.name,
                )
            )
        return warehouse
