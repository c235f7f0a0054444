"""The invoice schedule follows the invoices, partial periods are pro rata by days, and a
termination takes effect on its date with live monthly invoices plus the fee equal to the
contract value."""

from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common_ops import WaasOpsCommon
from .common_portal import WaasPortalCommon

D = fields.Date.to_date


class ScheduleCommon(WaasOpsCommon):
    def _run(self, contract, up_to):
        return self.env["waas.contract"]._waas_invoice_run(
            date=D(up_to), domain=[("id", "in", contract.ids)]
        )

    def _live(self, contract):
        return contract.invoice_ids.filtered(
            lambda m: m.waas_period_start and m.state != "cancel"
        ).sorted("waas_period_start")

    def _period(self, contract, start):
        return self._live(contract).filtered(lambda m: m.waas_period_start == D(start))

    def _cancel(self, move):
        if move.state == "posted":
            move.button_draft()
        move.button_cancel()
        self.assertEqual(move.state, "cancel")

    def _assert_value_billed(self, contract):
        """Live monthly invoices plus the fee are the contract value, to the cent."""
        billed = contract._waas_monthly_billed()[contract.id]
        self.assertAlmostEqual(billed, sum(self._live(contract).mapped("amount_untaxed")))
        fee = contract.termination_move_id.amount_untaxed
        self.assertAlmostEqual(billed + fee, contract._waas_contract_value()[contract.id])


@tagged("post_install", "-at_install")
@freeze_time("2026-12-01")
class TestInvoiceSchedule(ScheduleCommon):
    def test_cancelled_invoice_is_due_again(self):
        """Accounting cancels February: February is due again and the next run invoices
        it, once."""
        contract = self._create_contract(term=12)
        self._run(contract, "2026-03-01")
        self.assertEqual(contract.date_next_invoice, D("2026-04-01"))
        self._cancel(self._period(contract, "2026-02-01"))
        self.assertEqual(contract.date_next_invoice, D("2026-02-01"))
        self.assertEqual(contract.invoiced_periods, 1)
        again = self._run(contract, "2026-03-01")
        self.assertEqual(again.waas_period_start, D("2026-02-01"))
        self.assertEqual(again.amount_untaxed, 60.0)
        self.assertEqual(contract.date_next_invoice, D("2026-04-01"))
        self.assertEqual(contract.invoiced_periods, 3)
        self.assertFalse(self._run(contract, "2026-03-01"))
        self.assertEqual(len(self._live(contract)), 3)

    def test_deleted_invoice_is_due_again(self):
        self.company.waas_invoice_auto_post = False
        contract = self._create_contract(term=12)
        self._run(contract, "2026-03-01")
        self._period(contract, "2026-03-01").unlink()
        self.assertEqual(contract.date_next_invoice, D("2026-03-01"))
        again = self._run(contract, "2026-03-01")
        self.assertEqual(again.waas_period_start, D("2026-03-01"))
        self.assertEqual(contract.date_next_invoice, D("2026-04-01"))

    def test_cancelled_invoice_cannot_come_back_over_its_replacement(self):
        contract = self._create_contract(term=12)
        self._run(contract, "2026-01-01")
        january = self._period(contract, "2026-01-01")
        self._cancel(january)
        self._run(contract, "2026-01-01")
        with self.assertRaisesRegex(Exception, "invoiced again"):
            january.button_draft()

    def test_fee_after_a_cancelled_month(self):
        """February cancelled, then the contract is terminated: February is invoiced again
        by the run and is not in the fee; monthly invoices plus fee are the contract value
        (before: February was lost twice)."""
        contract = self._create_contract(term=12)
        self._run(contract, "2026-03-01")
        self._cancel(self._period(contract, "2026-02-01"))
        fee = contract._waas_terminate(D("2026-03-10"), "Bankrupt")
        self.assertEqual(fee.amount_untaxed, 9 * 60.0)
        self.assertEqual(contract.state, "terminated")
        again = self._run(contract, "2026-12-31")
        self.assertEqual(again.waas_period_start, D("2026-02-01"))
        self.assertFalse(self._run(contract, "2026-12-31"))
        self.assertEqual(contract._waas_contract_value()[contract.id], 12 * 60.0)
        self._assert_value_billed(contract)

    def test_edited_invoice_corrected_in_the_fee(self):
        """An invoice edited by hand: the fee still completes the contract value."""
        self.company.waas_invoice_auto_post = False
        contract = self._create_contract(term=12)
        self._run(contract, "2026-02-01")
        self._period(contract, "2026-02-01").invoice_line_ids.price_unit = 45.0
        fee = contract._waas_terminate(D("2026-02-20"), "Bankrupt")
        self.assertEqual(fee.amount_untaxed, 10 * 60.0 + 15.0)
        self.assertIn("difference", fee.invoice_line_ids[-1].name)
        self._assert_value_billed(contract)


