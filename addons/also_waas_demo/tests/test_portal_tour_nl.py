from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestPortalTourNl(HttpCase):
    """A Dutch reseller of ALSO Nederland quotes in the portal, in Dutch and in euros
    (the demo data of the companies and users, as ``make run`` shows them)."""

    def test_tour_dutch_reseller_quotes_in_euros(self):
        user = self.env.ref("also_waas.waas_demo_user_reseller_a")
        self.assertEqual(user.lang, "nl_NL")
        # The test browser logs in with the login as password.
        user.password = user.login
        reseller = self.env.ref("also_waas.waas_demo_reseller_a")
        customer = self.env.ref("also_waas.waas_demo_customer_1")
        # The demo customer paid its past invoices: it is not blocked for new business.
        self.assertFalse(customer.waas_blocked)
        Order = self.env["sale.order"]
        before = Order.search([("waas_reseller_id", "=", reseller.id)])

        self.start_tour("/my/waas/quotes", "also_waas_demo_portal_quote_nl", login=user.login)

        order = Order.search([("waas_reseller_id", "=", reseller.id)]) - before
        self.assertEqual(len(order), 1)
        self.assertRecordValues(
            order,
            [
                {
                    "is_waas": True,
                    "company_id": self.env.ref("base.main_company").id,
                    "currency_id": self.env.ref("base.EUR").id,
                    "partner_id": customer.id,
                    "waas_term_months": 36,
                    "waas_delivery_to": "end_customer",
                    "state": "sent",
                    "waas_monthly_amount": 2 * 39.0 + 8.0,
                }
            ],
        )
        lines = {
            line.product_id: (line.product_uom_qty, line.price_unit) for line in order.order_line
        }
        self.assertEqual(
            lines,
            {
                self.env.ref("also_waas.waas_demo_bundle_basic"): (2, 39.0),
                self.env.ref("also_waas.waas_demo_option_monitor"): (1, 8.0),
            },
        )
        # Dutch VAT on the lines: 21%, of ALSO Nederland's chart.
        self.assertEqual(set(order.order_line.tax_id.mapped("amount")), {21.0})
        # The end customer follows it, to find and sign it in its portal.
        self.assertIn(customer, order.message_partner_ids)
