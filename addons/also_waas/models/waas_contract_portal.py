from odoo import fields, models

ENDING_SOON_DAYS = 90


# pylint: disable=consider-merging-classes-inherited
# Split from waas_contract.py by concern (spec: a big model may be split per concern).
class WaasContract(models.Model):
    """Portal behaviour of WaaS contracts (split from waas_contract.py by concern)."""

    _inherit = "waas.contract"

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for contract in self:
            contract.access_url = f"/my/waas/contracts/{contract.id}"
        return res

    def _waas_portal_renewal_info(self):
        """(renewal possible, up to which date) as shown in the portal: 36 months in
        total at most and never beyond the earliest device warranty (date_max_end)."""
        self.ensure_one()
        limit = self.date_max_end
        return bool(self.state == "active" and limit and limit > self.date_end), limit

    def _waas_portal_ending_soon(self, today=None):
        """True when the contract is active and ends within 90 days (a return is
        then to be booked)."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        return self.state == "active" and (self.date_end - today).days <= ENDING_SOON_DAYS
