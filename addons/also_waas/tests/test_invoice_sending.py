import base64
from datetime import timedelta
from unittest.mock import patch

from lxml import etree
from psycopg2.errors import SerializationFailure

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, RecordCapturer, tagged

from odoo.addons.account_peppol.models.account_edi_proxy_user import (
    AccountEdiProxyClientUser,
)
from odoo.addons.account_peppol.models.res_partner import ResPartner

from .common import WaasRpcMixin
from .test_einvoice import NS, EinvoiceCommon
from .test_invoicing import InvoicingCommon

# The fields that say how a WaaS invoice was posted and sent, with a value to forge.
FORGED = {
    "waas_send_state": "sent",
    "waas_sent_on": "2026-01-20 10:00:00",
    "waas_send_error": False,
    "waas_send_failed_on": False,
    "waas_einvoice_channel": "peppol",
    "waas_einvoice_error": "forged",
    "waas_post_error": "forged",
    "waas_post_failed_on": "2026-01-20",
}


@tagged("post_install", "-at_install")
class TestInvoiceSending(EinvoiceCommon):
    """Posted WaaS invoices are sent once, in batches, by the scheduled action "WaaS: send
    invoices": e-mail with PDF and UBL, or Peppol; failures are visible and retried."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.email = "billing@also.example.com"
        cls.customer.email = "accounts@customer-nl.example.com"
        cls.customer_be.email = "accounts@customer-be.example.com"
        # Invoices of the demo data are not part of these tests.
        cls.env["account.move"].search([("waas_send_state", "!=", False)]).waas_send_state = False
        cls.Move = cls.env["account.move"]

    def _posted_invoice(self, partner):
        invoice = super()._posted_invoice(partner)
        self.assertEqual(invoice.waas_send_state, "to_send")
        return invoice

    def _mails(self, invoice):
        return self.env["mail.mail"].search(
            [("model", "=", "account.move"), ("res_id", "=", invoice.id)]
        )

    def test_email_with_pdf_and_ubl_once(self):
        invoice = self._posted_invoice(self.customer)
        self.assertEqual(invoice.waas_einvoice_channel, "email")
        self.assertEqual(
            self.Move.with_context(force_report_rendering=True)._cron_waas_send_invoices(), 1
        )
        self.assertEqual(invoice.waas_send_state, "sent")
        self.assertTrue(invoice.waas_sent_on)
        mail = self._mails(invoice)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn(invoice.name, mail.subject)
        self.assertEqual(len(mail.attachment_ids), 2)
        pdf = mail.attachment_ids.filtered(lambda a: a.mimetype == "application/pdf")
        self.assertTrue(pdf.raw.startswith(b"%PDF-"))
        self.assertEqual(pdf, invoice.invoice_pdf_report_id)
        self.assertEqual(mail.attachment_ids - pdf, invoice.ubl_cii_xml_id)
        # The UBL carries the PDF, as Odoo's Send embeds it.
        tree = etree.fromstring(invoice.ubl_cii_xml_id.raw)
        embedded = tree.find(
            "cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS
        )
        self.assertEqual(embedded.get("mimeCode"), "application/pdf")
        self.assertEqual(embedded.get("filename"), pdf.name)
        self.assertEqual(base64.b64decode(embedded.text), pdf.raw)
        # A second call (a rerun, another worker) sends nothing more.
        self.assertEqual(self.Move._cron_waas_send_invoices(), 0)
        self.assertEqual(len(self._mails(invoice)), 1)
        self.assertEqual(invoice.waas_send_state, "sent")

    def test_serialization_conflict_sends_nothing_and_calls_again(self):
        """A second worker that sent and committed some of these invoices after this call's
        snapshot makes the lock fail: nothing is sent by this call, no error is raised to
        the runner, the job is called again at once, and the next call sends the invoice."""
        invoice = self._posted_invoice(self.customer)
        cron = self.env.ref("also_waas.waas_invoice_send_cron")
        with (
            patch.object(
                type(self.Move),
                "_waas_lock_to_send",
                side_effect=SerializationFailure("could not serialize access"),
            ),
            RecordCapturer(self.env["ir.cron.trigger"], [("cron_id", "=", cron.id)]) as capt,
        ):
            self.assertEqual(self.Move._cron_waas_send_invoices(), 0)
        self.assertTrue(capt.records)
        self.assertEqual(invoice.waas_send_state, "to_send")
        self.assertFalse(self._mails(invoice))
        self.assertEqual(
            self.Move.with_context(force_report_rendering=True)._cron_waas_send_invoices(), 1
        )
        self.assertEqual(invoice.waas_send_state, "sent")

    def test_peppol_without_registration_fails_visibly(self):
        invoice = self._posted_invoice(self.customer_be)
        self.assertEqual(invoice.waas_einvoice_channel, "peppol")
        self.Move._cron_waas_send_invoices()
        self.assertEqual(invoice.waas_send_state, "error")
        self.assertIn("not registered on Peppol", invoice.waas_send_error)
        self.assertTrue(invoice.ubl_cii_xml_id)
        self.assertFalse(self._mails(invoice))
        self.assertEqual(len(invoice.activity_ids), 1)

    def test_peppol_through_the_access_point(self):
        invoice = self._posted_invoice(self.customer_be)
        self.company.account_peppol_proxy_state = "sender"
        with (
            patch.object(ResPartner, "_get_peppol_verification_state", return_value="valid"),
            patch.object(
                AccountEdiProxyClientUser,
                "_call_peppol_proxy",
                return_value={"messages": [{"message_uuid": "waas-test-uuid"}]},
            ) as call,
        ):
            self.Move._cron_waas_send_invoices()
        self.assertEqual(invoice.waas_send_state, "sent")
        self.assertEqual(invoice.peppol_move_state, "processing")
        self.assertEqual(invoice.peppol_message_uuid, "waas-test-uuid")
        documents = call.call_args.kwargs["params"]["documents"]
        self.assertEqual(len(documents), 1)
        self.assertEqual(documents[0]["receiver"], f"0208:{self.customer_be.peppol_endpoint}")
        self.assertFalse(self._mails(invoice))

    def test_failed_sending_is_retried(self):
        self.customer.email = False
        invoice = self._posted_invoice(self.customer)
        self.Move._cron_waas_send_invoices()
        self.assertEqual(invoice.waas_send_state, "error")
        self.assertIn("no e-mail address", invoice.waas_send_error)
        self.assertEqual(len(invoice.activity_ids), 1)
        # Tried again a day later; failing again gives no second activity.
        self.Move._cron_waas_send_invoices()
        self.assertEqual(invoice.waas_send_state, "error")
        invoice.waas_send_failed_on = fields.Datetime.now() - timedelta(days=2)
        self.assertEqual(self.Move._cron_waas_send_invoices(), 1)
        self.assertEqual(invoice.waas_send_state, "error")
        self.assertEqual(len(invoice.activity_ids), 1)
        # Fixed, and sent again by the button.
        self.customer.email = "accounts@customer-nl.example.com"
        with self.assertRaises(UserError):
            invoice.with_user(self.user_waas).action_waas_retry_sending()
        invoice.action_waas_retry_sending()
        self.assertEqual(invoice.waas_send_state, "to_send")
        self.Move._cron_waas_send_invoices()
        self.assertEqual(invoice.waas_send_state, "sent")
        self.assertFalse(invoice.waas_send_error)
        self.assertEqual(len(self._mails(invoice)), 1)
        with self.assertRaises(UserError):
            invoice.action_waas_retry_sending()

    def test_batches_report_progress(self):
        partners = self.customer | self.customer.copy({"name": "Test End Customer Two"})
        partners |= self.customer.copy({"name": "Test End Customer Three"})
        contracts = self.env["waas.contract"]
        for partner in partners:
            contracts |= self._new_contract(partner=partner)
        invoices = self._run("2026-01-15", contracts)
        self.assertEqual(len(invoices), 3)
        with patch.object(type(self.env["ir.cron"]), "_notify_progress") as notify:
            self.assertEqual(self.Move._cron_waas_send_invoices(chunk_size=2), 2)
            notify.assert_called_once_with(done=2, remaining=1)
            self.assertEqual(self.Move._cron_waas_send_invoices(chunk_size=2), 1)
            notify.assert_called_with(done=1, remaining=0)
        self.assertEqual(set(invoices.mapped("waas_send_state")), {"sent"})
        mails = self.env["mail.mail"].search(
            [("model", "=", "account.move"), ("res_id", "in", invoices.ids)]
        )
        self.assertEqual(len(mails), 3)
        self.assertEqual(mails.mapped("recipient_ids"), partners)

    def test_sent_with_odoo_send_is_not_sent_again(self):
        invoice = self._posted_invoice(self.customer)
        # Accounting sends it by hand with Odoo's Send (e-mail), as its wizard does.
        self.env["account.move.send"].with_user(self.user_accountant)._generate_and_send_invoices(
            invoice, sending_methods={"email"}
        )
        self.assertEqual(invoice.waas_send_state, "sent")
        self.assertTrue(invoice.waas_sent_on)
        mails = self._mails(invoice)
        self.assertEqual(self.Move._cron_waas_send_invoices(), 0)
        self.assertEqual(self._mails(invoice), mails)
        self.assertEqual(invoice.waas_send_state, "sent")
        # A download only ("manual") does not count as sent.
        other = self._posted_invoice(self.customer)
        self.env["account.move.send"]._generate_and_send_invoices(other, sending_methods={"manual"})
        self.assertEqual(other.waas_send_state, "to_send")

    def test_accountant_cannot_mark_sent_by_editing(self):
        failed = self._posted_invoice(self.customer)
        self.customer.email = False
        self.Move._cron_waas_send_invoices()
        self.assertEqual(failed.waas_send_state, "error")
        self.customer.email = "accounts@customer-nl.example.com"
        invoice = self._posted_invoice(self.customer)
        fnames = list(FORGED)
        for move in invoice | failed:
            before = move.read(fnames)
            for fname, value in FORGED.items():
                with self.assertRaisesRegex(AccessError, "change only through its buttons"):
                    move.with_user(self.user_accountant).write({fname: value})
            self.env.invalidate_all()
            self.assertEqual(move.read(fnames), before)
        with self.assertRaisesRegex(AccessError, "set only by its posting and sending"):
            self.Move.with_user(self.user_accountant).create(
                {"move_type": "out_invoice", "partner_id": self.customer.id, **FORGED}
            )
        # The button still works for the accountant.
        failed.with_user(self.user_accountant).action_waas_retry_sending()
        self.assertEqual(failed.waas_send_state, "to_send")

    def test_accountant_posts_a_draft_waas_invoice(self):
        self.company.waas_invoice_auto_post = False
        invoice = self._run("2026-01-15", self._new_contract(partner=self.customer))
        self.assertEqual(invoice.state, "draft")
        invoice.with_user(self.user_accountant).action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.waas_einvoice_channel, "email")
        self.assertEqual(invoice.waas_send_state, "to_send")


@tagged("post_install", "-at_install")
class TestInvoiceSendingGuard(WaasRpcMixin, HttpCase, InvoicingCommon):
    """The sending fields of an invoice, written over XML-RPC as an accountant: refused."""

    def test_accountant_cannot_mark_sent_over_xmlrpc(self):
        self.company.waas_invoice_auto_post = True
        invoice = self._run("2026-01-15", self._new_contract(partner=self.customer))
        self.assertEqual(invoice.waas_send_state, "to_send")
        fnames = list(FORGED)
        before = invoice.read(fnames)
        for fname, value in FORGED.items():
            self._assert_fault(
                "change only through its buttons",
                self.user_accountant,
                "account.move",
                "write",
                [invoice.id],
                {fname: value},
            )
        self.assertEqual(invoice.read(fnames), before)
