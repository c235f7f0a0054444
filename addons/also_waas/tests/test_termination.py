from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common_ops import WaasOpsCommon


@tagged("post_install", "-at_install")
@freeze_time("2029-06-01")
class TestTermination(WaasOpsCommon):
    """Terminations recorded after their date (it takes effect at once); a termination
    in the future is tested in ``test_invoice_schedule.py``."""

    def _terminate(self, contract, date, reason="Customer went out of business"):
        return contract._waas_terminate(fields.Date.to_date(date), reason)

    def test_fee_is_remaining_contract_value(self):
        """36 months at 2 x 40.00, three months invoiced: the fee is the 33 others."""
        contract = self._create_contract(products=[(self.bundle, 2)])
        self._invoice_until(contract, "2026-03-01")
        ended = self._count_hook("_on_ended")
        move = self._terminate(contract, "2026-03-15")
        self.assertEqual(len(move), 1)
        self.assertEqual(move.move_type, "out_invoice")
        self.assertEqual(move.partner_id, self.customer)
        self.assertEqual(move.waas_contract_id, contract)
        self.assertFalse(move.waas_period_start)
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.amount_untaxed, 33 * 80.0)
        line = move.invoice_line_ids
        self.assertEqual(len(line), 1)
        self.assertEqual((line.quantity, line.price_unit), (33, 80.0))
        self.assertIn("33 month(s) from 04/01/2026 to 12/31/2028", line.name)
        self.assertEqual(contract.state, "terminated")
        self.assertEqual(str(contract.date_terminated), "2026-03-15")
        self.assertEqual(contract.termination_reason, "Customer went out of business")
        self.assertEqual(contract.termination_move_id, move)
        self.assertIn(move, contract.invoice_ids)
        self.assertEqual(len(ended), 1)
        self.assertEqual(ended[0][0], contract)
        # No monthly invoice any more: the fee covered the rest.
        self.assertFalse(self._invoice_until(contract, "2026-06-01"))

    def test_fee_per_line_and_upgrade_from_its_date(self):
        """A line invoiced from a later date only counts from that date."""
        contract = self._create_contract(products=[(self.bundle, 1), (self.upgrade_premium, 1)])
        contract.line_ids.filtered(
            lambda ln: ln.product_id == self.upgrade_premium
        ).date_from = "2026-04-01"
        self._invoice_until(contract, "2026-01-01")
        move = self._terminate(contract, "2026-01-20")
        lines = move.invoice_line_ids.sorted("price_unit")
        self.assertEqual(
            [(ln.product_id, ln.quantity, ln.price_unit) for ln in lines],
            [(self.upgrade_premium, 33, 10.0), (self.bundle, 35, 40.0)],
        )
        self.assertEqual(move.amount_untaxed, 35 * 40.0 + 33 * 10.0)

    def test_terminated_in_first_month(self):
        contract = self._create_contract(term=24)
        move = self._terminate(contract, "2026-01-01")
        self.assertEqual(move.amount_untaxed, 24 * 50.0)
        self.assertIn("24 month(s) from 01/01/2026 to 12/31/2027", move.invoice_line_ids.name)
        contract2 = self._create_contract(term=24)
        self._invoice_until(contract2, "2026-01-01")
        move2 = self._terminate(contract2, "2026-01-31")
        self.assertEqual(move2.amount_untaxed, 23 * 50.0)

    def test_terminated_in_last_month(self):
        """Everything already invoiced: terminated without a fee invoice."""
        contract = self._create_contract(term=12)
        self._invoice_until(contract, "2026-12-01")
        ended = self._count_hook("_on_ended")
        move = self._terminate(contract, "2026-12-31")
        self.assertFalse(move)
        self.assertEqual(contract.state, "terminated")
        self.assertFalse(contract.termination_move_id)
        self.assertEqual(len(ended), 1)
        self.assertIn("no termination fee", contract.message_ids[1].body)
        self.assertIn("took effect", contract.message_ids[0].body)
        # Last month not invoiced yet, terminated on its first day: one month of fee.
        contract2 = self._create_contract(term=12)
        self._invoice_until(contract2, "2026-11-01")
        move2 = self._terminate(contract2, "2026-12-01")
        self.assertEqual(move2.amount_untaxed, 60.0)
        self.assertIn("1 month(s) from 12/01/2026 to 12/31/2026", move2.invoice_line_ids.name)

    def test_month_end_start(self):
        """Started on 31 January: periods start on 28 February, 31 March, ..."""
        contract = self._create_contract(term=12, date_start="2026-01-31")
        self.assertEqual(str(contract.date_end), "2027-01-30")
        self._invoice_until(contract, "2026-01-31")
        move = self._terminate(contract, "2026-02-10")
        self.assertEqual(move.amount_untaxed, 11 * 60.0)
        self.assertIn("11 month(s) from 02/28/2026 to 01/30/2027", move.invoice_line_ids.name)

    def test_29_february(self):
        """Started on 31 January of a leap year: the second period starts on 29 February;
        a contract started on 29 February keeps its anchor."""
        contract = self._create_contract(term=12, date_start="2028-01-31")
        self._invoice_until(contract, "2028-01-31")
        move = self._terminate(contract, "2028-02-29")
        self.assertEqual(move.amount_untaxed, 11 * 60.0)
        self.assertIn("from 02/29/2028 to 01/30/2029", move.invoice_line_ids.name)

        leap = self._create_contract(term=12, date_start="2024-02-29")
        self.assertEqual(str(leap.date_end), "2025-02-27")
        self._invoice_until(leap, "2025-01-28")  # 11 periods: up to 29 Dec 2024
        move = self._terminate(leap, "2025-01-29")
        self.assertEqual(move.amount_untaxed, 60.0)
        self.assertIn("1 month(s) from 01/29/2025 to 02/27/2025", move.invoice_line_ids.name)

    def test_errors(self):
        contract = self._create_contract()
        with self.assertRaisesRegex(UserError, r"before the start of contract"):
            self._terminate(contract, "2025-12-31")
        with self.assertRaisesRegex(UserError, r"after the end of contract .* let it expire"):
            self._terminate(contract, "2029-01-01")
        with self.assertRaisesRegex(UserError, r"reason"):
            self._terminate(contract, "2026-05-01", reason="  ")
        self.assertEqual(contract.state, "active")
        self.assertFalse(contract.invoice_ids)
        self._terminate(contract, "2026-05-01")
        with self.assertRaisesRegex(UserError, r"is Terminated: only an active contract"):
            self._terminate(contract, "2026-06-01")
        expired = self._create_contract(state="expired")
        with self.assertRaisesRegex(UserError, r"is Expired: only an active contract"):
            self._terminate(expired, "2026-06-01")

    def test_fee_that_cannot_be_posted_stays_draft_and_is_retried(self):
        """The fee is posted like every WaaS invoice: one Odoo refuses stays in draft with
        its reason, accounting gets an activity, and the daily run posts it once it can."""
        contract = self._create_contract()
        self._invoice_until(contract, "2026-03-01")

        def is_fee(move):
            return move.waas_contract_id == contract and not move.waas_period_start

        with self._refuse_posting(is_fee):
            move = self._terminate(contract, "2026-03-15")
        self.assertEqual(move.state, "draft")
        self.assertIn("Posting refused by the test", move.waas_post_error)
        self.assertEqual(contract.termination_move_id, move)
        self.assertEqual(contract.state, "terminated")
        self.assertEqual(len(self._posting_activities(contract)), 1)
        self.assertTrue(
            any("could not be posted" in body for body in contract.message_ids.mapped("body"))
        )
        Contract = self.env["waas.contract"]
        self.assertFalse(Contract._waas_retry_posting(domain=[("id", "=", contract.id)]))
        with freeze_time("2029-06-02"):
            tried = Contract._waas_retry_posting(domain=[("id", "=", contract.id)])
        self.assertEqual(tried, move)
        self.assertEqual(move.state, "posted")
        self.assertFalse(move.waas_post_error)

    def test_no_sales_journal(self):
        """The monthly invoices and the fee refuse a company without a sales journal with
        the same clear error."""
        contract = self._create_contract()
        self._without_sales_journal()
        with self.assertRaisesRegex(UserError, "No sales journal for the WaaS invoices"):
            self._invoice_until(contract, "2026-01-01")
        with self.assertRaisesRegex(UserError, "No sales journal for the WaaS invoices"):
            self._terminate(contract, "2026-03-15")
        self.assertEqual(contract.state, "active")
        self.assertFalse(contract.invoice_ids)

    def test_wizard_as_manager(self):
        contract = self._create_contract(term=12)
        self._invoice_until(contract, "2026-02-01")
        wizard_form = Form(
            self.env["waas.contract.terminate"]
            .with_user(self.user_manager)
            .with_context(default_contract_id=contract.id)
        )
        wizard_form.date = "2026-02-14"
        wizard_form.reason = "Moved to another provider"
        self.assertEqual(wizard_form.fee_months, 10)
        self.assertEqual(wizard_form.fee_amount, 600.0)
        action = wizard_form.save().action_confirm()
        self.assertEqual(contract.state, "terminated")
        self.assertEqual(action["res_id"], contract.termination_move_id.id)
        self.assertEqual(contract.termination_move_id.amount_untaxed, 600.0)

    def test_wizard_is_for_managers(self):
        contract = self._create_contract()
        with self.assertRaises(AccessError):
            self.env["waas.contract.terminate"].with_user(self.user_waas).create(
                {"contract_id": contract.id, "reason": "x"}
            )


