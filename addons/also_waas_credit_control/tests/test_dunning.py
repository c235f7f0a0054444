# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models import credit_control_policy
from .common import WaasCreditControlCommon


@tagged("post_install", "-at_install")
class TestWaasDunning(WaasCreditControlCommon):
    def test_one_email_per_customer_with_all_its_overdue_invoices(self):
        invoices = (
            self._overdue_invoice(100.0, 8)
            | self._overdue_invoice(200.0, 10)
            | self._overdue_invoice(300.0, 12)
        )
        self._overdue_invoice(50.0, 9, contract=self.contract_be)
        self._overdue_invoice(70.0, 3)  # not overdue long enough for the first level
        self._run_dunning()
        lines = self._lines(self.customer)
        self.assertEqual(lines.invoice_id, invoices)
        self.assertEqual(set(lines.mapped("level")), {1})
        self.assertEqual(set(lines.mapped("state")), {"queued"})
        self.assertEqual(len(lines.communication_id), 1)
        mails = self._reminder_mails(self.customer)
        self.assertEqual(len(mails), 1)
        self.assertEqual(mails.recipient_ids, self.customer)
        self.assertEqual(mails.state, "outgoing")
        self.assertIn("Friendly payment reminder", mails.subject)
        for invoice in invoices:
            self.assertIn(invoice.name, mails.body_html)
        self.assertIn("600.00", mails.body_html)
        # The other customer has its own e-mail.
        self.assertEqual(len(self._reminder_mails(self.customer_be)), 1)
        # Run again the same day: nothing new.
        self._run_dunning()
        self.assertEqual(self._lines(self.customer), lines)
        self.assertEqual(len(self._reminder_mails(self.customer)), 1)

    def test_reminder_blocks_until_released(self):
        invoice = self._overdue_invoice(250.0, 10)
        # Ten days overdue is within the grace days of the base check (30): not blocked.
        self.assertFalse(self.customer.waas_blocked)
        self._run_dunning()
        line = self._lines(self.customer)
        self.assertRecordValues(
            line, [{"level": 1, "state": "queued", "invoice_id": invoice.id, "channel": "email"}]
        )
        self.assertEqual(len(self._reminder_mails(self.customer)), 1)
        self.customer.invalidate_recordset()
        self.assertTrue(self.customer.waas_blocked)
        self.assertEqual(self.customer.waas_reminder_level, 1)
        self.assertIn("payment reminder level 1", self.customer.waas_block_reason)
        self.assertNotIn("overdue by more than", self.customer.waas_block_reason)
        self.assertEqual(self.customer._waas_in_dunning(self.company), {self.customer.id: 1})
        order = self._create_waas_order()
        order.action_waas_request_credit_check()
        order.waas_credit_check_id.with_user(self.user_credit).action_approve()
        self._sign_as_customer(order)
        order.with_user(self.user_countersign).action_waas_countersign()
        with self.assertRaisesRegex(UserError, r"blocked for new WaaS business.*reminder level 1"):
            order.action_confirm()
        self.assertFalse(order.waas_contract_ids)
        # A credit controller releases the customer (reason, date): new business goes on.
        self.env["waas.partner.release"].with_user(self.user_credit).create(
            {
                "partner_ids": [Command.set(self.customer.ids)],
                "reason": "Payment plan agreed by phone",
                "date_until": self.today + timedelta(days=14),
            }
        ).action_release()
        self.customer.invalidate_recordset()
        self.assertFalse(self.customer.waas_blocked)
        order.action_confirm()
        self.assertEqual(order.waas_contract_ids.state, "active")

    def test_paid_invoice_ends_the_block(self):
        invoice = self._overdue_invoice(250.0, 10)
        self._run_dunning()
        self.customer.invalidate_recordset()
        self.assertTrue(self.customer.waas_blocked)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.customer.invalidate_recordset()
        self.assertFalse(self.customer.waas_blocked)
        self.assertEqual(self.customer.waas_reminder_level, 0)

    def test_final_level_informs_reseller_and_credit_controller(self):
        invoice = self._overdue_invoice(1234.56, 40)
        for day in range(3):
            self._run_dunning(days_later=day)
        lines = self._lines(self.customer)
        self.assertEqual(sorted(lines.mapped("level")), [1, 2, 3])
        self.assertEqual(lines.invoice_id, invoice)
        final = lines.filtered(lambda line: line.level == 3)
        mail = self.env["mail.mail"].search(
            [
                ("model", "=", "credit.control.communication"),
                ("res_id", "=", final.communication_id.id),
            ]
        )
        self.assertEqual(len(mail), 1)
        self.assertIn("Final payment reminder", mail.subject)
        self.assertEqual(len(mail.attachment_ids), 1, "the formal reminder letter")
        # The reseller of the customer's contract: told, without amounts.
        notice = self.env["mail.message"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("partner_ids", "in", self.reseller.ids),
            ]
        )
        self.assertEqual(len(notice), 1)
        self.assertIn("final payment reminder", notice.subject)
        self.assertIn(self.customer.name, notice.body)
        self.assertIn(self.contract.name, notice.body)
        for amount in ("1,234.56", "1234.56", "1.234,56"):
            self.assertNotIn(amount, notice.body)
        self.assertTrue(notice.mail_ids)
        self.assertEqual(notice.mail_ids.recipient_ids, self.reseller)
        self.assertFalse(
            self.env["mail.message"].search_count(
                [("partner_ids", "in", self.reseller_b.ids), ("model", "=", "res.partner")]
            )
        )
        # The credit controllers: a to-do on the customer.
        activity = self.customer.activity_ids.filtered(lambda a: a.user_id == self.user_credit)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.summary, "WaaS final reminder: follow up the payment")
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.waas_reminder_level, 3)

    def test_customer_without_email_gets_a_letter_to_print(self):
        self.customer.email = False
        self._overdue_invoice(100.0, 10)
        self._run_dunning()
        line = self._lines(self.customer)
        self.assertRecordValues(line, [{"channel": "letter", "state": "to_be_sent"}])
        self.assertFalse(self._reminder_mails(self.customer))
        self.customer.invalidate_recordset()
        self.assertTrue(self.customer.waas_blocked)

    def test_cron_runs_in_bounded_batches(self):
        self._overdue_invoice(100.0, 10)
        self._overdue_invoice(100.0, 10, contract=self.contract_be)
        with patch.object(credit_control_policy, "WAAS_DUNNING_SEND_BATCH", 1):
            calls = self._run_dunning()
        # The companies' runs (one call each), then one call per customer's e-mails.
        companies = self.env["credit.control.policy"].search_count(
            [("waas_policy", "=", True), ("do_nothing", "=", False)]
        )
        self.assertGreaterEqual(calls, companies + 2)
        self.assertEqual(len(self._reminder_mails(self.customer)), 1)
        self.assertEqual(len(self._reminder_mails(self.customer_be)), 1)