@tagged("post_install", "-at_install")
@freeze_time("2026-12-01")
class TestPartialPeriods(ScheduleCommon):
    def test_end_not_on_the_anchor_is_pro_rata(self):
        """A contract ending on 17 December (e.g. capped by the warranty): December is
        invoiced for 17 of its 31 days, and its label ends on the 17th."""
        contract = self._create_contract(term=12, date_end="2026-12-17")
        moves = self._run(contract, "2027-06-01")
        self.assertEqual(len(moves), 12)
        last = moves.sorted("waas_period_start")[-1]
        self.assertEqual(
            (last.waas_period_start, last.waas_period_end), (D("2026-12-01"), D("2026-12-17"))
        )
        self.assertEqual(
            last.invoice_line_ids.name,
            f"{self.bundle.display_name}, 12/01/2026 to 12/17/2026 (pro rata 17/31 days)",
        )
        self.assertEqual(last.amount_untaxed, 32.9)  # 60.00 x 17 / 31
        self.assertAlmostEqual(contract._waas_contract_value()[contract.id], 11 * 60.0 + 32.9)
        self.assertAlmostEqual(sum(moves.mapped("amount_untaxed")), 11 * 60.0 + 32.9)

    def test_fee_of_a_cut_last_period(self):
        contract = self._create_contract(term=12, date_end="2026-12-17")
        self._run(contract, "2026-10-01")
        fee = contract._waas_terminate(D("2026-11-01"), "Moved abroad")
        self.assertEqual(
            [(ln.quantity, ln.price_unit) for ln in fee.invoice_line_ids], [(1, 60.0), (1, 32.9)]
        )
        self.assertIn("1 month(s) from 11/01/2026 to 11/30/2026", fee.invoice_line_ids[0].name)
        self.assertIn(
            "12/01/2026 to 12/17/2026 (pro rata 17/31 days)", fee.invoice_line_ids[1].name
        )
        self._assert_value_billed(contract)


