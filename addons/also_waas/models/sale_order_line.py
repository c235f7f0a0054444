from odoo import api, fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    waas_kind = fields.Selection(related="product_id.waas_kind")
    waas_billed_by_partner = fields.Boolean(
        string="Billed by the Partner",
        compute="_compute_waas_billed_by_partner",
        store=True,
        help="A reseller's own service noted on the deal: billed by the reseller, never by ALSO.",
    )

    @api.depends("order_id.is_waas", "product_id.waas_kind")
    def _compute_waas_billed_by_partner(self):
        for line in self:
            line.waas_billed_by_partner = (
                line.order_id.is_waas and line.product_id.waas_kind == "partner_service"
            )
