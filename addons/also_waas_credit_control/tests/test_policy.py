# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import WaasCreditControlCommon


@tagged("post_install", "-at_install")
class TestWaasPolicy(WaasCreditControlCommon):
    def test_company_policy_levels(self):
        self.assertTrue(self.policy.waas_policy)
        self.assertRecordValues(
            self.policy.level_ids.sorted("level"),
            [
                {"level": 1, "delay_days": 7, "channel": "email", "computation_mode": "net_days"},
                {"level": 2, "delay_days": 21, "channel": "email", "computation_mode": "net_days"},
                {"level": 3, "delay_days": 35, "channel": "email", "computation_mode": "net_days"},
            ],
        )
        receivable = self.customer.with_company(self.company).property_account_receivable_id
        self.assertIn(receivable, self.policy.account_ids)
        # The final level's e-mail carries the formal reminder letter.
        final = self.policy._waas_final_level()
        self.assertEqual(
            final.email_template_id.report_template_ids,
            self.env.ref("also_waas_credit_control.action_report_waas_reminder_letter"),
        )

    def test_new_company_gets_its_own_policy(self):
        company = self.env["res.company"].create({"name": "ALSO Belgium Test"})
        policy = company._waas_credit_policy()
        self.assertTrue(policy)
        self.assertNotEqual(policy, self.policy)
        self.assertEqual(policy.company_id, company)
        self.assertEqual(
            policy.level_ids.sorted("level").mapped("name"),
            self.policy.level_ids.sorted("level").mapped("name"),
        )
        # Its chart of accounts comes later: the policy follows its receivable accounts.
        account = self.env["account.account"].create(
            {
                "name": "Debiteuren",
                "code": "130099",
                "account_type": "asset_receivable",
                "reconcile": True,
                "company_ids": [(6, 0, company.ids)],
            }
        )
        company._waas_credit_policy_setup()
        self.assertEqual(policy.account_ids, account)
        # Running it again makes no second policy.
        self.env["res.company"]._waas_credit_policy_setup_all()
        self.assertEqual(
            self.env["credit.control.policy"].search_count(
                [("waas_policy", "=", True), ("company_id", "=", company.id)]
            ),
            1,
        )

    def test_waas_invoices_get_the_waas_policy(self):
        invoice = self._overdue_invoice(100.0, 3)
        self.assertEqual(invoice.credit_policy_id, self.policy)
        other = invoice.copy({"waas_contract_id": False, "invoice_date": self.today})
        other.action_post()
        self.assertFalse(other.credit_policy_id)
