# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError

from .common import IBAN_CUSTOMER, IBAN_CUSTOMER_BE, WaasSepaCommon


class TestMandate(WaasSepaCommon):
    def test_iban_checked_and_compacted(self):
        with self.assertRaisesRegex(ValidationError, "not a valid IBAN"):
            self._create_waas_order(waas_iban="NL91ABNA0417164301")
        order = self._create_waas_order(waas_iban="nl91 abna 0417 1643 00")
        self.assertEqual(order.waas_iban, IBAN_CUSTOMER)
        with self.assertRaisesRegex(ValidationError, "not a valid IBAN"):
            order.waas_iban = "BE00 0000"

    def test_scheme_default_per_customer(self):
        self.assertEqual(self._create_waas_order().waas_mandate_scheme, "B2B")
        order_be = self._create_waas_order(partner=self.customer_be)
        self.assertEqual(order_be.waas_mandate_scheme, "CORE")

    def test_mandate_signed_with_quotation(self):
        order = self._create_waas_order(waas_iban=IBAN_CUSTOMER)
        order.action_waas_request_credit_check()
        check = order.waas_credit_check_id
        check.with_user(self.user_credit).action_approve()
        self.assertFalse(order.waas_mandate_id, "no mandate before the signature")
        self._sign_as_customer(order)
        mandate = order.waas_mandate_id
        self.assertRecordValues(
            mandate,
            [
                {
                    "state": "valid",
                    "format": "sepa",
                    "type": "recurrent",
                    "recurrent_sequence_type": "first",
                    "scheme": "B2B",
                    "signature_date": fields.Date.context_today(order, order.signed_on),
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                }
            ],
        )
        self.assertEqual(mandate.partner_bank_id.sanitized_acc_number, IBAN_CUSTOMER)
        self.assertNotIn(mandate.unique_mandate_reference, (False, "/", "New"))
        # Shown to the credit controller.
        self.assertEqual(
            check.with_user(self.user_credit).waas_mandate_reference,
            mandate.unique_mandate_reference,
        )
        self.assertEqual(check.waas_mandate_date, mandate.signature_date)
        # Activation: the contract is collected by direct debit.
        order.with_user(self.user_countersign).action_waas_countersign()
        order.action_confirm()
        contract = order.waas_contract_ids
        self.assertEqual(contract.waas_mandate_id, mandate)
        self.assertEqual(contract.waas_payment_method, "direct_debit")
        self.assertEqual(contract.waas_mandate_reference, mandate.unique_mandate_reference)

    def test_unique_references_and_existing_bank_account(self):
        self.env["res.partner.bank"].create(
            {"partner_id": self.customer_be.id, "acc_number": IBAN_CUSTOMER_BE}
        )
        orders = self._create_waas_order(
            partner=self.customer_be, waas_iban=IBAN_CUSTOMER_BE
        ) | self._create_waas_order(partner=self.customer_be, waas_iban=IBAN_CUSTOMER_BE)
        for order in orders:
            self._sign_as_customer(order)
        mandates = orders.waas_mandate_id
        self.assertEqual(len(mandates), 2)
        self.assertEqual(len(set(mandates.mapped("unique_mandate_reference"))), 2)
        self.assertEqual(len(mandates.partner_bank_id), 1, "the existing account is reused")
        self.assertEqual(set(mandates.mapped("scheme")), {"CORE"})

    def test_without_iban_bank_transfer(self):
        order = self._create_waas_order()
        contract = self._activate_order(order)
        self.assertFalse(order.waas_mandate_id)
        self.assertEqual(contract.waas_payment_method, "transfer")

    def test_mandate_link_guarded(self):
        order = self._create_waas_order(waas_iban=IBAN_CUSTOMER)
        self._sign_as_customer(order)
        mandate = order.waas_mandate_id
        with self.assertRaisesRegex(AccessError, "signed by the end customer"):
            order.with_user(self.user_manager).write({"waas_mandate_id": False})
        with self.assertRaisesRegex(UserError, "do not change"):
            order.with_user(self.user_manager).write({"waas_iban": IBAN_CUSTOMER_BE})
        order.with_user(self.user_countersign).action_waas_countersign()
        order.action_waas_request_credit_check()
        order.waas_credit_check_id.with_user(self.user_credit).action_approve()
        order.action_confirm()
        contract = order.waas_contract_ids
        with self.assertRaisesRegex(AccessError, "comes from the quotation"):
            contract.with_user(self.user_manager).write({"waas_mandate_id": False})
        self.assertEqual(contract.waas_mandate_id, mandate)

    def test_changed_quotation_cancels_mandate(self):
        order = self._create_waas_order(waas_iban=IBAN_CUSTOMER)
        self._sign_as_customer(order)
        mandate = order.waas_mandate_id
        order.write({"order_line": [Command.create({"product_id": self.option_monitor.id})]})
        self.assertFalse(order.signature)
        self.assertFalse(order.waas_mandate_id)
        self.assertEqual(mandate.state, "cancel")
        self._sign_as_customer(order)
        self.assertTrue(order.waas_mandate_id)
        self.assertNotEqual(order.waas_mandate_id, mandate)
