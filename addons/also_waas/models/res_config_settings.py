from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    waas_credit_validity_days = fields.Integer(
        related="company_id.waas_credit_validity_days",
        readonly=False,
    )
