from datetime import timedelta

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ReturnsCommon


@tagged("post_install", "-at_install")
class TestPickupFee(ReturnsCommon):
    def _pickup(self, ret, **values):
        vals = {
            "method": "pickup",
            "pickup_date": fields.Date.add(fields.Date.today(), days=3),
            "pickup_time_from": 9.0,
            "pickup_time_to": 12.5,
            "pickup_contact_id": self.customer_contact.id,
        }
        vals.update(values)
        ret.write(vals)
        return ret

    def _fee_moves(self, ret):
        return self.env["account.move"].search([("waas_return_id", "=", ret.id)])

    def test_pickup_flow(self):
        contract = self._ended_contract(devices=2)
        ret = contract.waas_return_ids.with_user(self.user_waas)
        ret.method = "pickup"
        self.assertEqual(ret.pickup_address_id, self.customer, "end customer's address")
        with self.assertRefused(UserError, "pickup date, time window and address"):
            ret.action_confirm()
        self._pickup(ret, pickup_contact_id=False)
        with self.assertRefused(UserError, "contact person"):
            ret.action_confirm()
        ret.pickup_contact_id = self.customer_contact
        ret.action_confirm()
        self.assertEqual(ret.state, "scheduled")
        move = ret.fee_move_id
        self.assertEqual(move.move_type, "out_invoice")
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.partner_id, self.customer)
        self.assertEqual(move.invoice_line_ids.product_id, self.fee_product)
        self.assertEqual(move.amount_untaxed, 95.0)
        self.assertEqual(move.waas_return_id, ret)
        self.assertIn(ret.name, move.invoice_line_ids.name)
        receipt = self._open_receipt(ret)
        self.assertEqual(receipt.partner_id, self.customer)
        self.assertEqual(receipt.scheduled_date.date(), ret.pickup_date)
        self._receive(ret)
        self.assertEqual(ret.state, "received")

    def test_fee_invoiced_once_when_confirmed_twice(self):
        ret = self._pickup(self._ended_contract().waas_return_ids)
        ret.with_user(self.user_waas).action_confirm()
        move = ret.fee_move_id
        # Double click: the same button again.
        ret.with_user(self.user_waas).action_confirm()
        # A second user confirming from a stale screen.
        ret.with_user(self.user_manager).action_confirm()
        # The same record twice in one call, and the invoicing step called again.
        self.env["waas.return"].browse([ret.id, ret.id]).action_confirm()
        ret._invoice_pickup_fee()
        self.assertEqual(self._fee_moves(ret), move)
        self.assertEqual(ret.fee_move_id, move)
        self.assertEqual(len(ret.picking_ids), 1, "one receipt too")

    def test_fee_lost_link_is_not_invoiced_again(self):
        ret = self._pickup(self._ended_contract().waas_return_ids)
        ret.action_confirm()
        move = ret.fee_move_id
        ret.sudo().fee_move_id = False
        ret._invoice_pickup_fee()
        self.assertEqual(ret.fee_move_id, move)
        self.assertEqual(self._fee_moves(ret), move)

    def test_fee_second_invoice_refused_by_database(self):
        ret = self._pickup(self._ended_contract().waas_return_ids)
        ret.action_confirm()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "waas_return_id": ret.id,
                }
            )
            self.env.flush_all()

    def test_fee_that_cannot_be_posted_stays_draft_and_is_retried(self):
        ret = self._pickup(self._ended_contract().waas_return_ids)
        with self._refuse_posting(lambda m: m.waas_return_id == ret):
            ret.with_user(self.user_waas).action_confirm()
        move = ret.fee_move_id
        self.assertEqual(ret.state, "scheduled", "the pickup goes ahead")
        self.assertEqual(move.state, "draft")
        self.assertIn("Posting refused by the test", move.waas_post_error)
        self.assertEqual(len(self._posting_activities(ret)), 1)
        with freeze_time(fields.Datetime.now() + timedelta(days=1)):
            tried = self.env["waas.contract"]._waas_retry_posting()
        self.assertIn(move, tried)
        self.assertEqual(move.state, "posted")
        self.assertFalse(move.waas_post_error)

    def test_fee_without_sales_journal(self):
        ret = self._pickup(self._ended_contract().waas_return_ids)
        self._without_sales_journal()
        with self.assertRefused(UserError, "No sales journal for the WaaS invoices"):
            ret.with_user(self.user_waas).action_confirm()
        self.assertEqual(ret.state, "draft")
        self.assertFalse(self._fee_moves(ret))

    def test_fee_must_be_configured(self):
        self.company.waas_pickup_fee_amount = 0.0
        ret = self._pickup(self._ended_contract().waas_return_ids)
        with self.assertRefused(UserError, "Set the secure pickup fee"):
            ret.action_confirm()
        self.assertEqual(ret.state, "draft")
        self.assertFalse(self._fee_moves(ret))
        self.assertFalse(ret.picking_ids)

    def test_pickup_window_must_be_valid(self):
        ret = self._ended_contract().waas_return_ids
        with self.assertRefused(ValidationError, "pickup window"):
            self._pickup(ret, pickup_time_from=14.0, pickup_time_to=10.0)
        with self.assertRefused(ValidationError, "pickup window"):
            self._pickup(ret, pickup_time_from=9.0, pickup_time_to=25.0)

    def test_self_return_has_no_fee(self):
        ret = self._confirm_self_return(self._ended_contract().waas_return_ids)
        ret._invoice_pickup_fee()
        self.assertFalse(ret.fee_move_id)
        self.assertFalse(self._fee_moves(ret))
