# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from odoo.addons.also_waas.tests.pdf_common import PdfReportMixin

from .common import WaasCreditControlCommon

LETTER = "also_waas_credit_control.action_report_waas_reminder_letter"


@tagged("post_install", "-at_install")
class TestWaasReminderLetter(PdfReportMixin, WaasCreditControlCommon):
    def test_letter_is_a_real_pdf_with_the_invoices(self):
        invoices = self._overdue_invoice(1234.56, 10) | self._overdue_invoice(789.01, 12)
        self._run_dunning()
        communication = self._lines(self.customer).communication_id
        self.assertEqual(len(communication), 1)
        pages = self._pdf_pages(self._print_pdf(LETTER, communication))
        text = " ".join(pages)
        self._assert_texts(
            text,
            [
                self.company.name,
                self.customer.name,
                "Friendly payment reminder",
                *invoices.mapped("name"),
                "1,234.56",
                "789.01",
                "2,023.57",
            ],
        )
