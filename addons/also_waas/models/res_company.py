from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    waas_credit_validity_days = fields.Integer(
        string="Credit Approval Validity (days)",
        default=90,
        help="How long an approved WaaS credit check stays valid.",
    )
