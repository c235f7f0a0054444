from datetime import timedelta

from odoo import fields, models


class WaasPartnerRelease(models.TransientModel):
    """Release: a credit controller lets a blocked end customer (over its approved
    exposure, or in dunning) get new WaaS business up to a date, with a reason."""

    _name = "waas.partner.release"
    _description = "Release a Blocked WaaS Customer"

    partner_ids = fields.Many2many(
        comodel_name="res.partner",
        string="Customers",
        required=True,
    )
    date_until = fields.Date(
        string="Released Until",
        required=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=30),
        help="New quotations, renewals and upgrades go through up to and including this date.",
    )
    reason = fields.Text(required=True)

    def action_release(self):
        """Button "Release" of the wizard: release the customers with the reason."""
        self.ensure_one()
        self.partner_ids._waas_release(self.reason, self.date_until)
        return {"type": "ir.actions.act_window_close"}
