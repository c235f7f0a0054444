import re

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common_portal import WaasPortalCommon


@tagged("post_install", "-at_install")
class TestPortalQueries(HttpCase, WaasPortalCommon):
    """The contract list renders with a number of queries independent of its length."""

    def _add_contracts(self, count, start_index):
        start = fields.Date.today() - relativedelta(months=3)
        for index in range(start_index, start_index + count):
            contract = self._create_contract(
                partner=self.customer,
                reseller=self.reseller,
                date_start=start,
                name=f"CTR-PERF-{index:03d}",
                products=[(self.bundle, 1), (self.upgrade_premium, 1)],
            )
            self._create_portal_device(contract, f"SN-PERF-{index:03d}")

    def _queries(self, url):
        """SQL queries of one request (warm: ormcache and routing already filled)."""
        for _attempt in range(2):
            self.assertEqual(self.url_open(url).status_code, 200)
        before = self.cr.sql_log_count
        response = self.url_open(url)
        count = self.cr.sql_log_count - before
        self.assertEqual(response.status_code, 200)
        return count, response.text

    def _check_flat(self, login, url, marker):
        self.authenticate(login, login)
        # 5 contracts listed (CTR-ALPHA-1 is one of them) ...
        self._add_contracts(4, 1)
        count_5, page = self._queries(url)
        self.assertEqual(page.count(marker), 5)
        # ... then 50.
        self._add_contracts(45, 5)
        count_50, page = self._queries(url)
        self.assertEqual(page.count(marker), 50)
        self.assertGreater(count_5, 0)
        self.assertEqual(
            count_50,
            count_5,
            f"{url} as {login}: {count_5} queries at 5 contracts, {count_50} at 50",
        )

    def test_contract_list_reseller(self):
        self._check_flat("portal_ra", "/my/waas/contracts", "o_waas_contract_row")

    def test_contract_list_end_customer(self):
        self._check_flat("portal_ca", "/my/waas/contracts", "o_waas_contract_row")

    def test_quote_list_reseller_with_blocked_customers(self):
        """The quotation list shows which end customers are blocked in one batch: as many
        queries for 5 quotations of 5 customers as for 50 of 50, every customer with an
        approved exposure (customer A, with its running contract, over it)."""
        self.customer.sudo()._waas_set_credit_limit(1.0, self.company)
        link = re.compile(r'href="/my/waas/quotes/\d+"')

        def add_quotes(count, start_index):
            for index in range(start_index, start_index + count):
                partner = self.env["res.partner"].create(
                    {"name": f"Perf Customer {index:03d}", "is_company": True}
                )
                partner.sudo()._waas_set_credit_limit(1000.0, self.company)
                self._create_waas_order(partner=partner, reseller=self.reseller)

        self.authenticate("portal_ra", "portal_ra")
        add_quotes(4, 1)  # with deal A: 5
        count_5, page = self._queries("/my/waas/quotes")
        self.assertEqual(len(link.findall(page)), 5)
        self.assertEqual(page.count("o_waas_customer_blocked"), 1)
        add_quotes(45, 5)
        count_50, page = self._queries("/my/waas/quotes")
        self.assertEqual(len(link.findall(page)), 50)
        self.assertEqual(page.count("o_waas_customer_blocked"), 1)
        self.assertEqual(
            count_50, count_5, f"quote list: {count_5} queries at 5 quotations, {count_50} at 50"
        )
