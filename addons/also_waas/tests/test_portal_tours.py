from odoo.tests import HttpCase, tagged

from .common_portal import WaasPortalCommon


@tagged("post_install", "-at_install")
class TestPortalTours(HttpCase, WaasPortalCommon):
    """The portal in a real (headless) browser."""

    def test_tour_reseller_creates_quote(self):
        """Reseller A quotes two bundles with the Premium upgrade, delivered to the end
        customer."""
        before = self.env["sale.order"].search([("waas_reseller_id", "=", self.reseller.id)])
        self.start_tour("/my/waas/quotes/new", "waas_portal_reseller_quote", login="portal_ra")
        order = (
            self.env["sale.order"].search([("waas_reseller_id", "=", self.reseller.id)]) - before
        )
        self.assertEqual(len(order), 1)
        self.assertTrue(order.is_waas)
        self.assertEqual(order.partner_id, self.customer)
        self.assertEqual(order.waas_term_months, 36)
        self.assertEqual(order.waas_delivery_to, "end_customer")
        self.assertEqual(order.partner_shipping_id, self.customer)
        quantities = {line.product_id: line.product_uom_qty for line in order.order_line}
        self.assertEqual(quantities, {self.bundle: 2, self.upgrade_premium: 2})
        self.assertEqual(order.waas_monthly_amount, 2 * 40.0 + 2 * 10.0)

    def test_tour_customer_signs(self):
        """The end customer signs its WaaS quotation with Odoo's portal signature; the
        deal then waits for the credit check and ALSO's countersignature."""
        order = self._create_waas_order(
            partner=self.customer,
            reseller=self.reseller,
            products=[(self.bundle, 1), (self.upgrade_premium, 1)],
            name="WAAS-TOUR-SIGN",
        )
        order.action_quotation_sent()
        self.start_tour("/my/quotes", "waas_portal_customer_sign", login="portal_ca")
        self.assertTrue(order.signature)
        self.assertEqual(order.signed_by, "Test End Customer NL")
        self.assertTrue(order.waas_customer_signed)
        self.assertEqual(order.state, "sent")
        self.assertFalse(order.waas_contract_ids)
