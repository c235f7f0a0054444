from datetime import date, timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta
from psycopg2.errors import SerializationFailure, UniqueViolation

from odoo import Command, fields
from odoo.tests import Form, RecordCapturer, tagged
from odoo.tools import mute_logger

from .common import WaasCommon

D = fields.Date.to_date


class InvoicingCommon(WaasCommon):
    _contract_prefix = "TST-INV-"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journal = cls.env["account.journal"].create(
            {"name": "WaaS Rentals", "code": "WAAS", "type": "sale", "company_id": cls.company.id}
        )
        cls.company.waas_invoice_journal_id = cls.journal

    def _run(self, up_to, contracts, **kwargs):
        """The invoice run, limited to ``contracts`` (the database may hold demo data)."""
        return self.env["waas.contract"]._waas_invoice_run(
            date=D(up_to), domain=[("id", "in", contracts.ids)], **kwargs
        )

    def _periods(self, contract):
        moves = contract.invoice_ids.filtered(lambda m: m.state != "cancel").sorted(
            "waas_period_start"
        )
        return [(str(m.waas_period_start), str(m.waas_period_end)) for m in moves]


@tagged("post_install", "-at_install")
class TestInvoicing(InvoicingCommon):
    def test_three_months_exactly_once(self):
        contract = self._new_contract(products=[(self.bundle, 2), (self.upgrade_premium, 2)])
        self.assertEqual(contract.date_next_invoice, D("2026-01-01"))
        moves = self._run("2026-03-15", contract)
        self.assertEqual(len(moves), 3)
        self.assertEqual(moves.waas_contract_id, contract)
        self.assertEqual(
            self._periods(contract),
            [
                ("2026-01-01", "2026-01-31"),
                ("2026-02-01", "2026-02-28"),
                ("2026-03-01", "2026-03-31"),
            ],
        )
        for move in moves:
            self.assertEqual(move.move_type, "out_invoice")
            self.assertEqual(move.partner_id, self.customer)
            self.assertEqual(move.journal_id, self.journal)
            self.assertEqual(move.state, "draft")
            self.assertEqual(move.invoice_date, move.waas_period_start)
            self.assertEqual(move.amount_untaxed, 2 * 40.0 + 2 * 10.0)
            self.assertEqual(
                move.invoice_line_ids.mapped("product_id"), self.bundle | self.upgrade_premium
            )
            self.assertEqual(move.invoice_origin, contract.name)
        self.assertEqual(contract.date_next_invoice, D("2026-04-01"))
        self.assertEqual(contract.invoiced_periods, 3)
        self.assertEqual(contract.invoice_count, 3)
        # Running again, for the same or a later day of the same period: nothing new.
        self.assertFalse(self._run("2026-03-15", contract))
        self.assertFalse(self._run("2026-03-31", contract))
        self.assertEqual(len(contract.invoice_ids), 3)
        # The next period when it starts.
        moves = self._run("2026-04-01", contract)
        self.assertEqual(moves.waas_contract_id, contract)
        self.assertEqual(moves.waas_period_start, D("2026-04-01"))
        self.assertEqual(contract.date_next_invoice, D("2026-05-01"))

    def test_period_labels(self):
        contract = self._new_contract(products=[(self.bundle, 1), (self.option_monitor, 1)])
        move = self._run("2026-01-01", contract)
        self.assertEqual(
            move.invoice_line_ids.mapped("name"),
            [
                f"{self.bundle.display_name}, 01/01/2026 to 01/31/2026",
                f"{self.option_monitor.display_name}, 01/01/2026 to 01/31/2026",
            ],
        )
        self.assertEqual(move.waas_contract_id, contract)

    def test_upgrade_from_its_date(self):
        contract = self._new_contract()
        # An upgrade added during January starts on the next invoice (February) ...
        contract.line_ids = [
            Command.create(
                {
                    "product_id": self.upgrade_premium.id,
                    "name": "Upgrade",
                    "quantity": 1,
                    "price_unit": 10.0,
                    "date_from": "2026-02-01",
                }
            ),
            # ... one starting mid-February is first on the March invoice.
            Command.create(
                {
                    "product_id": self.option_monitor.id,
                    "name": "Monitor",
                    "quantity": 1,
                    "price_unit": 7.0,
                    "date_from": "2026-02-15",
                }
            ),
        ]
        self._run("2026-03-01", contract)
        amounts = [m.amount_untaxed for m in contract.invoice_ids.sorted("waas_period_start")]
        self.assertEqual(amounts, [40.0, 50.0, 57.0])

    def test_partner_service_and_licences_not_invoiced(self):
        contract = self._new_contract(products=[(self.bundle, 1), (self.partner_service, 1)])
        contract.line_ids = [
            Command.create(
                {"product_id": self.essentials.id, "name": "Included", "price_unit": 0.0}
            )
        ]
        move = self._run("2026-01-01", contract)
        self.assertEqual(move.invoice_line_ids.product_id, self.bundle)

    def test_month_ends(self):
        contract = self._new_contract(date_start="2026-01-31", term=12)
        self.assertEqual(contract.date_end, D("2027-01-30"))
        moves = self._run("2030-01-01", contract)
        self.assertEqual(len(moves), 12)
        periods = self._periods(contract)
        self.assertEqual(
            [start for start, _end in periods],
            [
                "2026-01-31",
                "2026-02-28",
                "2026-03-31",
                "2026-04-30",
                "2026-05-31",
                "2026-06-30",
                "2026-07-31",
                "2026-08-31",
                "2026-09-30",
                "2026-10-31",
                "2026-11-30",
                "2026-12-31",
            ],
        )
        self.assertEqual(periods[0][1], "2026-02-27")
        self.assertEqual(periods[-1][1], "2027-01-30")
        self._assert_no_gap(periods)
        self.assertEqual(contract.date_next_invoice, D("2027-01-31"))

    def test_29_february(self):
        contract = self._new_contract(date_start="2028-02-29", term=24)
        moves = self._run("2031-01-01", contract)
        self.assertEqual(len(moves), 24)
        periods = self._periods(contract)
        self.assertEqual(periods[0], ("2028-02-29", "2028-03-28"))
        self.assertEqual(periods[11], ("2029-01-29", "2029-02-27"))
        self.assertEqual(periods[12], ("2029-02-28", "2029-03-28"))
        self.assertEqual(periods[-1][1], str(contract.date_end))
        self._assert_no_gap(periods)

    def _assert_no_gap(self, periods):
        for (_s1, end), (start, _e2) in zip(periods, periods[1:], strict=False):
            self.assertEqual(D(end) + timedelta(days=1), D(start))

    def test_invoiced_up_to_the_end_only(self):
        contract = self._new_contract(term=12)
        self._run("2026-06-01", contract)
        self.assertEqual(len(contract.invoice_ids), 6)
        contract.state = "expired"
        moves = self._run("2029-01-01", contract)
        self.assertEqual(len(moves), 6, "the missed months of an expired contract")
        self.assertEqual(self._periods(contract)[-1], ("2026-12-01", "2026-12-31"))
        self.assertFalse(self._run("2029-01-01", contract))

    def test_terminated_not_invoiced_monthly(self):
        """Terminated on its first day: nothing is invoiced monthly, the fee covers it all."""
        contract = self._new_contract()
        contract._waas_terminate(D("2026-01-01"), "Bankrupt")
        self.assertFalse(self._run("2026-03-01", contract))
        self.assertEqual(contract.termination_move_id.amount_untaxed, 36 * 40.0)

    def test_only_chosen_companies(self):
        contract = self._new_contract()
        other = self.env["res.company"].create({"name": "WaaS Other Company"})
        self.assertFalse(self._run("2026-03-01", contract, companies=other))
        self.assertEqual(contract.date_next_invoice, D("2026-01-01"))
        self.assertEqual(len(self._run("2026-03-01", contract, companies=self.company)), 3)

    def test_auto_post_setting(self):
        self.company.waas_invoice_auto_post = True
        contract = self._new_contract()
        moves = self._run("2026-02-01", contract)
        self.assertEqual(moves.mapped("state"), ["posted", "posted"])
        self.assertTrue(all(m.name.startswith("WAAS") for m in moves))

    def test_default_journal(self):
        self.company.waas_invoice_journal_id = False
        contract = self._new_contract()
        move = self._run("2026-01-01", contract)
        self.assertEqual(move.journal_id.type, "sale")
        self.assertEqual(move.journal_id.company_id, self.company)

    def test_journal_setting_must_be_sales(self):
        misc = self.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", self.company.id)], limit=1
        )
        with self.assertRaisesRegex(Exception, "must be a sales journal"):
            self.company.waas_invoice_journal_id = misc

    def test_settings(self):
        with Form(self.env["res.config.settings"]) as settings:
            settings.waas_invoice_auto_post = True
            settings.waas_invoice_journal_id = self.journal
        self.assertTrue(self.company.waas_invoice_auto_post)

    def test_unique_index_refuses_duplicate(self):
        contract = self._new_contract()
        move = self._run("2026-01-01", contract)
        self.assertEqual(move.waas_contract_id, contract)
        vals = {
            "move_type": "out_invoice",
            "partner_id": self.customer.id,
            "journal_id": self.journal.id,
            "waas_contract_id": contract.id,
            "waas_period_start": "2026-01-01",
        }
        with self.assertRaises(UniqueViolation), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.env["account.move"].create(vals)
            self.env.flush_all()
        # A cancelled invoice no longer counts: the period may be invoiced again.
        move.button_cancel()
        self.assertEqual(move.state, "cancel")
        self.env.flush_all()
        self.env["account.move"].create(vals)
        self.env.flush_all()
        # A fee invoice without a period (early termination) is not a period invoice.
        self.env["account.move"].create(dict(vals, waas_period_start=False))
        self.env["account.move"].create(dict(vals, waas_period_start=False))
        self.env.flush_all()

    def test_volume(self):
        count = 2000
        product = self.bundle
        contracts = self.env["waas.contract"].create(
            [
                {
                    "name": f"VOL-{i:05d}",
                    "partner_id": self.customer.id,
                    "reseller_id": self.reseller.id,
                    "company_id": self.company.id,
                    "currency_id": self.currency.id,
                    "term_months": 12,
                    "date_start": date(2026, 1, 1) + timedelta(days=i % 28),
                    "date_end": date(2026, 12, 31) + timedelta(days=i % 28),
                    "line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "name": product.display_name,
                                "price_unit": 40.0,
                            }
                        )
                    ],
                }
                for i in range(count)
            ]
        )
        moves = self._run("2026-01-31", contracts, chunk_size=500)
        self.assertEqual(len(moves), count)
        self.assertFalse(self._run("2026-01-31", contracts))
        groups = self.env["account.move"]._read_group(
            [("waas_contract_id", "in", contracts.ids)], ["waas_contract_id"], ["__count"]
        )
        self.assertEqual(len(groups), count)
        self.assertEqual({n for _c, n in groups}, {1})
        self.assertEqual(
            {c.date_next_invoice - relativedelta(months=1) for c in contracts},
            set(contracts.mapped("date_start")),
        )
        self.assertEqual(set(contracts.mapped("invoiced_periods")), {1})

    def test_wizard_as_accountant(self):
        contract = self._new_contract(date_start="2026-01-01")
        wizard = (
            self.env["waas.invoice.run"]
            .with_user(self.user_accountant)
            .create({"date": "2026-02-10", "company_ids": [Command.set(self.company.ids)]})
        )
        action = wizard.action_run()
        self.assertEqual(action["res_id"], wizard.id)
        mine = wizard.move_ids.filtered(lambda m: m.waas_contract_id == contract)
        self.assertEqual(len(mine), 2)
        self.assertEqual(wizard.state, "done")
        self.assertEqual(wizard.invoice_count, len(wizard.move_ids))
        self.assertGreaterEqual(wizard.contract_count, 1)
        action = wizard.action_open_invoices()
        self.assertEqual(action["domain"], [("id", "in", wizard.move_ids.ids)])
        # The contract shows them.
        action = contract.action_view_invoices()
        self.assertEqual(self.env["account.move"].search(action["domain"]), contract.invoice_ids)

    def test_cron(self):
        today = fields.Date.context_today(self.env.user)
        contract = self._new_contract(date_start=today - relativedelta(months=2))
        self.env.ref("also_waas.waas_invoice_run_cron").method_direct_trigger()
        self.assertEqual(len(contract.invoice_ids), 3)
        self.assertEqual(contract.date_next_invoice, contract.date_start + relativedelta(months=3))

    def test_cron_one_batch_per_call(self):
        """The scheduled run invoices one batch per call and reports what remains: the
        cron runner commits each batch and calls again until nothing is due."""
        today = fields.Date.context_today(self.env.user)
        contracts = self.env["waas.contract"]
        for _i in range(5):
            contracts |= self._new_contract(date_start=today - relativedelta(months=1))
        due = self.env["waas.contract"]._waas_count_due(today)
        calls = self._run_cron_batches(
            "also_waas.waas_invoice_run_cron", "_cron_waas_invoice_run", chunk_size=2
        )
        self.assertEqual(calls, -(-due // 2))
        self.assertEqual(set(contracts.mapped("invoiced_periods")), {2})
        self.assertFalse(self.env["waas.contract"]._waas_count_due(today))

    def test_cron_serialization_conflict_calls_again(self):
        """A second worker that committed some of the due contracts after this call's
        snapshot makes the lock fail: the call keeps nothing of its batch, reports what
        remains and has the runner call it again at once; the next call invoices them."""
        today = fields.Date.context_today(self.env.user)
        contract = self._new_contract(date_start=today - relativedelta(months=1))
        cron = self.env.ref("also_waas.waas_invoice_run_cron")
        Contract = self.env["waas.contract"]
        with (
            patch.object(
                type(Contract),
                "_waas_lock_due_contract_ids",
                side_effect=SerializationFailure("could not serialize access"),
            ),
            RecordCapturer(self.env["ir.cron.trigger"], [("cron_id", "=", cron.id)]) as capt,
        ):
            self.assertEqual(Contract._cron_waas_invoice_run(), 0)
        self.assertTrue(capt.records)
        self.assertFalse(contract.invoice_ids)
        Contract._cron_waas_invoice_run()
        self.assertEqual(contract.invoiced_periods, 2)

    def test_wizard_bounded_rest_in_background(self):
        """The wizard invoices a bounded number of contracts in its request and leaves the
        rest (due up to today) to the scheduled run, which it starts."""
        today = fields.Date.context_today(self.env.user)
        for _i in range(3):
            self._new_contract(date_start=today - relativedelta(months=1))
        due = self.env["waas.contract"]._waas_count_due(today, self.company)
        cron = self.env.ref("also_waas.waas_invoice_run_cron")
        wizard = self.env["waas.invoice.run"].create(
            {"date": today, "company_ids": [Command.set(self.company.ids)]}
        )
        with (
            patch("odoo.addons.also_waas.wizards.waas_invoice_run.INVOICE_RUN_WIZARD_LIMIT", 2),
            RecordCapturer(
                self.env["ir.cron.trigger"].sudo(), [("cron_id", "=", cron.id)]
            ) as triggers,
        ):
            wizard.action_run()
        self.assertEqual(wizard.contract_count, 2)
        self.assertEqual(wizard.remaining_count, due - 2)
        self.assertTrue(wizard.background)
        self.assertEqual(triggers.records.cron_id, cron)
