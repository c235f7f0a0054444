"""Print reports to real PDFs in tests and read their text back.

In test mode Odoo renders a report's HTML instead of its PDF unless the context says
``force_report_rendering``: these helpers print as a user's *Print* does, with the PDF
renderer of ``ir.actions.report`` (headless Chromium), and read the text with PyPDF2.
"""

import io
import re

from odoo.tools.pdf import PdfFileReader

# The Dutch tax office's test VAT number (valid for python-stdnum).
COMPANY_VAT = "NL000099998B57"


class PdfReportMixin:
    def _pdf_pages(self, pdf):
        """The text of each page of ``pdf`` (bytes), whitespace collapsed."""
        self.assertTrue(pdf.startswith(b"%PDF-"), "not a PDF")
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]

    def _pdf_page_size(self, pdf):
        """(width, height) in mm of the first page."""
        box = PdfFileReader(io.BytesIO(pdf), strict=False).pages[0].mediabox
        return round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)

    def _print_pdf(self, report_ref, records):
        """The PDF that *Print* gives for ``records`` (several records: one PDF of all)."""
        pdf, report_format = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report_ref, records.ids)
        )
        self.assertEqual(report_format, "pdf")
        return pdf

    def _print_pdf_per_record(self, report_ref, records):
        """{record id: PDF bytes}: Odoo's split of a batch print into one PDF per record
        (what it saves as each record's attachment and sends by e-mail)."""
        streams = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf_prepare_streams(report_ref, {}, res_ids=records.ids)
        )
        return {
            res_id: data["stream"].getvalue() for res_id, data in streams.items() if data["stream"]
        }

    def _assert_texts(self, text, expected):
        """Each snippet is in ``text``; spaces do not count (a narrow column wraps a
        reference, and text extraction puts spaces around hyphens)."""
        squashed = re.sub(r"\s+", "", text)
        for snippet in expected:
            self.assertIn(re.sub(r"\s+", "", snippet), squashed, f"{snippet!r} not in {text!r}")
