from datetime import timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import SIGNATURE_PNG, RollbackOnRaiseMixin, WaasCommon, WaasRpcMixin


@tagged("post_install", "-at_install")
class TestActivation(RollbackOnRaiseMixin, WaasCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls._create_waas_order(
            products=[(cls.bundle, 2), (cls.upgrade_premium, 2), (cls.partner_service, 1)],
            delivery_to="reseller",
        )
        cls.today = fields.Date.context_today(cls.env["sale.order"])

    def _approve(self, order=None):
        order = order or self.order
        order.action_waas_request_credit_check()
        order.waas_credit_check_id.with_user(self.user_credit).action_approve()
        return order.waas_credit_check_id

    def _countersign(self, order=None):
        (order or self.order).with_user(self.user_countersign).action_waas_countersign()

    def _assert_not_activated(self, order=None):
        order = order or self.order
        self.assertIn(order.state, ("draft", "sent"))
        self.assertFalse(order.waas_contract_ids)
        self.assertFalse(self.env["waas.contract"].search([("sale_order_id", "=", order.id)]))

    def test_confirm_without_anything_names_all_missing(self):
        with self.assertRaisesRegex(UserError, "cannot be activated yet") as error:
            self.order.action_confirm()
        message = str(error.exception)
        self.assertIn("an approved credit check (none requested yet)", message)
        self.assertIn("the end customer's signature", message)
        self.assertIn("ALSO's countersignature", message)
        self._assert_not_activated()
        self.assertFalse(self.order.waas_ready_to_activate)

    def test_confirm_without_approval(self):
        self._sign_as_customer(self.order)
        self._countersign()
        self.order.action_waas_request_credit_check()
        with self.assertRaisesRegex(UserError, "awaits the credit team's decision") as error:
            self.order.action_confirm()
        self.assertNotIn("signature", str(error.exception))
        self._assert_not_activated()
        self.order.waas_credit_check_id.with_user(self.user_credit).action_reject(reason="Risky")
        with self.assertRaisesRegex(UserError, "was rejected: Risky"):
            self.order.action_confirm()
        self._assert_not_activated()

    def test_confirm_without_customer_signature(self):
        self._approve()
        self._countersign()
        with self.assertRaisesRegex(UserError, "the end customer's signature") as error:
            self.order.action_confirm()
        self.assertNotIn("countersignature", str(error.exception))
        self.assertNotIn("credit", str(error.exception))
        self._assert_not_activated()

    def test_confirm_without_countersignature(self):
        self._approve()
        self._sign_as_customer(self.order)
        with self.assertRaisesRegex(UserError, "ALSO's countersignature") as error:
            self.order.action_confirm()
        self.assertNotIn("end customer's signature", str(error.exception))
        self._assert_not_activated()

    def test_confirm_with_expired_approval(self):
        check = self._approve()
        self._sign_as_customer(self.order)
        self._countersign()
        check.write({"valid_until": self.today - timedelta(days=1)})
        with self.assertRaisesRegex(UserError, "expired on"):
            self.order.action_confirm()
        self._assert_not_activated()
        self.env["waas.credit.check"]._cron_expire()
        self.assertEqual(check.state, "expired")
        with self.assertRaisesRegex(UserError, "expired on"):
            self.order.action_confirm()
        self._assert_not_activated()

    def test_confirm_with_value_above_approval(self):
        self._approve()
        self._sign_as_customer(self.order)
        self._countersign()
        self.order.order_line.filtered(lambda line: line.product_id == self.bundle).write(
            {"product_uom_qty": 5}
        )
        with self.assertRaisesRegex(UserError, "credit approval covering the contract value"):
            self.order.action_confirm()
        self._assert_not_activated()

    def test_confirm_without_price_for_term(self):
        self._approve()
        self._sign_as_customer(self.order)
        self._countersign()
        self.env["waas.pricelist.item"].search(
            [
                ("product_tmpl_id", "=", self.upgrade_premium.product_tmpl_id.id),
                ("term_months", "=", 36),
            ]
        ).active = False
        with self.assertRaisesRegex(
            UserError, "No WaaS price for a 36-month term of Test Upgrade to Business Premium"
        ):
            self.order.action_confirm()
        self._assert_not_activated()

    def test_countersign_restricted(self):
        with self.assertRaisesRegex(AccessError, "Only ALSO countersigners"):
            self.order.with_user(self.user_waas).action_waas_countersign()
        self.assertFalse(self.order.waas_countersigned_by_id)
        self._countersign()
        self.assertEqual(self.order.waas_countersigned_by_id, self.user_countersign)
        self.assertTrue(self.order.waas_countersigned_on)
        with self.assertRaisesRegex(UserError, "already countersigned"):
            self._countersign()

    def test_activation_creates_contract(self):
        Contract = self.registry["waas.contract"]
        original = Contract._on_activated
        calls = []

        def on_activated(contracts):
            calls.append(contracts)
            return original(contracts)

        with patch.object(Contract, "_on_activated", on_activated):
            contract = self._activate_order(self.order)
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0], contract)
        self.assertEqual(self.order.state, "sale")
        self.assertEqual(len(contract), 1)
        self.assertTrue(contract.name.startswith("WAAS/"))
        self.assertEqual(contract.partner_id, self.customer)
        self.assertEqual(contract.reseller_id, self.reseller)
        self.assertEqual(contract.sale_order_id, self.order)
        self.assertEqual(contract.company_id, self.company)
        self.assertEqual(contract.currency_id, self.order.currency_id)
        self.assertEqual(contract.state, "active")
        self.assertEqual(contract.term_months, 36)
        self.assertEqual(contract.date_start, self.today)
        self.assertEqual(
            contract.date_end, self.today + relativedelta(months=36) - timedelta(days=1)
        )
        self.assertEqual(contract.monthly_amount, 2 * 40.0 + 2 * 10.0)
        self.assertEqual(contract.monthly_amount, self.order.waas_monthly_amount)
        self.assertEqual(
            contract.line_ids.product_id, self.bundle | self.upgrade_premium
        )  # no partner service
        self.assertEqual(self.order.waas_contract_count, 1)
        self.assertEqual(self.order.partner_shipping_id, self.reseller)

    def test_batch_confirmation_one_create(self):
        order_2 = self._create_waas_order(partner=self.customer_be, term=12)
        for order in self.order | order_2:
            self._approve(order)
            self._sign_as_customer(order)
            self._countersign(order)
        Contract = self.registry["waas.contract"]
        original_create = Contract.create
        original_hook = Contract._on_activated
        creates, hooks = [], []

        def create(model, vals_list):
            creates.append(vals_list)
            return original_create(model, vals_list)

        def on_activated(contracts):
            hooks.append(contracts)
            return original_hook(contracts)

        with (
            patch.object(Contract, "create", create),
            patch.object(Contract, "_on_activated", on_activated),
        ):
            (self.order | order_2).action_confirm()
        self.assertEqual(len(creates), 1)
        self.assertEqual(len(hooks), 1)
        self.assertEqual(hooks[0], self.order.waas_contract_ids | order_2.waas_contract_ids)
        self.assertEqual(order_2.waas_contract_ids.term_months, 12)
        self.assertEqual(order_2.waas_contract_ids.monthly_amount, 60.0)
        self.assertNotEqual(self.order.waas_contract_ids.name, order_2.waas_contract_ids.name)

    def test_error_in_activation_leaves_nothing(self):
        self._approve()
        self._sign_as_customer(self.order)
        self._countersign()

        def on_activated(contracts):
            raise UserError(self.env._("Marketplace down"))

        with (
            patch.object(self.registry["waas.contract"], "_on_activated", on_activated),
            self.assertRaisesRegex(UserError, "Marketplace down"),
        ):
            self.order.action_confirm()
        self.env.invalidate_all()
        self.assertEqual(self.order.state, "draft")
        self._assert_not_activated()

    def test_portal_signature_activates_when_ready(self):
        self._approve()
        self._sign_as_customer(self.order)
        self.order._validate_order()  # what the portal does after the signature
        self._assert_not_activated()
        self.assertIn("ALSO's countersignature", self.order.message_ids[0].body)
        self._countersign()
        self.assertTrue(self.order.waas_ready_to_activate)
        self.order._validate_order()
        self.assertEqual(self.order.state, "sale")
        self.assertTrue(self.order.waas_contract_ids)

    def test_cancel_refused_with_active_contract(self):
        contract = self._activate_order(self.order)
        with self.assertRaisesRegex(UserError, "terminate it instead"):
            self.order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(contract.state, "active")
        self.assertEqual(self.order.state, "sale")


