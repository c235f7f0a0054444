from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from odoo.addons.also_waas.tests.pdf_common import PdfReportMixin

from .common import ReturnsCommon


@tagged("post_install", "-at_install")
class TestWiping(PdfReportMixin, ReturnsCommon):
    def _received_return(self, devices=2):
        ret = self._confirm_self_return(self._ended_contract(devices=devices).waas_return_ids)
        self._receive(ret)
        return ret

    def test_lapsed_certification_refused(self):
        ret = self._received_return(1)
        with self.assertRefused(ValidationError, "is not a wiping company certified on"):
            self._wipe(ret.line_ids, wiper=self.wiper_lapsed)
        # Not yet certified on the wipe date either.
        with self.assertRefused(ValidationError, "is not a wiping company certified on"):
            self._wipe(ret.line_ids, date="2024-06-30")
        # A partner that is no wiping company at all.
        with self.assertRefused(ValidationError, "is not a wiping company certified on"):
            self._wipe(ret.line_ids, wiper=self.reseller)
        self.assertFalse(ret.line_ids.wipe_id)
        # The lapsed company, on a date it was certified, is fine.
        wipe = self._wipe(ret.line_ids, wiper=self.wiper_lapsed, date="2024-12-31")
        self.assertEqual(wipe.wiper_certificate, "ADISA-2020-009")

    def test_wiper_certification_dates_required(self):
        with self.assertRefused(ValidationError, "cannot end before it starts"):
            self.wiper.waas_wiper_valid_to = "2024-01-01"
        with self.assertRefused(ValidationError, "certificate number and its validity"):
            self.wiper.waas_wiper_certificate = False

    def test_wipe_needs_received_device(self):
        ret = self._confirm_self_return(self._ended_contract(devices=1).waas_return_ids)
        with self.assertRefused(ValidationError, "is not received yet"):
            self._wipe(ret.line_ids)

    def test_close_refused_until_received_and_wiped(self):
        contract = self._ended_contract(devices=2)
        ret = contract.waas_return_ids
        with self.assertRefused(UserError, "is not confirmed"):
            ret.action_done()
        self._confirm_self_return(ret)
        with self.assertRefused(UserError, "until every device is received and wiped"):
            ret.action_done()
        first, second = ret.line_ids
        self._receive(ret, lots=first.lot_id, backorder=True)
        self._wipe(first)
        self.assertEqual(ret.state, "partial")
        with self.assertRefused(UserError, f"Not received: {second.lot_id.name}"):
            ret.action_done()
        self._receive(ret)
        self.assertEqual(ret.state, "received")
        with self.assertRefused(UserError, f"Not wiped: {second.lot_id.name}"):
            ret.action_done()
        # The wizard records the last wipe (as a WaaS user).
        action = ret.with_user(self.user_waas).action_record_wipe()
        wizard_form = Form(
            self.env[action["res_model"]]
            .with_user(self.user_waas)
            .with_context(**action["context"])
        )
        wizard_form.wiper_id = self.wiper
        wizard_form.method = "nist_destroy"
        wizard_form.certificate_ref = "SW-2026-77"
        wizard_form.save().action_confirm()
        self.assertEqual(second.wipe_id.certificate_ref, "SW-2026-77")
        self.assertEqual(second.wipe_id.method, "nist_destroy")
        self.assertEqual(ret.state, "wiped")
        ret.with_user(self.user_waas).action_done()
        self.assertEqual(ret.state, "done")
        self.assertTrue(ret.date_done)
        refurbish = ret.picking_ids.filtered(lambda p: p.picking_type_code == "internal")
        self.assertEqual(refurbish.state, "done")
        self.assertEqual(refurbish.location_dest_id, self.warehouse.waas_refurbish_loc_id)
        quants = self.env["stock.quant"].search(
            [("lot_id", "in", ret.line_ids.lot_id.ids), ("quantity", ">", 0)]
        )
        self.assertEqual(quants.location_id, self.warehouse.waas_refurbish_loc_id)
        self.assertEqual(sum(quants.mapped("quantity")), 2.0)
        # Closed: the contract may get a new return only for devices still rented.
        with self.assertRefused(UserError, "no rented device left"):
            contract.action_create_waas_return()

    def test_certificate_real_pdf(self):
        """Printed for real: the certificate names the return, the customer, the wiping
        company and each device's serial number and certificate, with page numbers."""
        ret = self._received_return(2)
        self._wipe(ret.line_ids, ref="CERT")
        ret.action_done()
        pages = self._pdf_pages(
            self._print_pdf("also_waas_returns.waas_return_report_wipe_certificate", ret)
        )
        self.assertEqual(len(pages), 1)
        self._assert_texts(
            pages[0],
            [
                self.company.name,
                ret.name,
                ret.partner_id.name,
                self.wiper.name,
                "NIST 800-88 Purge",
                "Page 1 / 1",
                *ret.line_ids.lot_id.mapped("name"),
                *(f"CERT-{lot}" for lot in ret.line_ids.lot_id.mapped("name")),
            ],
        )

    def test_certificate_report(self):
        ret = self._received_return(2)
        self._wipe(ret.line_ids, ref="CERT")
        ret.action_done()
        html, report_format = self.env["ir.actions.report"]._render_qweb_html(
            "also_waas_returns.waas_return_report_wipe_certificate", ret.ids
        )
        self.assertEqual(report_format, "html")
        html = html.decode()
        self.assertIn(ret.name, html)
        self.assertIn(self.wiper.name, html)
        self.assertIn("ADISA-2025-001", html)
        self.assertIn("NIST 800-88 Purge", html)
        for line in ret.line_ids:
            self.assertIn(line.lot_id.name, html)
            self.assertIn(f"CERT-{line.lot_id.name}", html)
        self.assertEqual(ret.wiped_count, 2)
        self.assertTrue(fields.Date.today())
