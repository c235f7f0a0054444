from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo import Command, fields
from odoo.tests import Form, HttpCase, tagged

from .common import WaasCommon


@tagged("post_install", "-at_install")
class TestMrrReport(WaasCommon):
    """Monthly recurring revenue, active, new and churned contracts of the last 12 months
    (``waas.mrr.report``), for a known data set dated from today."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_own_company("WaaS MRR Test Co")
        cls.month0 = fields.Date.context_today(cls.env["waas.contract"]) + relativedelta(day=1)
        month = cls.month
        c = cls._create_contract
        # Runs through the 12 months: 40 a month.
        cls.c1 = c(name="T-M-01", date_start=month(13))
        # New five months ago, upgraded (+10) from two months ago.
        cls.upgrade_price = cls.prices[cls.upgrade_premium][36][0]
        cls.c2 = c(
            name="T-M-02",
            date_start=month(5) + relativedelta(days=4),
            line_ids=[
                Command.create({"product_id": cls.bundle.id, "name": "Bundle", "price_unit": 40.0}),
                Command.create(
                    {
                        "product_id": cls.upgrade_premium.id,
                        "name": "Upgrade",
                        "price_unit": cls.upgrade_price,
                        "date_from": month(2),
                    }
                ),
            ],
        )
        # Ended early on the 10th, three months ago.
        cls.c3 = c(
            name="T-M-03",
            date_start=month(24),
            state="terminated",
            date_terminated=month(3) + relativedelta(days=9),
        )
        # A 12-month term (60 a month) expired at the end of the month two months ago.
        cls.c4 = c(name="T-M-04", term=12, date_start=month(13), state="expired")

    @classmethod
    def month(cls, k):
        """The first day of the month ``k`` months ago."""
        return cls.month0 - relativedelta(months=k)

    @classmethod
    def _create_contract(cls, *args, **kwargs):
        kwargs.setdefault("company_id", cls.company.id)
        kwargs.setdefault("currency_id", cls.currency.id)
        return super()._create_contract(*args, **kwargs)

    def _per_month(self):
        groups = self.env["waas.mrr.report"]._read_group(
            [("company_id", "=", self.company.id)],
            groupby=["month:month"],
            aggregates=[
                "mrr:sum",
                "contract_count:sum",
                "start_count:sum",
                "new_count:sum",
                "churn_count:sum",
            ],
        )
        return {month: rest for month, *rest in groups}

    def test_twelve_months(self):
        up = self.upgrade_price
        # Months ago: (mrr, active at the month's end, active at its start, new, churned).
        expected = {k: (140.0, 3, 3, 0, 0) for k in range(6, 12)}
        expected.update(
            {
                5: (180.0, 4, 3, 1, 0),
                4: (180.0, 4, 4, 0, 0),
                3: (140.0, 3, 4, 0, 1),
                2: (140.0 + up, 3, 3, 0, 1),
                1: (80.0 + up, 2, 2, 0, 0),
                0: (80.0 + up, 2, 2, 0, 0),
            }
        )
        expected = {self.month(k): list(values) for k, values in expected.items()}
        self.assertEqual(self._per_month(), expected)

    def test_contract_in_other_currency(self):
        """A contract in US dollars counts in euros at today's rate."""
        usd = self.env.ref("base.USD")
        usd.active = True
        self.env["res.currency.rate"].create(
            [
                {
                    "currency_id": currency.id,
                    "company_id": self.company.id,
                    "name": self.month(13),
                    "rate": rate,
                }
                for currency, rate in ((self.currency, 1.0), (usd, 2.0))
            ]
        )
        self._create_contract(name="T-M-05", date_start=self.month(13), currency_id=usd.id)
        self.env.flush_all()  # the view reads the contract's stored amounts in SQL
        rows = self.env["waas.mrr.report"].search(
            [("name", "=", "T-M-05"), ("month", "=", self.month0)]
        )
        self.assertRecordValues(rows, [{"mrr": 20.0, "currency_id": self.currency.id}])

    def test_dashboard_menu_opens_the_charts(self):
        menu = self.env.ref("also_waas.waas_dashboard_menu")
        action = self.env.ref("also_waas.waas_mrr_report_action")
        self.assertEqual(menu.action, action)
        self.assertEqual(action.name, "WaaS Dashboard")
        self.assertEqual(action.view_mode.split(",")[0], "graph")
        board = self.env["waas.dashboard"].create({"company_id": self.company.id})
        self.assertEqual(board.display_name, "WaaS Key Figures")
        # Multi-company: another company's rows are not shown.
        other = self.env["waas.mrr.report"].with_user(self.user_waas)
        self.assertFalse(other.search([("company_id", "=", self.company.id)]))


@tagged("post_install", "-at_install")
class TestFormStates(WaasCommon):
    """Forms offer only what may be done in the record's state."""

    def test_active_contract_lines_read_only(self):
        contract = self._create_contract(name="T-F-01")
        self.assertEqual(contract.state, "active")
        form = Form(contract.with_user(self.user_manager))
        with self.assertRaisesRegex(AssertionError, "is not editable"):
            form.line_ids.new()
        with self.assertRaisesRegex(AssertionError, "is not editable"):
            form.line_ids.remove(0)
        with self.assertRaisesRegex(AssertionError, "can't write on readonly field"):
            form.term_months = 12

    def test_new_contract_lines_editable(self):
        """A WaaS Manager importing an existing contract enters its lines."""
        form = Form(self.env["waas.contract"].with_user(self.user_manager))
        with form.line_ids.new() as line:
            line.product_id = self.bundle
            line.name = "Bundle"

    def test_licences_neither_added_nor_removed_by_hand(self):
        arch = self.env["waas.contract"].get_view(view_type="form")["arch"]
        licences = self._arch_node(arch, "//field[@name='licence_ids']/list")
        self.assertEqual(licences.get("create"), "0")
        self.assertEqual(licences.get("delete"), "0")

    def test_confirmed_waas_order_lines_read_only(self):
        arch = self.env["sale.order"].get_view(
            self.env.ref("sale.view_order_form").id, view_type="form"
        )["arch"]
        node = self._arch_node(arch, "//field[@name='order_line']")
        self.assertIn("(is_waas and state == 'sale')", node.get("readonly"))

    def _arch_node(self, arch, xpath):
        nodes = etree.fromstring(arch).xpath(xpath)
        self.assertTrue(nodes, xpath)
        return nodes[0]


@tagged("post_install", "-at_install")
class TestDashboardTour(HttpCase, WaasCommon):
    """The management dashboard in a real (headless) browser."""

    def test_tour_management_dashboard(self):
        self._create_contract(
            name="T-TOUR-01", date_start=fields.Date.context_today(self.env["waas.contract"])
        )
        self.start_tour("/odoo", "waas_management_dashboard", login="admin")
