"""A stateful property-based test (hypothesis ``RuleBasedStateMachine``) of the money over
a contract's whole life.

A handful of contracts live through random sequences of what the back office does every
day: invoice runs on random dates, accounting cancelling, deleting or reversing monthly
invoices, renewals, upgrades, early terminations (past and future dates), expiry, the
commission settlement and the reversal of commission bills. After every step:

- each contract period has at most one live monthly invoice;
- what the monthly invoices bill plus the termination fee is the contract value: the
  monthly run, once it has caught up, leaves nothing unbilled and bills nothing twice;
- nothing is invoiced after the effective end (the termination date, or the end);
- each commission line is billed to its reseller at most once, net of credit notes, and
  a line counted as billed is billed exactly once.

The profile is fixed (derandomized, no example database): the run is stable. Every
example runs in a savepoint that is rolled back afterwards.
"""

from datetime import date, timedelta

from freezegun import freeze_time
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from odoo.exceptions import UserError
from odoo.tests import tagged

from .test_properties import PropertyCommon

MACHINE = settings(
    max_examples=12,
    stateful_step_count=25,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)
START = date(2026, 1, 1)


class MoneyMachine(RuleBasedStateMachine):
    """The contract life as the back office and accounting live it (see the module)."""

    case = None  # the running test case, set by the test

    def __init__(self):
        super().__init__()
        self.t = type(self).case
        self.env = self.t.env
        self.savepoint = self.env.cr.savepoint()
        self.today = START
        self.contracts = self.env["waas.contract"]
        self.counted = {}

    # ------------------------------------------------------------------ helpers
    def _at_today(self):
        return freeze_time(self.today)

    def _monthly(self, domain=()):
        return self.env["account.move"].search(
            [
                ("waas_contract_id", "in", self.contracts.ids),
                ("waas_period_start", "!=", False),
                ("move_type", "=", "out_invoice"),
                *domain,
            ],
            order="id",
        )

    def _accounting(self, action):
        """What accounting does: it works, or Odoo or the addons refuse it with a message
        (e.g. a bill already reversed, an invoice the termination fee counted on), in
        which case nothing of it is kept."""
        try:
            with self.env.cr.savepoint():
                action()
                self.env.flush_all()
        except UserError as error:
            self.t.assertTrue(str(error.args[0]).strip(), "a refusal without a message")
        self.env.invalidate_all()

    def _post(self, move):
        if not move.invoice_date:
            move.invoice_date = self.today
        move.action_post()

    def _reverse(self, move, create):
        """Odoo's Reverse wizard: a credit note (posted), or "Reverse and Create Invoice"."""
        wizard = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "date": self.today})
        )
        if create:
            wizard.modify_moves()
        else:
            wizard.refund_moves()
            for refund in move.reversal_move_ids.filtered(lambda m: m.state == "draft"):
                self._post(refund)

    def _commission_bills(self, domain=()):
        return self.env["account.move"].search(
            [("waas_is_commission_bill", "=", True), *domain], order="id"
        )

    # ------------------------------------------------------------------ set-up
    @initialize(
        terms=st.lists(st.sampled_from([12, 24, 36]), min_size=2, max_size=3),
        offsets=st.lists(st.integers(0, 60), min_size=3, max_size=3),
    )
    def make_contracts(self, terms, offsets):
        t = self.t
        for term, offset in zip(terms, offsets, strict=False):
            contract = t._new_contract(
                term=term,
                date_start=START + timedelta(days=offset),
                products=[(t.bundle, 2)],
            )
            contract._on_activated()
            self.contracts |= contract

    # ------------------------------------------------------------------ rules
    @rule(days=st.integers(1, 75))
    def time_passes(self, days):
        """Days pass; the daily jobs run (terminations taking effect, expiry)."""
        self.today += timedelta(days=days)
        with self._at_today():
            self.env["waas.contract"]._cron_waas_end_terminated()
            self.env["waas.contract"]._cron_waas_expire()

    @rule()
    def invoice_run(self):
        with self._at_today():
            self.env["waas.contract"]._waas_invoice_run(
                date=self.today, domain=[("id", "in", self.contracts.ids)]
            )

    @rule(data=st.data())
    def post_an_invoice(self, data):
        drafts = self._monthly([("state", "=", "draft")])
        if drafts:
            move = data.draw(st.sampled_from(drafts), label="invoice")
            self._accounting(lambda: self._post(move))

    @rule(data=st.data())
    def cancel_an_invoice(self, data):
        live = self._monthly([("state", "!=", "cancel")])
        if not live:
            return
        move = data.draw(st.sampled_from(live), label="invoice")

        def cancel():
            if move.state == "posted":
                move.button_draft()
            move.button_cancel()

        self._accounting(cancel)

    @rule(data=st.data())
    def delete_an_invoice(self, data):
        drafts = self._monthly([("state", "=", "draft")])
        if drafts:
            move = data.draw(st.sampled_from(drafts), label="invoice")
            self._accounting(move.unlink)

    @rule(data=st.data(), create=st.booleans())
    def reverse_an_invoice(self, data, create):
        posted = self._monthly([("state", "=", "posted"), ("payment_state", "!=", "reversed")])
        if not posted:
            return
        move = data.draw(st.sampled_from(posted), label="invoice")
        self._accounting(lambda: self._reverse(move, create))

    @rule(data=st.data())
    def renew(self, data):
        active = self.contracts.filtered(lambda c: c.state == "active")
        if not active:
            return
        contract = data.draw(st.sampled_from(active), label="contract")
        with self._at_today():
            try:
                # What the activation of a signed renewal quotation does.
                with self.env.cr.savepoint():
                    contract._waas_renew(months=12)
            except UserError:
                return

    @rule(data=st.data(), which=st.sampled_from(["upgrade_premium", "option_monitor"]))
    def upgrade(self, data, which):
        active = self.contracts.filtered(lambda c: c.state == "active")
        if not active:
            return
        contract = data.draw(st.sampled_from(active), label="contract")
        product = getattr(self.t, which)
        with self._at_today():
            try:
                with self.env.cr.savepoint():
                    contract._waas_upgrade([(product, 1)])
            except UserError:
                return

    @rule(data=st.data(), offset=st.integers(-40, 90))
    def terminate(self, data, offset):
        active = self.contracts.filtered(lambda c: c.state == "active")
        if not active:
            return
        contract = data.draw(st.sampled_from(active), label="contract")
        day = min(max(self.today + timedelta(days=offset), contract.date_start), contract.date_end)
        with self._at_today():
            wizard = (
                self.env["waas.contract.terminate"]
                .with_user(self.t.user_manager)
                .create({"contract_id": contract.id, "date": day, "reason": "Moved"})
            )
            # The monthly invoices the fee counts on; any other one that bills days from
            # the termination date on would bill them twice.
            self.counted[contract.id] = set(
                self._monthly([("waas_contract_id", "=", contract.id)]).ids
            )
            wizard.action_confirm()

    @rule()
    def settle(self):
        with self._at_today():
            self.env["waas.commission.line"]._settle(self.today.replace(day=1) - timedelta(days=1))

    @rule(data=st.data())
    def post_a_commission_bill(self, data):
        drafts = self._commission_bills([("state", "=", "draft")])
        if drafts:
            bill = data.draw(st.sampled_from(drafts), label="bill")
            self._accounting(lambda: self._post(bill))

    @rule(data=st.data(), create=st.booleans())
    def reverse_a_commission_bill(self, data, create):
        bills = self._commission_bills(
            [
                ("state", "=", "posted"),
                ("move_type", "=", "in_invoice"),
                ("payment_state", "!=", "reversed"),
            ]
        )
        if not bills:
            return
        bill = data.draw(st.sampled_from(bills), label="bill")
        self._accounting(lambda: self._reverse(bill, create))

    # ------------------------------------------------------------------ invariants
    @invariant()
    def one_live_invoice_per_period(self):
        groups = self.env["account.move"]._read_group(
            [
                ("waas_contract_id", "in", self.contracts.ids),
                ("waas_period_start", "!=", False),
                ("move_type", "=", "out_invoice"),
                ("state", "!=", "cancel"),
            ],
            ["waas_contract_id", "waas_period_start:day"],
            ["__count"],
        )
        for contract, start, count in groups:
            self.t.assertEqual(count, 1, f"{contract.name}, period {start}")

    @invariant()
    def nothing_left_behind(self):
        """Every started period without a live monthly invoice is still due: the schedule
        never skips a period (a cancelled or deleted invoice's period is invoiced again)."""
        live = self.contracts._waas_live_periods()
        for contract in self.contracts:
            end = contract.date_end
            if contract.date_terminated:
                end = min(end, contract.date_terminated - timedelta(days=1))
            due = contract.date_next_invoice or contract.date_start
            for _index, start, _end, _full in contract._waas_periods():
                if start <= end and start not in live[contract.id]:
                    self.t.assertGreaterEqual(
                        start, due, f"{contract.name}: period {start} is never invoiced"
                    )

    @invariant()
    def monthly_plus_fee_is_the_value(self):
        """After an early termination, once the monthly run has caught up (tried in a
        savepoint, rolled back), the monthly invoices plus the fee bill the contract value,
        and no monthly invoice made after the termination bills a day from its date on."""
        ended = self.contracts.filtered("date_terminated")
        if ended:
            self._check_value(ended)

    def teardown(self):
        try:
            self._check_value(self.contracts)
        finally:
            self.savepoint.close(rollback=True)
            self.env.invalidate_all()

    def _check_value(self, contracts):
        with self.env.cr.savepoint() as savepoint:
            self.env["waas.contract"]._waas_invoice_run(
                date=date(2040, 1, 1), domain=[("id", "in", contracts.ids)]
            )
            billed = contracts._waas_monthly_billed()
            value = contracts._waas_contract_value()
            for contract in contracts:
                fee = contract.termination_move_id
                fee_amount = fee.amount_untaxed if fee.state not in (False, "cancel") else 0.0
                self.t.assertAlmostEqual(
                    billed[contract.id] + fee_amount,
                    value[contract.id],
                    delta=0.01 * (len(contract._waas_periods()) + 2) * len(contract.line_ids),
                    msg=f"{contract.name}: monthly invoices plus fee are not its value",
                )
                late = self._monthly(
                    [
                        ("waas_contract_id", "=", contract.id),
                        ("state", "!=", "cancel"),
                        ("waas_period_end", ">", contract.date_end),
                    ]
                )
                if contract.date_terminated:
                    late |= self._monthly(
                        [
                            ("waas_contract_id", "=", contract.id),
                            ("state", "!=", "cancel"),
                            ("waas_period_end", ">=", contract.date_terminated),
                            ("id", "not in", list(self.counted.get(contract.id, ()))),
                        ]
                    )
                self.t.assertFalse(late, f"{contract.name}: invoiced after its end")
            savepoint.rollback()
        self.env.invalidate_all()

    @invariant()
    def commission_billed_once(self):
        """What the reseller is billed for (commission bills, draft or posted, minus posted
        credit notes) is exactly the commission of the lines counted as billed: no line is
        billed twice, none is billed and counted as to settle."""
        moves = self.env["account.move"].search(
            [("waas_is_commission_bill", "=", True), ("state", "!=", "cancel")]
        )
        billed = sum(
            m.amount_untaxed if m.move_type == "in_invoice" else -m.amount_untaxed
            for m in moves
            if m.move_type == "in_invoice" or m.state == "posted"
        )
        lines = self.env["waas.commission.line"].search([("state", "in", ("settled", "paid"))])
        currency = self.env.company.currency_id
        self.t.assertEqual(
            currency.compare_amounts(billed, sum(lines.mapped("amount"))),
            0,
            f"commission bills {billed} != billed commissions {sum(lines.mapped('amount'))}",
        )


@tagged("post_install", "-at_install")
class TestMoneyMachine(PropertyCommon):
    def test_money_over_the_contract_life(self):
        """Random days of the back office: the money stays right after every step."""
        self.company.waas_invoice_auto_post = False
        MoneyMachine.case = self
        run_state_machine_as_test(MoneyMachine, settings=MACHINE)
