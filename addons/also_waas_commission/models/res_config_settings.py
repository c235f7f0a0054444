from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    waas_commission_product_id = fields.Many2one(
        related="company_id.waas_commission_product_id",
        readonly=False,
    )
    waas_commission_account_id = fields.Many2one(
        related="company_id.waas_commission_account_id",
        readonly=False,
    )
    waas_commission_journal_id = fields.Many2one(
        related="company_id.waas_commission_journal_id",
        readonly=False,
    )
    waas_commission_clawback = fields.Boolean(
        related="company_id.waas_commission_clawback",
        readonly=False,
    )
    waas_commission_clawback_months = fields.Integer(
        related="company_id.waas_commission_clawback_months",
        readonly=False,
    )

    @api.constrains("waas_commission_clawback", "waas_commission_clawback_months")
    def _check_waas_commission_clawback_months(self):
        for settings in self:
            if settings.waas_commission_clawback and settings.waas_commission_clawback_months < 1:
                raise ValidationError(
                    _(
                        "The claw-back window must be at least one month (not %(months)s).",
                        months=settings.waas_commission_clawback_months,
                    )
                )
