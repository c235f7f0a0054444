from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.also_waas.tests.pdf_common import PdfReportMixin

from .common import WaasCommissionCommon


@tagged("post_install", "-at_install")
class TestSettlement(PdfReportMixin, WaasCommissionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Two closed months before the current one ("oct" and "nov" below).
        cls.oct = cls.this_period - relativedelta(months=2)
        cls.nov = cls.this_period - relativedelta(months=1)
        cls.oct_end = cls.nov - relativedelta(days=1)
        cls.nov_end = cls.this_period - relativedelta(days=1)
        cls.c1 = cls._activate(products=[(cls.bundle, 1), (cls.upgrade_premium, 1)])
        cls.c2 = cls._activate(term=12)
        cls.c3 = cls._activate(term=24)
        cls.c4 = cls._activate(reseller=cls.reseller_b, term=12)
        Line = cls.env["waas.commission.line"]
        cls.lines_a_oct = Line.search([("contract_id", "in", (cls.c1 | cls.c2).ids)])
        cls.lines_a_nov = Line.search([("contract_id", "=", cls.c3.id)])
        cls.lines_b_oct = Line.search([("contract_id", "=", cls.c4.id)])
        cls.lines_a_oct.write({"date": cls.oct + relativedelta(days=4)})
        cls.lines_b_oct.write({"date": cls.oct + relativedelta(days=19)})
        cls.lines_a_nov.write({"date": cls.nov + relativedelta(days=2)})

    def _bills_domain(self):
        return [
            ("waas_is_commission_bill", "=", True),
            ("partner_id", "in", (self.reseller | self.reseller_b).ids),
        ]

    def _settle(self, date_to=None, resellers=None, user=None):
        date_to = date_to or self.nov_end
        Line = self.Line.with_user(user or self.user_commission)
        return Line._settle(fields.Date.to_date(date_to), resellers=resellers)

    def test_one_bill_per_reseller_and_period(self):
        bills = self._settle()
        self.assertEqual(len(bills), 3)
        bills = bills.sudo()
        bill_a_oct = self.lines_a_oct.move_id
        self.assertEqual(len(bill_a_oct), 1)
        self.assertRecordValues(
            bill_a_oct,
            [
                {
                    "move_type": "in_invoice",
                    "partner_id": self.reseller.id,
                    "invoice_date": self.oct_end,
                    "amount_untaxed": 180.0 + 30.0 + 120.0,
                    "waas_is_commission_bill": True,
                    "state": "draft",
                }
            ],
        )
        self.assertEqual(bill_a_oct.invoice_line_ids.product_id, self.commission_product)
        self.assertEqual(bill_a_oct.invoice_line_ids.account_id, self.expense_account)
        # One bill line per event and product: the bundle (twice) and the upgrade.
        self.assertEqual(len(bill_a_oct.invoice_line_ids), 2)
        self.assertRecordValues(
            self.lines_a_nov.move_id,
            [{"partner_id": self.reseller.id, "amount_untaxed": 150.0}],
        )
        self.assertRecordValues(
            self.lines_b_oct.move_id,
            [{"partner_id": self.reseller_b.id, "amount_untaxed": 120.0}],
        )
        all_lines = self.lines_a_oct | self.lines_a_nov | self.lines_b_oct
        self.assertEqual(set(all_lines.mapped("state")), {"settled"})
        self.assertEqual(all_lines.move_id, bills)

    def test_date_and_reseller_filters(self):
        bills = self._settle(self.oct_end, resellers=self.reseller)
        self.assertEqual(len(bills), 1)
        self.assertEqual(self.lines_a_oct.move_id, bills)
        self.assertEqual(set((self.lines_a_nov | self.lines_b_oct).mapped("state")), {"to_settle"})

    def test_no_double_settlement(self):
        bills = self._settle()
        self.assertFalse(self._settle())
        wizard = (
            self.env["waas.commission.settle"]
            .with_user(self.user_commission)
            .create({"date_to": self.nov_end})
        )
        with self.assertRaisesRegex(UserError, "no commission to settle"):
            wizard.action_settle()
        self.assertEqual(self.env["account.move"].search_count(self._bills_domain()), 3)
        self.assertEqual(len(bills), 3)

    def test_wizard_confirmed_twice_gives_one_bill(self):
        wizard = Form(self.env["waas.commission.settle"].with_user(self.user_commission))
        wizard.date_to = self.oct_end
        wizard.reseller_ids.add(self.reseller_b)
        wizard = wizard.save()
        wizard.action_settle()
        wizard.action_settle()
        self.assertEqual(len(wizard.move_ids), 1)
        self.assertEqual(self.lines_b_oct.move_id, wizard.move_ids)
        self.assertEqual(self.env["account.move"].search_count(self._bills_domain()), 1)

    def test_lines_locked_elsewhere_are_skipped(self):
        lines = self.lines_a_oct
        self.assertEqual(lines._lock_for_settlement(), lines)
        lines.move_id = self._settle(self.oct_end, resellers=self.reseller_b)
        self.assertFalse(lines._lock_for_settlement())

    def test_bill_cancel_returns_lines(self):
        self._settle()
        bill = self.lines_a_oct.move_id
        bill.action_post()
        bill.button_cancel()
        self.assertEqual(bill.state, "cancel")
        self.assertEqual(set(self.lines_a_oct.mapped("state")), {"to_settle"})
        self.assertFalse(self.lines_a_oct.move_id)
        new_bill = self._settle(self.oct_end, resellers=self.reseller)
        self.assertEqual(self.lines_a_oct.move_id, new_bill)
        self.assertNotEqual(new_bill, bill)
        # The cancelled bill cannot bill them a second time.
        with self.assertRaisesRegex(UserError, "billed 2 times"):
            bill.button_draft()

    def test_bill_deleted_returns_lines(self):
        self._settle()
        self.lines_b_oct.move_id.unlink()
        self.assertEqual(self.lines_b_oct.state, "to_settle")

    def test_bill_reversed_returns_lines(self):
        self._settle()
        bill = self.lines_a_nov.move_id
        bill.action_post()
        refund = bill._reverse_moves([{"invoice_date": bill.invoice_date}], cancel=True)
        self.assertEqual(refund.move_type, "in_refund")
        self.assertEqual(bill.payment_state, "reversed")
        self.assertEqual(self.lines_a_nov.state, "to_settle")
        self.assertFalse(self.lines_a_nov.move_id)

    def test_bill_paid_lines_paid(self):
        self._settle()
        bill = self.lines_b_oct.move_id
        bill.action_post()
        self.assertEqual(self.lines_b_oct.state, "settled")
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=bill.ids
        ).create({"payment_date": bill.invoice_date})._create_payments()
        self.assertIn(bill.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.lines_b_oct.state, "paid")
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            self.lines_b_oct.amount = 1.0

    def test_clawback_only_period_gives_credit_note(self):
        self._settle()
        self.company.waas_commission_clawback = True
        self.c4.write({"state": "terminated", "date_start": self.today})
        self.c4.date_terminated = self.today
        self.c4._on_ended()
        clawback = self._lines(self.c4, "clawback")
        self.assertEqual(clawback.amount, -120.0)
        bill = self._settle(self.today, resellers=self.reseller_b).sudo()
        self.assertRecordValues(
            bill,
            [{"move_type": "in_refund", "amount_untaxed": 120.0, "partner_id": self.reseller_b.id}],
        )
        self.assertEqual(clawback.state, "settled")

    def test_cancel_line(self):
        line = self.lines_b_oct.with_user(self.user_commission)
        line.action_cancel()
        self.assertEqual(line.state, "cancelled")
        self.assertFalse(self._settle(resellers=self.reseller_b))
        line.action_reset_to_settle()
        self.assertTrue(self._settle(resellers=self.reseller_b))
        with self.assertRaisesRegex(UserError, "Only commission lines still to settle"):
            line.action_cancel()

    def test_cron_settles_previous_months(self):
        this_month = self._activate(reseller=self.reseller_b)
        self.Line._cron_settle()
        self.assertEqual(set(self.lines_a_oct.mapped("state")), {"settled"})
        self.assertEqual(set(self.lines_a_nov.mapped("state")), {"settled"})
        self.assertEqual(self._lines(this_month).state, "to_settle")

    def test_only_commission_managers_settle(self):
        with self.assertRaisesRegex(AccessError, "Only commission managers"):
            self._settle(user=self.user_waas)
        with self.assertRaises(AccessError):
            self.env["waas.commission.settle"].with_user(self.user_waas).create(
                {"date_to": self.nov_end}
            )
        with self.assertRaises(AccessError):
            self.lines_a_oct.with_user(self.user_waas).action_cancel()
        # WaaS users and accountants read the lines, but do not write them.
        self.assertEqual(len(self.lines_a_oct.with_user(self.user_waas).read(["amount"])), 3)
        self.assertEqual(len(self.lines_a_oct.with_user(self.user_accountant).read(["amount"])), 3)
        with self.assertRaises(AccessError):
            self.lines_a_oct.with_user(self.user_waas).write({"amount": 1.0})
        self.assertEqual(set(self.lines_a_oct.mapped("state")), {"to_settle"})

    def test_statement_pdf_and_xlsx(self):
        lines = self.lines_a_oct | self.lines_b_oct
        groups = lines._get_statement_groups()
        self.assertEqual(
            [(g["reseller"], g["period"], g["total"]) for g in groups],
            [(self.reseller, self.oct, 330.0), (self.reseller_b, self.oct, 120.0)],
        )
        html = self.env["ir.actions.report"]._render_qweb_html(
            "also_waas_commission.waas_commission_statement_document", lines.ids
        )[0]
        self.assertIn(b"Commission Statement", html)
        self.assertIn(self.c1.name.encode(), html)
        action = lines.action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        self.assertTrue(attachment.raw.startswith(b"PK"))
        wizard = self.env["waas.commission.statement"].create(
            {"reseller_id": self.reseller.id, "period": self.oct + relativedelta(days=16)}
        )
        self.assertEqual(wizard._get_lines(), self.lines_a_oct)
        wizard.period = "2025-01-01"
        with self.assertRaisesRegex(UserError, "has no commission"):
            wizard._get_lines()

    def test_statement_real_pdf(self):
        """Printed for real: one statement per reseller and month, with the supplier's name,
        the contracts, the total, and page numbers."""
        lines = self.lines_a_oct | self.lines_b_oct
        pages = self._pdf_pages(
            self._print_pdf("also_waas_commission.waas_commission_statement_report", lines)
        )
        self.assertEqual(len(pages), 2)
        for page, reseller, total, contracts in (
            (pages[0], self.reseller, "330.00", self.c1 | self.c2),
            (pages[1], self.reseller_b, "120.00", self.c4),
        ):
            self._assert_texts(
                page,
                [
                    "Commission Statement",
                    self.company.name,
                    reseller.name,
                    total,
                    "Page 1 / 1",
                    *contracts.mapped("name"),
                ],
            )

    def test_portal_and_multi_company_rules(self):
        contact_a = self.env["res.partner"].create(
            {"name": "Reseller A Sales", "parent_id": self.reseller.id}
        )
        portal_a = new_test_user(
            self.env(context=dict(self.env.context, no_reset_password=True)),
            login="waas_portal_reseller_a",
            groups="base.group_portal",
            partner_id=contact_a.id,
        )
        Line = self.Line.with_user(portal_a)
        self.assertEqual(Line.search([]), self.lines_a_oct | self.lines_a_nov)
        with self.assertRaises(AccessError):
            self.lines_b_oct.with_user(portal_a).read(["amount"])
        with self.assertRaises(AccessError):
            self.lines_a_oct.with_user(portal_a).write({"name": "mine"})
        # Multi-company: a line of another company is invisible.
        company_2 = self.env["res.company"].create({"name": "ALSO Belgium (test)"})
        contract_2 = self._new_contract(company_id=company_2.id)
        line_2 = self.Line.create(
            {
                "name": "Other company",
                "company_id": company_2.id,
                "reseller_id": self.reseller.id,
                "contract_id": contract_2.id,
                "event": "new",
                "amount": 10.0,
            }
        )
        visible = self.Line.with_user(self.user_commission).search([("id", "=", line_2.id)])
        self.assertFalse(visible)
