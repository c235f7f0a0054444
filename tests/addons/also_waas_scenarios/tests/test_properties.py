"""Property-based tests (hypothesis) of the WaaS date and money arithmetic and of every
wizard's input: a bad input ends in a clear ``UserError``/``ValidationError``/``AccessError``
and leaves nothing written; no traceback reaches an XML-RPC client.

Every example runs in a savepoint that is rolled back afterwards, so the examples are
independent and the fixtures are built once per class. The profile is fixed (derandomized,
few examples, no deadline): the run is stable and fast.
"""

from contextlib import closing, contextmanager
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg2 import errors as pg_errors

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import _as_validation_error
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.also_waas.tests.common import WaasCommon, WaasRpcMixin
from odoo.addons.also_waas_commission.tests.common import WaasCommissionCommon
from odoo.addons.also_waas_returns.tests.common import ReturnsCommon

REFUSALS = (UserError, ValidationError, AccessError)


def _profile(examples):
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


PROPERTY = _profile(25)
HEAVY = _profile(8)

# Start dates: any day, with month ends and 29 February drawn often.
MONTH_ENDS = st.builds(
    lambda y, m: date(y, m, 1) + relativedelta(months=1, days=-1),
    st.integers(2024, 2031),
    st.integers(1, 12),
)
START_DATES = st.one_of(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31)),
    MONTH_ENDS,
    st.sampled_from([date(2024, 2, 29), date(2028, 2, 29), date(2027, 1, 29), date(2026, 1, 30)]),
)
REASONS = st.sampled_from(["", "   ", "\n\t", "Customer moved to another provider", "x"])


class PropertyCommon(ReturnsCommon, WaasCommissionCommon):
    """WaaS fixtures (``WaasCommon``, with the returns and commission settings) and the
    records the wizard properties work on."""

    _contract_prefix = "TPROP/"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.waas_invoice_auto_post = False
        cls.company2 = cls.env["res.company"].create(
            {"name": "Test WaaS Company 2", "currency_id": cls.currency.id}
        )
        cls._seq = 0

    @classmethod
    def _device(cls, contract, warranty_end):
        cls._seq += 1
        lot = cls.env["stock.lot"].create(
            {
                "name": f"TPROP-SN-{cls._seq:05d}",
                "product_id": cls.laptop.id,
                "company_id": contract.company_id.id,
            }
        )
        return cls.env["waas.device"].create(
            {
                "contract_id": contract.id,
                "product_id": cls.laptop.id,
                "lot_id": lot.id,
                "date_delivered": contract.date_start,
                "warranty_end": warranty_end,
            }
        )

    @contextmanager
    def _example(self):
        """One hypothesis example: whatever it writes is rolled back afterwards."""
        with closing(self.env.cr.savepoint()):
            yield
        self.env.invalidate_all()

    def _attempt(self, action, snapshot):
        """Run ``action``: it works (returns ``(result, None)``) or is refused with a
        ``UserError``/``ValidationError``/``AccessError`` carrying a message, after which
        ``snapshot()`` is what it was before (``(None, error)``). Any other exception
        fails the test."""
        self.env.invalidate_all()
        before = snapshot()
        try:
            try:
                # The database's own refusal is logged as a bad query: expected here.
                with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                    result = action()
                    self.env.flush_all()
            except pg_errors.NotNullViolation as exc:
                # A mandatory field left empty: the framework's RPC layer turns it into a
                # ValidationError ("a mandatory field is not set"), as a client sees it.
                # Any other database error (CHECK, UNIQUE) is a missing Python check.
                raise _as_validation_error(self.env, exc) from exc
        except REFUSALS as error:
            message = str(error.args[0]) if error.args else ""
            self.assertTrue(message.strip(), f"{type(error).__name__} without a message")
            self.assertNotIn("Traceback", message)
            self.env.invalidate_all()
            self.assertEqual(snapshot(), before, f"refused ({message}) but something changed")
            return None, error
        return result, None


