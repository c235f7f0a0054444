"""Commission lines attacked as each role would, over XML-RPC and the portal: what is owed
changes only through the contract hooks, Cancel / Reset to Settle and the settlement; the
statement route and export stay safe with any input."""

import base64
import io

from dateutil.relativedelta import relativedelta

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.also_waas.tests.common import WaasRpcMixin
from odoo.addons.also_waas.tests.common_portal import WaasPortalCommon

from .common import WaasCommissionCommon

GUARDED = "change only through its buttons"


@tagged("post_install", "-at_install")
class TestGuardCommission(WaasRpcMixin, HttpCase, WaasPortalCommon, WaasCommissionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract_com = cls._activate(partner=cls.customer, reseller=cls.reseller)
        cls.lines = cls.Line.search([("contract_id", "=", cls.contract_com.id)])
        # Settled last month, so that the settlement below has something to do.
        cls.lines.write({"date": cls.this_period - relativedelta(days=3)})

    def _snapshot(self):
        lines = self.Line.sudo().search([])
        lines.invalidate_recordset()
        return sorted(
            (line.id, line.amount, line.state, line.move_id.id, line.reseller_id.id, line.date)
            for line in lines
        )

    # ------------------------------------------------------------------ lines
    def test_nobody_creates_or_edits_commission_lines_by_hand(self):
        before = self._snapshot()
        self.assertTrue(before)
        vals = {
            "name": "Made up",
            "reseller_id": self.reseller.id,
            "contract_id": self.contract_com.id,
            "event": "renewal",
            "quantity": 999,
            "amount": 99900.0,
        }
        # A WaaS user has no right at all; a commission or WaaS manager meets the guard.
        self._assert_fault(
            "not allowed|created only by the actions",
            self.user_waas,
            "waas.commission.line",
            "create",
            vals,
        )
        for user in (self.user_commission, self.user_manager):
            self._assert_fault(
                "created only by the actions", user, "waas.commission.line", "create", vals
            )
            for values in (
                {"amount": 99900.0},
                {"state": "paid"},
                {"reseller_id": self.reseller_b.id},
                {"quantity": 999},
                {"date": "2020-01-01"},
                {"move_id": False, "event": "renewal"},
            ):
                self._assert_fault(
                    GUARDED, user, "waas.commission.line", "write", self.lines.ids, values
                )
            self._assert_fault(
                "removed only by the actions",
                user,
                "waas.commission.line",
                "unlink",
                self.lines.ids,
            )
        self._assert_fault(
            "not allowed|change only through its buttons",
            self.user_waas,
            "waas.commission.line",
            "write",
            self.lines.ids,
            {"amount": 1.0, "state": "cancelled"},
        )
        self.assertEqual(self._snapshot(), before)

    def test_only_commission_managers_cancel_and_settle(self):
        line = self.lines[:1]
        for user in (self.user_waas, self.portal_reseller_a):
            self._assert_fault(
                "Only commission managers", user, "waas.commission.line", "action_cancel", line.ids
            )
        self.assertEqual(line.state, "to_settle")
        # The commission manager's buttons still work, over XML-RPC too.
        self._rpc(self.user_commission, "waas.commission.line", "action_cancel", line.ids)
        self.assertEqual(line.state, "cancelled")
        self._rpc(self.user_commission, "waas.commission.line", "action_reset_to_settle", line.ids)
        self.assertEqual(line.state, "to_settle")
        wizard_id = self._rpc(
            self.user_commission,
            "waas.commission.settle",
            "create",
            {
                "date_to": str(self.this_period - relativedelta(days=1)),
            },
        )
        self._rpc(self.user_commission, "waas.commission.settle", "action_settle", [wizard_id])
        self.assertEqual(set(self.lines.mapped("state")), {"settled"})
        self.assertEqual(len(self.lines.move_id), 1)

    # ------------------------------------------------------------------ portal
    def test_portal_rule_is_the_reseller_itself(self):
        rule = self.env.ref("also_waas_commission.waas_commission_line_rule_portal")
        self.assertIn("('reseller_id', '=', user.commercial_partner_id.id)", rule.domain_force)
        # Reseller B becomes a branch of reseller A: A's users still see only A's lines.
        contract_b = self._activate(partner=self.customer_be, reseller=self.reseller_b)
        self.reseller_b.sudo().parent_id = self.reseller
        self.env.flush_all()
        lines_a = self.Line.search([("reseller_id", "=", self.reseller.id)])
        seen = self.Line.with_user(self.portal_reseller_a).search([])
        self.assertEqual(seen, lines_a)
        self.assertFalse(seen & self._lines(contract_b))

    def test_statement_impossible_dates_are_not_found(self):
        self.authenticate("portal_ra", "portal_ra")
        for year, month in ((10000, 1), (99999, 12), (2026, 13), (2026, 0), (1999, 5)):
            with mute_logger("odoo.http"):
                response = self.url_open(f"/my/waas/commissions/statement/{year}/{month}")
            self.assertEqual(response.status_code, 404, (year, month))
        period = self.this_period - relativedelta(days=3)
        url = f"/my/waas/commissions/statement/{period.year}/{period.month}"
        self.assertEqual(self.url_open(url).status_code, 200)

    # ------------------------------------------------------------------ export
    def test_xlsx_never_evaluates_formulas_in_names(self):
        from openpyxl import load_workbook  # noqa: PLC0415 - test-only dependency

        formula = '=HYPERLINK("http://evil.example.com","Click")'
        self.customer.name = formula
        self.reseller.name = "=1+1"
        action = self.lines.action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        sheet = load_workbook(io.BytesIO(base64.b64decode(attachment.datas))).active
        self.assertEqual(sheet["E2"].value, formula)
        self.assertEqual(sheet["E2"].data_type, "s")
        self.assertEqual(sheet["A2"].value, "=1+1")
        self.assertEqual(sheet["A2"].data_type, "s")
        # The total stays a real formula of ours.
        total_row = len(self.lines) + 2
        self.assertEqual(sheet[f"J{total_row}"].data_type, "f")
