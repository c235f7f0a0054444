from psycopg2 import IntegrityError

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import WaasCommissionCommon


@tagged("post_install", "-at_install")
class TestCommissionAmounts(WaasCommissionCommon):
    def test_new_contract_bundle_option_upgrade(self):
        contract = self._activate(
            term=36,
            products=[(self.bundle, 2), (self.upgrade_premium, 2), (self.option_monitor, 1)],
        )
        # Every line: a new contract's commission of this period, to the reseller.
        common = {
            "event": "new",
            "bundle_id": self.bundle.id,
            "reseller_id": self.reseller.id,
            "state": "to_settle",
            "period": self.this_period,
            "company_id": self.company.id,
            "currency_id": self.currency.id,
        }
        self.assertRecordValues(
            self._lines(contract),
            [
                {**common, "product_id": product.id, "amount": amount}
                for product, amount in (
                    (self.bundle, 360.0),
                    (self.upgrade_premium, 60.0),
                    (self.option_monitor, 15.0),
                )
            ],
        )

    def test_amount_depends_on_term(self):
        c12 = self._activate(term=12)
        c24 = self._activate(term=24)
        self.assertEqual(self._lines(c12).amount, 120.0)
        self.assertEqual(self._lines(c24).amount, 150.0)

    def test_nothing_before_activation(self):
        contract = self._new_contract(products=[(self.bundle, 1), (self.upgrade_premium, 1)])
        self.assertFalse(self._lines(contract))
        self.assertFalse(self.reseller.waas_commission_count)

    def test_nothing_for_contract_not_active(self):
        contract = self._new_contract(state="terminated")
        contract._on_activated()
        self.assertFalse(self._lines(contract))

    def test_partner_service_earns_nothing(self):
        contract = self._activate(products=[(self.bundle, 1), (self.partner_service, 1)])
        self.assertEqual(self._lines(contract).product_id, self.bundle)

    def test_activation_twice_one_line_per_event(self):
        contract = self._activate(products=[(self.bundle, 1), (self.upgrade_premium, 1)])
        contract._on_activated()
        (contract | self._new_contract())._on_activated()
        lines = self._lines(contract)
        self.assertEqual(len(lines), 2)
        self.assertEqual(sum(lines.mapped("amount")), 180.0 + 30.0)

    def test_unique_index_is_the_safety_net(self):
        contract = self._activate()
        line = self._lines(contract)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                line.copy()
                self.env.flush_all()

    def test_renewal_amounts_and_twice(self):
        contract = self._activate(term=24, products=[(self.bundle, 3), (self.upgrade_premium, 1)])
        renewal = self._renew(contract)
        contract._on_renewed(renewal)
        lines = self._lines(contract, "renewal")
        self.assertRecordValues(
            lines,
            [
                {"product_id": self.bundle.id, "amount": 3 * 75.0, "renewal_id": renewal.id},
                {"product_id": self.upgrade_premium.id, "amount": 12.0, "renewal_id": renewal.id},
            ],
        )
        second = self._renew(contract)
        self.assertEqual(len(self._lines(contract, "renewal")), 4)
        self.assertEqual(self._lines(contract, "renewal").renewal_id, renewal | second)

    def test_renewal_of_ended_contract_earns_nothing(self):
        contract = self._activate(term=12)
        contract.state = "expired"
        self._renew(contract)
        self.assertFalse(self._lines(contract, "renewal"))

    def test_upgrade_during_term(self):
        contract = self._activate(term=36)
        contract.write(
            {
                "line_ids": [
                    Command.create(
                        {
                            "product_id": self.upgrade_premium.id,
                            "name": "Premium",
                            "quantity": 2,
                            "price_unit": 10.0,
                        }
                    )
                ]
            }
        )
        new_line = contract.line_ids.filtered(lambda line: line.product_id == self.upgrade_premium)
        contract._on_upgraded(new_line)
        contract._on_upgraded(new_line)
        upgrade = self._lines(contract, "upgrade")
        self.assertRecordValues(
            upgrade,
            [{"amount": 60.0, "contract_line_id": new_line.id, "bundle_id": self.bundle.id}],
        )
        # A line already paid as part of the new contract is never paid again as an upgrade.
        contract._on_upgraded(contract.line_ids)
        self.assertEqual(len(self._lines(contract)), 2)

    def test_smart_button_totals(self):
        self._activate(products=[(self.bundle, 1), (self.option_monitor, 1)])
        self._activate(reseller=self.reseller_b)
        self.assertEqual(self.reseller.waas_commission_count, 2)
        self.assertEqual(self.reseller.waas_commission_total, 195.0)
        action = self.reseller.action_view_waas_commissions()
        self.assertEqual(self.Line.search_count(action["domain"]), 2)
