import base64
import csv
import io
import socket
from datetime import date, datetime
from unittest.mock import patch

import openpyxl
from psycopg2 import IntegrityError

import odoo
from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import WaasCommon

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
MAY = (date(2026, 5, 1), date(2026, 5, 31))

HEADER = [
    "Event",
    "Event Date",
    "Contract",
    "Start Date",
    "Term (months)",
    "Reseller",
    "Reseller VAT",
    "Reseller ID at Manufacturer",
    "End Customer",
    "End Customer VAT",
    "End Customer Country",
    "End Customer Postcode",
    "Bundle",
    "Product",
    "Manufacturer SKU",
    "Quantity",
    "Serial Numbers",
]


@tagged("post_install", "-at_install")
class TestSellout(WaasCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_own_company("WaaS Sell-out Test Co")
        cls.reseller.vat = "NL853746333B01"
        cls.manufacturer.waas_sellout_email = "sellout@laptops.example.com"
        cls.microsoft.waas_sellout_email = "partners@microsoft.example.com"
        Ref = cls.env["waas.manufacturer.reseller.ref"]
        Ref.create(
            [
                {
                    "manufacturer_id": cls.manufacturer.id,
                    "reseller_id": cls.reseller.id,
                    "external_ref": "TL-RES-0042",
                },
                {
                    "manufacturer_id": cls.microsoft.id,
                    "reseller_id": cls.reseller.id,
                    "external_ref": "MPN-777",
                },
                # Another company's id is not used for this company's report.
                {
                    "manufacturer_id": cls.manufacturer.id,
                    "reseller_id": cls.reseller_b.id,
                    "external_ref": "OTHER-COMPANY",
                    "company_id": cls.env.ref("base.main_company").id,
                },
            ]
        )
        # First day of March, two bundles.
        cls.c_first = cls._create_contract(
            name="T-SO-001", date_start="2026-03-01", products=[(cls.bundle, 2)]
        )
        # Last day of March, with the Premium upgrade (replaces the included licence).
        cls.c_last = cls._create_contract(
            name="T-SO-003",
            partner=cls.customer_be,
            reseller=cls.reseller_b,
            term=24,
            date_start="2026-03-31",
            products=[(cls.bundle, 1), (cls.upgrade_premium, 1)],
        )
        # Started before March, renewed in March.
        cls.c_renewed = cls._create_contract(name="T-SO-002", term=12, date_start="2025-03-16")
        cls.renewal = cls.env["waas.contract.renewal"].create(
            {
                "contract_id": cls.c_renewed.id,
                "date": "2026-03-10",
                "date_end_before": "2026-03-15",
                "date_end_after": "2027-03-15",
                "months": 12,
            }
        )
        # Outside March: the day before, the day after, a renewal in April.
        cls.c_before = cls._create_contract(name="T-SO-004", date_start="2026-02-28")
        cls.c_after = cls._create_contract(name="T-SO-005", date_start="2026-04-01")
        cls.env["waas.contract.renewal"].create(
            {
                "contract_id": cls.c_before.id,
                "date": "2026-04-01",
                "date_end_before": cls.c_before.date_end,
                "date_end_after": "2030-02-27",
                "months": 12,
            }
        )
        cls._add_devices(cls.c_first, ["SN-A2", "SN-A1"])
        cls._add_devices(cls.c_last, ["SN-B1"])
        cls._add_devices(cls.c_renewed, ["SN-C1"])
        cls._add_devices(cls.c_before, ["SN-D1"])

    @classmethod
    def _create_contract(cls, *args, **kwargs):
        kwargs.setdefault("company_id", cls.company.id)
        kwargs.setdefault("currency_id", cls.currency.id)
        return super()._create_contract(*args, **kwargs)

    @classmethod
    def _add_devices(cls, contract, serials, product=None):
        product = product or cls.laptop
        lots = cls.env["stock.lot"].create(
            [
                {"name": serial, "product_id": product.id, "company_id": contract.company_id.id}
                for serial in serials
            ]
        )
        return cls.env["waas.device"].create(
            [
                {"contract_id": contract.id, "product_id": product.id, "lot_id": lot.id}
                for lot in lots
            ]
        )

    def _report(self, manufacturer, period=MARCH):
        return self.env["waas.sellout.report"].create(
            {
                "company_id": self.company.id,
                "manufacturer_id": manufacturer.id,
                "date_from": period[0],
                "date_to": period[1],
            }
        )

    def _xlsx_rows(self, report):
        book = openpyxl.load_workbook(io.BytesIO(report.xlsx_attachment_id.raw), read_only=True)
        rows = []
        for row in book.active.iter_rows(values_only=True):
            rows.append([v.date() if isinstance(v, datetime) else v for v in row])
        return rows

    def _csv_rows(self, report):
        text = report.csv_attachment_id.raw.decode("utf-8")
        return list(csv.reader(io.StringIO(text)))

    # ------------------------------------------------------------------ rows
    def _expected_hardware(self):
        """The hardware manufacturer's rows of March (HEADER's columns)."""
        resellers = {
            "A": ["Test Reseller A", "NL853746333B01", "TL-RES-0042"],
            "B": ["Test Reseller B", None, None],
        }
        customers = {
            "NL": ["Test End Customer NL", "NL004495445B01", "NL", "3011 AB"],
            "BE": ["Test End Customer BE", "BE0477472701", "BE", "1000"],
        }
        laptop = ["Test Laptop Bundle", "Test Laptop 14", "TL-14-G1"]

        def march(day):
            return date(2026, 3, day)

        return [
            [event, day, so, start, term, *resellers[res], *customers[cust], *laptop, qty, serials]
            for event, day, so, start, term, res, cust, qty, serials in (
                ("new", march(1), "T-SO-001", march(1), 36, "A", "NL", 2, "SN-A1, SN-A2"),
                ("renewal", march(10), "T-SO-002", march(16), 12, "A", "NL", 1, "SN-C1"),
                ("new", march(31), "T-SO-003", march(31), 24, "B", "BE", 1, "SN-B1"),
            )
        ]

    def test_rows_hardware_xlsx_and_csv(self):
        report = self._report(self.manufacturer)
        report.action_generate()
        self.assertEqual(report.state, "draft")
        self.assertEqual(report.row_count, 3)
        self.assertEqual(report.xlsx_attachment_id.res_model, "waas.sellout.report")
        self.assertEqual(report.xlsx_attachment_id.res_id, report.id)
        self.assertEqual(
            report.xlsx_filename, "sellout_Test_Laptops_Inc_2026-03-01_2026-03-31.xlsx"
        )
        rows = self._xlsx_rows(report)
        self.assertEqual(rows[0], HEADER)
        self.assertEqual(rows[1:], self._expected_hardware())
        csv_rows = self._csv_rows(report)
        self.assertEqual(csv_rows[0][:5], ["event", "event_date", "contract", "start_date", "term"])
        expected_csv = [
            ["" if v is None else v.isoformat() if isinstance(v, date) else str(v) for v in row]
            for row in self._expected_hardware()
        ]
        self.assertEqual(csv_rows[1:], expected_csv)

    def test_rows_licence_vendor(self):
        """Microsoft gets the included licence, or the Premium licence of the upgrade
        that replaces it; its own reseller id; no serials."""
        report = self._report(self.microsoft)
        report.action_generate()
        rows = self._xlsx_rows(report)[1:]
        # Every row: the bundle that includes the licence, no serial numbers.
        self.assertEqual({(r[12], r[16]) for r in rows}, {("Test Laptop Bundle", None)})
        essentials = ["Test Microsoft 365 Business Essentials", "M365-BE"]
        premium = ["Test Microsoft 365 Business Premium", "M365-BP"]
        self.assertEqual(
            [[r[0], r[2], r[7], r[13], r[14], r[15]] for r in rows],
            [
                ["new", "T-SO-001", "MPN-777", *essentials, 2],
                ["renewal", "T-SO-002", "MPN-777", *essentials, 1],
                ["new", "T-SO-003", None, *premium, 1],
            ],
        )

    def test_period_boundaries(self):
        """February holds the contract of the 28th only; April the contract of the 1st
        and the renewal of the 1st; a period of one day holds that day."""
        feb = self._report(self.manufacturer, (date(2026, 2, 1), date(2026, 2, 28)))
        apr = self._report(self.manufacturer, (date(2026, 4, 1), date(2026, 4, 30)))
        last_day = self._report(self.manufacturer, (date(2026, 3, 31), date(2026, 3, 31)))
        (feb | apr | last_day).action_generate()
        self.assertEqual([r[2] for r in self._xlsx_rows(feb)[1:]], ["T-SO-004"])
        self.assertEqual(
            [(r[0], r[2], r[16]) for r in self._xlsx_rows(apr)[1:]],
            [("renewal", "T-SO-004", "SN-D1"), ("new", "T-SO-005", None)],
        )
        self.assertEqual([r[2] for r in self._xlsx_rows(last_day)[1:]], ["T-SO-003"])

    def test_manufacturer_without_rows_and_mapping(self):
        report = self._report(self.manufacturer_pending)
        report.action_generate()
        self.assertEqual(report.row_count, 0)
        self.assertEqual(self._xlsx_rows(report), [HEADER])
        Report = self.env["waas.sellout.report"]
        self.assertEqual(
            Report._manufacturers_with_rows(self.company, *MARCH),
            self.manufacturer | self.microsoft,
        )

    def test_unique_and_bad_period(self):
        self._report(self.manufacturer)
        for manufacturer, period in (
            (self.manufacturer, MARCH),  # one report per manufacturer and period
            (self.microsoft, (MARCH[1], MARCH[0])),  # a period ends after it starts
        ):
            with (
                self.assertRaises(IntegrityError),
                mute_logger("odoo.sql_db"),
                self.env.cr.savepoint(),
            ):
                self._report(manufacturer, period)

    # ------------------------------------------------------------------ every vendor, every event
    def _rows_of(self, reports, partner, columns=(0, 1, 2, 3, 4, 12, 13, 14, 15, 16)):
        report = reports.filtered(lambda r: r.manufacturer_id == partner)
        self.assertEqual(len(report), 1, f"one report for {partner.name}")
        return [[row[i] for i in columns] for row in self._xlsx_rows(report)[1:]]

    def test_exception_hardware_manufacturer_gets_a_report(self):
        """Hardware of a manufacturer that is not approved, sold case by case (an approved
        exception): its manufacturer gets the monthly sell-out like an approved one."""
        dock = self.env["product.product"].create(
            {
                "name": "Test Unvetted Dock",
                "type": "consu",
                "is_storable": True,
                "tracking": "serial",
                "waas_kind": "component",
                "waas_manufacturer_id": self.manufacturer_pending.id,
                "waas_manufacturer_sku": "UD-1",
            }
        )
        dock.product_tmpl_id.action_waas_request_exception(reason="The customer's standard")
        dock.product_tmpl_id.action_waas_approve_exception()
        bundle = self.env["product.product"].create(
            {
                "name": "Test Dock Bundle",
                "type": "consu",
                "waas_kind": "bundle",
                "waas_bundle_line_ids": [
                    Command.create({"product_id": self.laptop.id, "quantity": 1}),
                    Command.create({"product_id": dock.id, "quantity": 1}),
                ],
            }
        )
        contract = self._create_contract(
            name="T-SO-020", date_start="2026-05-12", products=[(bundle, 2)]
        )
        self._add_devices(contract, ["UD-SN-2", "UD-SN-1"], product=dock)
        self.assertNotEqual(self.manufacturer_pending.waas_approval_state, "approved")
        reports = self.env["waas.sellout.report"]._cron_monthly_sellout(
            today=date(2026, 6, 1), companies=self.company
        )
        self.assertEqual(reports.manufacturer_id, self.manufacturer | self.manufacturer_pending)
        self.assertEqual(
            self._rows_of(reports, self.manufacturer_pending),
            [
                # fmt: off
                [
                    "new",
                    date(2026, 5, 12),
                    "T-SO-020",
                    date(2026, 5, 12),
                    36,
                    "Test Dock Bundle",
                    "Test Unvetted Dock",
                    "UD-1",
                    2,
                    "UD-SN-1, UD-SN-2",
                ],
                # fmt: on
            ],
        )
        # Without an address the report is kept, not sent, and says why.
        report = reports.filtered(lambda r: r.manufacturer_id == self.manufacturer_pending)
        self.assertEqual(report.state, "draft")
        self.assertTrue(
            any("no sell-out e-mail" in (m.body or "") for m in report.message_ids),
            "the chatter says why it was not sent",
        )

    def test_licence_vendor_gets_a_report(self):
        """A licence vendor is no approved hardware manufacturer (there is no warranty to
        vet): it gets the sell-out of its licences all the same, from the monthly job and
        from the wizard."""
        vendor = self.env["res.partner"].create(
            {
                "name": "Test Cloud Vendor",
                "is_company": True,
                "waas_is_manufacturer": True,
                "waas_sellout_email": "partners@cloud.example.com",
            }
        )
        backup = self.env["product.product"].create(
            {
                "name": "Test Cloud Backup",
                "type": "service",
                "waas_kind": "licence",
                "waas_manufacturer_id": vendor.id,
                "waas_manufacturer_sku": "CB-100",
            }
        )
        option = self.env["product.product"].create(
            {
                "name": "Test Cloud Backup Option",
                "type": "service",
                "waas_kind": "option",
                "waas_licence_id": backup.id,
            }
        )
        self._create_contract(
            name="T-SO-021",
            date_start="2026-05-04",
            products=[(self.bundle, 1), (option, 3)],
        )
        self.assertEqual(vendor.waas_approval_state, "pending")
        wizard = self.env["waas.sellout.wizard"].create(
            {"company_id": self.company.id, "date_from": MAY[0], "date_to": MAY[1]}
        )
        reports = self.env["waas.sellout.report"].search(wizard.action_generate()["domain"])
        self.assertEqual(reports.manufacturer_id, self.manufacturer | self.microsoft | vendor)
        self.assertEqual(
            self._rows_of(reports, vendor),
            [
                # fmt: off
                [
                    "new",
                    date(2026, 5, 4),
                    "T-SO-021",
                    date(2026, 5, 4),
                    36,
                    "Test Laptop Bundle",
                    "Test Cloud Backup",
                    "CB-100",
                    3,
                    None,
                ],
                # fmt: on
            ],
        )
        reports.unlink()
        reports = self.env["waas.sellout.report"]._cron_monthly_sellout(
            today=date(2026, 6, 1), companies=self.company
        )
        report = reports.filtered(lambda r: r.manufacturer_id == vendor)
        self.assertEqual((report.state, report.row_count), ("queued", 1))
        self.assertEqual(report.mail_id.email_to, "partners@cloud.example.com")

    def test_upgrade_option_and_renewal_events(self):
        """An upgrade and an option added during the term are each reported as their own
        event, on the day they are invoiced from, with their own items only; a renewal in
        the same month is another event, with what the contract has then (the upgraded
        licence, not the one it replaced). The new contract's event never had them."""
        self.env["waas.pricelist.item"].create(
            [
                {
                    "company_id": self.company.id,
                    "currency_id": self.currency.id,
                    "product_tmpl_id": product.product_tmpl_id.id,
                    "term_months": 12,
                    "monthly_price": price,
                }
                for product, price in ((self.upgrade_premium, 12.0), (self.option_monitor, 9.0))
            ]
        )
        contract = self._create_contract(
            name="T-SO-030", term=12, date_start="2026-01-01", date_next_invoice="2026-05-01"
        )
        contract._waas_upgrade([(self.upgrade_premium, 1), (self.option_monitor, 2)])
        self.env["waas.contract.renewal"].create(
            {
                "contract_id": contract.id,
                "date": "2026-05-20",
                "date_end_before": "2026-12-31",
                "date_end_after": "2027-12-31",
                "months": 12,
            }
        )
        Report = self.env["waas.sellout.report"]
        reports = Report._cron_monthly_sellout(today=date(2026, 6, 1), companies=self.company)
        self.assertEqual(reports.manufacturer_id, self.manufacturer | self.microsoft)
        may_1, may_20, jan_1 = date(2026, 5, 1), date(2026, 5, 20), date(2027, 1, 1)

        def event(kind, day, start):
            return [kind, day, "T-SO-030", start, 12, "Test Laptop Bundle"]

        upgrade, option = event("upgrade", may_1, may_1), event("option", may_1, may_1)
        renewal = event("renewal", may_20, jan_1)
        premium = ["Test Microsoft 365 Business Premium", "M365-BP", 1, None]
        monitors = ["Test Monitor 24", "TM-24", 2, None]
        laptop = ["Test Laptop 14", "TL-14-G1", 1, None]
        self.assertEqual(
            self._rows_of(reports, self.microsoft), [upgrade + premium, renewal + premium]
        )
        self.assertEqual(
            self._rows_of(reports, self.manufacturer),
            [option + monitors, renewal + laptop, renewal + monitors],
        )
        # The event column of the CSV file says the same.
        report = reports.filtered(lambda r: r.manufacturer_id == self.manufacturer)
        self.assertEqual(
            [row[0] for row in self._csv_rows(report)], ["event", "option", "renewal", "renewal"]
        )
        # January: the new contract with its bundle and included licence only.
        january = self._report(self.microsoft, (date(2026, 1, 1), date(2026, 1, 31)))
        january.action_generate()
        self.assertEqual(
            [(r[0], r[13]) for r in self._xlsx_rows(january)[1:]],
            [("new", "Test Microsoft 365 Business Essentials")],
        )

    # ------------------------------------------------------------------ wizard & cron
    def test_wizard_all_manufacturers_and_send(self):
        wizard = self.env["waas.sellout.wizard"].create(
            {
                "company_id": self.company.id,
                "date_from": MARCH[0],
                "date_to": MARCH[1],
                "send": True,
            }
        )
        action = wizard.action_generate()
        reports = self.env["waas.sellout.report"].search(action["domain"])
        self.assertEqual(reports.manufacturer_id, self.manufacturer | self.microsoft)
        self.assertEqual(set(reports.mapped("state")), {"queued"})
        self.assertEqual(reports.mapped("row_count"), [3, 3])
        report = reports.filtered(lambda r: r.manufacturer_id == self.manufacturer)
        self.assertEqual(report.email_to, "sellout@laptops.example.com")
        self.assertEqual(report.sent_by_id, self.env.user)
        mail = report.mail_id
        self.assertEqual(mail.email_to, "sellout@laptops.example.com")
        self.assertEqual(mail.attachment_ids, report.xlsx_attachment_id | report.csv_attachment_id)
        self.assertIn("Test Laptops Inc.", mail.subject)
        self.assertIn("2026-03", mail.subject)
        # Logged in the chatter of the report.
        self.assertIn(mail.mail_message_id, report.message_ids)
        self.assertEqual(report.mail_message_ids, mail.mail_message_id)

        bad = self.env["waas.sellout.wizard"].create(
            {"company_id": self.company.id, "date_from": MARCH[1], "date_to": MARCH[0]}
        )
        with self.assertRaisesRegex(UserError, "cannot end"):
            bad.action_generate()

    def test_send_needs_an_address(self):
        self.manufacturer.waas_sellout_email = False
        report = self._report(self.manufacturer)
        with self.assertRaisesRegex(UserError, "no sell-out e-mail address"):
            report.action_send()
        self.assertEqual(report.state, "draft")
        contact = self.env["res.partner"].create(
            {
                "name": "Sell-out Desk",
                "parent_id": self.manufacturer.id,
                "email": "desk@laptops.example.com",
            }
        )
        self.manufacturer.waas_sellout_contact_id = contact
        report.action_send()
        self.assertEqual(report.state, "queued")
        self.assertEqual(report.mail_id.email_to, "desk@laptops.example.com")
        with self.assertRaisesRegex(ValidationError, "not a valid address"):
            self.microsoft.waas_sellout_email = "not an address"

    def test_monthly_cron(self):
        Report = self.env["waas.sellout.report"]
        reports = Report._cron_monthly_sellout(today=date(2026, 4, 10), companies=self.company)
        self.assertEqual(reports.manufacturer_id, self.manufacturer | self.microsoft)
        self.assertEqual({(r.date_from, r.date_to) for r in reports}, {MARCH})
        self.assertEqual(set(reports.mapped("state")), {"queued"})
        # Run twice: nothing new, nothing sent twice.
        self.assertFalse(
            Report._cron_monthly_sellout(today=date(2026, 4, 11), companies=self.company)
        )

    # ------------------------------------------------------------------ mail failures
    def test_failed_mail_stays_queued_and_is_retried(self):
        Report = self.env["waas.sellout.report"]
        report = self._report(self.manufacturer)
        report.action_send()
        mail = report.mail_id
        self.assertEqual((report.state, mail.state), ("queued", "outgoing"))

        # The mail server is down: a real SMTP connection to a local port nobody listens on.
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = self.env["ir.mail_server"].create(
            {"name": "Down", "smtp_host": "127.0.0.1", "smtp_port": port}
        )
        mail.mail_server_id = server
        with patch.object(odoo.modules.module, "current_test", False):
            self.env["mail.mail"].process_email_queue(ids=mail.ids)
        self.assertEqual(mail.state, "exception")
        self.assertEqual(report.state, "queued")

        Report._cron_check_sending()
        # Failed, noted in the chatter, and queued again: nothing lost.
        self.assertEqual(report.state, "queued")
        self.assertEqual(report.send_attempts, 2)
        self.assertEqual(report.mail_id, mail)
        self.assertEqual(mail.state, "outgoing")
        self.assertTrue(report.xlsx_attachment_id.exists())
        self.assertEqual(mail.attachment_ids, report.xlsx_attachment_id | report.csv_attachment_id)
        notes = report.message_ids.filtered(lambda m: "failed (attempt 1)" in (m.body or ""))
        self.assertEqual(len(notes), 1)

        # The mail server is back (test mode: delivery simulated).
        mail.mail_server_id = False
        self.env["mail.mail"].process_email_queue(ids=mail.ids)
        self.assertEqual(mail.state, "sent")
        Report._cron_check_sending()
        self.assertEqual(report.state, "sent")
        self.assertTrue(report.sent_on)

        # Resend from the history: a new e-mail, queued again.
        report.action_resend()
        self.assertEqual(report.state, "queued")
        self.assertNotEqual(report.mail_id, mail)
        report.invalidate_recordset()
        self.assertEqual(len(report.mail_message_ids), 2)

    def test_failed_mail_gives_up_after_max_attempts(self):
        Report = self.env["waas.sellout.report"]
        report = self._report(self.manufacturer)
        report.action_send()
        report.mail_id.write({"state": "exception", "failure_reason": "Connection refused"})
        report.send_attempts = 48
        Report._cron_check_sending()
        self.assertEqual(report.state, "failed")
        self.assertEqual(report.failure_reason, "Connection refused")
        self.assertEqual(report.mail_id.state, "exception")

    def test_regenerate_keeps_sent_files(self):
        report = self._report(self.manufacturer)
        report.action_send()
        first = report.xlsx_attachment_id
        with self.assertRaisesRegex(UserError, "being sent"):
            report.action_generate()
        report.mail_id.state = "sent"
        self.env["waas.sellout.report"]._cron_check_sending()
        report.action_generate()
        self.assertNotEqual(report.xlsx_attachment_id, first)
        self.assertTrue(first.exists(), "the file that went out stays in the history")
        self.assertEqual(base64.b64decode(report.xlsx_file)[:2], b"PK")

    # ------------------------------------------------------------------ access
    def test_access_and_multi_company(self):
        report = self._report(self.manufacturer)
        report.action_generate()
        # Another company's users never see the report.
        Report = self.env["waas.sellout.report"]
        self.assertFalse(Report.with_user(self.user_manager).search([("id", "=", report.id)]))
        self.user_manager.company_ids |= self.company
        self.user_waas.company_ids |= self.company
        ctx = {"allowed_company_ids": [self.company.id]}
        as_manager = report.with_user(self.user_manager).with_context(**ctx)
        as_user = report.with_user(self.user_waas).with_context(**ctx)
        # WaaS users read the history and download the files; only managers send.
        self.assertEqual(as_user.row_count, 3)
        self.assertTrue(as_user.xlsx_file)
        with self.assertRaises(AccessError):
            as_user.action_send()
        as_manager.action_send()
        self.assertEqual(report.state, "queued")
        self.assertEqual(report.sent_by_id, self.user_manager)
