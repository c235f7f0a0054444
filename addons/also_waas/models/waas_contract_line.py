from odoo import api, fields, models


class WaasContractLine(models.Model):
    _name = "waas.contract.line"
    _description = "WaaS Contract Line"
    _inherit = ["waas.guard.mixin"]
    _order = "contract_id, sequence, id"

    # What ALSO invoices every month: lines are added by activation, upgrade and renewal
    # only (superuser mode, after their checks), never edited nor removed by hand.
    _waas_guarded_fields = frozenset(
        {
            "sequence",
            "contract_id",
            "sale_line_id",
            "product_id",
            "name",
            "quantity",
            "price_unit",
            "date_from",
        }
    )
    _waas_guarded_create = True
    _waas_guarded_unlink = True

    sequence = fields.Integer(default=10)
    contract_id = fields.Many2one(
        comodel_name="waas.contract",
        required=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    sale_line_id = fields.Many2one(comodel_name="sale.order.line", readonly=True)
    product_id = fields.Many2one(comodel_name="product.product", required=True)
    waas_kind = fields.Selection(related="product_id.waas_kind", store=True)
    name = fields.Char(string="Description", required=True)
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure")
    price_unit = fields.Monetary(string="Monthly Unit Price")
    price_subtotal = fields.Monetary(
        string="Monthly Subtotal", compute="_compute_price_subtotal", store=True
    )
    date_from = fields.Date(
        string="Invoiced From",
        # Only lines added during the term have one: the sell-out finds them by date.
        index="btree_not_null",
        help="First day this line is invoiced (an upgrade during the term starts later).",
    )

    _sql_constraints = [
        ("quantity_positive", "CHECK(quantity > 0)", "A contract line needs a positive quantity."),
    ]

    @api.depends("quantity", "price_unit")
    def _compute_price_subtotal(self):
        for line in self:
            line.price_subtotal = line.currency_id.round(line.quantity * line.price_unit)
