from odoo.tests import tagged

from .common import WaasCommon


@tagged("post_install", "-at_install")
class TestFixture(WaasCommon):
    def test_fixture_prices(self):
        items = self.env["waas.pricelist.item"].search(
            [("product_tmpl_id", "=", self.bundle.product_tmpl_id.id)]
        )
        self.assertEqual(sorted(items.mapped("term_months")), [12, 24, 36])

    def test_fixture_contract(self):
        contract = self._create_contract(products=[(self.bundle, 2), (self.upgrade_premium, 2)])
        self.assertEqual(contract.monthly_amount, 2 * 40.0 + 2 * 10.0)
        self.assertEqual(str(contract.date_end), "2028-12-31")
