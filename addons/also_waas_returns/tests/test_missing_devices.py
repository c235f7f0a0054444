"""Devices missing from a self-return: charged to the end customer at their replacement
value after the self-return delay plus the company's grace period, marked lost, and the
return closes; a secure pickup (ALSO's risk) is never charged."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import ReturnsCommon


@tagged("post_install", "-at_install")
class TestMissingDevices(ReturnsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.waas_missing_grace_days = 30
        cls.laptop.waas_replacement_value = 1200.0
        cls.today = fields.Date.context_today(cls.env["waas.return"])

    # ------------------------------------------------------------------ helpers
    def _self_return_one_missing(self):
        """A confirmed self-return of two devices: one received and wiped, one missing."""
        ret = self._ended_contract(devices=2).waas_return_ids
        self._confirm_self_return(ret)
        received, missing = ret.line_ids
        self._receive(ret, lots=received.lot_id)
        self._wipe(received)
        self.assertEqual(ret.state, "partial")
        self.assertTrue(missing.missing)
        return ret, received, missing

    def _days_overdue(self, ret, days):
        """The expected-by date of ``ret`` passed ``days`` days ago."""
        ret.expected_date = self.today - timedelta(days=days)

    def _run_job(self):
        self.env["waas.return"]._cron_charge_missing_devices()

    def _charges(self, ret):
        return self.env["account.move"].search([("waas_charge_return_id", "=", ret.id)])

    def _snapshot(self, ret):
        ret.invalidate_recordset()
        ret.line_ids.invalidate_recordset()
        return (
            ret.state,
            ret.charge_move_id,
            ret.line_ids.mapped("lost"),
            ret.line_ids.device_id.mapped("state"),
            len(self._charges(ret)),
        )

    # ------------------------------------------------------------------ the daily job
    def test_missing_device_charged_after_grace_period(self):
        ret, received, missing = self._self_return_one_missing()
        # Within the grace period: nothing happens.
        self._days_overdue(ret, 10)
        self._run_job()
        self.assertFalse(ret.charge_move_id)
        self.assertFalse(self._charges(ret))
        self.assertEqual(missing.device_id.state, "rented")
        self.assertEqual(ret.state, "partial")
        # The grace period is over: exactly the missing device is charged.
        self._days_overdue(ret, 31)
        self._run_job()
        move = ret.charge_move_id
        self.assertEqual(self._charges(ret), move)
        self.assertEqual(move.move_type, "out_invoice")
        self.assertEqual(move.partner_id, self.customer)
        self.assertEqual(len(move.invoice_line_ids), 1)
        line = move.invoice_line_ids
        self.assertEqual(line.product_id, self.laptop)
        self.assertEqual(line.price_unit, 1200.0)
        self.assertEqual(line.quantity, 1.0)
        self.assertIn(missing.lot_id.name, line.name)
        self.assertNotIn(received.lot_id.name, line.name)
        self.assertEqual(move.state, "draft", "the company keeps WaaS invoices in draft")
        self.assertTrue(missing.lost)
        self.assertFalse(received.lost)
        self.assertEqual(missing.device_id.state, "lost")
        self.assertEqual(received.device_id.state, "returned")
        self.assertEqual(ret.state, "done", "nothing else to wait for: the return closes")
        self.assertTrue(ret.date_done)
        # Run again (the next day too): still one charge.
        self._run_job()
        ret.sudo().charge_checked_date = self.today - timedelta(days=1)
        self._run_job()
        self.assertEqual(self._charges(ret), move)
        self.assertEqual(len(move.invoice_line_ids), 1)

    def test_charge_follows_the_waas_invoice_posting(self):
        self.company.waas_invoice_auto_post = True
        ret, _received, _missing = self._self_return_one_missing()
        self._days_overdue(ret, 31)
        self._run_job()
        self.assertEqual(ret.charge_move_id.state, "posted")

    def test_received_not_wiped_waits_for_the_wipe(self):
        ret = self._ended_contract(devices=2).waas_return_ids
        self._confirm_self_return(ret)
        received, missing = ret.line_ids
        self._receive(ret, lots=received.lot_id)
        self._days_overdue(ret, 31)
        self._run_job()
        self.assertTrue(missing.lost)
        self.assertEqual(ret.state, "received")
        self._wipe(received)
        self.assertEqual(ret.state, "wiped")
        ret.with_user(self.user_waas).action_done()
        self.assertEqual(ret.state, "done")

    def test_nothing_received_receipt_cancelled(self):
        ret = self._ended_contract(devices=2).waas_return_ids
        self._confirm_self_return(ret)
        receipt = self._open_receipt(ret)
        self._days_overdue(ret, 31)
        self._run_job()
        self.assertEqual(receipt.state, "cancel")
        self.assertEqual(len(ret.charge_move_id.invoice_line_ids), 2)
        self.assertEqual(ret.charge_move_id.amount_untaxed, 2400.0)
        self.assertEqual(set(ret.line_ids.device_id.mapped("state")), {"lost"})
        self.assertEqual(ret.state, "done")

    def test_grace_period_per_company(self):
        ret, _received, _missing = self._self_return_one_missing()
        self.company.waas_missing_grace_days = 60
        self._days_overdue(ret, 31)
        self._run_job()
        self.assertFalse(ret.charge_move_id)
        self._days_overdue(ret, 61)
        self._run_job()
        self.assertTrue(ret.charge_move_id)

    def test_secure_pickup_never_charged(self):
        ret = self._ended_contract(devices=2).waas_return_ids
        ret.write(
            {
                "method": "pickup",
                "pickup_date": self.today + timedelta(days=3),
                "pickup_time_from": 9.0,
                "pickup_time_to": 12.0,
                "pickup_contact_id": self.customer_contact.id,
            }
        )
        ret.action_confirm()
        self._receive(ret, lots=ret.line_ids[:1].lot_id)
        ret.sudo().expected_date = self.today - timedelta(days=90)
        before = self._snapshot(ret)
        self._run_job()
        self.assertEqual(self._snapshot(ret), before)
        self.assertFalse(ret.charge_move_id)
        with self.assertRefused(UserError, "ALSO's risk"):
            ret.with_user(self.user_waas).action_charge_missing()
        self.assertEqual(self._snapshot(ret), before)

    def test_no_replacement_value_activity_for_logistics(self):
        self.env["ir.config_parameter"].set_param("also_waas.logistics_user_id", self.user_waas.id)
        self.laptop.waas_replacement_value = 0.0
        ret, _received, missing = self._self_return_one_missing()
        self._days_overdue(ret, 31)
        before = self._snapshot(ret)
        self._run_job()
        self.assertEqual(self._snapshot(ret), before, "nothing charged, nothing lost")
        activity = ret.activity_ids.filtered(lambda a: a.summary == "Missing devices not charged")
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.user_waas)
        self.assertIn("no replacement value", activity.note)
        self.assertIn(missing.lot_id.name, activity.note)
        # The same day again: no second activity; the button says why.
        self._run_job()
        self.assertEqual(
            len(ret.activity_ids.filtered(lambda a: a.summary == "Missing devices not charged")),
            1,
        )
        with self.assertRefused(UserError, "no replacement value"):
            ret.with_user(self.user_waas).action_charge_missing()
        # Once the value is set, the next day's run charges.
        self.laptop.waas_replacement_value = 999.0
        ret.sudo().charge_checked_date = self.today - timedelta(days=1)
        self._run_job()
        self.assertEqual(ret.charge_move_id.amount_untaxed, 999.0)
        self.assertEqual(ret.state, "done")

    # ------------------------------------------------------------------ the button
    def test_action_charge_missing(self):
        ret, _received, missing = self._self_return_one_missing()
        # Not due yet (expected-by date in the future).
        with self.assertRefused(UserError, "expected back by"):
            ret.with_user(self.user_waas).action_charge_missing()
        self._days_overdue(ret, 1)
        ret.with_user(self.user_waas).action_charge_missing()
        self.assertEqual(len(ret.charge_move_id.invoice_line_ids), 1)
        self.assertEqual(missing.device_id.state, "lost")
        self.assertEqual(ret.state, "done")
        with self.assertRefused(UserError, "no device left to charge"):
            ret.with_user(self.user_waas).action_charge_missing()
        self.assertEqual(len(self._charges(ret)), 1)

    def test_charge_without_sales_journal(self):
        ret, _received, missing = self._self_return_one_missing()
        self._days_overdue(ret, 1)
        self._without_sales_journal()
        with self.assertRefused(UserError, "No sales journal for the WaaS invoices"):
            ret.with_user(self.user_waas).action_charge_missing()
        self.assertFalse(self._charges(ret))
        self.assertEqual(missing.device_id.state, "rented")

    def test_action_refused_without_group(self):
        ret, _received, _missing = self._self_return_one_missing()
        self._days_overdue(ret, 31)
        before = self._snapshot(ret)
        for user in (self.user_internal, self.user_accountant):
            with self.assertRefused(AccessError, "Only ALSO's WaaS users"):
                ret.with_user(user).action_charge_missing()
            with self.assertRefused(AccessError, "change only through its buttons"):
                ret.line_ids.with_user(user).write({"lost": True})
        with self.assertRefused(AccessError, "change only through its buttons"):
            ret.with_user(self.user_waas).write({"charge_move_id": False})
        with self.assertRefused(AccessError, "change only through its buttons"):
            ret.line_ids.with_user(self.user_waas).write({"lost": True})
        self.assertEqual(self._snapshot(ret), before)

    # ------------------------------------------------------------------ price list
    def test_replacement_value_on_price_list(self):
        items = self.env["waas.pricelist.item"].search(
            [("product_tmpl_id", "=", self.bundle.product_tmpl_id.id)]
        )
        self.assertTrue(items)
        lines = self.bundle.waas_bundle_line_ids
        expected = sum(line.quantity * line.product_id.waas_replacement_value for line in lines)
        self.assertTrue(expected)
        self.assertEqual(set(items.mapped("replacement_value")), {expected})
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("also_waas.waas_pricelist_item_report", items.ids)[0]
            .decode()
        )
        self.assertIn("Replacement Value", html)
