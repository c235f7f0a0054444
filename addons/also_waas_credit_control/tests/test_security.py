# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from odoo.addons.also_waas.tests.common_portal import WaasPortalCommon

from .common import WaasCreditControlCommon

CREDIT_CONTROL_MODELS = (
    "credit.control.line",
    "credit.control.communication",
    "credit.control.run",
    "credit.control.policy",
)


class CreditControlPortalCommon(WaasCreditControlCommon, WaasPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._overdue_invoice(321.0, 10)
        cls.policy._waas_run(cls.today)
        cls.env["credit.control.policy"]._waas_send_reminders()
        cls.line = cls.env["credit.control.line"].search([("invoice_id", "=", cls.invoice.id)])
        cls.portal_users = (cls.portal_reseller_a, cls.portal_customer_a)


@tagged("post_install", "-at_install")
class TestCreditControlAccess(CreditControlPortalCommon):
    def test_credit_controllers_work_the_reminders(self):
        self.assertEqual(len(self.line), 1)
        self.assertTrue(
            self.user_credit.has_group("account_credit_control.group_account_credit_control_user")
        )
        self.assertTrue(
            self.user_manager.has_group(
                "account_credit_control.group_account_credit_control_manager"
            )
        )
        line = self.line.with_user(self.user_credit)
        self.assertEqual(line.read(["amount_due"])[0]["amount_due"], 321.0)
        self.assertTrue(line.communication_id.with_user(self.user_credit).read(["partner_id"]))
        # WaaS users (sales ops) do not see the reminders.
        with self.assertRaises(AccessError):
            self.line.with_user(self.user_waas).read(["amount_due"])

    def test_portal_users_read_no_credit_control_record(self):
        records = {
            "credit.control.line": self.line,
            "credit.control.communication": self.line.communication_id,
            "credit.control.run": self.line.run_id,
            "credit.control.policy": self.policy,
        }
        for user in self.portal_users:
            for model in CREDIT_CONTROL_MODELS:
                with self.subTest(user=user.login, model=model):
                    with self.assertRaises(AccessError):
                        self.env[model].with_user(user).search([])
                    with self.assertRaises(AccessError):
                        records[model].with_user(user).read(["display_name"])
            with self.assertRaises(AccessError):
                self.invoice.with_user(user).read(["credit_control_line_ids"])


@tagged("post_install", "-at_install")
class TestCreditControlAccessRpc(HttpCase, CreditControlPortalCommon):
    def _call_kw(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def test_portal_users_refused_over_json_rpc(self):
        for user in self.portal_users:
            self.authenticate(user.login, user.login)
            for model, method, args in (
                ("credit.control.line", "search_read", [[]]),
                ("credit.control.line", "read", [self.line.ids, ["amount_due", "partner_id"]]),
                ("credit.control.communication", "search_read", [[]]),
            ):
                with self.subTest(user=user.login, model=model, method=method):
                    with mute_logger("odoo.http"), self.assertRaises(JsonRpcException) as error:
                        self._call_kw(model, method, args)
                    self.assertEqual(str(error.exception), "odoo.exceptions.AccessError")
        # A credit controller gets the line over the same route.
        self.authenticate(self.user_credit.login, self.user_credit.login)
        result = self._call_kw("credit.control.line", "read", [self.line.ids, ["amount_due"]])
        self.assertEqual(result[0]["amount_due"], 321.0)
