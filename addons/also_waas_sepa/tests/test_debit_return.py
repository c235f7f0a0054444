# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import Form

from .common import IBAN_CUSTOMER, WaasSepaCommon


class TestDebitReturn(WaasSepaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls._create_waas_order(waas_iban=IBAN_CUSTOMER)
        cls.contract = cls._activate_order(cls.order)
        cls.invoice = cls.env["waas.contract"]._waas_invoice_run(
            date=fields.Date.context_today(cls.env.user),
            domain=[("id", "=", cls.contract.id)],
        )
        cls.reason_am04 = cls.env.ref("also_waas_sepa.payment_return_reason_am04")

    def _collect(self):
        """The direct debit was collected: a payment settles the invoice (in payment
        until the bank statement matches it)."""
        wizard = Form(
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=self.invoice.ids
            )
        ).save()
        payment = wizard._create_payments()
        self.assertIn(self.invoice.payment_state, ("in_payment", "paid"))
        return payment.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    def _return(self, payment_line, reason):
        payment_return = self.env["payment.return"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": fields.Date.context_today(self.env.user),
                "line_ids": [
                    Command.create(
                        {
                            "partner_id": self.invoice.partner_id.id,
                            "move_line_ids": [Command.set(payment_line.ids)],
                            "amount": payment_line.credit,
                            "reason_id": reason.id,
                        }
                    )
                ],
            }
        )
        payment_return.with_user(self.user_accountant).action_confirm()
        return payment_return

    def test_returned_debit_reopens_invoice_and_tells_credit_control(self):
        self.assertEqual(self.invoice.mandate_id, self.contract.waas_mandate_id)
        self.assertFalse(self.contract.waas_debit_returned_date)
        payment_line = self._collect()
        payment_return = self._return(payment_line, self.reason_am04)
        today = fields.Date.context_today(self.env.user)
        self.assertEqual(payment_return.state, "done")
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.assertTrue(self.invoice.returned_payment)
        self.assertEqual(self.invoice.amount_residual, self.invoice.amount_total)
        self.assertRecordValues(
            self.contract,
            [
                {
                    "waas_debit_returned_date": today,
                    "waas_debit_return_reason": "[AM04] Insufficient funds",
                }
            ],
        )
        self.assertEqual(self.customer.waas_debit_returned_date, today)
        activities = self.contract.activity_ids.filtered(
            lambda a: a.summary == "Returned debit: follow up the payment"
        )
        self.assertIn(self.user_credit, activities.user_id)
        self.assertNotIn(self.user_waas, activities.user_id)
        self.assertIn("AM04", activities[0].note)
        note = self.contract.message_ids.filtered(lambda m: "AM04" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("Insufficient funds", note.body)

    def test_non_waas_return_leaves_contracts_alone(self):
        other = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_line_ids": [Command.create({"name": "Other", "price_unit": 100.0})],
            }
        )
        other.action_post()
        self.invoice = other
        self._return(self._collect(), self.reason_am04)
        self.assertEqual(other.payment_state, "not_paid")
        self.assertFalse(self.contract.waas_debit_returned_date)
        self.assertFalse(self.customer.waas_debit_returned_date)

    def test_flag_set_only_by_the_return(self):
        today = fields.Date.context_today(self.env.user)
        for user in (self.user_waas, self.user_manager, self.user_credit):
            with self.assertRaisesRegex(AccessError, "payment return"):
                self.contract.with_user(user).write({"waas_debit_returned_date": today})
            with self.assertRaisesRegex(AccessError, "payment return"):
                self.contract.with_user(user).write({"waas_debit_return_reason": "AM04"})
        with self.assertRaisesRegex(AccessError, "payment return"):
            self.customer.with_user(self.user_manager).write({"waas_debit_returned_date": today})
        self.assertFalse(self.contract.waas_debit_returned_date)
        self.assertFalse(self.contract.waas_debit_return_reason)
        self.assertFalse(self.customer.waas_debit_returned_date)

    def test_cancelled_return_clears_the_flag(self):
        payment_return = self._return(self._collect(), self.reason_am04)
        today = fields.Date.context_today(self.env.user)
        self.assertEqual(self.contract.waas_debit_returned_date, today)
        payment_return.with_user(self.user_accountant).action_cancel()
        self.assertEqual(payment_return.state, "cancelled")
        # The invoice is paid again and nothing says a debit came back.
        self.assertIn(self.invoice.payment_state, ("in_payment", "paid"))
        self.assertFalse(self.invoice.returned_payment)
        self.assertRecordValues(
            self.contract,
            [{"waas_debit_returned_date": False, "waas_debit_return_reason": False}],
        )
        self.assertFalse(self.customer.waas_debit_returned_date)
        self.assertTrue(
            self.contract.message_ids.filtered(
                lambda m: "returned debit is cleared" in (m.body or "")
            )
        )

    def test_cancelled_return_keeps_an_earlier_one(self):
        self._return(self._collect(), self.reason_am04)
        second = self._return(
            self._collect(), self.env.ref("also_waas_sepa.payment_return_reason_md06")
        )
        self.assertIn("MD06", self.contract.waas_debit_return_reason)
        second.with_user(self.user_accountant).action_cancel()
        # The first return still stands: the flag shows it again.
        self.assertEqual(self.contract.waas_debit_return_reason, "[AM04] Insufficient funds")
        self.assertEqual(
            self.customer.waas_debit_returned_date, fields.Date.context_today(self.env.user)
        )
        # Paid by the second collection again.
        self.assertIn(self.invoice.payment_state, ("in_payment", "paid"))
