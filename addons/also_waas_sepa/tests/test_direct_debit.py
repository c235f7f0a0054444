# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64

from freezegun import freeze_time
from lxml import etree

from odoo import fields
from odoo.tools.misc import file_path

from .common import IBAN_CUSTOMER, IBAN_CUSTOMER_BE, WaasSepaCommon

PAIN_NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


class TestDirectDebit(WaasSepaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sdd_method.pain_version = "pain.008.001.02"
        cls.order_nl = cls._create_waas_order(waas_iban=IBAN_CUSTOMER)
        cls.order_be = cls._create_waas_order(partner=cls.customer_be, waas_iban=IBAN_CUSTOMER_BE)
        cls.order_transfer = cls._create_waas_order()
        cls.contracts = (
            cls._activate_order(cls.order_nl)
            | cls._activate_order(cls.order_be)
            | cls._activate_order(cls.order_transfer)
        )
        cls.contract_nl, cls.contract_be, cls.contract_transfer = cls.contracts

    def _run(self):
        return self.env["waas.contract"]._waas_invoice_run(
            date=fields.Date.context_today(self.env.user),
            domain=[("id", "in", self.contracts.ids)],
        )

    def test_invoices_collected_by_mandate_or_transfer(self):
        invoices = self._run()
        inv_nl = invoices.filtered(lambda m: m.waas_contract_id == self.contract_nl)
        inv_transfer = invoices.filtered(lambda m: m.waas_contract_id == self.contract_transfer)
        self.assertEqual(inv_nl.state, "posted")
        self.assertEqual(inv_nl.payment_mode_id, self.sdd_mode)
        self.assertEqual(inv_nl.mandate_id, self.order_nl.waas_mandate_id)
        self.assertFalse(inv_transfer.payment_mode_id)
        self.assertFalse(inv_transfer.mandate_id)
        self.assertFalse(inv_transfer.line_ids.payment_line_ids)

    def test_one_payment_order_per_company_and_date(self):
        invoices = self._run()
        debited = invoices.filtered("mandate_id")
        self.assertEqual(len(debited), 2)
        pay_lines = debited.line_ids.payment_line_ids
        self.assertEqual(len(pay_lines), 2)
        order = pay_lines.order_id
        self.assertEqual(len(order), 1, "one order for the company and collection date")
        self.assertRecordValues(
            order,
            [
                {
                    "state": "draft",
                    "payment_type": "inbound",
                    "payment_mode_id": self.sdd_mode.id,
                    "date_prefered": "fixed",
                    "date_scheduled": fields.Date.context_today(self.env.user),
                    "company_id": self.company.id,
                }
            ],
        )
        self.assertEqual(set(pay_lines.mapped("mandate_id")), set(self.contracts.waas_mandate_id))
        # Filing again (a second batch, the next run) adds nothing twice.
        self.assertFalse(debited._waas_sdd_add_to_payment_orders())
        self.assertEqual(len(debited.line_ids.payment_line_ids), 2)

    def test_pain_008_valid(self):
        invoices = self._run()
        inv_nl = invoices.filtered(lambda m: m.waas_contract_id == self.contract_nl)
        mandate = self.order_nl.waas_mandate_id
        order = inv_nl.line_ids.payment_line_ids.order_id
        order.draft2open()
        action = order.open2generated()
        self.assertEqual(order.state, "generated")
        attachment = self.env["ir.attachment"].browse(action["res_id"])
        xml = base64.b64decode(attachment.datas)
        # OCA validates the file against its XSD when generating; check it again here.
        schema = etree.XMLSchema(
            etree.parse(file_path("account_banking_sepa_direct_debit/data/pain.008.001.02.xsd"))
        )
        root = etree.fromstring(xml)
        schema.assertValid(root)
        tx = root.xpath(
            "//p:DrctDbtTxInf[p:DrctDbtTx/p:MndtRltdInf/p:MndtId=$ref]",
            namespaces=PAIN_NS,
            ref=mandate.unique_mandate_reference,
        )
        self.assertEqual(len(tx), 1)
        self.assertEqual(
            tx[0].xpath("string(p:DbtrAcct/p:Id/p:IBAN)", namespaces=PAIN_NS), IBAN_CUSTOMER
        )
        amount = tx[0].xpath("p:InstdAmt", namespaces=PAIN_NS)[0]
        self.assertAlmostEqual(float(amount.text), inv_nl.amount_total)
        self.assertEqual(amount.get("Ccy"), inv_nl.currency_id.name)
        self.assertEqual(
            tx[0].xpath("string(p:DrctDbtTx/p:MndtRltdInf/p:DtOfSgntr)", namespaces=PAIN_NS),
            fields.Date.to_string(mandate.signature_date),
        )
        # First debit of a new mandate: FRST; after upload the mandate goes on RCUR.
        seq_types = root.xpath("//p:PmtInf/p:PmtTpInf/p:SeqTp/text()", namespaces=PAIN_NS)
        self.assertEqual(set(seq_types), {"FRST"})
        schemes = root.xpath("//p:PmtInf/p:PmtTpInf/p:LclInstrm/p:Cd/text()", namespaces=PAIN_NS)
        self.assertEqual(set(schemes), {"B2B", "CORE"})
        order.generated2uploaded()
        self.assertEqual(mandate.recurrent_sequence_type, "recurring")
        # Paid by the direct debit (Odoo: "in payment" until the bank statement matches).
        self.assertEqual(inv_nl.amount_residual, 0.0)
        self.assertEqual(inv_nl.payment_state, "in_payment")

    def test_invoice_posted_later_is_debited(self):
        """An invoice the run could not post goes into the debit order when the daily
        retry posts it."""
        currency = self.env.ref("base.CHF")
        if currency == self.currency:
            currency = self.env.ref("base.EUR")
        currency.active = True
        mandate = self.order_nl.waas_mandate_id
        contract = self._create_contract(
            term=12, currency_id=currency.id, waas_mandate_id=mandate.id
        )
        currency.active = False  # Odoo refuses to post in an inactive currency
        Contract = self.env["waas.contract"]
        with freeze_time("2026-02-01"):
            moves = Contract._waas_invoice_run(date="2026-02-01", domain=[("id", "=", contract.id)])
        self.assertEqual(len(moves), 2)
        self.assertEqual(set(moves.mapped("state")), {"draft"})
        self.assertEqual(moves.payment_mode_id, self.sdd_mode)
        self.assertFalse(moves.line_ids.payment_line_ids)
        with freeze_time("2026-02-02"):
            currency.active = True
            tried = Contract._waas_retry_posting(domain=[("id", "=", contract.id)])
            self.assertEqual(tried, moves)
            self.assertEqual(set(moves.mapped("state")), {"posted"})
            pay_lines = moves.line_ids.payment_line_ids
            self.assertEqual(len(pay_lines), 2)
            self.assertEqual(pay_lines.order_id.date_scheduled, fields.Date.to_date("2026-02-02"))
            self.assertEqual(pay_lines.mandate_id, mandate)