@tagged("post_install", "-at_install")
class TestPeriodProperties(WaasOpsCommon):
    """Property-based checks of the period arithmetic behind the fee and the renewals, on
    in-memory contracts (no database write per example)."""

    @settings(max_examples=300, deadline=None)
    @given(
        start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
        term=st.sampled_from([12, 24, 36]),
        data=st.data(),
    )
    def test_remaining_periods_cover_the_rest_of_the_term(self, start, term, data):
        end = start + relativedelta(months=term, days=-1)
        contract = self.env["waas.contract"].new(
            {"date_start": start, "date_end": end, "term_months": term}
        )
        self.assertEqual(contract._waas_period_count(), term)
        invoiced = data.draw(st.integers(min_value=0, max_value=term))
        first = start + relativedelta(months=invoiced)
        periods = contract._waas_periods_from(first)
        self.assertEqual(len(periods), term - invoiced)
        if periods:
            self.assertEqual(periods[0][0], first)
            self.assertEqual(periods[-1][1], end)
            for (_s1, end1), (start2, _e2) in zip(periods, periods[1:], strict=False):
                self.assertEqual(start2, end1 + timedelta(days=1))
        extension = data.draw(st.sampled_from([12, 24]))
        self.assertEqual(
            contract._waas_extended_end(extension),
            start + relativedelta(months=term + extension, days=-1),
        )
