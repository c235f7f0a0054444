from lxml import etree

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import KVK_NL, REGISTRY_BE, VAT_NL
from .test_invoicing import InvoicingCommon

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


class EinvoiceCommon(InvoicingCommon):
    """A Dutch company with the address and VAT number an e-invoice needs, posting its
    WaaS invoices at once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "country_id": cls.env.ref("base.nl").id,
                "vat": VAT_NL,
                "street": "Lange Kleiweg 52",
                "zip": "2288 GK",
                "city": "Rijswijk",
                "waas_invoice_auto_post": True,
            }
        )

    def _posted_invoice(self, partner):
        """The posted invoice of January 2026 of a new contract of ``partner``."""
        invoice = self._run("2026-01-15", self._new_contract(partner=partner))
        self.assertEqual(invoice.state, "posted")
        return invoice


@tagged("post_install", "-at_install")
class TestEinvoice(EinvoiceCommon):
    """Posted WaaS invoices of a customer with a Peppol endpoint go out as Peppol BIS
    Billing 3.0 UBL (Odoo's account_edi_ubl_cii); the others by e-mail."""

    def test_belgian_customer_gets_bis3_ubl(self):
        # Odoo derives the Belgian endpoint (0208) from the enterprise number.
        self.assertEqual(self.customer_be.peppol_eas, "0208")
        self.assertEqual(self.customer_be.peppol_endpoint, REGISTRY_BE)
        invoice = self._posted_invoice(self.customer_be)
        self.assertEqual(invoice.waas_einvoice_channel, "peppol")
        self.assertEqual(invoice._waas_export_ubl(), invoice)
        self.assertTrue(invoice.ubl_cii_xml_id)
        self.assertFalse(invoice.waas_einvoice_error)
        tree = etree.fromstring(invoice.ubl_cii_xml_id.raw)
        self.assertEqual(
            tree.findtext("cbc:CustomizationID", namespaces=NS),
            "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
        )
        supplier_vat = tree.xpath(
            "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID/text()",
            namespaces=NS,
        )
        self.assertEqual(supplier_vat, [VAT_NL])
        endpoint = tree.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", NS)
        self.assertEqual((endpoint.get("schemeID"), endpoint.text), ("0208", REGISTRY_BE))
        total = tree.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS)
        self.assertAlmostEqual(float(total), invoice.amount_total)
        self.assertEqual(tree.findtext("cac:OrderReference/cbc:ID", namespaces=NS), invoice.ref)
        # Generated once: a second call leaves the invoice alone.
        attachment = invoice.ubl_cii_xml_id
        self.assertFalse(invoice._waas_export_ubl())
        self.assertEqual(invoice.ubl_cii_xml_id, attachment)

    def test_dutch_customer_without_endpoint_gets_email(self):
        self.assertFalse(self.customer.peppol_endpoint)
        invoice = self._posted_invoice(self.customer)
        self.assertEqual(invoice.waas_einvoice_channel, "email")

    def test_endpoints_are_checked(self):
        Partner = self.env["res.partner"]
        nl, be = self.env.ref("base.nl"), self.env.ref("base.be")
        self.assertEqual(
            Partner._waas_peppol_vals("", nl, KVK_NL),
            {"peppol_eas": "0106", "peppol_endpoint": KVK_NL},
        )
        self.assertEqual(
            Partner._waas_peppol_vals("", be, "0477.472.701"),
            {"peppol_eas": "0208", "peppol_endpoint": REGISTRY_BE},
        )
        self.assertEqual(
            Partner._waas_peppol_vals("0190:00000001003214345000", nl, KVK_NL),
            {"peppol_eas": "0190", "peppol_endpoint": "00000001003214345000"},
        )
        for peppol_id, country in (
            ("0208:0477472702", be),  # wrong check digits (python-stdnum)
            ("0106:1234", nl),
            ("0190:123", nl),
            ("", self.env.ref("base.de")),
        ):
            with self.assertRaises(ValidationError, msg=peppol_id):
                Partner._waas_peppol_vals(peppol_id, country, "")
        with self.assertRaisesRegex(ValidationError, "not valid"):
            self.customer_be.peppol_endpoint = "0477472702"

    def test_credit_controller_sets_the_endpoint(self):
        order = self._create_waas_order()
        order.action_waas_request_credit_check()
        check = order.waas_credit_check_id
        with self.assertRaises(AccessError):
            check.with_user(self.user_waas).partner_peppol_endpoint = KVK_NL
        check.with_user(self.user_credit).write(
            {"partner_peppol_eas": "0106", "partner_peppol_endpoint": KVK_NL}
        )
        self.assertEqual(order.partner_id.peppol_eas, "0106")
        self.assertEqual(order.partner_id.peppol_endpoint, KVK_NL)
        with self.assertRaisesRegex(ValidationError, "not valid"):
            check.with_user(self.user_credit).partner_peppol_endpoint = "1234"