@tagged("post_install", "-at_install")
class TestProperties(PropertyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A 12-month contract for the wizards; one terminated, one of the other company.
        cls.contract = cls._new_contract(term=12, date_start="2026-01-01")
        cls.contract_ended = cls._new_contract(term=12, date_start="2026-01-01", state="terminated")
        cls.contract_other = cls._new_contract(
            term=12, date_start="2026-01-01", company_id=cls.company2.id
        )
        cls.contracts = [cls.contract, cls.contract_ended, cls.contract_other]
        # Second currencies (one without decimals) with their own price list.
        cls.foreign = {}
        for xmlid in ("base.CHF", "base.JPY"):
            currency = cls.env.ref(xmlid)
            if currency == cls.currency:
                continue
            currency.active = True
            pricelist = cls.env["product.pricelist"].create(
                {"name": f"Test WaaS {currency.name}", "currency_id": currency.id}
            )
            cls.foreign[currency] = pricelist
        cls.foreign_currencies = list(cls.foreign)
        # Time zone users: WaaS users who confirm deals.
        env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        group = "also_waas.group_waas_user"
        cls.user_nz = new_test_user(env, "waas_user_nz", group, tz="Pacific/Auckland")
        cls.user_la = new_test_user(env, "waas_user_la", group, tz="America/Los_Angeles")
        # Credit checks: one waiting for a decision, one approved.
        cls.order_requested = cls._create_waas_order(term=12)
        cls.order_requested.action_waas_request_credit_check()
        cls.order_approved = cls._create_waas_order(term=24, partner=cls.customer_be)
        cls.order_approved.action_waas_request_credit_check()
        cls.order_approved.waas_credit_check_id.with_user(cls.user_credit).action_approve()
        cls.checks = [
            cls.order_requested.waas_credit_check_id,
            cls.order_approved.waas_credit_check_id,
        ]
        # A confirmed deal (its term and reseller are frozen).
        cls.order_confirmed = cls._create_waas_order(term=12)
        cls._activate_order(cls.order_confirmed)
        # A return with two devices received and one still on its way.
        cls.returned = cls._ended_contract(devices=3)
        cls.ret = cls.returned.waas_return_ids
        cls.ret.risk_consent_ref = "E-mail of the end customer"
        cls.ret.action_acknowledge_risk()
        cls.ret.action_confirm()
        first, second, third = cls.ret.line_ids
        picking = cls.ret.picking_ids.filtered(
            lambda p: p.picking_type_code == "incoming" and p.state not in ("done", "cancel")
        )
        for move in picking.move_ids:
            move.picked = bool(move.move_line_ids.lot_id & (first | second).lot_id)
        res = picking.button_validate()
        if isinstance(res, dict) and res.get("res_model") == "stock.backorder.confirmation":
            Form(
                cls.env["stock.backorder.confirmation"].with_context(**res["context"])
            ).save().process()
        cls.ret_lines = {"received": first | second, "waiting": third, "none": third.browse()}
        # A contract of reseller A with its commission line to settle.
        cls._activate()
        # A product without WaaS prices yet.
        cls.bundle_new = cls.env["product.product"].create(
            {"name": "Test Bundle Without Price", "type": "consu", "waas_kind": "bundle"}
        )

    # ================================================================== arithmetic

    @HEAVY
    @given(start=START_DATES, term=st.sampled_from([12, 24, 36]), renew=st.booleans())
    def test_invoiced_periods_cover_the_term(self, start, term, renew):
        """The invoice run bills one invoice per month from the start to the end (after a
        renewal too): no gap, no overlap, the last period ends on ``date_end``, the total
        is the monthly amount times the number of months; a second run adds nothing."""
        with self._example():
            contract = self._new_contract(term=term, date_start=start, products=[(self.bundle, 2)])
            months = term
            if renew and term < 36:
                contract._waas_renew(months=12)
                months += 12
            self.assertEqual(contract.date_end, start + relativedelta(months=months, days=-1))
            Contract = self.env["waas.contract"]
            domain = [("id", "=", contract.id)]
            moves = Contract._waas_invoice_run(date=contract.date_end, domain=domain)
            periods = sorted(moves.mapped(lambda m: (m.waas_period_start, m.waas_period_end)))
            self.assertEqual(len(periods), months)
            self.assertEqual(periods[0][0], start)
            self.assertEqual(periods[-1][1], contract.date_end)
            for (_s1, end1), (start2, _e2) in zip(periods, periods[1:], strict=False):
                self.assertEqual(start2, end1 + timedelta(days=1))
            for period_start, period_end in periods:
                self.assertLessEqual(period_start, period_end)
            self.assertAlmostEqual(
                sum(moves.mapped("amount_untaxed")), months * contract.monthly_amount, places=2
            )
            self.assertFalse(Contract._waas_invoice_run(date=date(2040, 1, 1), domain=domain))

    @HEAVY
    @given(
        start=START_DATES,
        term=st.sampled_from([12, 24, 36]),
        quantity=st.integers(1, 5),
        data=st.data(),
    )
    def test_termination_fee_is_every_month_not_invoiced(self, start, term, quantity, data):
        """Whatever month the contract ends in: the monthly run bills only the days before
        the termination date (the month it cuts pro rata), the fee (wizard preview and
        invoice) the rest, so that live monthly invoices plus the fee are the contract
        value; terminated on or before the first period not invoiced yet, the fee is the
        monthly amount times the periods not invoiced."""
        with self._example():
            contract = self._new_contract(
                term=term, date_start=start, products=[(self.bundle, quantity)]
            )
            invoiced = data.draw(st.integers(0, term), label="invoiced periods")
            if invoiced:
                contract._waas_invoice_chunk(start + relativedelta(months=invoiced - 1))
            self.assertEqual(contract.invoiced_periods, invoiced)
            day = data.draw(
                st.dates(min_value=contract.date_start, max_value=contract.date_end),
                label="termination date",
            )
            value = contract.currency_id.round(term * contract.monthly_amount)
            self.assertAlmostEqual(contract._waas_contract_value()[contract.id], value, places=2)
            # Recorded after the end: the termination takes effect at once.
            with freeze_time(contract.date_end + timedelta(days=1)):
                wizard = (
                    self.env["waas.contract.terminate"]
                    .with_user(self.user_manager)
                    .create({"contract_id": contract.id, "date": day, "reason": "Moved"})
                )
                fee_amount, fee_months = wizard.fee_amount, wizard.fee_months
                wizard.action_confirm()
            self.assertEqual(contract.state, "terminated")
            self.assertEqual(contract.date_terminated, day)
            fee = contract.termination_move_id
            self.assertAlmostEqual(fee.amount_untaxed, fee_amount, places=2)
            first_free = start + relativedelta(months=invoiced)
            left = term - invoiced
            if day <= first_free:
                self.assertEqual(fee_months, left)
                self.assertAlmostEqual(
                    fee_amount, contract.currency_id.round(left * contract.monthly_amount), 2
                )
                if not left:
                    self.assertFalse(fee)
            # The monthly run bills the days before the termination date only, once.
            monthly = contract._waas_invoice_chunk(contract.date_end)
            for move in monthly:
                self.assertLess(move.waas_period_end, day)
            self.assertFalse(contract._waas_invoice_chunk(contract.date_end))
            live = contract.invoice_ids.filtered(
                lambda m: m.waas_period_start and m.state != "cancel"
            )
            self.assertAlmostEqual(
                sum(live.mapped("amount_untaxed")) + fee.amount_untaxed, value, places=2
            )

    @PROPERTY
    @given(
        start=START_DATES,
        term=st.sampled_from([12, 24]),
        warranty_months=st.one_of(st.none(), st.integers(6, 48)),
        request=st.one_of(
            st.tuples(st.just("months"), st.integers(-6, 40)),
            st.tuples(st.just("wizard"), st.sampled_from(["12", "24"])),
            st.tuples(st.just("date"), st.integers(-400, 1500)),
        ),
    )
    def test_renewal_limits(self, start, term, warranty_months, request):
        """A renewal ends on the contract's monthly anchor or on its latest possible end,
        within 36 months of the start and never after the earliest device warranty, or it
        is refused naming the limit with nothing changed. The wizard only prepares the
        renewal quotation (the contract is extended by its activation)."""
        with self._example():
            contract = self._new_contract(term=term, date_start=start)
            warranty_end = None
            if warranty_months is not None:
                warranty_end = start + relativedelta(months=warranty_months)
                self._device(contract, warranty_end)
            old_end = contract.date_end
            limit36 = start + relativedelta(months=36, days=-1)
            limit = min(limit36, warranty_end) if warranty_end else limit36
            kind, value = request
            if kind == "date":
                day = start + timedelta(days=value)
                if day >= limit:
                    new_end = limit
                else:
                    # The latest anchor (start + n months - 1 day) on or before the day.
                    n = 0
                    while start + relativedelta(months=n + 1, days=-1) <= day:
                        n += 1
                    new_end = start + relativedelta(months=n, days=-1)

                def action():
                    return self._renew_wizard(contract, "date", day)

            elif kind == "wizard":
                new_end = start + relativedelta(months=term + int(value), days=-1)

                def action():
                    return self._renew_wizard(contract, value)

            else:
                new_end = start + relativedelta(months=term + value, days=-1) if value else None

                def action():
                    return contract._waas_renew(months=value)

            def snapshot():
                return (
                    contract.date_end,
                    contract.renewal_count,
                    contract.state,
                    len(contract._waas_open_renewal_orders()),
                )

            _result, error = self._attempt(action, snapshot)
            valid = (
                new_end is not None
                and (kind != "months" or value > 0)
                and old_end < new_end <= limit
            )
            if error:
                self.assertFalse(valid, f"refused: {error}")
                self.assertRegex(
                    str(error),
                    r"limited to 36 months|warranty of its devices ends|must be after its "
                    r"current end|positive number of months|Choose an extension",
                )
            elif kind == "months":
                self.assertTrue(valid, f"renewed to {contract.date_end}")
                self.assertEqual(contract.date_end, new_end)
                self.assertEqual(contract.renewal_count, 1)
            else:
                order = contract._waas_open_renewal_orders()
                self.assertTrue(valid, f"renewal quotation until {order.waas_renewal_date_end}")
                self.assertEqual(order.waas_renewal_date_end, new_end)
                self.assertLessEqual(order.waas_renewal_date_end, limit36)
                if warranty_end:
                    self.assertLessEqual(order.waas_renewal_date_end, warranty_end)
                # Nothing is extended before the quotation is signed and activated.
                self.assertEqual(contract.date_end, old_end)
                self.assertEqual(contract.renewal_count, 0)

    def _renew_wizard(self, contract, extension, date_end=False):
        wizard = (
            self.env["waas.contract.renew"]
            .with_user(self.user_manager)
            .create(
                {
                    "contract_ids": [Command.set(contract.ids)],
                    "extension": extension,
                    "date_end": date_end,
                }
            )
        )
        return wizard.action_confirm()

    @HEAVY
    @given(
        rate=st.decimals(min_value="0.01", max_value="250", places=4).map(float),
        term=st.sampled_from([12, 24, 36]),
        quantity=st.integers(1, 7),
        which=st.integers(0, 1),
    )
    def test_deal_in_another_currency(self, rate, term, quantity, which):
        """A deal in another currency: each monthly price is the price list's converted
        at the rate and rounded in the deal's currency; the credit check, the contract and
        its monthly amount use those same amounts."""
        currency = self.foreign_currencies[which % len(self.foreign_currencies)]
        with self._example():
            self.env["res.currency.rate"].search(
                [("currency_id", "=", currency.id), ("company_id", "in", [self.company.id])]
            ).unlink()
            self.env["res.currency.rate"].create(
                {
                    "currency_id": currency.id,
                    "company_id": self.company.id,
                    "name": "2000-01-01",
                    "rate": rate,
                }
            )
            order = self._create_waas_order(
                term=term,
                products=[(self.bundle, quantity), (self.option_monitor, 1)],
                pricelist_id=self.foreign[currency].id,
            )
            self.assertEqual(order.currency_id, currency)
            factor = self.currency._get_conversion_rate(
                self.currency, currency, self.company, fields.Date.today()
            )
            for line in order.order_line:
                price = self.prices[line.product_id][term][0]
                self.assertEqual(line.price_unit, currency.round(price * factor))
                self.assertEqual(
                    line.price_subtotal, currency.round(line.price_unit * line.product_uom_qty)
                )
            monthly = sum(order.order_line.mapped("price_subtotal"))
            self.assertTrue(currency.is_zero(order.waas_contract_value - monthly * term))
            contract = self._activate_order(order)
            check = order.waas_credit_check_id
            self.assertEqual(check.currency_id, currency)
            self.assertTrue(currency.is_zero(check.amount - monthly * term))
            self.assertEqual(contract.currency_id, currency)
            self.assertTrue(currency.is_zero(contract.monthly_amount - monthly))

    @HEAVY
    @given(
        day=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
        minutes=st.integers(-180, 180),
        who=st.sampled_from(["nz", "la"]),
    )
    def test_activation_date_in_user_timezone(self, day, minutes, who):
        """The contract starts on the day the deal is confirmed in the confirming user's
        time zone (Auckland is a day ahead of Los Angeles around midnight UTC)."""
        user = self.user_nz if who == "nz" else self.user_la
        instant = datetime.combine(day, time(0)) + timedelta(minutes=minutes)
        local_day = instant.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(user.tz)).date()
        with self._example(), freeze_time(instant):
            order = self._create_waas_order(term=12)
            order.action_waas_request_credit_check()
            order.waas_credit_check_id.with_user(self.user_credit).action_approve()
            self._sign_as_customer(order)
            order.with_user(self.user_countersign).action_waas_countersign()
            order.with_user(user).action_confirm()
            contract = order.waas_contract_ids
            self.assertEqual(contract.date_start, local_day)
            self.assertEqual(contract.date_end, local_day + relativedelta(months=12, days=-1))

    # ================================================================== wizards

    def _moves_state(self):
        Move = self.env["account.move"].sudo()
        return (
            Move.search_count([]),
            tuple(
                (c.state, c.date_end, c.invoiced_periods, c.termination_move_id.id)
                for c in self.env["waas.contract"].sudo().browse([c.id for c in self.contracts])
            ),
        )

    @PROPERTY
    @given(
        which=st.integers(0, 2),
        offset=st.one_of(st.none(), st.integers(-500, 900)),
        reason=REASONS,
        manager=st.booleans(),
    )
    def test_terminate_wizard_input(self, which, offset, reason, manager):
        contract = self.contracts[which]
        day = contract.date_start + timedelta(days=offset) if offset is not None else False
        user = self.user_manager if manager else self.user_waas
        with self._example():

            def action():
                wizard = (
                    self.env["waas.contract.terminate"]
                    .with_user(user)
                    .create({"contract_id": contract.id, "date": day, "reason": reason})
                )
                return wizard.action_confirm()

            _result, error = self._attempt(action, self._moves_state)
            valid = (
                manager
                and contract == self.contract
                and day
                and contract.date_start <= day <= contract.date_end
                and reason.strip()
            )
            self.assertEqual(not error, bool(valid), error)
            if not error:
                # A termination date in the future takes effect on that day.
                today = fields.Date.context_today(contract)
                self.assertEqual(contract.state, "terminated" if day <= today else "ending")

    @PROPERTY
    @given(
        which=st.integers(0, 2),
        extension=st.sampled_from(["12", "24", "date", "36", False]),
        offset=st.one_of(st.none(), st.integers(-500, 1500)),
        manager=st.booleans(),
    )
    def test_renew_wizard_input(self, which, extension, offset, manager):
        contract = self.contracts[which]
        day = contract.date_start + timedelta(days=offset) if offset is not None else False
        user = self.user_manager if manager else self.user_internal

        def action():
            wizard = (
                self.env["waas.contract.renew"]
                .with_user(user)
                .create(
                    {
                        "contract_ids": [Command.set(contract.ids)],
                        "extension": extension,
                        "date_end": day,
                    }
                )
            )
            return wizard.action_confirm()

        def snapshot():
            renewals = self.env["waas.contract.renewal"].sudo().search_count([])
            orders = (
                self.env["sale.order"]
                .sudo()
                .search_count([("waas_renewal_contract_id", "!=", False)])
            )
            return renewals, orders, self._moves_state()

        with self._example():
            before = snapshot()
            _result, error = self._attempt(action, snapshot)
            if not error:
                # A renewal quotation, nothing extended yet.
                self.assertEqual(contract.state, "active")
                order = contract._waas_open_renewal_orders()
                self.assertEqual(len(order), 1)
                self.assertLessEqual(
                    order.waas_renewal_date_end,
                    contract.date_start + relativedelta(months=36, days=-1),
                )
                after = snapshot()
                self.assertEqual((after[0], after[2]), (before[0], before[2]))

    @PROPERTY
    @given(
        which=st.integers(0, 2),
        product=st.sampled_from(["upgrade", "option", "bundle", "component", "none"]),
        quantity=st.sampled_from([-3, -1, 0, 0.5, 1, 2, 3, "2", 1e9]),
    )
    def test_upgrade_wizard_input(self, which, product, quantity):
        contract = self.contracts[which]
        products = {
            "upgrade": self.upgrade_premium,
            "option": self.option_monitor,
            "bundle": self.bundle,
            "component": self.laptop,
            "none": self.laptop.browse(),
        }

        def action():
            wizard = (
                self.env["waas.contract.upgrade"]
                .with_user(self.user_waas)
                .create(
                    {
                        "contract_id": contract.id,
                        "product_id": products[product].id,
                        "quantity": quantity,
                    }
                )
            )
            return wizard.action_confirm()

        def snapshot():
            Line = self.env["waas.contract.line"].sudo()
            return Line.search_count([]), self.env["waas.licence"].sudo().search_count([])

        with self._example():
            _result, error = self._attempt(action, snapshot)
            if not error:
                self.assertEqual(contract, self.contract)
                self.assertIn(product, ("upgrade", "option"))
                new_line = contract.line_ids.sorted("id")[-1]
                self.assertGreater(new_line.quantity, 0)

    @PROPERTY
    @given(
        offset=st.integers(-2000, 500),
        companies=st.sampled_from(["own", "other", "both", "none"]),
        who=st.sampled_from(["accountant", "manager", "user"]),
    )
    def test_invoice_run_input(self, offset, companies, who):
        user = {"accountant": self.user_accountant, "manager": self.user_manager}.get(
            who, self.user_waas
        )
        chosen = {
            "own": self.company,
            "other": self.company2,
            "both": self.company | self.company2,
            "none": self.company.browse(),
        }[companies]
        day = date(2026, 1, 1) + timedelta(days=offset)

        def action():
            wizard = (
                self.env["waas.invoice.run"]
                .with_user(user)
                .create({"date": day, "company_ids": [Command.set(chosen.ids)]})
            )
            wizard.action_run()
            return wizard

        with self._example():
            wizard, error = self._attempt(action, self._moves_state)
            if not error:
                self.assertEqual(who != "user" and companies == "own", True)
                # Run again: nothing is invoiced twice.
                again = self.env["waas.invoice.run"].with_user(user).create({"date": day})
                again.action_run()
                self.assertEqual(again.invoice_count, 0)

    @PROPERTY
    @given(
        which=st.sampled_from([0, 1, (0, 1)]),
        reason=REASONS,
        who=st.sampled_from(["credit", "manager", "user"]),
    )
    def test_credit_check_reject_input(self, which, reason, who):
        user = {"credit": self.user_credit, "manager": self.user_manager}.get(who, self.user_waas)
        ids = [self.checks[i].id for i in (which if isinstance(which, tuple) else (which,))]
        Check = self.env["waas.credit.check"].sudo()

        def action():
            wizard = (
                self.env["waas.credit.check.reject"]
                .with_user(user)
                .create({"check_ids": [Command.set(ids)], "reason": reason})
            )
            return wizard.action_reject()

        def snapshot():
            return tuple(Check.browse(ids).mapped(lambda c: (c.state, c.rejection_reason)))

        with self._example():
            _result, error = self._attempt(action, snapshot)
            if not error:
                self.assertEqual(ids, [self.checks[0].id])
                self.assertTrue(reason.strip())
                self.assertEqual(self.checks[0].state, "rejected")

    @PROPERTY
    @given(
        offset=st.integers(-1000, 400),
        resellers=st.sampled_from(["none", "a", "b", "customer"]),
        who=st.sampled_from(["commission", "manager", "user"]),
    )
    def test_settle_wizard_input(self, offset, resellers, who):
        user = {"commission": self.user_commission, "manager": self.user_manager}.get(
            who, self.user_waas
        )
        partners = {
            "none": self.reseller.browse(),
            "a": self.reseller,
            "b": self.reseller_b,
            "customer": self.customer,
        }[resellers]
        Line = self.env["waas.commission.line"].sudo()

        def action():
            wizard = (
                self.env["waas.commission.settle"]
                .with_user(user)
                .create(
                    {
                        "date_to": self.today + timedelta(days=offset),
                        "reseller_ids": [Command.set(partners.ids)],
                    }
                )
            )
            return wizard.action_settle()

        def snapshot():
            return (
                Line.search_count([("state", "=", "to_settle"), ("move_id", "=", False)]),
                self._moves_state(),
            )

        with self._example():
            _result, error = self._attempt(action, snapshot)
            if not error:
                # WaaS managers are commission managers too.
                self.assertIn(who, ("commission", "manager"))
                self.assertFalse(
                    Line.search_count(
                        [
                            ("state", "=", "to_settle"),
                            ("move_id", "=", False),
                            ("date", "<=", self.today + timedelta(days=offset)),
                            ("reseller_id", "in", (partners or self.reseller).ids),
                        ]
                    )
                )

    @PROPERTY
    @given(
        lines=st.sampled_from(["received", "waiting", "none"]),
        wiper=st.sampled_from(["certified", "lapsed", "not_a_wiper"]),
        offset=st.integers(-1000, 2500),
        ref=st.sampled_from(["", "   ", "ADISA-CERT-7", False]),
    )
    def test_wipe_wizard_input(self, lines, wiper, offset, ref):
        partners = {
            "certified": self.wiper,
            "lapsed": self.wiper_lapsed,
            "not_a_wiper": self.reseller,
        }
        day = date(2025, 6, 1) + timedelta(days=offset)

        def action():
            wizard = (
                self.env["waas.return.wipe.wizard"]
                .with_user(self.user_waas)
                .create(
                    {
                        "return_id": self.ret.id,
                        "line_ids": [Command.set(self.ret_lines[lines].ids)],
                        "wiper_id": partners[wiper].id,
                        "date": day,
                        "certificate_ref": ref,
                    }
                )
            )
            return wizard.action_confirm()

        def snapshot():
            return self.env["waas.wipe"].sudo().search_count([]), self.ret.sudo().state

        with self._example():
            _result, error = self._attempt(action, snapshot)
            if not error:
                self.assertEqual(lines, "received")
                self.assertTrue(self.ret_lines["received"].wipe_id)

    @PROPERTY
    @given(
        start=st.integers(-400, 400),
        length=st.integers(-60, 120),
        manufacturers=st.sampled_from(["none", "approved", "pending", "not_a_manufacturer"]),
    )
    def test_sellout_wizard_input(self, start, length, manufacturers):
        partners = {
            "none": self.manufacturer.browse(),
            "approved": self.manufacturer,
            "pending": self.manufacturer_pending,
            "not_a_manufacturer": self.customer,
        }[manufacturers]
        date_from = date(2026, 1, 1) + timedelta(days=start)
        date_to = date_from + timedelta(days=length)

        def action():
            wizard = (
                self.env["waas.sellout.wizard"]
                .with_user(self.user_manager)
                .create(
                    {
                        "date_from": date_from,
                        "date_to": date_to,
                        "manufacturer_ids": [Command.set(partners.ids)],
                    }
                )
            )
            return wizard.action_generate()

        def snapshot():
            return self.env["waas.sellout.report"].sudo().search_count([])

        with self._example():
            _result, error = self._attempt(action, snapshot)
            if not error:
                self.assertLessEqual(date_from, date_to)

    @PROPERTY
    @given(
        product=st.sampled_from(["new", "priced", "component", "licence"]),
        term=st.sampled_from([0, -12, 6, 12, 24, 36, 48, "24"]),
        price=st.one_of(st.floats(-1000, 100000, allow_nan=False), st.just("12.5")),
        commission=st.sampled_from([0.0, -5.0, 30.0]),
    )
    def test_pricelist_item_input(self, product, term, price, commission):
        tmpl = {
            "new": self.bundle_new,
            "priced": self.bundle,
            "component": self.laptop,
            "licence": self.essentials,
        }[product].product_tmpl_id
        Item = self.env["waas.pricelist.item"]

        def action():
            return Item.with_user(self.user_product).create(
                {
                    "product_tmpl_id": tmpl.id,
                    "term_months": term,
                    "monthly_price": price,
                    "commission_new": commission,
                }
            )

        def snapshot():
            return Item.sudo().with_context(active_test=False).search_count([])

        with self._example():
            item, error = self._attempt(action, snapshot)
            valid = (
                product == "new"
                and int(term) in (12, 24, 36)
                and float(price) >= 0
                and commission >= 0
            )
            self.assertEqual(not error, valid, error)
            if item:
                self.assertEqual(item.term_months, int(term))

    @PROPERTY
    @given(
        term=st.sampled_from([0, -12, 6, 12, 18, 24, 36, 48, "36", False]),
        reseller=st.sampled_from(["reseller", "customer", "none", "other_customer"]),
        confirmed_change=st.sampled_from([None, "term", "reseller"]),
    )
    def test_waas_order_term_and_reseller_input(self, term, reseller, confirmed_change):
        partner = {
            "reseller": self.reseller,
            "customer": self.customer,
            "none": self.reseller.browse(),
            "other_customer": self.customer_be,
        }[reseller]
        Order = self.env["sale.order"].with_user(self.user_waas)

        if confirmed_change:
            order = self.order_confirmed.with_user(self.user_waas)
            vals = (
                {"waas_term_months": term}
                if confirmed_change == "term"
                else {"waas_reseller_id": partner.id}
            )

            def action():
                return order.write(vals)

        else:

            def action():
                return Order.create(
                    {
                        "is_waas": True,
                        "partner_id": self.customer.id,
                        "waas_reseller_id": partner.id,
                        "waas_term_months": term,
                        "order_line": [Command.create({"product_id": self.bundle.id})],
                    }
                )

        def snapshot():
            confirmed = self.order_confirmed.sudo()
            return (
                self.env["sale.order"].sudo().search_count([]),
                confirmed.waas_term_months,
                confirmed.waas_reseller_id.id,
            )

        with self._example():
            _result, error = self._attempt(action, snapshot)
            if confirmed_change:
                self.assertTrue(error, "a confirmed deal keeps its term and reseller")
            else:
                valid = term in (12, 24, 36, "36") and reseller == "reseller"
                self.assertEqual(not error, valid, error)


