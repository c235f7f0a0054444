from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import RollbackOnRaiseMixin, WaasCommon


@tagged("post_install", "-at_install")
class TestCreditCheck(RollbackOnRaiseMixin, WaasCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls._create_waas_order(products=[(cls.bundle, 2), (cls.upgrade_premium, 2)])
        cls.today = fields.Date.context_today(cls.env["waas.credit.check"])

    def _request(self, order=None):
        order = order or self.order
        order.action_waas_request_credit_check()
        return order.waas_credit_check_id

    def test_request_for_end_customer_and_contract_value(self):
        self.order.with_user(self.user_waas).action_waas_request_credit_check()
        check = self.order.waas_credit_check_id
        self.assertEqual(check.state, "requested")
        self.assertEqual(check.partner_id, self.customer)
        self.assertEqual(check.reseller_id, self.reseller)
        self.assertEqual(check.amount, (2 * 40.0 + 2 * 10.0) * 36)
        self.assertEqual(check.requested_by_id, self.user_waas)
        self.assertTrue(check.name.startswith("CC/"))
        self.assertEqual(self.order.waas_credit_state, "requested")
        # The credit team gets a to-do, the quotation's chatter tells.
        self.assertIn(self.user_credit, check.activity_ids.user_id)
        self.assertNotIn(self.user_waas, check.activity_ids.user_id)
        self.assertIn(check.name, self.order.message_ids[0].body)
        with self.assertRaisesRegex(UserError, "still waiting for a decision"):
            self.order.action_waas_request_credit_check()

    def test_invalid_vat_refused(self):
        bad = (
            self.env["res.partner"]
            .with_context(no_vat_validation=True)
            .create(
                {
                    "name": "Test Bad VAT BV",
                    "is_company": True,
                    "vat": "NL123456789B01",
                    "company_registry": "12345678",
                    "country_id": self.env.ref("base.nl").id,
                }
            )
        )
        order = self._create_waas_order(partner=bad)
        with self.assertRaisesRegex(UserError, "VAT number NL123456789B01 of Test Bad VAT BV"):
            order.action_waas_request_credit_check()
        self.assertFalse(order.waas_credit_check_ids)
        bad.with_context(no_vat_validation=True).vat = False
        with self.assertRaisesRegex(UserError, "has no VAT number"):
            order.action_waas_request_credit_check()

    def test_company_registry_validated(self):
        self.customer.company_registry = "1234567"
        with self.assertRaisesRegex(UserError, "registry number 1234567 .* not valid"):
            self.order.action_waas_request_credit_check()
        self.customer.company_registry = False
        with self.assertRaisesRegex(UserError, "no company registry number"):
            self.order.action_waas_request_credit_check()
        self.assertFalse(self.order.waas_credit_check_ids)
        order_be = self._create_waas_order(partner=self.customer_be)
        self.customer_be.company_registry = "0477472702"
        with self.assertRaisesRegex(UserError, "registry number 0477472702"):
            order_be.action_waas_request_credit_check()
        self.customer_be.company_registry = "0477.472.701"
        order_be.action_waas_request_credit_check()
        self.assertEqual(order_be.waas_credit_check_id.partner_id, self.customer_be)

    def test_approve_by_credit_controller(self):
        check = self._request()
        check.with_user(self.user_credit).action_approve()
        self.assertEqual(check.state, "approved")
        self.assertEqual(check.decided_by_id, self.user_credit)
        self.assertEqual(check.valid_until, self.today + timedelta(days=90))
        self.assertFalse(check.activity_ids)
        self.assertTrue(check.is_valid)
        self.assertEqual(self.order.waas_credit_state, "approved")

    def test_validity_days_configurable(self):
        self.company.waas_credit_validity_days = 30
        check = self._request()
        check.with_user(self.user_credit).action_approve()
        self.assertEqual(check.valid_until, self.today + timedelta(days=30))

    def test_decision_outside_credit_controller_refused(self):
        check = self._request()
        for user in (self.user_waas, self.user_countersign):
            with self.assertRaisesRegex(AccessError, "Only the Credit Controller group"):
                check.with_user(user).action_approve()
            with self.assertRaisesRegex(AccessError, "Only the Credit Controller group"):
                check.with_user(user).action_reject()
            with self.assertRaisesRegex(AccessError, "Only the Credit Controller group"):
                check.with_user(user).action_reject(reason="No")
            with self.assertRaisesRegex(AccessError, "Only the Credit Controller group"):
                check.with_user(user).write({"state": "approved"})
            with self.assertRaisesRegex(AccessError, "Only the Credit Controller group"):
                check.with_user(user).write({"valid_until": self.today})
        self.assertEqual(check.state, "requested")
        self.assertFalse(check.decided_by_id)
        with self.assertRaisesRegex(UserError, "request a new check"):
            check.with_user(self.user_waas).write({"amount": 1.0})
        with self.assertRaises(AccessError):
            self.env["waas.credit.check"].with_user(self.user_waas).create(
                {
                    "sale_order_id": self.order.id,
                    "partner_id": self.customer.id,
                    "currency_id": self.currency.id,
                    "amount": 10.0,
                    "state": "approved",
                }
            )

    def test_reject_needs_a_reason(self):
        check = self._request()
        with self.assertRaisesRegex(UserError, "needs a reason"):
            check.with_user(self.user_credit).action_reject(reason="  ")
        action = check.with_user(self.user_credit).action_reject()
        self.assertEqual(action["res_model"], "waas.credit.check.reject")
        wizard_form = Form(
            self.env["waas.credit.check.reject"]
            .with_user(self.user_credit)
            .with_context(**action["context"])
        )
        wizard_form.reason = "Payment defaults at two other lessors."
        wizard_form.save().action_reject()
        self.assertEqual(check.state, "rejected")
        self.assertEqual(check.rejection_reason, "Payment defaults at two other lessors.")
        self.assertEqual(check.decided_by_id, self.user_credit)
        self.assertEqual(self.order.waas_credit_state, "rejected")
        with self.assertRaisesRegex(UserError, "cannot be approved"):
            check.with_user(self.user_credit).action_approve()
        with self.assertRaisesRegex(UserError, "cannot be reopened"):
            check.with_user(self.user_credit).write({"state": "requested"})
        # A new request is possible after a rejection.
        self.order.action_waas_request_credit_check()
        self.assertEqual(self.order.waas_credit_state, "requested")
        self.assertEqual(len(self.order.waas_credit_check_ids), 2)

    def test_raised_value_needs_new_check(self):
        check = self._request()
        check.with_user(self.user_credit).action_approve()
        with self.assertRaisesRegex(UserError, "already approved"):
            self.order.action_waas_request_credit_check()
        self.order.order_line.filtered(lambda line: line.product_id == self.bundle).write(
            {"product_uom_qty": 3}
        )
        self.assertEqual(self.order.waas_credit_state, "insufficient")
        self.assertFalse(check.is_valid)
        self.order.action_waas_request_credit_check()
        new = self.order.waas_credit_check_id
        self.assertNotEqual(new, check)
        self.assertEqual(check.state, "cancelled")
        self.assertEqual(new.amount, (3 * 40.0 + 2 * 10.0) * 36)
        # Lowering the value keeps an approval valid.
        new.with_user(self.user_credit).action_approve()
        self.order.order_line.filtered(lambda line: line.product_id == self.bundle).write(
            {"product_uom_qty": 1}
        )
        self.assertEqual(self.order.waas_credit_state, "approved")

    def test_approval_is_for_one_end_customer(self):
        check = self._request()
        check.with_user(self.user_credit).action_approve()
        self.order.partner_id = self.customer_be
        self.assertEqual(self.order.waas_credit_state, "none")
        self.order.action_waas_request_credit_check()
        self.assertEqual(check.state, "cancelled")
        self.assertEqual(self.order.waas_credit_check_id.partner_id, self.customer_be)

    def test_cron_expires_lapsed_approvals(self):
        check = self._request()
        check.with_user(self.user_credit).action_approve()
        order_2 = self._create_waas_order(partner=self.customer_be)
        fresh = self._request(order_2)
        fresh.with_user(self.user_credit).action_approve()
        order_3 = self._create_waas_order(partner=self.customer_be)
        lapsed_too = self._request(order_3)
        lapsed_too.with_user(self.user_credit).action_approve()
        (check | lapsed_too).write({"valid_until": self.today - timedelta(days=1)})
        # Lapsed: no longer valid, even before the cron ran.
        self.assertEqual(self.order.waas_credit_state, "expired")
        # One batch of one per call: the scheduler calls it again while some remain.
        calls = self._run_cron_batches(
            "also_waas.waas_credit_check_cron_expire", "_cron_expire", batch_size=1
        )
        self.assertEqual(calls, 2)
        self.assertEqual((check | lapsed_too).mapped("state"), ["expired", "expired"])
        self.assertEqual(fresh.state, "approved")
        self.assertEqual(self.order.waas_credit_state, "expired")
        # The last valid day still counts.
        fresh.write({"valid_until": self.today})
        self.env["waas.credit.check"]._cron_expire()
        self.assertEqual(fresh.state, "approved")
        cron = self.env.ref("also_waas.waas_credit_check_cron_expire")
        self.assertEqual(cron.interval_type, "days")

    def test_check_is_for_end_customer_only(self):
        with self.assertRaisesRegex(ValidationError, "never for the reseller"):
            self.env["waas.credit.check"].create(
                {
                    "sale_order_id": self.order.id,
                    "partner_id": self.reseller.id,
                    "currency_id": self.currency.id,
                    "amount": 10.0,
                }
            )

    def test_cancel_order_cancels_open_check(self):
        check = self._request()
        self.order.action_cancel()
        self.assertEqual(self.order.state, "cancel")
        self.assertEqual(check.state, "cancelled")
        self.assertFalse(check.activity_ids)
        order_2 = self._create_waas_order()
        approved = self._request(order_2)
        approved.with_user(self.user_credit).action_approve()
        order_2.action_cancel()
        self.assertEqual(approved.state, "cancelled")

    def test_cancel_keeps_decided_checks(self):
        check = self._request()
        check.with_user(self.user_credit).action_reject(reason="Too risky")
        self.order.action_cancel()
        self.assertEqual(check.state, "rejected")
