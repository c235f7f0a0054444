from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.tests import tagged

from .common import WaasCommissionCommon


@tagged("post_install", "-at_install")
class TestClawback(WaasCommissionCommon):
    def _end(self, contract, state="terminated", months_after_start=3):
        end = contract.date_start + relativedelta(months=months_after_start)
        contract.write({"state": state, "date_terminated": end})
        contract._on_ended()

    def _contract(self, months_ago=3):
        start = self.today - relativedelta(months=months_ago)
        contract = self._activate(
            date_start=start, products=[(self.bundle, 1), (self.option_monitor, 2)]
        )
        contract.write(
            {
                "line_ids": [
                    Command.create(
                        {"product_id": self.upgrade_premium.id, "name": "Premium", "price_unit": 10}
                    )
                ]
            }
        )
        contract._on_upgraded(contract.line_ids[-1:])
        return contract

    def test_clawback_off_by_default(self):
        self.assertFalse(self.env["res.company"].new({}).waas_commission_clawback)
        contract = self._contract()
        self._end(contract, months_after_start=1)
        self.assertFalse(self._lines(contract, "clawback"))

    def test_clawback_on_within_window(self):
        self.company.waas_commission_clawback = True
        contract = self._contract()
        # A cancelled commission was never owed: it is not taken back.
        self._lines(contract, "new").filtered(
            lambda line: line.product_id == self.option_monitor
        ).action_cancel()
        self._end(contract, months_after_start=2)
        contract._on_ended()
        clawback = self._lines(contract, "clawback")
        self.assertRecordValues(
            clawback,
            [
                {
                    "amount": -(180.0 + 30.0),
                    "reseller_id": self.reseller.id,
                    "state": "to_settle",
                    "bundle_id": self.bundle.id,
                }
            ],
        )

    def test_clawback_on_after_window(self):
        self.company.write({"waas_commission_clawback": True, "waas_commission_clawback_months": 6})
        contract = self._contract(months_ago=8)
        self._end(contract, months_after_start=7)
        self.assertFalse(self._lines(contract, "clawback"))

    def test_no_clawback_on_expiry(self):
        self.company.waas_commission_clawback = True
        contract = self._contract()
        self._end(contract, state="expired", months_after_start=1)
        self.assertFalse(self._lines(contract, "clawback"))
