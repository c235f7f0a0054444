"""A commission line is billed to the reseller once, whatever accounting does with its bill.

Each scenario settles, lets an accountant do what accounting does every day (reverse,
reverse and create a new draft, reset to draft, cancel, delete, pay, a partial credit
note), settles again and checks how many times each line is billed and what the reseller
is owed in total."""

from contextlib import contextmanager

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.also_waas.tests.test_migrations import _load_migration

from .common import WaasCommissionCommon


@tagged("post_install", "-at_install")
class TestCommissionBills(WaasCommissionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c1 = cls._activate(products=[(cls.bundle, 1), (cls.upgrade_premium, 1)])
        c2 = cls._activate(term=12)
        cls.lines = cls._lines_of(c1 | c2)
        cls.lines.write({"date": cls.this_period - relativedelta(days=3)})
        cls.date_to = cls.this_period - relativedelta(days=1)
        cls.owed = sum(cls.lines.mapped("amount"))

    @classmethod
    def _lines_of(cls, contracts):
        return cls.env["waas.commission.line"].search(
            [("contract_id", "in", contracts.ids)], order="id"
        )

    # ------------------------------------------------------------------ helpers
    def _settle(self):
        """Settle as the commission manager; the bills as the accountant sees them."""
        Line = self.Line.with_user(self.user_commission)
        return Line._settle(self.date_to).sudo(False).with_user(self.user_accountant)

    def _settle_first(self, post=True):
        bill = self._settle()
        self.assertEqual(len(bill), 1)
        self.assertEqual(len(bill.invoice_line_ids), 2)
        self.assertEqual(self.lines.move_id, bill)
        if post:
            bill.action_post()
        return bill

    def _reverse(self, bill, modify=False):
        """The accountant's "Reverse" (a draft credit note) or "Reverse and Create
        Invoice" (a posted credit note and a new draft bill)."""
        wizard = (
            self.env["account.move.reversal"]
            .with_user(self.user_accountant)
            .with_context(active_model="account.move", active_ids=bill.ids)
            .create({"reason": "Wrong period", "journal_id": bill.journal_id.id})
        )
        if modify:
            wizard.modify_moves()
        else:
            wizard.refund_moves()
        return wizard.new_move_ids

    @contextmanager
    def _refused(self, message):
        """A UserError with ``message``, and nothing of the refused action kept (as the
        transaction of the request would be rolled back)."""
        with self.assertRaises(UserError) as caught:
            yield
        self.assertRegex(str(caught.exception), message)

    def _assert_billed_once(self):
        """Each line is billed once, and the reseller's bills minus its credit notes (not
        cancelled) are what it earned."""
        self.lines.invalidate_recordset()
        for line, (count, _bills) in self.lines._get_billing().items():
            self.assertEqual(count, 1, f"{line.display_name} billed {count} times")
        self.assertEqual(set(self.lines.mapped("state")) - {"paid"}, {"settled"})
        moves = self.env["account.move"].search(
            [
                ("waas_is_commission_bill", "=", True),
                ("partner_id", "=", self.reseller.id),
                ("state", "!=", "cancel"),
            ]
        )
        net = sum(
            move.amount_total * (1 if move.move_type == "in_invoice" else -1) for move in moves
        )
        self.assertAlmostEqual(net, self.owed)

    # ------------------------------------------------------------------ scenarios
    def test_reverse(self):
        bill = self._settle_first()
        refund = self._reverse(bill)
        self.assertEqual(refund.move_type, "in_refund")
        self.assertTrue(refund.waas_is_commission_bill)
        # A draft credit note takes back nothing yet.
        self.assertEqual(self.lines.move_id, bill)
        refund.action_post()
        self.assertEqual(set(self.lines.mapped("state")), {"to_settle"})
        self.assertFalse(self.lines.move_id)
        new_bill = self._settle()
        self.assertEqual(self.lines.move_id, new_bill)
        self.assertNotIn(new_bill, bill | refund)
        self.assertFalse(self._settle())
        self._assert_billed_once()

    def test_reverse_and_create_invoice(self):
        bill = self._settle_first()
        new_draft = self._reverse(bill, modify=True)
        self.assertEqual((new_draft.move_type, new_draft.state), ("in_invoice", "draft"))
        # The new draft bills the lines instead of the reversed bill: nothing to settle.
        self.assertEqual(self.lines.move_id, new_draft)
        self.assertEqual(set(self.lines.mapped("state")), {"settled"})
        self.assertFalse(self._settle())
        new_draft.invoice_date = bill.invoice_date
        new_draft.action_post()
        self.assertFalse(self._settle())
        self._assert_billed_once()
        self.assertEqual(
            self.Line.search(bill.action_view_waas_commission_lines()["domain"]), self.lines
        )

    def test_reset_to_draft_and_post_again(self):
        bill = self._settle_first()
        bill.button_draft()
        self.assertEqual(self.lines.move_id, bill)
        self.assertEqual(set(self.lines.mapped("state")), {"settled"})
        self.assertFalse(self._settle())
        bill.action_post()
        self.assertFalse(self._settle())
        self._assert_billed_once()

    def test_cancel_draft(self):
        bill = self._settle_first(post=False)
        bill.button_cancel()
        self.assertEqual(set(self.lines.mapped("state")), {"to_settle"})
        new_bill = self._settle()
        self.assertEqual(self.lines.move_id, new_bill)
        # The cancelled bill cannot bill them a second time.
        with self._refused("billed 2 times"):
            bill.button_draft()
        self._assert_billed_once()

    def test_cancelled_bill_back_to_draft_bills_again(self):
        bill = self._settle_first()
        bill.button_cancel()
        self.assertEqual(set(self.lines.mapped("state")), {"to_settle"})
        bill.button_draft()
        self.assertEqual(self.lines.move_id, bill)
        self.assertFalse(self._settle())
        self._assert_billed_once()

    def test_cancelled_commission_not_billed_again(self):
        bill = self._settle_first()
        bill.button_cancel()
        line = self.lines[0]
        line.with_user(self.user_commission).action_cancel()
        with self._refused("is cancelled and cannot be on vendor bill"):
            bill.button_draft()
        self.assertEqual(line.state, "cancelled")
        self.assertEqual(bill.state, "cancel")

    def test_delete_draft(self):
        self._settle_first(post=False).unlink()
        self.assertEqual(set(self.lines.mapped("state")), {"to_settle"})
        self.assertTrue(self._settle())
        self.assertFalse(self._settle())
        self._assert_billed_once()

    def test_pay_then_reverse(self):
        bill = self._settle_first()
        self.env["account.payment.register"].with_user(self.user_accountant).with_context(
            active_model="account.move", active_ids=bill.ids
        ).create({"payment_date": bill.invoice_date})._create_payments()
        self.assertEqual(set(self.lines.mapped("state")), {"paid"})
        self.assertFalse(self._settle())
        refund = self._reverse(bill)
        refund.action_post()
        self.assertEqual(set(self.lines.mapped("state")), {"to_settle"})
        self.assertTrue(self._settle())
        self._assert_billed_once()

    def test_partial_credit_note_refused(self):
        bill = self._settle_first()
        refund = self._reverse(bill)
        first, second = refund.invoice_line_ids
        second.price_unit += 10.0
        with self._refused("does not bill its commissions as settled"):
            refund.action_post()
        second.price_unit -= 10.0
        refund.write({"invoice_line_ids": [Command.delete(first.id)]})
        with self._refused("reverses only part of commission bill"):
            refund.action_post()
        refund.unlink()
        self.assertEqual(self.lines.move_id, bill)
        self.assertFalse(self._settle())
        self._assert_billed_once()

    def test_changed_bill_amount_refused(self):
        bill = self._settle_first(post=False)
        bill.invoice_line_ids[0].price_unit += 1.0
        with self._refused("does not bill its commissions as settled"):
            bill.action_post()

    def test_credit_note_undone_after_settling_again_refused(self):
        bill = self._settle_first()
        refund = self._reverse(bill)
        refund.action_post()
        new_bill = self._settle()
        # Cancelling the credit note, or reversing it, would bill the lines twice.
        with self._refused("billed 2 times"):
            refund.button_cancel()
        with self._refused("billed 2 times"):
            self._reverse(refund)
        # A bill is reversed once.
        second_refund = self._reverse(bill)
        with self._refused("already reversed by"):
            second_refund.action_post()
        self.assertEqual(self.lines.move_id, new_bill)
        second_refund.unlink()
        self._assert_billed_once()

    def test_reversed_bill_not_cancelled(self):
        bill = self._settle_first()
        self._reverse(bill).action_post()
        # Cancelling the reversed bill would leave the credit note taking back commissions
        # that nothing bills any more.
        with self._refused("taken back more often"):
            bill.button_cancel()
        self.assertTrue(self._settle())
        self._assert_billed_once()

    def test_links_are_not_written_by_hand(self):
        bill = self._settle_first(post=False)
        with self.assertRaisesRegex(AccessError, "change only through its buttons"):
            bill.invoice_line_ids[0].waas_commission_line_ids = [Command.clear()]
        other = self._activate(reseller=self.reseller_b)
        other_lines = self._lines_of(other)
        with self.assertRaisesRegex(AccessError, "billed only by Settle Commissions"):
            self.env["account.move"].with_user(self.user_accountant).create(
                {
                    "move_type": "in_invoice",
                    "partner_id": self.reseller_b.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Hand-made",
                                "price_unit": 120.0,
                                "waas_commission_line_ids": [Command.set(other_lines.ids)],
                            }
                        )
                    ],
                }
            )
        self.assertEqual(other_lines.state, "to_settle")

    # ------------------------------------------------------------------ migration
    def test_migration_links_bills_settled_before(self):
        """A bill settled by an older version (lines pointing to the bill only) gets its
        line-by-line links from the 18.0.1.1.0 migration: reversing it afterwards releases
        its lines once, as for a new bill."""
        bill = self._settle_first()
        self.env.flush_all()
        self.env.cr.execute(
            "DELETE FROM waas_commission_line_account_move_line_rel"
            " WHERE commission_line_id = ANY(%s)",
            [self.lines.ids],
        )
        self.env.invalidate_all()
        self.assertFalse(self.lines.move_line_ids)
        self.assertEqual(self.lines.move_id, bill)
        migration = _load_migration("18.0.1.1.0", "post", module="also_waas_commission")
        migration.migrate(self.env.cr, False)  # a new install: nothing to link
        self.env.invalidate_all()
        self.assertFalse(self.lines.move_line_ids)
        migration.migrate(self.env.cr, "18.0.1.0.1")
        self.env.invalidate_all()
        for line in self.lines:
            self.assertEqual(len(line.move_line_ids), 1, line.display_name)
            self.assertEqual(line.move_line_ids.move_id, bill)
        self.assertEqual(
            {
                bill_line: sum(bill_line.waas_commission_line_ids.mapped("amount"))
                for bill_line in bill.invoice_line_ids
            },
            {bill_line: bill_line.price_subtotal for bill_line in bill.invoice_line_ids},
        )
        self._assert_billed_once()
        refund = self._reverse(bill)
        refund.action_post()
        self.assertEqual(set(self.lines.mapped("state")), {"to_settle"})
        self._settle().action_post()
        self._assert_billed_once()
