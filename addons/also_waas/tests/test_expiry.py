from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import tagged

from .common_ops import WaasOpsCommon


@tagged("post_install", "-at_install")
class TestExpiry(WaasOpsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["waas.contract"])

    def _contract_ending(self, date_end, **values):
        start = date_end + timedelta(days=1) - relativedelta(months=12)
        return self._create_contract(term=12, date_start=start, **values)

    def test_cron_expires_ended_contracts(self):
        self.env["ir.config_parameter"].set_param("also_waas.logistics_user_id", self.user_waas.id)
        ended = self._contract_ending(self.today - timedelta(days=1))
        ending_today = self._contract_ending(self.today)
        terminated = self._contract_ending(self.today - timedelta(days=5), state="terminated")
        hook = self._count_hook("_on_ended")
        self.env["waas.contract"]._cron_waas_expire()
        self.assertEqual(ended.state, "expired")
        self.assertEqual(ending_today.state, "active")
        self.assertEqual(terminated.state, "terminated")
        activity = ended.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.user_waas)
        self.assertEqual(activity.summary, "Collect the hardware of expired contract")
        self.assertEqual(activity.date_deadline, self.today)
        self.assertFalse(ending_today.activity_ids)
        self.assertEqual(len(hook), 1)
        self.assertIn(ended, hook[0][0])
        self.assertNotIn(ending_today, hook[0][0])
        self.assertIn("Expired on", ended.message_ids[0].body)
        # A renewed contract does not expire.
        ending_today._waas_renew(months=12)
        self.env["waas.contract"]._cron_waas_expire()
        self.assertEqual(ending_today.state, "active")
        self.assertEqual(len(hook), 1)

    def test_cron_chunks(self):
        contracts = self.env["waas.contract"]
        for days in range(1, 6):
            contracts |= self._contract_ending(self.today - timedelta(days=days))
        hook = self._count_hook("_on_ended")
        due = self.env["waas.contract"].search_count(
            [("state", "=", "active"), ("date_end", "<", self.today)]
        )
        # One batch of two per call; the runner calls again while some remain.
        calls = self._run_cron_batches(
            "also_waas.waas_contract_cron_expire", "_cron_waas_expire", batch_size=2
        )
        self.assertEqual(calls, -(-due // 2))
        self.assertEqual(set(contracts.mapped("state")), {"expired"})
        self.assertEqual(len(contracts.activity_ids), 5)
        # Each chunk ended once, no contract twice.
        ended = [c for records, _args in hook for c in records]
        self.assertEqual(len(ended), len(set(ended)))
        self.assertTrue(all(len(records) <= 2 for records, _args in hook))

    def test_activity_falls_back_to_salesperson(self):
        self.env["ir.config_parameter"].set_param("also_waas.logistics_user_id", False)
        order = self.env["sale.order"].create(
            {"partner_id": self.customer.id, "user_id": self.user_manager.id}
        )
        contract = self._contract_ending(self.today - timedelta(days=2), sale_order_id=order.id)
        contract._waas_expire()
        self.assertEqual(contract.activity_ids.user_id, self.user_manager)

    def test_activity_falls_back_to_a_manager(self):
        self.env["ir.config_parameter"].set_param("also_waas.logistics_user_id", False)
        contract = self._contract_ending(self.today - timedelta(days=2))
        contract._waas_expire()
        user = contract.activity_ids.user_id
        self.assertIn(user, self.env.ref("also_waas.group_waas_manager").users)
        self.assertNotEqual(user, self.env.ref("base.user_root"))
