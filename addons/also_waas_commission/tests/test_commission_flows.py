from dateutil.relativedelta import relativedelta

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
        contract = self._activate(term=12, date_start=self.today - relativedelta(months=11))
        renewals = contract._waas_renew(months=12)
        self.assertRecordValues(
            self._lines(contract, "renewal"),
            [{"amount": 60.0, "renewal_id": renewals.id}],
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