@tagged("post_install", "-at_install")
class TestTerminationDate(ScheduleCommon):
    def test_future_termination_takes_effect_on_its_date(self):
        """Terminated on 5 March for 17 April: the fee is invoiced at once, the contract
        runs (licences live, no return) and is invoiced monthly until 16 April (April pro
        rata), then the daily job ends it on 17 April."""
        contract = self._create_contract(term=12)
        ended = self._count_hook("_on_ended")
        with freeze_time("2026-03-05"):
            self._run(contract, "2026-03-05")
            fee = contract._waas_terminate(D("2026-04-17"), "Moved abroad")
            self.assertEqual(contract.state, "ending")
            self.assertEqual(contract.date_terminated, D("2026-04-17"))
            self.assertFalse(ended)
            self.assertEqual(fee.invoice_date, D("2026-03-05"))
            # April 17-30 (14/30 days: 60.00 - 32.00) and May to December.
            self.assertEqual(fee.amount_untaxed, 8 * 60.0 + 28.0)
            self.assertIn(
                "04/17/2026 to 04/30/2026 (pro rata 14/30 days)", fee.invoice_line_ids[1].name
            )
            self.assertFalse(self.env["waas.contract"]._cron_waas_end_terminated())
        with freeze_time("2026-04-01"):
            april = self._run(contract, "2026-04-01")
            self.assertEqual(april.waas_period_end, D("2026-04-16"))
            self.assertEqual(april.amount_untaxed, 32.0)
            self.assertIn(
                "04/01/2026 to 04/16/2026 (pro rata 16/30 days)", april.invoice_line_ids.name
            )
            self.assertEqual(contract.state, "ending")
        with freeze_time("2026-04-17"):
            self._run_cron_batches(
                "also_waas.waas_contract_cron_end_terminated", "_cron_waas_end_terminated"
            )
            self.assertEqual(contract.state, "terminated")
            self.assertEqual(len(ended), 1)
            self.assertEqual(ended[0][0], contract)
        with freeze_time("2027-01-15"):
            self.assertFalse(self._run(contract, "2027-01-15"))
        self._assert_value_billed(contract)

    def test_past_or_today_takes_effect_at_once(self):
        contract = self._create_contract(term=12)
        ended = self._count_hook("_on_ended")
        with freeze_time("2026-05-10"):
            self._run(contract, "2026-05-10")
            contract._waas_terminate(D("2026-05-10"), "Bankrupt")
            self.assertEqual(contract.state, "terminated")
            self.assertEqual(len(ended), 1)
            # May 10-31 was already invoiced with May: the fee is June to December.
            self.assertEqual(contract.termination_move_id.amount_untaxed, 7 * 60.0)
        self._assert_value_billed(contract)

    def test_invoice_counted_by_the_fee_cannot_be_cancelled(self):
        """May, invoiced before the termination on 10 May, bills days from that date on:
        the fee counted on it, so accounting cannot cancel or delete it (it credits it);
        April, before the date, can be cancelled and is invoiced again."""
        contract = self._create_contract(term=12)
        with freeze_time("2026-05-10"):
            self._run(contract, "2026-05-10")
            contract._waas_terminate(D("2026-05-10"), "Bankrupt")
            may = self._period(contract, "2026-05-01")
            state = may.state
            for action in (may.button_cancel, may.unlink):
                with self.assertRaisesRegex(UserError, "termination fee counted"):
                    action()
            self.assertEqual(may.state, state)
            self.assertEqual(self._period(contract, "2026-05-01"), may)
            self._cancel(self._period(contract, "2026-04-01"))
            again = self._run(contract, "2026-05-10")
            self.assertEqual(again.waas_period_start, D("2026-04-01"))
        self._assert_value_billed(contract)

    def test_ending_contract_cannot_be_renewed_or_upgraded(self):
        contract = self._create_contract(term=12)
        with freeze_time("2026-03-05"):
            contract._waas_terminate(D("2026-06-01"), "Moved abroad")
            self.assertEqual(contract.state, "ending")
            with self.assertRaisesRegex(Exception, "not active"):
                contract._waas_upgrade([(self.upgrade_premium, 1)])
            with self.assertRaisesRegex(Exception, "only an active contract"):
                contract._waas_terminate(D("2026-05-01"), "Again")


