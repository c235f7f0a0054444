from odoo import fields, models


class WaasLicence(models.Model):
    _name = "waas.licence"
    _description = "WaaS Licence Subscription"
    _inherit = ["mail.thread"]
    _order = "contract_id, id"

    contract_id = fields.Many2one(
        comodel_name="waas.contract", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    product_id = fields.Many2one(
        comodel_name="product.product",
        string="Licence",
        required=True,
        domain=[("waas_kind", "=", "licence")],
    )
    seats = fields.Integer(default=1, required=True)
    marketplace_ref = fields.Char(string="Marketplace Subscription", tracking=True, copy=False)
    state = fields.Selection(
        selection=[
            ("to_provision", "To Provision"),
            ("provisioned", "Provisioned"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="to_provision",
        required=True,
        tracking=True,
        index=True,
    )
    last_error = fields.Text(readonly=True)

    _sql_constraints = [
        ("seats_positive", "CHECK(seats > 0)", "A licence needs at least one seat."),
    ]
