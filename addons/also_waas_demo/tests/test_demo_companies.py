from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoCompanies(TransactionCase):
    """The demo companies are set up the way ALSO runs them: euros, their own chart of
    accounts and VAT, logo, WaaS settings and price list; the Dutch users work in Dutch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.env.ref("base.EUR")
        cls.nl = cls.env.ref("base.main_company")
        cls.be = cls.env.ref("base.demo_company_be")

    def test_also_nederland(self):
        company = self.nl
        self.assertEqual(company.name, "ALSO Nederland B.V.")
        self.assertEqual(company.currency_id, self.eur)
        self.assertEqual(company.country_id, self.env.ref("base.nl"))
        self.assertEqual(company.chart_template, "nl")
        self.assertEqual(company.account_sale_tax_id.amount, 21.0)
        self.assertEqual(company.account_sale_tax_id.company_id, company)
        self.assertTrue(company.logo)
        self.assertEqual(company.waas_invoice_journal_id.company_id, company)
        self.assertEqual(company.waas_invoice_journal_id.type, "sale")
        # Dutch fiscal positions: a Belgian business customer pays no Dutch VAT.
        eu_b2b = self.env["account.fiscal.position"].search(
            [
                ("company_id", "=", company.id),
                ("auto_apply", "=", True),
                ("vat_required", "=", True),
            ]
        )
        self.assertTrue(eu_b2b)
        # Its price list is in euros, and so are its sales price lists.
        items = self.env["waas.pricelist.item"].search([("company_id", "=", company.id)])
        self.assertTrue(items)
        self.assertEqual(items.currency_id, self.eur)
        pricelists = self.env["product.pricelist"].search(
            [("company_id", "in", [False, company.id])]
        )
        self.assertEqual(pricelists.currency_id, self.eur)

    def test_also_belgium(self):
        company = self.be
        self.assertEqual(company.name, "ALSO Belgium NV")
        self.assertEqual(company.currency_id, self.eur)
        self.assertEqual(company.country_id, self.env.ref("base.be"))
        self.assertEqual(company.chart_template, "be_comp")
        self.assertEqual(company.account_sale_tax_id.amount, 21.0)
        self.assertEqual(company.account_sale_tax_id.company_id, company)
        self.assertTrue(company.logo)
        self.assertNotEqual(company.logo, self.nl.logo)
        self.assertEqual(company.waas_invoice_journal_id.company_id, company)
        self.assertEqual(company.waas_invoice_journal_id.type, "sale")
        self.assertEqual(company.waas_credit_validity_days, 60)
        self.assertEqual(company.waas_pickup_fee_amount, 95.0)
        items = self.env["waas.pricelist.item"].search([("company_id", "=", company.id)])
        self.assertEqual(len(items), 15)
        self.assertEqual(items.currency_id, self.eur)
        # The WaaS bundles carry each company's own VAT.
        bundle = self.env.ref("also_waas.waas_demo_bundle_basic_product_template")
        self.assertIn(company.account_sale_tax_id, bundle.sudo().taxes_id)
        # Odoo's own Dutch demo company is out of the way.
        self.assertFalse(self.env.ref("base.demo_company_nl").active)

    def test_dutch_users(self):
        nl_nl = self.env["res.lang"]._lang_get("nl_NL")
        self.assertTrue(nl_nl.active)
        self.assertEqual(nl_nl.date_format, "%d-%m-%Y")
        users = (
            self.env.ref("also_waas.waas_demo_user_reseller_a")
            | self.env.ref("also_waas.waas_demo_user_customer")
            | self.env.ref("also_waas_demo.res_users_backoffice_nl")
        )
        self.assertEqual(set(users.mapped("lang")), {"nl_NL"})
        backoffice = self.env.ref("also_waas_demo.res_users_backoffice_nl")
        self.assertFalse(backoffice.share)
        self.assertTrue(backoffice.has_group("also_waas.group_waas_manager"))
        self.assertEqual(backoffice.company_id, self.nl)
        # Our addons' Dutch translations are loaded.
        action = self.env.ref("also_waas.sale_order_action_waas")
        self.assertEqual(action.with_context(lang="nl_NL").name, "WaaS-offertes")
