from datetime import date

from odoo.tests import tagged

from .common import WaasCommon

TODAY = date(2026, 6, 15)


@tagged("post_install", "-at_install")
class TestDashboard(WaasCommon):
    """Figures of the dashboard and of the reporting views for a known data set."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_own_company("WaaS Dashboard Test Co")
        c = cls._create_contract
        # Active: monthly 40 + 100 + 40 + 60 + 60 + 40 = 340.
        cls.a1 = c(name="T-D-01", date_start="2026-01-01")  # ends 2028-12-31
        cls.a2 = c(
            name="T-D-02",
            term=24,
            date_start="2024-07-01",
            products=[(cls.bundle, 2)],
            reseller=cls.reseller_b,
        )  # ends 2026-06-30: within 30 days
        cls.a3 = c(name="T-D-03", date_start="2023-08-01")  # ends 2026-07-31: 60 days
        cls.a4 = c(name="T-D-04", term=12, date_start="2025-09-01")  # renewed below
        cls.a5 = c(name="T-D-05", term=12, date_start="2026-06-03")  # new this month
        cls.a6 = c(name="T-D-06", date_start="2023-09-01")  # ends 2026-08-31: 90 days
        cls.env["waas.contract.renewal"].create(
            {
                "contract_id": cls.a4.id,
                "date": "2026-06-12",
                "date_end_before": "2026-08-31",
                "date_end_after": "2027-08-31",
                "months": 12,
            }
        )
        cls.a4.date_end = "2027-08-31"
        # Ended this month: one early termination, one expiry; one expiry in May.
        terminated = {"state": "terminated", "date_terminated": "2026-06-10"}
        cls.t1 = c(name="T-D-07", date_start="2025-01-01", **terminated)
        cls.e1 = c(name="T-D-08", date_start="2023-06-10", state="expired")  # 2026-06-09
        cls.e2 = c(name="T-D-09", date_start="2023-06-01", state="expired")  # 2026-05-31

    @classmethod
    def _create_contract(cls, *args, **kwargs):
        kwargs.setdefault("company_id", cls.company.id)
        kwargs.setdefault("currency_id", cls.currency.id)
        return super()._create_contract(*args, **kwargs)

    def test_dashboard_figures(self):
        board = self.env["waas.dashboard"].create({"company_id": self.company.id, "date": TODAY})
        self.assertRecordValues(
            board,
            [
                {
                    "active_count": 6,
                    "mrr": 340.0,
                    "ending_30": 1,
                    "ending_60": 2,
                    "ending_90": 3,
                    "month_new": 1,
                    "month_renewals": 1,
                    "month_terminations": 1,
                    "month_expiries": 1,
                    # 2 ended / (6 active + 2 ended - 1 new) active on June 1st.
                    "month_churn_rate": 28.6,
                    "sellout_failed_count": 0,
                }
            ],
        )
        action = board.action_open_ending_60()
        self.assertEqual(action["res_model"], "waas.contract.report")
        contracts = self.env["waas.contract.report"].search(action["domain"])
        self.assertEqual(contracts.contract_id, self.a2 | self.a3)
        action = board.action_open_month_events()
        events = self.env["waas.contract.event.report"].search(action["domain"])
        self.assertEqual(
            sorted(events.mapped("event")), ["expiry", "new", "renewal", "termination"]
        )

    def test_figures_in_the_company_currency(self):
        """A contract in US dollars in a euro company: the dashboard's monthly recurring
        revenue and the analyses add it in euros (at the rate of the day), and say so."""
        usd = self.env.ref("base.USD")
        usd.active = True
        self.env["res.currency.rate"].create(
            [
                {
                    "currency_id": currency.id,
                    "company_id": self.company.id,
                    "name": "2026-01-01",
                    "rate": rate,
                }
                # 1 EUR = 2 USD from January 2026.
                for currency, rate in ((self.currency, 1.0), (usd, 2.0))
            ]
        )
        dollars = self._create_contract(
            name="T-D-10", date_start="2026-02-01", currency_id=usd.id
        )  # 40 USD a month = 20 EUR
        board = self.env["waas.dashboard"].create({"company_id": self.company.id, "date": TODAY})
        self.assertEqual(board.currency_id, self.currency)
        self.assertEqual((board.active_count, board.mrr), (7, 360.0))
        self.assertEqual(board.mrr_label, "Monthly Recurring Revenue (EUR)")

        Report = self.env["waas.contract.report"]
        row = Report.search([("contract_id", "=", dollars.id)])
        self.assertRecordValues(
            row,
            [
                {
                    "currency_id": self.currency.id,
                    "monthly_amount": 20.0,
                    "contract_currency_id": usd.id,
                    "contract_monthly_amount": 40.0,
                }
            ],
        )
        [(total,)] = Report._read_group(
            [("company_id", "=", self.company.id), ("state", "=", "active")],
            aggregates=["monthly_amount:sum"],
        )
        self.assertEqual(total, 360.0)
        Event = self.env["waas.contract.event.report"]
        new = Event.search([("contract_id", "=", dollars.id), ("event", "=", "new")])
        self.assertEqual((new.monthly_amount, new.currency_id), (20.0, self.currency))

    def test_open_dashboard_action(self):
        action = self.env["waas.dashboard"].with_user(self.user_manager).action_open_dashboard()
        board = self.env["waas.dashboard"].browse(action["res_id"])
        self.assertEqual(board.company_id, self.env.ref("base.main_company"))

    def test_contract_analysis_by_reseller_bundle_manufacturer(self):
        Report = self.env["waas.contract.report"]
        domain = [("company_id", "=", self.company.id), ("state", "=", "active")]
        by_reseller = {
            reseller: (count, mrr)
            for reseller, count, mrr in Report._read_group(
                domain, ["reseller_id"], ["contract_count:sum", "monthly_amount:sum"]
            )
        }
        self.assertEqual(by_reseller, {self.reseller: (5, 240.0), self.reseller_b: (1, 100.0)})
        [(bundle, manufacturer, count, qty)] = Report._read_group(
            domain,
            ["bundle_tmpl_id", "manufacturer_id"],
            ["contract_count:sum", "workplace_qty:sum"],
        )
        self.assertEqual(bundle, self.bundle.product_tmpl_id)
        self.assertEqual(manufacturer, self.manufacturer)
        self.assertEqual((count, qty), (6, 7.0))
        a4 = Report.search([("contract_id", "=", self.a4.id)])
        self.assertEqual(a4.renewal_count, 1)

    def test_events_per_month(self):
        Event = self.env["waas.contract.event.report"]
        groups = Event._read_group(
            [("company_id", "=", self.company.id), ("date", ">=", "2026-05-01")],
            ["date:month", "event"],
            ["event_count:sum", "churn_count:sum", "monthly_amount:sum"],
        )
        result = {(month.strftime("%Y-%m"), event): rest for month, event, *rest in groups}
        self.assertEqual(
            result,
            {
                ("2026-05", "expiry"): [1, 1, 40.0],
                ("2026-06", "new"): [1, 0, 60.0],
                ("2026-06", "renewal"): [1, 0, 60.0],
                ("2026-06", "termination"): [1, 1, 40.0],
                ("2026-06", "expiry"): [1, 1, 40.0],
            },
        )
        renewal = Event.search([("event", "=", "renewal"), ("contract_id", "=", self.a4.id)])
        self.assertEqual(renewal.months, 12)
        self.assertEqual(renewal.reseller_id, self.reseller)
