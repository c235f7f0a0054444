from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class WaasCommissionStatement(models.TransientModel):
    _name = "waas.commission.statement"
    _description = "WaaS Commission Statement"

    reseller_id = fields.Many2one(
        comodel_name="res.partner",
        required=True,
        domain=[("waas_is_reseller", "=", True)],
    )
    period = fields.Date(
        required=True,
        default=lambda self: (
            fields.Date.context_today(self).replace(day=1) - relativedelta(months=1)
        ),
        help="Any day of the month of the statement.",
    )

    @api.onchange("period")
    def _onchange_period(self):
        if self.period:
            self.period = self.period.replace(day=1)

    def _get_lines(self):
        self.ensure_one()
        period = self.period.replace(day=1)
        lines = self.env["waas.commission.line"].search(
            [
                ("reseller_id", "=", self.reseller_id.id),
                ("period", "=", period),
                ("state", "!=", "cancelled"),
            ]
        )
        if not lines:
            raise UserError(
                _(
                    "%(reseller)s has no commission in %(period)s.",
                    reseller=self.reseller_id.display_name,
                    period=period.strftime("%Y-%m"),
                )
            )
        return lines

    def action_print_pdf(self):
        """Button "Print PDF"."""
        return self.env.ref("also_waas_commission.waas_commission_statement_report").report_action(
            self._get_lines()
        )

    def action_export_xlsx(self):
        """Button "Export xlsx"."""
        return self._get_lines().action_export_xlsx()
