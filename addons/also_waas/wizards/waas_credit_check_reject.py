from odoo import fields, models


class WaasCreditCheckReject(models.TransientModel):
    _name = "waas.credit.check.reject"
    _description = "Reject WaaS Credit Check"

    check_ids = fields.Many2many(
        comodel_name="waas.credit.check",
        string="Credit Checks",
        required=True,
    )
    reason = fields.Text(required=True)

    def action_reject(self):
        """Button "Reject" of the wizard: reject the credit checks with the reason."""
        self.ensure_one()
        self.check_ids._waas_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
