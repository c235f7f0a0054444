from odoo.tests import HttpCase, tagged

from odoo.addons.also_waas.tests.common_portal import WaasPortalCommon

from .common import WaasCommissionCommon


@tagged("post_install", "-at_install")
class TestPortalCommission(HttpCase, WaasPortalCommon, WaasCommissionCommon):
    """Commission pages: reseller A sees its own lines and statements, never B's; the
    list renders with a query count independent of its length."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract_com_a = cls._activate(
            partner=cls.customer, reseller=cls.reseller, name="COM-ALPHA-1"
        )
        cls.contract_com_b = cls._activate(
            partner=cls.customer_be, reseller=cls.reseller_b, name="COM-BRAVO-1"
        )

    def test_reseller_sees_only_its_commissions(self):
        lines_a = self._lines(self.contract_com_a)
        self.assertTrue(lines_a)
        self.assertEqual(
            self.env(user=self.portal_reseller_a)["waas.commission.line"].search([]), lines_a
        )
        self.authenticate("portal_ra", "portal_ra")
        response = self.url_open("/my/waas/commissions")
        self.assertEqual(response.status_code, 200)
        self.assertIn("COM-ALPHA-1", response.text)
        self.assertIn(self.this_period.strftime("%Y-%m"), response.text)
        for name in ("COM-BRAVO-1", "Test End Customer BE", "Test Reseller B"):
            self.assertNotIn(name, response.text)
        # The statement of the period: A's lines only.
        url = f"/my/waas/commissions/statement/{self.this_period.year}/{self.this_period.month}"
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn("COM-ALPHA-1", response.text)
        self.assertNotIn("COM-BRAVO-1", response.text)
        # B's statement does not exist for A; a bad period neither.
        self.assertEqual(self.url_open("/my/waas/commissions/statement/2001/1").status_code, 404)
        self.assertEqual(self.url_open("/my/waas/commissions/statement/2026/13").status_code, 404)

    def test_end_customer_has_no_commission_pages(self):
        self.authenticate("portal_ca", "portal_ca")
        self.assertEqual(self.url_open("/my/waas/commissions").status_code, 404)
        period = self.this_period
        url = f"/my/waas/commissions/statement/{period.year}/{period.month}"
        self.assertEqual(self.url_open(url).status_code, 404)
        self.assertFalse(self.env(user=self.portal_customer_a)["waas.commission.line"].search([]))

    def _queries(self, url):
        for _attempt in range(2):
            self.assertEqual(self.url_open(url).status_code, 200)
        before = self.cr.sql_log_count
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return self.cr.sql_log_count - before, response.text

    def _add_lines(self, count):
        for _index in range(count):
            contract = self._new_contract(partner=self.customer, reseller=self.reseller)
            self.Line.create(
                {
                    "name": f"Commission {contract.name}",
                    "reseller_id": self.reseller.id,
                    "contract_id": contract.id,
                    "contract_line_id": contract.line_ids[:1].id,
                    "product_id": self.bundle.id,
                    "event": "new",
                    "amount": 180.0,
                }
            )

    def test_commission_list_query_count(self):
        self.authenticate("portal_ra", "portal_ra")
        url = "/my/waas/commissions"
        existing = self.Line.search_count([("reseller_id", "=", self.reseller.id)])
        self._add_lines(5 - existing)
        count_5, page = self._queries(url)
        self.assertEqual(page.count("o_waas_commission_row"), 5)
        self._add_lines(45)
        count_50, page = self._queries(url)
        self.assertEqual(page.count("o_waas_commission_row"), 50)
        self.assertEqual(count_50, count_5, f"{count_5} queries at 5 lines, {count_50} at 50")