@tagged("post_install", "-at_install")
class TestDealOverRpc(WaasRpcMixin, HttpCase, WaasCommon):
    """The deal flow as ALSO's tools and the end customer drive it: XML-RPC for the back
    office, the standard portal route for the customer's signature."""

    def test_deal_flow_over_xmlrpc_and_portal_signature(self):
        order_id = self._rpc(
            self.user_waas,
            "sale.order",
            "create",
            {
                "is_waas": True,
                "partner_id": self.customer.id,
                "waas_reseller_id": self.reseller.id,
                "waas_term_months": 24,
                "waas_delivery_to": "reseller",
                "order_line": [(0, 0, {"product_id": self.bundle.id, "product_uom_qty": 2})],
            },
        )
        self._rpc(self.user_waas, "sale.order", "action_waas_request_credit_check", [order_id])
        [check] = self._rpc(
            self.user_waas,
            "waas.credit.check",
            "search_read",
            [("sale_order_id", "=", order_id)],
            fields=["partner_id", "amount", "state"],
        )
        self.assertEqual(check["partner_id"][0], self.customer.id)
        self.assertEqual(check["amount"], 2 * 50.0 * 24)
        self.assertEqual(check["state"], "requested")
        with self.assertRaisesRegex(Exception, "Only the Credit Controller group"):
            self._rpc(self.user_waas, "waas.credit.check", "action_approve", [check["id"]])
        self._rpc(self.user_credit, "waas.credit.check", "action_approve", [check["id"]])

        # The end customer signs through the standard portal route.
        order = self.env["sale.order"].browse(order_id)
        self.assertTrue(order.require_signature)
        result = self.make_jsonrpc_request(
            f"/my/orders/{order_id}/accept",
            {
                "access_token": order._portal_ensure_token(),
                "name": "Jan de Klant",
                "signature": SIGNATURE_PNG,
            },
        )
        self.assertNotIn("error", result)
        order.invalidate_recordset()
        self.assertEqual(order.signed_by, "Jan de Klant")
        self.assertEqual(order.state, "draft")  # ALSO has not countersigned yet

        with self.assertRaisesRegex(Exception, "ALSO's countersignature"):
            self._rpc(self.user_waas, "sale.order", "action_confirm", [order_id])
        self._rpc(self.user_countersign, "sale.order", "action_waas_countersign", [order_id])
        self._rpc(self.user_waas, "sale.order", "action_confirm", [order_id])
        [contract] = self._rpc(
            self.user_waas,
            "waas.contract",
            "search_read",
            [("sale_order_id", "=", order_id)],
            fields=["partner_id", "reseller_id", "term_months", "monthly_amount", "state"],
        )
        self.assertEqual(contract["partner_id"][0], self.customer.id)
        self.assertEqual(contract["reseller_id"][0], self.reseller.id)
        self.assertEqual(contract["term_months"], 24)
        self.assertEqual(contract["monthly_amount"], 100.0)
        self.assertEqual(contract["state"], "active")
