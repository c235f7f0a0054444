from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.also_waas.models import ir_actions_report
from odoo.addons.base.models import ir_actions_report as base_report

from .pdf_common import COMPANY_VAT, PdfReportMixin
from .test_invoicing import InvoicingCommon

INVOICE_REPORT = "account.account_invoices"
PRICELIST_REPORT = "also_waas.waas_pricelist_item_report"


@tagged("post_install", "-at_install")
class TestReportPdf(PdfReportMixin, InvoicingCommon):
    """Every PDF is printed for real (headless Chromium), with the supplier's name, address
    and VAT number, page numbers, the paper format, and one PDF per record in a batch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.with_context(no_vat_validation=True).vat = COMPANY_VAT
        cls.customer_c = cls.customer.copy({"name": "Test End Customer Three"})
        contracts = (
            cls._new_contract(products=[(cls.bundle, 1)])
            | cls._new_contract(partner=cls.customer_be, products=[(cls.bundle, 2)])
            | cls._new_contract(partner=cls.customer_c, products=[(cls.bundle, 3)])
        )
        cls.invoices = cls.env["waas.contract"]._waas_invoice_run(
            date=fields.Date.to_date("2026-01-15"),
            domain=[("id", "in", contracts.ids)],
        )
        cls.invoices.action_post()
        cls.invoices = cls.invoices.sorted(lambda m: m.amount_untaxed)

    def _assert_supplier(self, text):
        self._assert_texts(text, [self.company.name, COMPANY_VAT, self.company.city or ""])

    def _assert_invoice(self, text, invoice):
        self._assert_supplier(text)
        self._assert_texts(
            text,
            [
                invoice.name,
                invoice.partner_id.name,
                f"{invoice.amount_untaxed:,.2f}",
                f"{invoice.amount_total:,.2f}",
                "Page 1 / 1",
            ],
        )

    def test_invoice_pdf(self):
        invoice = self.invoices[0]
        pages = self._pdf_pages(self._print_pdf(INVOICE_REPORT, invoice))
        self.assertEqual(len(pages), 1)
        self._assert_invoice(pages[0], invoice)

    def test_invoice_batch_one_pdf_per_invoice(self):
        self.assertEqual(len(self.invoices), 3)
        self.assertEqual(len(set(self.invoices.partner_id.ids)), 3)
        # Odoo splits a batch into one PDF per invoice (its attachment, its e-mail).
        per_invoice = self._print_pdf_per_record(INVOICE_REPORT, self.invoices)
        self.assertEqual(set(per_invoice), set(self.invoices.ids))
        for invoice in self.invoices:
            pages = self._pdf_pages(per_invoice[invoice.id])
            self.assertEqual(len(pages), 1)
            self._assert_invoice(pages[0], invoice)
            for other in self.invoices - invoice:
                self.assertNotIn(other.partner_id.name, pages[0])
        # One print of three invoices: three pages, each its invoice's, numbered 1 / 1.
        pages = self._pdf_pages(self._print_pdf(INVOICE_REPORT, self.invoices))
        self.assertEqual(len(pages), 3)
        for page, invoice in zip(pages, self.invoices, strict=True):
            self._assert_invoice(page, invoice)

    def test_batch_split_with_multi_page_invoice(self):
        """A record of several pages in a batch: Odoo splits by the PDF's outline, one entry
        per record, and each record's pages are numbered on their own."""
        long_invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer_c.id,
                "invoice_line_ids": [
                    Command.create({"name": f"Service line {n}", "quantity": 1, "price_unit": n})
                    for n in range(1, 61)
                ],
            }
        )
        long_invoice.action_post()
        batch = long_invoice | self.invoices[0]
        per_invoice = self._print_pdf_per_record(INVOICE_REPORT, batch)
        self.assertEqual(set(per_invoice), set(batch.ids))
        long_pages = self._pdf_pages(per_invoice[long_invoice.id])
        self.assertGreaterEqual(len(long_pages), 2)
        total = len(long_pages)
        for number, page in enumerate(long_pages, start=1):
            self.assertIn(f"Page {number} / {total}", page)
            self._assert_supplier(page)
        self.assertIn("Service line 1 ", long_pages[0])
        self.assertIn(f"{long_invoice.amount_total:,.2f}", long_pages[-1])
        short_pages = self._pdf_pages(per_invoice[self.invoices[0].id])
        self.assertEqual(len(short_pages), 1)
        self._assert_invoice(short_pages[0], self.invoices[0])

    def test_pricelist_pdf_and_paper_format(self):
        items = self.env["waas.pricelist.item"].search(
            [("product_tmpl_id", "=", self.bundle.product_tmpl_id.id)]
        )
        pdf = self._print_pdf(PRICELIST_REPORT, items)
        text = " ".join(self._pdf_pages(pdf))
        self._assert_supplier(text)
        self._assert_texts(text, ["WaaS Price List", "Test Laptop Bundle", "40.00", "Page 1 /"])
        # The report's paper format: A4 (European), portrait; landscape when asked.
        self.assertEqual(self._pdf_page_size(pdf), (210, 297))
        landscape = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True, landscape=True)
            ._render_qweb_pdf(PRICELIST_REPORT, items.ids)[0]
        )
        self.assertEqual(self._pdf_page_size(landscape), (297, 210))

    def test_no_chromium_clear_error(self):
        with (
            patch.object(ir_actions_report, "_chromium_binary", return_value=None),
            self.assertRaisesRegex(UserError, "Chromium is not installed"),
        ):
            self._print_pdf(INVOICE_REPORT, self.invoices[0])

    def test_wkhtmltopdf_by_parameter(self):
        """``also_waas.pdf_renderer = wkhtmltopdf`` gives Odoo's own path back."""
        Report = self.env["ir.actions.report"]
        self.assertEqual(Report.get_wkhtmltopdf_state(), "ok")
        self.env["ir.config_parameter"].set_param("also_waas.pdf_renderer", "wkhtmltopdf")
        self.assertEqual(Report.get_wkhtmltopdf_state(), base_report.wkhtmltopdf_state)
