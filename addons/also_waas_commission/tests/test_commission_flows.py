from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.tests import tagged

from .common import WaasCommissionCommon


@tagged("post_install", "-at_install")
class TestCommissionFlows(WaasCommissionCommon):
    """The commission hooks driven by the real deal and contract flows of also_waas."""

    def test_deal_activation_earns_commission_once(self):
        order = self._create_waas_order(term=24, products=[(self.bundle, 2)])
        # A quotation earns nothing yet.
        self.assertFalse(self.Line.search([("reseller_id", "=", self.reseller.id)]))
        contract = self._activate_order(order)
        lines = self._lines(contract)
        self.assertRecordValues(
            lines,
            [{"event": "new", "amount": 300.0, "reseller_id": self.reseller.id}],
        )
        contract._on_activated()
        self.assertEqual(self._lines(contract), lines)

    def test_rejected_deal_earns_nothing(self):
        order = self._create_waas_order()
        order.action_waas_request_credit_check()
        order.waas_credit_check_id.with_user(self.user_credit).action_reject(reason="Risk")
        self.assertFalse(order.waas_contract_ids)
        self.assertFalse(self.Line.search([("reseller_id", "=", self.reseller.id)]))

    def test_renewal_flow(self):
        """A renewal earns its commission only once the renewal quotation has the credit
        approval and both signatures and is confirmed: then exactly one line."""
        contract = self._activate(term=12, date_start=self.today - relativedelta(months=11))
        end = contract.date_end
        wizard = (
            self.env["waas.contract.renew"]
            .with_user(self.user_waas)
            .create({"contract_ids": [Command.set(contract.ids)], "extension": "12"})
        )
        order = self.env["sale.order"].browse(wizard.action_confirm()["res_id"])
        self.assertEqual(order.waas_renewal_contract_id, contract)
        order.waas_credit_check_id.with_user(self.user_credit).action_approve()
        self.assertFalse(self._lines(contract, "renewal"))
        self._sign_as_customer(order)
        self.assertFalse(self._lines(contract, "renewal"))
        order.with_user(self.user_countersign).action_waas_countersign()
        self.assertEqual(contract.date_end, end)
        self.assertFalse(self._lines(contract, "renewal"))
        order.with_user(self.user_waas).action_confirm()
        self.assertEqual(contract.date_end, end + relativedelta(months=12))
        renewal = contract.renewal_ids
        self.assertEqual(renewal.sale_order_id, order)
        self.assertRecordValues(
            self._lines(contract, "renewal"),
            [{"amount": 60.0, "renewal_id": renewal.id}],
        )

    def test_upgrade_flow(self):
        contract = self._activate(term=36, products=[(self.bundle, 3)])
        new_lines = contract._waas_upgrade([(self.upgrade_premium, 3)])
        self.assertRecordValues(
            self._lines(contract, "upgrade"),
            [{"amount": 90.0, "contract_line_id": new_lines.id}],
        )

    def test_termination_flow_claws_back(self):
        self.company.waas_commission_clawback = True
        contract = self._activate(term=36, date_start=self.today - relativedelta(months=2))
        contract._waas_terminate(self.today, "Customer went bankrupt")
        self.assertEqual(contract.state, "terminated")
        self.assertEqual(self._lines(contract, "clawback").amount, -180.0)
