from odoo import fields, models
from odoo.exceptions import UserError

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

    def _waas_portal_renewal_options(self):
        """The renewals the end customer can ask for in the portal, each with the end it
        gives: [{"key": "12" | "24" | "max", "months": months added, "date_end": new end}].
        Empty when the contract cannot be renewed or a renewal quotation is open."""
        self.ensure_one()
        possible, limit = self._waas_portal_renewal_info()
        if not possible or self._waas_open_renewal_orders():
            return []
        warranty = self._waas_warranty_ends()
        options = []
        for key, months, date_end in (("12", 12, False), ("24", 24, False), ("max", 0, limit)):
            try:
                new_end, added = self._waas_renewal_end(months, date_end, warranty)
            except UserError:
                continue
            if any(option["date_end"] == new_end for option in options):
                continue
            options.append({"key": key, "months": added, "date_end": new_end})
        return options

    def _waas_portal_renew(self, key):
        """The end customer's *Renew* in the portal (``key`` from
        ``_waas_portal_renewal_options``): prepare the renewal quotation it signs next.
        The controller checked that the user is this contract's end customer."""
        self.ensure_one()
        option = next(
            (opt for opt in self._waas_portal_renewal_options() if opt["key"] == key), None
        )
        if not option:
            raise UserError(self.env._("This renewal is not possible for this contract."))
        if key == "max":
            return self._waas_create_renewal_orders(date_end=option["date_end"])
        return self._waas_create_renewal_orders(months=int(key))

    def _waas_portal_ending_soon(self, today=None):
        """True when the contract is active and ends within 90 days (a return is
        then to be booked)."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        return self.state == "active" and (self.date_end - today).days <= ENDING_SOON_DAYS
