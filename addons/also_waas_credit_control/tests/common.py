# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields

from odoo.addons.also_waas.tests.common import WaasCommon

CRON = "also_waas_credit_control.credit_control_policy_cron_waas_dunning"


class WaasCreditControlCommon(WaasCommon):
    """WaasCommon plus e-mail addresses for the end customers and resellers, a running
    contract per end customer and helpers for overdue WaaS invoices and the daily job."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The day the tests run the daily job: tomorrow, as the demo data ran it today
        # (the job makes one run per company and day).
        cls.today = fields.Date.context_today(cls.env["res.partner"]) + timedelta(days=1)
        cls.policy = cls.company._waas_credit_policy()
        cls.customer.email = "boekhouding@klant-nl.example.com"
        cls.customer_be.email = "compta@klant-be.example.com"
        cls.reseller.email = "info@reseller-a.example.com"
        cls.reseller_b.email = "info@reseller-b.example.com"
        cls.contract = cls._create_contract(name="CTR-DUN-NL")
        cls.contract_be = cls._create_contract(
            partner=cls.customer_be, reseller=cls.reseller_b, name="CTR-DUN-BE"
        )

    @classmethod
    def _overdue_invoice(cls, amount, days_overdue, contract=None):
        """A posted WaaS invoice of ``amount`` (no taxes) of ``contract`` (default: the NL
        customer's), due ``days_overdue`` days ago."""
        contract = contract or cls.contract
        return cls._posted_customer_invoice(
            amount,
            cls.today - timedelta(days=days_overdue),
            partner=contract.partner_id,
            contract=contract,
            days_issued=14,
            name="WaaS monthly rent",
        )

    def _run_dunning(self, days_later=0):
        """The daily job on ``self.today`` (plus ``days_later``), batch after batch as
        Odoo's cron runner calls it. Returns the number of calls."""
        with freeze_time(self.today + timedelta(days=days_later)):
            return self._run_cron_batches(CRON, "_cron_waas_dunning")

    def _lines(self, partner):
        return self.env["credit.control.line"].search(
            [("partner_id", "=", partner.id), ("policy_id", "=", self.policy.id)]
        )

    def _reminder_mails(self, partner):
        """The reminder e-mails queued for ``partner`` (one per communication)."""
        communications = self._lines(partner).communication_id
        return self.env["mail.mail"].search(
            [
                ("model", "=", "credit.control.communication"),
                ("res_id", "in", communications.ids),
            ]
        )