@tagged("post_install", "-at_install")
@freeze_time("2026-02-01")
class TestPostingFailures(ScheduleCommon):
    """With invoices posted at once, one invoice that cannot be posted stays in draft with
    its reason; the others post; the next day's run posts it once it can be."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A contract in a currency accounting has archived since: its invoices cannot be
        # posted (Odoo refuses an inactive currency) until the currency is active again.
        cls.old_currency = cls.env.ref("base.CHF")
        if cls.old_currency == cls.currency:
            cls.old_currency = cls.env.ref("base.USD")
        cls.old_currency.active = True

    def _broken_contract(self):
        contract = self._create_contract(term=12, currency_id=self.old_currency.id)
        self.old_currency.active = False
        return contract

    def test_one_failure_does_not_stop_the_others(self):
        good = self._create_contract(term=12)
        bad = self._broken_contract()
        contracts = good | bad
        moves = self._run(contracts, "2026-02-01")
        self.assertEqual(len(moves), 4)
        self.assertEqual(set(good.invoice_ids.mapped("state")), {"posted"})
        drafts = bad.invoice_ids
        self.assertEqual(set(drafts.mapped("state")), {"draft"})
        for move in drafts:
            self.assertIn("inactive currency", move.waas_post_error)
        # The drafts are live: their periods are not invoiced twice.
        self.assertEqual(bad.date_next_invoice, D("2026-03-01"))
        self.assertFalse(self._run(contracts, "2026-02-01"))
        self.assertIn("could not be posted", bad.message_ids[0].body)
        self.assertIn("inactive currency", bad.message_ids[0].body)
        activities = bad.activity_ids
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.summary, "WaaS invoice could not be posted")
        self.assertFalse(good.activity_ids)
        # Retried once a day: not again today ...
        Contract = self.env["waas.contract"]
        self.assertFalse(Contract._waas_retry_posting(domain=[("id", "in", contracts.ids)]))
        # ... the next day, fixed, they post (and still failing, no second activity).
        with freeze_time("2026-02-02"):
            self.old_currency.active = True
            tried = Contract._waas_retry_posting(domain=[("id", "in", contracts.ids)])
        self.assertEqual(tried, drafts)
        self.assertEqual(set(drafts.mapped("state")), {"posted"})
        self.assertFalse(any(drafts.mapped("waas_post_error")))
        self.assertEqual(len(bad.activity_ids), 1)

    def test_posting_in_chunks_keeps_failures_apart(self):
        """Invoices are posted a chunk at a time; a chunk with a bad invoice posts its
        good ones, and the chunks after it post as usual."""
        goods = self._create_contract(term=12) | self._create_contract(term=12)
        bad = self._broken_contract()
        goods |= self._create_contract(term=12)
        Move = type(self.env["account.move"])
        post, sizes = Move._post, []

        def spy(moves, soft=True):
            sizes.append(len(moves))
            return post(moves, soft=soft)

        with (
            patch("odoo.addons.also_waas.models.account_move.WAAS_POST_CHUNK_SIZE", 3),
            patch.object(Move, "_post", spy),
        ):
            moves = self._run(goods | bad, "2026-02-01")
        self.assertEqual(len(moves), 8)
        self.assertLessEqual(max(sizes), 3)
        self.assertEqual(set(goods.invoice_ids.mapped("state")), {"posted"})
        self.assertEqual(set(bad.invoice_ids.mapped("state")), {"draft"})
        for move in bad.invoice_ids:
            self.assertIn("inactive currency", move.waas_post_error)
            self.assertEqual(move.waas_post_failed_on, D("2026-02-01"))
        self.assertEqual(len(bad.activity_ids), 1)
        self.assertFalse(goods.activity_ids)

    def test_wizard_reports_what_failed(self):
        bad = self._broken_contract()
        wizard = self.env["waas.invoice.run"].create(
            {"date": "2026-01-01", "company_ids": [Command.set(self.company.ids)]}
        )
        wizard.action_run()
        self.assertEqual(wizard.failed_move_ids, bad.invoice_ids)
        self.assertEqual(wizard.failed_count, 1)
        action = wizard.action_open_failed_invoices()
        self.assertEqual(action["domain"], [("id", "in", bad.invoice_ids.ids)])


@tagged("post_install", "-at_install")
@freeze_time("2026-02-01")
class TestAddressAndCurrency(ScheduleCommon):
    def test_invoices_go_to_the_invoice_address(self):
        accounts = self.env["res.partner"].create(
            {"name": "Accounts Payable", "type": "invoice", "parent_id": self.customer.id}
        )
        order = self._create_waas_order(term=12, partner_invoice_id=accounts.id)
        contract = self._activate_order(order)
        monthly = self._run(contract, contract.date_start)
        self.assertEqual(monthly.partner_id, accounts)
        fee = contract._waas_terminate(contract.date_start, "Moved abroad")
        self.assertEqual(fee.partner_id, accounts)

    def test_upgrade_converted_to_the_contract_currency(self):
        """A contract in CHF (2 CHF per company currency unit): the upgrade's price list
        price is converted like a quotation's."""
        chf = self.env.ref("base.CHF")
        if chf == self.currency:
            chf = self.env.ref("base.USD")
        chf.active = True
        self.env["res.currency.rate"].create(
            {
                "currency_id": chf.id,
                "name": "2020-01-01",
                "rate": 2.0,
                "company_id": self.company.id,
            }
        )
        contract = self._create_contract(term=36, currency_id=chf.id)
        line = contract._waas_upgrade([(self.option_monitor, 1)])
        self.assertEqual(line.price_unit, 14.0)
        wizard = self.env["waas.contract.upgrade"].create(
            {"contract_id": contract.id, "product_id": self.option_monitor.id}
        )
        self.assertEqual(wizard.price_unit, 14.0)


@tagged("post_install", "-at_install")
class TestEndsEarlyShown(HttpCase, WaasPortalCommon):
    def test_portal_shows_the_coming_termination(self):
        """The end customer sees that its contract ends early, and when."""
        contract = self.contract_a
        contract._waas_terminate(contract.date_end, "Moved abroad")
        self.assertEqual(contract.state, "ending")
        self.authenticate("portal_ca", "portal_ca")
        day = contract.date_end.strftime("%m/%d/%Y")
        for url in ("/my/waas/contracts", f"/my/waas/contracts/{contract.id}"):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200, url)
            self.assertIn("Ending Early", response.text, url)
            self.assertRegex(response.text, rf"(?s)nds early on.{{0,200}}{day}", url)