@tagged("post_install", "-at_install")
class TestRpcErrors(WaasRpcMixin, HttpCase, WaasCommon):
    """Bad input over XML-RPC: a Fault with the clear message, never a traceback, and
    nothing written."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls._create_contract(term=24, date_start="2026-01-01", name="TRPC/1")

    def _terminate(self, user, values):
        wizard_id = self._rpc(
            user, "waas.contract.terminate", "create", {"contract_id": self.contract.id, **values}
        )
        return self._rpc(user, "waas.contract.terminate", "action_confirm", [wizard_id])

    def test_bad_input_over_xmlrpc(self):
        manager = self.user_manager
        wizard = {"contract_id": self.contract.id, "date": "2025-06-30", "reason": "Moved"}
        wizard_id = self._rpc(manager, "waas.contract.terminate", "create", wizard)
        self._assert_fault(
            "before the start of contract", manager, "waas.contract.terminate", "action_confirm",
            [wizard_id],
        )  # fmt: skip
        wizard_id = self._rpc(
            manager, "waas.contract.terminate", "create", {**wizard, "date": "2026-05-01",
                                                           "reason": "  "}
        )  # fmt: skip
        self._assert_fault(
            "reason of the early termination", manager, "waas.contract.terminate",
            "action_confirm", [wizard_id],
        )  # fmt: skip
        # A mandatory field missing: the database refuses, the client gets the message.
        self._assert_fault(
            "mandatory field", manager, "waas.contract.terminate", "create",
            {"contract_id": self.contract.id, "date": "2026-05-01"},
        )  # fmt: skip
        renew_id = self._rpc(
            manager,
            "waas.contract.renew",
            "create",
            {"contract_ids": [(6, 0, self.contract.ids)], "extension": "24"},
        )
        self._assert_fault(
            "limited to 36 months", manager, "waas.contract.renew", "action_confirm", [renew_id]
        )
        self._assert_fault(
            "12, 24 or 36 months", self.user_waas, "sale.order", "create",
            {"is_waas": True, "partner_id": self.customer.id,
             "waas_reseller_id": self.reseller.id, "waas_term_months": 18},
        )  # fmt: skip
        self._assert_fault(
            "cannot be negative", self.user_product, "waas.pricelist.item", "create",
            {"product_tmpl_id": self.option_monitor.product_tmpl_id.id, "term_months": 12,
             "monthly_price": -1.0},
        )  # fmt: skip
        upgrade_id = self._rpc(
            self.user_waas,
            "waas.contract.upgrade",
            "create",
            {"contract_id": self.contract.id, "product_id": self.option_monitor.id, "quantity": 0},
        )
        self._assert_fault(
            "quantity of an upgrade", self.user_waas, "waas.contract.upgrade", "action_confirm",
            [upgrade_id],
        )  # fmt: skip
        self._assert_fault(
            "Terminate|access|allowed", self.user_waas, "waas.contract.terminate", "create",
            {"contract_id": self.contract.id, "reason": "x"},
        )  # fmt: skip
        # Nothing was written by the refused calls.
        self.env.invalidate_all()
        self.assertEqual(self.contract.state, "active")
        self.assertEqual(str(self.contract.date_end), "2027-12-31")
        self.assertFalse(self.contract.invoice_ids)
        self.assertFalse(self.contract.renewal_ids)
        self.assertEqual(len(self.contract.line_ids), 1)
