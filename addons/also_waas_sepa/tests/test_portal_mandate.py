# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import HttpCase, tagged

from odoo.addons.also_waas.tests.common_portal import WaasPortalCommon

from .common import IBAN_CUSTOMER, WaasSepaCommon

MASKED_IBAN = "NL** **** **** **43 00"


@tagged("post_install", "-at_install")
class TestPortalMandate(HttpCase, WaasSepaCommon, WaasPortalCommon):
    """The contract page: the end customer sees its mandate (IBAN masked), the reseller
    only how the contract is paid."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        order = cls._create_waas_order(
            partner=cls.customer, reseller=cls.reseller, waas_iban=IBAN_CUSTOMER
        )
        cls.contract = cls._activate_order(order)
        cls.mandate = cls.contract.waas_mandate_id
        cls.url = f"/my/waas/contracts/{cls.contract.id}"

    def _page(self, login):
        self.authenticate(login, login)
        response = self.url_open(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.contract.name, response.text)
        return response.text

    def test_masked_iban(self):
        self.assertEqual(self.contract._waas_portal_masked_iban(), MASKED_IBAN)

    def test_end_customer_sees_its_mandate(self):
        text = self._page("portal_ca")
        self.assertIn(MASKED_IBAN, text)
        self.assertIn(self.mandate.unique_mandate_reference, text)
        self.assertIn("SEPA Direct Debit", text)
        self.assertIn("Enterprise (B2B)", text)
        self.assertNotIn(IBAN_CUSTOMER, text)
        self.assertNotIn("NL91 ABNA", text)

    def test_reseller_sees_no_iban(self):
        text = self._page("portal_ra")
        self.assertIn("SEPA Direct Debit", text)
        self.assertNotIn(MASKED_IBAN, text)
        self.assertNotIn("43 00", text)
        self.assertNotIn(self.mandate.unique_mandate_reference, text)
        self.assertNotIn("o_waas_mandate_iban", text)

    def test_returned_debit_shown_reason_only_to_end_customer(self):
        self.contract._waas_debit_returned(self.contract.date_start, "[AM04] Insufficient funds")
        text = self._page("portal_ca")
        self.assertIn("o_waas_debit_returned", text)
        self.assertIn("AM04", text)
        text = self._page("portal_ra")
        self.assertIn("o_waas_debit_returned", text)
        self.assertNotIn("AM04", text)
