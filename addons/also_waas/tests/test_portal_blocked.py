"""The reseller's portal shows that one of its end customers is blocked for new WaaS
business, never the amounts (exposure, approved exposure, open invoices) nor the reasons;
another reseller sees nothing of that customer."""

from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common_portal import WaasPortalCommon

BLOCKED_MARKER = "o_waas_customer_blocked"


@tagged("post_install", "-at_install")
class TestPortalBlocked(HttpCase, WaasPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "inkoop@klant-nl.example.com"
        cls.draft_order = cls._create_waas_order(partner=cls.customer, reseller=cls.reseller)

    @classmethod
    def _block_customer(cls):
        """Customer A: approved exposure 1,234.56, and an open invoice of 4,321.09 on top
        of its running contract, overdue by 40 days (over the limit and in dunning)."""
        cls.customer.sudo()._waas_set_credit_limit(1234.56, cls.company)
        cls._posted_customer_invoice(
            4321.09, fields.Date.today() - timedelta(days=40), contract=cls.contract_a
        )
        cls.customer.invalidate_recordset()
        return cls.customer.with_company(cls.company)

    def _page(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return response.text

    def _assert_no_amounts(self, text, customer):
        """None of the customer's credit figures appears, in any usual notation."""
        # (The remaining contract value alone may equal a quotation's own contract value,
        # which the reseller does see: left out.)
        figures = {
            customer.waas_credit_limit,
            customer.waas_exposure,
            customer.waas_open_receivable,
        }
        for value in figures:
            units = int(value)
            for form in {
                f"{value:.2f}",
                f"{value:,.2f}",
                f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", "."),
                f"{units:,}",
                f"{units:,}".replace(",", "."),
            }:
                if units >= 100:
                    self.assertNotIn(form, text, f"amount {value} shown as {form}")
        for words in ("approved exposure", "exposure", "overdue", "dunning"):
            self.assertNotIn(words, text.lower())

    def test_reseller_sees_the_block_but_no_amounts(self):
        self.authenticate("portal_ra", "portal_ra")
        # Not blocked: no notice anywhere.
        for url in ("/my/waas/quotes", f"/my/waas/quotes/{self.draft_order.id}"):
            self.assertNotIn(BLOCKED_MARKER, self._page(url))
        customer = self._block_customer()
        self.assertTrue(customer.waas_blocked)
        self.assertGreater(customer.waas_exposure, 4321.09)
        pages = {
            "/my/waas/quotes": 2,  # the sent deal A and the draft, both for customer A
            f"/my/waas/quotes/{self.draft_order.id}": 1,
            f"/my/waas/quotes/{self.order_a.id}": 1,
            "/my/waas/contracts": 1,
        }
        for url, count in pages.items():
            text = self._page(url)
            self.assertEqual(text.count(BLOCKED_MARKER), count, url)
            self._assert_no_amounts(text, customer)
        self.assertIn("Blocked by ALSO", self._page("/my/waas/quotes"))
        self.assertIn("is blocked for new WaaS", self._page(f"/my/waas/quotes/{self.order_a.id}"))
        new_form = self._page("/my/waas/quotes/new")
        self.assertIn("(blocked by ALSO)", new_form)
        self._assert_no_amounts(new_form, customer)
        # Sending the quotation for signature is refused with a message, nothing sent.
        token = self._csrf_token("/my/waas/quotes/new")
        response = self.url_open(
            f"/my/waas/quotes/{self.draft_order.id}/send", data={"csrf_token": token}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("cannot be sent for signature", response.text)
        self._assert_no_amounts(response.text, customer)
        self.assertEqual(self.draft_order.state, "draft")
        self.assertFalse(
            self.draft_order.message_ids.filtered(lambda m: self.customer in m.partner_ids)
        )
        # Released by a credit controller: the notice goes, the quotation goes out.
        customer.sudo()._waas_release("Paid by bank transfer", fields.Date.today())
        self.assertNotIn(BLOCKED_MARKER, self._page("/my/waas/quotes"))
        self.url_open(f"/my/waas/quotes/{self.draft_order.id}/send", data={"csrf_token": token})
        self.assertEqual(self.draft_order.state, "sent")

    def test_other_reseller_sees_nothing_of_the_customer(self):
        customer = self._block_customer()
        self.authenticate("portal_rb", "portal_rb")
        for url in ("/my/waas/quotes", "/my/waas/contracts", "/my/waas/quotes/new"):
            text = self._page(url)
            self.assertNotIn(BLOCKED_MARKER, text, url)
            self.assertNotIn("blocked", text.lower(), url)
            self.assertNotIn(self.customer.name, text, url)
            self._assert_no_amounts(text, customer)
        for order in (self.order_a, self.draft_order):
            response = self.url_open(f"/my/waas/quotes/{order.id}")
            self.assertEqual(response.status_code, 404)
            self.assertNotIn(self.customer.name, response.text)
        # Nor is its own customer shown as blocked.
        self.assertIn(self.customer_be.name, self._page("/my/waas/quotes"))

    def test_end_customer_pages_unchanged(self):
        """The block notice is the reseller's: the end customer's contract list has none."""
        self._block_customer()
        self.authenticate("portal_ca", "portal_ca")
        self.assertNotIn(BLOCKED_MARKER, self._page("/my/waas/contracts"))
