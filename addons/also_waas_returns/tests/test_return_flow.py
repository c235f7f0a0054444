from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import ReturnsCommon


@tagged("post_install", "-at_install")
class TestReturnFlow(ReturnsCommon):
    # ------------------------------------------------------------------ creation
    def test_termination_creates_one_return(self):
        contract = self._ended_contract("terminated", devices=2)
        ret = contract.waas_return_ids
        self.assertEqual(len(ret), 1)
        self.assertEqual(ret.state, "draft")
        self.assertEqual(ret.method, "self_return")
        self.assertEqual(ret.partner_id, self.customer)
        self.assertEqual(ret.reseller_id, self.reseller)
        self.assertTrue(ret.name.startswith("RET/"))
        self.assertEqual(ret.line_ids.device_id, contract.device_ids)
        self.assertEqual(ret.line_ids.lot_id, contract.device_ids.lot_id)
        self.assertEqual(contract.waas_return_count, 1)
        # The hook runs again (or the contract ends twice): still one open return.
        contract._on_ended()
        self.assertEqual(len(contract.waas_return_ids), 1)

    def test_expiry_creates_returns_batched(self):
        contracts = self.env["waas.contract"]
        for _i in range(3):
            contract = self._create_contract()
            self._create_devices(contract, 1)
            contracts |= contract
        no_device = self._create_contract()
        (contracts | no_device).write({"state": "expired"})
        (contracts | no_device)._on_ended()
        returns = self.env["waas.return"].search([("contract_id", "in", contracts.ids)])
        self.assertEqual(len(returns), 3)
        self.assertEqual(returns.contract_id, contracts)
        self.assertFalse(no_device.waas_return_ids, "nothing to return, no return")
        self.assertTrue(all(len(r.line_ids) == 1 for r in returns))

    def test_termination_wizard_creates_return(self):
        contract = self._create_contract()
        self._create_devices(contract, 2)
        wizard = (
            self.env["waas.contract.terminate"]
            .with_user(self.user_manager)
            .create(
                {
                    "contract_id": contract.id,
                    "date": "2026-06-30",
                    "reason": "The customer closes its office.",
                }
            )
        )
        wizard.action_confirm()
        self.assertEqual(contract.state, "terminated")
        ret = contract.waas_return_ids
        self.assertEqual(len(ret), 1)
        self.assertEqual(ret.state, "draft")
        self.assertEqual(ret.line_ids.device_id, contract.device_ids)

    def test_expiry_cron_creates_return(self):
        contract = self._create_contract(term=12, date_start="2024-01-01")
        self._create_devices(contract, 1)
        self.env["waas.contract"]._cron_waas_expire()
        self.assertEqual(contract.state, "expired")
        self.assertEqual(len(contract.waas_return_ids), 1)
        self.assertEqual(contract.waas_return_ids.line_ids.device_id, contract.device_ids)

    def test_one_open_return_per_contract(self):
        contract = self._ended_contract()
        ret = contract.waas_return_ids
        with self.assertRefused(ValidationError, "already has an open return"):
            self.env["waas.return"].create({"contract_id": contract.id})
        with self.assertRefused(UserError, "already has an open return"):
            contract.action_create_waas_return()
        ret.action_cancel()
        action = contract.action_create_waas_return()
        new = self.env["waas.return"].browse(action["res_id"])
        self.assertEqual(new.state, "draft")
        self.assertEqual(len(new.line_ids), 2)
        self.assertEqual(contract.waas_return_count, 2)

    def test_manual_return_needs_devices(self):
        contract = self._create_contract()
        with self.assertRefused(UserError, "no rented device left"):
            self.env["waas.return"].create({"contract_id": contract.id})

    # ------------------------------------------------------------------ self-return
    def test_self_return_flow(self):
        contract = self._ended_contract("expired", devices=2)
        ret = contract.waas_return_ids.with_user(self.user_waas)
        with self.assertRefused(UserError, "must acknowledge"):
            ret.action_confirm()
        self.assertEqual(ret.state, "draft")
        # Staff acknowledge the risk only with the end customer's written consent.
        with self.assertRefused(UserError, "written consent"):
            ret.action_acknowledge_risk()
        self.assertFalse(ret.risk_ack_date)
        ret.risk_consent_ref = "E-mail of 2026-11-30 from the office manager"
        ret.action_acknowledge_risk()
        self.assertEqual(ret.risk_ack_by_id, self.user_waas)
        self.assertEqual(ret.risk_ack_mode, "consent")
        self.assertTrue(ret.risk_ack_date)
        ret.action_confirm()
        self.assertEqual(ret.state, "scheduled")
        self.assertEqual(ret.expected_date, fields.Date.context_today(ret) + timedelta(days=14))
        self.assertFalse(ret.fee_move_id, "a self-return costs nothing")
        receipt = self._open_receipt(ret)
        self.assertEqual(receipt.picking_type_code, "incoming")
        self.assertEqual(receipt.location_dest_id, self.warehouse.waas_return_loc_id)
        self.assertEqual(receipt.partner_id, self.customer)
        self.assertEqual(receipt.move_line_ids.lot_id, contract.device_ids.lot_id)
        self._receive(ret)
        self.assertEqual(receipt.state, "done")
        self.assertEqual(ret.state, "received")
        self.assertTrue(all(ret.line_ids.mapped("received")))
        self.assertFalse(any(ret.line_ids.mapped("missing")))
        self.assertEqual(set(contract.device_ids.mapped("state")), {"returned"})
        quants = self.env["stock.quant"].search(
            [
                ("lot_id", "in", contract.device_ids.lot_id.ids),
                ("location_id", "=", self.warehouse.waas_return_loc_id.id),
            ]
        )
        self.assertEqual(sum(quants.mapped("quantity")), 2.0)

    def test_self_return_overdue_reminder(self):
        ret = self._confirm_self_return(self._ended_contract().waas_return_ids)
        ret.expected_date = fields.Date.today() - timedelta(days=1)
        self.env["waas.return"]._cron_remind_overdue_self_returns()
        activities = ret.activity_ids.filtered(lambda a: a.summary == "Self-return overdue")
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, ret.user_id)
        self.assertEqual(ret.reminder_date, fields.Date.today())
        # The next day's run does not remind again for the same date.
        self.env["waas.return"]._cron_remind_overdue_self_returns()
        self.assertEqual(
            len(ret.activity_ids.filtered(lambda a: a.summary == "Self-return overdue")), 1
        )
        # Not yet overdue, or already received: no reminder.
        other = self._confirm_self_return(self._ended_contract().waas_return_ids)
        self.env["waas.return"]._cron_remind_overdue_self_returns()
        self.assertFalse(other.activity_ids)

    # ------------------------------------------------------------------ receipt checks
    def test_unknown_serial_refused(self):
        ret = self._confirm_self_return(self._ended_contract().waas_return_ids)
        receipt = self._open_receipt(ret)
        stranger = self._ended_contract().device_ids[:1].lot_id
        move = receipt.move_ids[0]
        with self.assertRefused(ValidationError, f"{stranger.name} is not a device of"):
            move.move_line_ids.lot_id = stranger
        with self.assertRefused(ValidationError, "NOT-OURS-1 is not a device of"):
            self.env["stock.move.line"].create(
                {
                    "picking_id": receipt.id,
                    "move_id": move.id,
                    "product_id": self.laptop.id,
                    "lot_name": "NOT-OURS-1",
                    "quantity": 1.0,
                    "location_id": receipt.location_id.id,
                    "location_dest_id": receipt.location_dest_id.id,
                }
            )
        self.assertEqual(ret.state, "scheduled")
        self.assertFalse(any(ret.line_ids.mapped("received")))

    def test_missing_device_flagged(self):
        contract = self._ended_contract(devices=2)
        ret = self._confirm_self_return(contract.waas_return_ids)
        first, second = ret.line_ids
        # The parcel held one device only, and the receipt is closed without backorder.
        self._receive(ret, lots=first.lot_id, backorder=False)
        self.assertTrue(first.received)
        self.assertEqual(first.device_id.state, "returned")
        self.assertTrue(second.missing)
        self.assertFalse(second.received)
        self.assertEqual(second.device_id.state, "rented")
        self.assertEqual(ret.state, "partial")
        self.assertEqual(ret.missing_count, 1)
        activity = ret.activity_ids.filtered(lambda a: a.summary == "Missing devices")
        self.assertEqual(len(activity), 1)
        self.assertIn(second.lot_id.name, activity.note)
        # The device turns up: a new receipt for it only.
        ret.action_create_receipt()
        receipt = self._open_receipt(ret)
        self.assertEqual(receipt.move_line_ids.lot_id, second.lot_id)
        self._receive(ret)
        self.assertTrue(second.received)
        self.assertFalse(second.missing)
        self.assertEqual(ret.state, "received")

    def test_missing_after_backorder_cancelled(self):
        ret = self._confirm_self_return(self._ended_contract(devices=2).waas_return_ids)
        first, second = ret.line_ids
        # A backorder first: nothing is missing while the rest is still expected.
        self._receive(ret, lots=first.lot_id, backorder=True)
        self.assertEqual(ret.state, "partial")
        self.assertFalse(second.missing)
        self.assertFalse(ret.activity_ids)
        # The warehouse gives the backorder up.
        self._open_receipt(ret).action_cancel()
        self.assertTrue(second.missing)
        self.assertEqual(len(ret.activity_ids), 1)

    def test_flag_missing_by_hand(self):
        ret = self._confirm_self_return(self._ended_contract(devices=1).waas_return_ids)
        ret.action_flag_missing()
        self.assertTrue(ret.line_ids.missing)
        self.assertEqual(ret.picking_ids.state, "cancel")
        self.assertEqual(len(ret.activity_ids), 1)

    def test_cancel_return(self):
        ret = self._confirm_self_return(self._ended_contract().waas_return_ids)
        ret.action_cancel()
        self.assertEqual(ret.state, "cancel")
        self.assertEqual(ret.picking_ids.state, "cancel")
        self.assertFalse(any(ret.line_ids.mapped("missing")))
        ret.action_draft()
        self.assertEqual(ret.state, "draft")
        self.assertFalse(ret.risk_ack_date)

    def test_access_url(self):
        ret = self._ended_contract().waas_return_ids
        self.assertEqual(ret.access_url, f"/my/waas/returns/{ret.id}")
