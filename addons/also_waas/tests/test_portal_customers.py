from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import REGISTRY_BE, VAT_NL
from .common_portal import WaasPortalCommon

# Another valid Dutch VAT number and KvK number (python-stdnum).
VAT_NL_OTHER = "NL100000009B01"
KVK_NL_OTHER = "12345678"


@tagged("post_install", "-at_install")
class TestPortalCustomers(HttpCase, WaasPortalCommon):
    """A new end customer entered in the portal whose VAT or registry number is already a
    customer of the ALSO company is that customer: reused, and shown only by its name."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Reseller B's customer: known to ALSO, never to reseller A.
        cls.customer_be.write({"email": "finance@klant-be.example.com", "phone": "+32 2 555 01 01"})

    def setUp(self):
        super().setUp()
        self.authenticate("portal_ra", "portal_ra")
        self.token = self._csrf_token("/my/waas/quotes/new")

    def _post_new_customer(self, **values):
        data = {
            "csrf_token": self.token,
            "customer_id": "new",
            "new_name": "Typed Name BV",
            "new_street": "Typed Street 1",
            "new_zip": "1234 AB",
            "new_city": "Typed City",
            "new_email": "typed@new-customer.example.com",
            "new_country_id": str(self.env.ref("base.nl").id),
            "new_vat": VAT_NL_OTHER,
            "new_company_registry": KVK_NL_OTHER,
            "term": "36",
            "delivery_to": "end_customer",
            f"qty_{self.bundle.product_tmpl_id.id}": "2",
        }
        data.update(values)
        return self.url_open("/my/waas/quotes/create", data=data)

    def _new_order(self, partner):
        return self.env["sale.order"].search(
            [("waas_reseller_id", "=", self.reseller.id), ("partner_id", "=", partner.id)],
            order="id desc",
            limit=1,
        )

    def test_existing_vat_reuses_the_customer_and_shows_only_its_name(self):
        partners_before = self.env["res.partner"].search_count([])
        # B's Belgian customer, its VAT typed differently (no leading zero, dots, lower case).
        response = self._post_new_customer(
            new_country_id=str(self.env.ref("base.be").id),
            new_vat="be 477.472.701",
            new_company_registry=REGISTRY_BE,
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        order = self._new_order(self.customer_be)
        self.assertTrue(order, "the quotation is for the existing customer")
        self.assertTrue(
            response.url.endswith(f"/my/waas/quotes/{order.id}?message=existing_customer")
        )
        page = response.text
        self.assertIn("Existing customer:", page)
        self.assertIn("Test End Customer BE", page)
        # Its data stays with ALSO: no address, e-mail, phone, credit or other deals.
        for secret in (
            "Klantlaan",
            "Brussel",
            "finance@klant-be.example.com",
            "+32 2 555 01 01",
            self.order_b.name,
            "REF-BRAVO",
            "CTR-BRAVO-1",
        ):
            self.assertNotIn(secret, page, secret)
        # What the reseller typed was not written onto it.
        self.assertEqual(self.customer_be.name, "Test End Customer BE")
        self.assertEqual(self.customer_be.email, "finance@klant-be.example.com")
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Typed Name BV")]))
        # Its credit history and portal access stay together: one partner, both deals.
        self.assertEqual(order.partner_id, self.customer_be)
        self.assertIn(self.customer_be, order.message_partner_ids)

    def test_reseller_cannot_read_the_existing_customer(self):
        self._post_new_customer(
            new_country_id=str(self.env.ref("base.be").id),
            new_vat="BE0477472701",
            new_company_registry=REGISTRY_BE,
        )
        order = self._new_order(self.customer_be)
        self.assertTrue(order)
        # Over the ORM, as reseller A's portal user: the partner and B's deal stay closed.
        partner = self.customer_be.with_user(self.portal_reseller_a)
        with self.assertRaises(AccessError):
            partner.read(["email", "street", "phone"])
        with self.assertRaises(AccessError):
            self.order_b.with_user(self.portal_reseller_a).read(["name"])
        # On its quotation page (later visits) and the new quotation form: the name only.
        for url in (f"/my/waas/quotes/{order.id}", "/my/waas/quotes/new", "/my/waas/quotes"):
            page = self.url_open(url).text
            for secret in ("Klantlaan", "finance@klant-be.example.com", self.order_b.name):
                self.assertNotIn(secret, page, f"{secret} on {url}")
        self.assertIn("Test End Customer BE", self.url_open(f"/my/waas/quotes/{order.id}").text)

    def test_registry_number_matches(self):
        # Another VAT number, but the KvK number of the existing Dutch customer (one of its
        # own: the demo data may hold a customer with the tests' usual number).
        self.customer.company_registry = "8765.4321"
        response = self._post_new_customer(new_company_registry="8765 4321")
        self.assertEqual(response.status_code, 200)
        order = self._new_order(self.customer)
        self.assertTrue(order.filtered(lambda o: o.id != self.order_a.id))
        self.assertIn("Existing customer:", response.text)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Typed Name BV")]))
        # The same VAT number of the existing customer matches as well.
        self.assertEqual(
            self.env["res.partner"]._waas_find_end_customer(
                self.company, VAT_NL.lower(), "", self.env.ref("base.nl")
            ),
            self.customer,
        )

    def test_new_identifiers_make_a_new_customer(self):
        response = self._post_new_customer()
        partner = self.env["res.partner"].search([("name", "=", "Typed Name BV")])
        self.assertEqual(len(partner), 1)
        self.assertEqual(partner.waas_vat_key, VAT_NL_OTHER)
        self.assertEqual(partner.waas_registry_key, f"NL:{KVK_NL_OTHER}")
        with self.assertRaisesRegex(UserError, "follow the VAT number"):
            partner.write({"waas_vat_key": VAT_NL})
        self.assertNotIn("Existing customer:", response.text)
        # Its own entry: the reseller sees what it typed.
        self.assertIn("typed@new-customer.example.com", response.text)

    def test_peppol_endpoint_from_the_registry_number(self):
        self._post_new_customer(new_peppol="1")
        partner = self.env["res.partner"].search([("name", "=", "Typed Name BV")])
        self.assertEqual((partner.peppol_eas, partner.peppol_endpoint), ("0106", KVK_NL_OTHER))

    def test_peppol_id_entered_is_checked(self):
        response = self._post_new_customer(new_peppol_id="0190:123")
        self.assertIn("o_waas_form_error", response.text)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Typed Name BV")]))
        self._post_new_customer(new_peppol_id="0190:00000001003214345000")
        partner = self.env["res.partner"].search([("name", "=", "Typed Name BV")])
        self.assertEqual(
            (partner.peppol_eas, partner.peppol_endpoint), ("0190", "00000001003214345000")
        )

    def test_customer_of_another_company_is_not_matched(self):
        other_company = self.env["res.company"].create({"name": "ALSO Other Country"})
        elsewhere = self.env["res.partner"].create(
            {
                "name": "Customer of Another ALSO Company",
                "is_company": True,
                "vat": VAT_NL_OTHER,
                "company_registry": KVK_NL_OTHER,
                "country_id": self.env.ref("base.nl").id,
                "company_id": other_company.id,
            }
        )
        response = self._post_new_customer()
        self.assertNotIn("Existing customer:", response.text)
        self.assertFalse(self._new_order(elsewhere))
        partner = self.env["res.partner"].search([("name", "=", "Typed Name BV")])
        self.assertEqual(partner.vat, VAT_NL_OTHER)
        self.assertTrue(self._new_order(partner))

    def test_invalid_vat_gives_a_clear_error(self):
        orders_before = self.env["sale.order"].search_count([])
        partners_before = self.env["res.partner"].search_count([])
        for vat, message in (
            ("NL123456789B99", "is not valid"),
            ("NL", "is not valid"),
            ("XX123456", "cannot be validated"),
            ("!!!", "is not valid"),
            ("ÄÖ123", "cannot be validated"),
            ("", "Enter the VAT number"),
        ):
            response = self._post_new_customer(new_vat=vat)
            self.assertEqual(response.status_code, 200, vat)
            self.assertIn(message, response.text, vat)
            self.assertIn("o_waas_form_error", response.text, vat)
            self.assertIn('value="Typed Name BV"', response.text, vat)
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        # A NUL character (which PostgreSQL cannot store) in the numbers or the name: no
        # server error, the character is dropped.
        response = self._post_new_customer(
            new_name="Nul\x00 Kunde GmbH",
            new_country_id=str(self.env.ref("base.de").id),
            new_vat="DE1000\x0000008",
            new_company_registry="HRB\x00 12345",
        )
        self.assertEqual(response.status_code, 200)
        partner = self.env["res.partner"].search([("name", "=", "Nul Kunde GmbH")])
        self.assertEqual(partner.vat, "DE100000008")
        self.assertEqual(partner.company_registry, "HRB 12345")
        self.assertTrue(self._new_order(partner))
