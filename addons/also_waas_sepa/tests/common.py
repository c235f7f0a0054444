# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.addons.also_waas.tests.common import WaasCommon

# Valid IBANs (checked with python-stdnum).
IBAN_CUSTOMER = "NL91ABNA0417164300"
IBAN_COMPANY = "NL20INGB0001234567"
IBAN_CUSTOMER_BE = "DE89370400440532013000"


class WaasSepaCommon(WaasCommon):
    """WaasCommon plus what SEPA direct debit needs: the company's creditor identifier,
    bank account and bank journal, and its WaaS direct debit payment mode."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sdd_method = cls.env.ref("account_banking_sepa_direct_debit.sepa_direct_debit")
        cls.company.write({"sepa_creditor_identifier": "FR78ZZZ424242"})
        bank = cls.env["res.bank"].create({"name": "Test ING", "bic": "INGBNL2AXXX"})
        cls.company_bank = cls.env["res.partner.bank"].create(
            {
                "acc_number": IBAN_COMPANY,
                "bank_id": bank.id,
                "partner_id": cls.company.partner_id.id,
                "company_id": cls.company.id,
            }
        )
        cls.bank_journal = cls.env["account.journal"].create(
            {
                "name": "WaaS Direct Debit Bank",
                "type": "bank",
                "code": "WSDD",
                "company_id": cls.company.id,
                "bank_account_id": cls.company_bank.id,
                "inbound_payment_method_line_ids": [
                    (0, 0, {"payment_method_id": cls.sdd_method.id})
                ],
            }
        )
        cls.sdd_mode = cls.env["account.payment.mode"].create(
            {
                "name": "WaaS SEPA Direct Debit",
                "company_id": cls.company.id,
                "payment_method_id": cls.sdd_method.id,
                "bank_account_link": "fixed",
                "fixed_journal_id": cls.bank_journal.id,
            }
        )
        cls.company.write(
            {"waas_sdd_payment_mode_id": cls.sdd_mode.id, "waas_invoice_auto_post": True}
        )
        cls.customer_be.waas_mandate_scheme = "CORE"
