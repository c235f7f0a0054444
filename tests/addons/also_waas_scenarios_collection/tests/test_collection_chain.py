# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError

from odoo.addons.also_waas_credit_control.tests.common import WaasCreditControlCommon
from odoo.addons.also_waas_sepa.tests.common import IBAN_CUSTOMER, WaasSepaCommon


class TestCollectionChain(WaasSepaCommon, WaasCreditControlCommon):
    """Issue 17 from end to end: a deal signed with a mandate is collected by direct debit
    after the run; the bank returns the debit; the daily reminders remind the end customer,
    who gets no new deal until a credit controller releases it."""

    def test_returned_debit_reminds_and_blocks_until_released(self):
        order = self._create_waas_order(waas_iban=IBAN_CUSTOMER)
        contract = self._activate_order(order)
        invoice = self.env["waas.contract"]._waas_invoice_run(
            date=fields.Date.context_today(self.env.user),
            domain=[("id", "=", contract.id)],
        )
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.mandate_id, order.waas_mandate_id)

        # Collected by direct debit: the run filed it in a payment order, whose pain.008
        # is generated and uploaded to the bank.
        payment_order = invoice.line_ids.payment_line_ids.order_id
        self.assertEqual(len(payment_order), 1)
        payment_order.draft2open()
        payment_order.open2generated()
        payment_order.generated2uploaded()
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        receivable = invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        collected = receivable.matched_credit_ids.credit_move_id
        self.assertTrue(collected)

        # The bank returns the debit (insufficient funds): the invoice is open again.
        payment_return = self.env["payment.return"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": fields.Date.context_today(self.env.user),
                "line_ids": [
                    Command.create(
                        {
                            "partner_id": invoice.partner_id.id,
                            "move_line_ids": [Command.set(collected.ids)],
                            "amount": sum(collected.mapped("credit")),
                            "reason_id": self.env.ref(
                                "also_waas_sepa.payment_return_reason_am04"
                            ).id,
                        }
                    )
                ],
            }
        )
        payment_return.with_user(self.user_accountant).action_confirm()
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(invoice.credit_policy_id, self.policy)

        # A week after its due date the daily job reminds the end customer once, and the
        # customer is blocked for new WaaS business.
        days_later = (invoice.invoice_date_due - self.today).days + 8
        self._run_dunning(days_later=max(days_later, 0))
        lines = self._lines(self.customer).filtered(lambda line: line.invoice_id == invoice)
        self.assertEqual(lines.mapped("level"), [1])
        self.assertEqual(len(self._reminder_mails(self.customer)), 1)
        self.customer.invalidate_recordset()
        self.assertTrue(self.customer.waas_blocked)

        new_order = self._create_waas_order()
        new_order.action_waas_request_credit_check()
        new_order.waas_credit_check_id.with_user(self.user_credit).action_approve()
        self._sign_as_customer(new_order)
        new_order.with_user(self.user_countersign).action_waas_countersign()
        with self.assertRaisesRegex(UserError, "blocked for new WaaS business"):
            new_order.action_confirm()
        self.assertFalse(new_order.waas_contract_ids)

        # A credit controller releases the customer with a reason: the deal goes on.
        self.env["waas.partner.release"].with_user(self.user_credit).create(
            {
                "partner_ids": [Command.set(self.customer.ids)],
                "reason": "Paid by bank transfer after the returned debit",
                "date_until": fields.Date.context_today(self.env.user) + timedelta(days=60),
            }
        ).action_release()
        self.customer.invalidate_recordset()
        self.assertFalse(self.customer.waas_blocked)
        new_order.action_confirm()
        self.assertEqual(new_order.waas_contract_ids.state, "active")
