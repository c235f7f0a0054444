import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common_portal import WaasPortalCommon

B_NAMES = ("Test Reseller B", "Test End Customer BE", "CTR-BRAVO-1", "SN-BRAVO-1", "REF-BRAVO")


@tagged("post_install", "-at_install")
class TestPortalAccess(HttpCase, WaasPortalCommon):
    """Route by route: reseller A and its end customer never see B's anything."""

    def _get(self, url, **kwargs):
        return self.url_open(url, allow_redirects=False, **kwargs)

    def assertNoneOf(self, names, text, url):
        for name in names:
            self.assertNotIn(name, text, f"{name} leaked on {url}")

    def assertDenied(self, response, url):
        """404, or a redirect away from the document (sale's and portal's idiom)."""
        if response.status_code in (301, 302, 303):
            self.assertNotIn(url.split("?")[0], response.headers["Location"], url)
        else:
            self.assertIn(response.status_code, (403, 404), url)

    # ------------------------------------------------------------------ ORM as portal users
    def test_orm_reseller_sees_only_its_records(self):
        env = self.env(user=self.portal_reseller_a)
        self.assertEqual(env["waas.contract"].search([]), self.contract_a)
        self.assertEqual(env["waas.device"].search([]), self.device_a)
        self.assertEqual(env["waas.contract.line"].search([]), self.contract_a.line_ids)
        self.assertEqual(env["sale.order"].search([("is_waas", "=", True)]), self.order_a)
        self.assertTrue(env["waas.pricelist.item"].search_count([]))
        self.assertFalse(env["waas.contract"].search([("id", "=", self.contract_b.id)]))
        with self.assertRaises(AccessError):
            self.contract_b.with_user(self.portal_reseller_a).read(["name"])
        with self.assertRaises(AccessError):
            self.contract_a.with_user(self.portal_reseller_a).write({"term_months": 12})

    def test_orm_end_customer_sees_only_its_own(self):
        env = self.env(user=self.portal_customer_a)
        self.assertEqual(env["waas.contract"].search([]), self.contract_a)
        self.assertEqual(env["waas.device"].search([]), self.device_a)
        # Prices with commissions, credit checks and the catalogue: resellers only.
        self.assertFalse(env["waas.pricelist.item"].search([]))
        self.assertFalse(env["product.product"].search([]))
        self.assertFalse(env["waas.credit.check"].search([]))
        env_b = self.env(user=self.portal_customer_b)
        self.assertEqual(env_b["waas.contract"].search([]), self.contract_b)

    # ------------------------------------------------------------------ pages
    def test_reseller_a_pages(self):
        self.authenticate("portal_ra", "portal_ra")
        pages = {
            "/my/waas/contracts": ("CTR-ALPHA-1", "Test End Customer NL"),
            f"/my/waas/contracts/{self.contract_a.id}": ("CTR-ALPHA-1", "SN-ALPHA-1"),
            "/my/waas/quotes": (self.order_a.name, "Test End Customer NL"),
            f"/my/waas/quotes/{self.order_a.id}": (self.order_a.name, "Test Laptop Bundle"),
            "/my/waas/prices": ("Test Laptop Bundle", "180.00"),
            "/my/waas/quotes/new": ("Test End Customer NL", "Test Upgrade to Business Premium"),
            "/my/home": ("WaaS Contracts",),
        }
        for url, expected in pages.items():
            response = self._get(url)
            self.assertEqual(response.status_code, 200, url)
            for text in expected:
                self.assertIn(text, response.text, url)
            self.assertNoneOf(B_NAMES + (self.order_b.name,), response.text, url)

    def test_reseller_a_denied_on_b_documents(self):
        self.authenticate("portal_ra", "portal_ra")
        for url in (
            f"/my/waas/contracts/{self.contract_b.id}",
            f"/my/waas/quotes/{self.order_b.id}",
            f"/my/orders/{self.order_b.id}",
            f"/my/orders/{self.order_b.id}?report_type=html",
            f"/my/orders/{self.order_b.id}?report_type=pdf&download=true",
            f"/my/waas/contracts/{self.contract_b.id}?access_token=wrong",
        ):
            response = self._get(url)
            self.assertDenied(response, url)
            self.assertNoneOf(B_NAMES, response.text, url)

    def test_end_customer_pages(self):
        self.authenticate("portal_ca", "portal_ca")
        for url in ("/my/waas/contracts", f"/my/waas/contracts/{self.contract_a.id}"):
            response = self._get(url)
            self.assertEqual(response.status_code, 200, url)
            self.assertIn("CTR-ALPHA-1", response.text)
            self.assertNoneOf(B_NAMES, response.text, url)
        # Its quotation on sale's page, with the WaaS information.
        response = self._get(f"/my/orders/{self.order_a.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Workplace as a Service", response.text)
        self.assertIn("Test Reseller A", response.text)
        # Reseller pages (price list with commissions, quotations): not for it.
        for url in ("/my/waas/prices", "/my/waas/quotes", f"/my/waas/quotes/{self.order_a.id}"):
            self.assertEqual(self._get(url).status_code, 404, url)
        for url in (
            f"/my/waas/contracts/{self.contract_b.id}",
            f"/my/orders/{self.order_b.id}",
        ):
            self.assertDenied(self._get(url), url)

    def test_access_token_links(self):
        token = self.contract_a._portal_ensure_token()
        url = f"/my/waas/contracts/{self.contract_a.id}"
        # Anonymous with the token: the shared link works.
        response = self._get(f"{url}?access_token={token}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("SN-ALPHA-1", response.text)
        # Without it, or with another record's token: no.
        self.assertDenied(self._get(url), url)
        token_b = self.contract_b._portal_ensure_token()
        self.assertDenied(self._get(f"{url}?access_token={token_b}"), url)
        self.assertEqual(
            self.contract_a.get_portal_url(),
            f"/my/waas/contracts/{self.contract_a.id}?access_token={token}",
        )

    # ------------------------------------------------------------------ JSON routes
    def test_json_counters(self):
        counters = ["waas_contract_count", "waas_quote_count", "waas_price_count"]
        self.authenticate("portal_ra", "portal_ra")
        result = self._json("/my/counters", {"counters": counters})["result"]
        self.assertEqual(result["waas_contract_count"], 1)
        self.assertEqual(result["waas_quote_count"], 1)
        self.assertEqual(
            result["waas_price_count"],
            self.env["waas.pricelist.item"].search_count([("company_id", "=", self.company.id)]),
        )
        self.assertGreaterEqual(result["waas_price_count"], 9)
        self.authenticate("portal_cb", "portal_cb")
        result = self._json("/my/counters", {"counters": counters})["result"]
        self.assertEqual(
            result, {"waas_contract_count": 1, "waas_quote_count": 0, "waas_price_count": 0}
        )

    def test_json_reseller_cannot_sign_nor_see_b(self):
        self.authenticate("portal_ra", "portal_ra")
        # B's quotation: refused like any foreign order.
        result = self._json(
            f"/my/orders/{self.order_b.id}/accept", {"name": "Anna", "signature": "x"}
        )["result"]
        self.assertEqual(result, {"error": "Invalid order."})
        # Its own deal: the reseller never signs in the end customer's place.
        result = self._json(
            f"/my/orders/{self.order_a.id}/accept", {"name": "Anna", "signature": "x"}
        )["result"]
        self.assertIn("error", result)
        self.assertFalse(self.order_a.signature)
        # Reading B's records through the ORM JSON route fails too.
        with mute_logger("odoo.http"):
            response = self._json(
                "/web/dataset/call_kw/waas.contract/read",
                {
                    "model": "waas.contract",
                    "method": "read",
                    "args": [[self.contract_b.id], ["name"]],
                    "kwargs": {},
                },
            )
        self.assertIn("error", response)
        self.assertNotIn("CTR-BRAVO-1", json.dumps(response.get("result")))

    # ------------------------------------------------------------------ POST routes
    def test_posts_need_csrf_token(self):
        self.authenticate("portal_ra", "portal_ra")
        for url in (
            "/my/waas/quotes/create",
            f"/my/waas/quotes/{self.order_a.id}/credit_check",
            f"/my/waas/quotes/{self.order_a.id}/send",
        ):
            response = self.url_open(url, data={"term": "36"}, allow_redirects=False)
            self.assertEqual(response.status_code, 400, url)
        self.assertFalse(self.order_a.waas_credit_check_ids)

    def test_reseller_a_cannot_post_on_b(self):
        self.authenticate("portal_ra", "portal_ra")
        token = self._csrf_token("/my/waas/quotes/new")
        for url in (
            f"/my/waas/quotes/{self.order_b.id}/credit_check",
            f"/my/waas/quotes/{self.order_b.id}/send",
        ):
            response = self.url_open(url, data={"csrf_token": token}, allow_redirects=False)
            self.assertEqual(response.status_code, 404, url)
        self.assertFalse(self.order_b.waas_credit_check_ids)
        # Quoting for B's end customer is refused, nothing is created.
        orders_before = self.env["sale.order"].search_count([])
        response = self.url_open(
            "/my/waas/quotes/create",
            data=self._quote_post(token, customer_id=str(self.customer_be.id)),
        )
        self.assertIn("Choose one of your end customers", response.text)
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)

    def test_end_customer_cannot_quote(self):
        self.authenticate("portal_ca", "portal_ca")
        self.assertEqual(self._get("/my/waas/quotes/new").status_code, 404)

    # ------------------------------------------------------------------ quotation creation
    def _quote_post(self, token, **values):
        data = {
            "csrf_token": token,
            "customer_id": str(self.customer.id),
            "term": "24",
            "delivery_to": "end_customer",
            f"qty_{self.bundle.product_tmpl_id.id}": "3",
            f"qty_{self.upgrade_premium.product_tmpl_id.id}": "3",
            f"qty_{self.option_monitor.product_tmpl_id.id}": "0",
        }
        data.update(values)
        return data

    def test_create_quote_for_known_customer(self):
        self.authenticate("portal_ra", "portal_ra")
        token = self._csrf_token("/my/waas/quotes/new")
        data = self._quote_post(
            token,
            **{
                f"service_{self.partner_service.id}": "on",
                f"service_note_{self.partner_service.id}": "On-site set-up",
                f"service_price_{self.partner_service.id}": "150",
            },
        )
        response = self.url_open("/my/waas/quotes/create", data=data)
        self.assertEqual(response.status_code, 200)
        order = self.env["sale.order"].search(
            [("waas_reseller_id", "=", self.reseller.id), ("id", "!=", self.order_a.id)]
        )
        self.assertEqual(len(order), 1)
        self.assertTrue(response.url.endswith(f"/my/waas/quotes/{order.id}"))
        self.assertTrue(order.is_waas)
        self.assertEqual(order.partner_id, self.customer)
        self.assertEqual(order.waas_term_months, 24)
        self.assertEqual(order.waas_delivery_to, "end_customer")
        self.assertEqual(order.partner_shipping_id, self.customer)
        self.assertEqual(order.state, "draft")
        self.assertTrue(order.require_signature)
        self.assertNotEqual(order.user_id, self.portal_reseller_a)
        lines = {line.product_id: line for line in order.order_line}
        self.assertEqual(lines[self.bundle].product_uom_qty, 3)
        self.assertEqual(lines[self.bundle].price_unit, 50.0)
        self.assertEqual(lines[self.upgrade_premium].price_unit, 11.0)
        service = lines[self.partner_service]
        self.assertTrue(service.waas_billed_by_partner)
        self.assertEqual(service.price_unit, 0.0)
        self.assertEqual(service.waas_partner_price, 150.0)
        self.assertIn("billed by the partner", service.name)
        self.assertEqual(order.waas_monthly_amount, 3 * 50.0 + 3 * 11.0)
        self.assertIn(self.customer, order.message_partner_ids)
        self.assertIn("Billed by the partner", response.text)
        # Then: credit check and "send to the end customer" (to its own e-mail) from the portal.
        self.customer.email = "inkoop@klant-nl.example.com"
        self.url_open(f"/my/waas/quotes/{order.id}/credit_check", data={"csrf_token": token})
        self.assertEqual(order.waas_credit_state, "requested")
        self.url_open(f"/my/waas/quotes/{order.id}/send", data={"csrf_token": token})
        self.assertEqual(order.state, "sent")
        sent = order.message_ids.filtered(lambda m: self.customer in m.partner_ids)
        self.assertTrue(sent, "the end customer gets the quotation with its signing link")
        page = self._get(f"/my/waas/quotes/{order.id}").text
        self.assertIn("Awaiting Decision", page)

    def test_create_quote_new_customer_vat_checked(self):
        self.authenticate("portal_ra", "portal_ra")
        token = self._csrf_token("/my/waas/quotes/new")
        new_customer = {
            "customer_id": "new",
            "new_name": "Nieuwe Klant BV",
            "new_street": "Dorpsstraat 1",
            "new_zip": "1234 AB",
            "new_city": "Utrecht",
            "new_country_id": str(self.env.ref("base.nl").id),
            # Identifiers of no existing customer (those of one would reuse it).
            "new_company_registry": "12345678",
            "delivery_to": "reseller",
        }
        partners_before = self.env["res.partner"].search_count([])
        response = self.url_open(
            "/my/waas/quotes/create",
            data=self._quote_post(token, new_vat="NL123456789B99", **new_customer),
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("NL123456789B99", response.text)
        self.assertIn("is not valid", response.text)
        self.assertIn('value="Nieuwe Klant BV"', response.text)
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        # A valid VAT number: partner and quotation created, delivery to the reseller.
        response = self.url_open(
            "/my/waas/quotes/create",
            data=self._quote_post(token, new_vat="NL 1000.00009.B01", **new_customer),
        )
        partner = self.env["res.partner"].search([("name", "=", "Nieuwe Klant BV")])
        self.assertEqual(partner.vat, "NL100000009B01")
        self.assertTrue(partner.is_company)
        order = self.env["sale.order"].search([("partner_id", "=", partner.id)])
        self.assertEqual(order.waas_reseller_id, self.reseller)
        self.assertEqual(order.waas_delivery_to, "reseller")
        self.assertEqual(order.partner_shipping_id, self.reseller)

    def test_create_quote_bad_input(self):
        self.authenticate("portal_ra", "portal_ra")
        token = self._csrf_token("/my/waas/quotes/new")
        bundle_qty = f"qty_{self.bundle.product_tmpl_id.id}"
        cases = [
            ({"term": "18"}, "Choose a term of 12, 24 or 36 months."),
            ({"delivery_to": "moon"}, "Choose where the hardware is delivered."),
            ({bundle_qty: "0"}, "Add at least one workplace bundle"),
            ({bundle_qty: "-2"}, "must be between 0 and 999"),
            ({bundle_qty: "two"}, "must be a whole number"),
            ({"customer_id": "new", "new_name": ""}, "Enter the name of the new end customer."),
        ]
        orders_before = self.env["sale.order"].search_count([])
        for values, message in cases:
            response = self.url_open(
                "/my/waas/quotes/create", data=self._quote_post(token, **values)
            )
            self.assertEqual(response.status_code, 200, values)
            self.assertIn(message, response.text, values)
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)
