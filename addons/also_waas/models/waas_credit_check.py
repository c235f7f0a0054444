from odoo import fields, models


class WaasCreditCheck(models.Model):
    _name = "waas.credit.check"
    _description = "WaaS Credit Check"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, default="/", copy=False)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    currency_id = fields.Many2one(comodel_name="res.currency", required=True)
    sale_order_id = fields.Many2one(
        comodel_name="sale.order",
        string="Quotation",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="End Customer",
        required=True,
        index=True,
        tracking=True,
    )
    reseller_id = fields.Many2one(related="sale_order_id.waas_reseller_id", store=True)
    amount = fields.Monetary(
        required=True,
        tracking=True,
        help="Total contract value the end customer's credit is checked for.",
    )
    state = fields.Selection(
        selection=[
            ("requested", "Requested"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("expired", "Expired"),
            ("cancelled", "Cancelled"),
        ],
        default="requested",
        required=True,
        tracking=True,
        index=True,
    )
    requested_by_id = fields.Many2one(
        comodel_name="res.users", default=lambda self: self.env.user, readonly=True
    )
    decided_by_id = fields.Many2one(comodel_name="res.users", readonly=True, tracking=True)
    decided_on = fields.Datetime(readonly=True)
    valid_until = fields.Date(readonly=True, tracking=True)
    rejection_reason = fields.Text(tracking=True)

    _sql_constraints = [
        ("amount_positive", "CHECK(amount > 0)", "A credit check needs a positive amount."),
    ]
