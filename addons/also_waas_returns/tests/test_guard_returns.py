"""Returns, return lines, wipes and wiping companies attacked as each role would, over
XML-RPC, JSON-RPC (``/web/dataset/call_kw``) and the portal: every change that moves
money or state goes through its guarded action, and a refused call changes nothing."""

import base64

from odoo import fields
from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.also_waas.tests.common import WaasRpcMixin
from odoo.addons.also_waas.tests.common_portal import WaasPortalCommon

from .common import PICKUP_POST, ReturnsCommon

GUARDED = "change only through its buttons"


@tagged("post_install", "-at_install")
class TestGuardReturns(WaasRpcMixin, HttpCase, WaasPortalCommon, ReturnsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Contract A ends soon: its return is a draft pickup, ready to confirm (whoever may).
        cls.ret = cls.env["waas.return"].create(
            {
                "contract_id": cls.contract_a.id,
                "method": "pickup",
                "pickup_date": fields.Date.add(fields.Date.today(), days=3),
                "pickup_time_from": 9.0,
                "pickup_time_to": 12.0,
                "pickup_contact_id": cls.customer_contact.id,
            }
        )
        cls.logistics = new_test_user(
            cls.env(context=dict(cls.env.context, no_reset_password=True)),
            login="ret_logistics",
            groups="also_waas.group_waas_user",
        )
        cls.env["ir.config_parameter"].set_param("also_waas.logistics_user_id", cls.logistics.id)

    # ------------------------------------------------------------------ helpers
    def _snapshot(self, ret):
        ret = ret.sudo()
        ret.invalidate_recordset()
        ret.line_ids.invalidate_recordset()
        return (
            ret.state,
            ret.method,
            ret.fee_move_id,
            ret.risk_ack_date,
            ret.picking_ids,
            ret.line_ids.mapped("received"),
            ret.line_ids.wipe_id,
            self.env["account.move"].search_count([("waas_return_id", "=", ret.id)]),
        )

    def _received_return(self):
        """Contract B's self-return, confirmed by staff and received."""
        ret = self.env["waas.return"].create({"contract_id": self.contract_b.id})
        self._confirm_self_return(ret)
        self._receive(ret)
        self.assertEqual(ret.state, "received")
        return ret

    # ------------------------------------------------------------------ state
    def test_waas_user_cannot_write_state(self):
        before = self._snapshot(self.ret)
        for state in ("wiped", "done", "scheduled"):
            self._assert_fault(
                GUARDED, self.user_waas, "waas.return", "write", [self.ret.id], {"state": state}
            )
        self._assert_fault(
            GUARDED, self.user_manager, "waas.return", "write", [self.ret.id], {"state": "wiped"}
        )
        for vals in (
            {"fee_move_id": False, "line_ids": [(5, 0, 0)]},
            {"risk_ack_date": "2026-01-01 10:00:00"},
        ):
            self._assert_fault(GUARDED, self.user_waas, "waas.return", "write", [self.ret.id], vals)
        self.assertEqual(self._snapshot(self.ret), before)
        self.assertEqual(self.ret.state, "draft")
        # The certificate is still not offered to the end customer.
        self.authenticate("portal_ca", "portal_ca")
        response = self.url_open(f"/my/waas/returns/{self.ret.id}/certificate")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("Data-Wipe Certificate", self.url_open(self.ret.access_url).text)

    def test_waas_user_cannot_create_a_return_in_any_state(self):
        self.ret.sudo().action_cancel()
        count = self.env["waas.return"].search_count([])
        self._assert_fault(
            "created as a draft",
            self.user_waas,
            "waas.return",
            "create",
            {"contract_id": self.contract_a.id, "state": "wiped"},
        )
        self._assert_fault(
            "created as a draft",
            self.user_waas,
            "waas.return",
            "create",
            {"contract_id": self.contract_a.id, "risk_ack_date": "2026-01-01 10:00:00"},
        )
        self.assertEqual(self.env["waas.return"].search_count([]), count)
        # A draft, with the contract's devices and ALSO's responsible: fine.
        ret_id = self._rpc(
            self.user_waas,
            "waas.return",
            "create",
            {"contract_id": self.contract_a.id, "state": "draft"},
        )
        ret = self.env["waas.return"].browse(ret_id)
        self.assertEqual(ret.state, "draft")
        self.assertEqual(ret.line_ids.lot_id.name, "SN-ALPHA-1")
        self.assertEqual(ret.user_id, self.logistics)

    def test_booking_frozen_once_confirmed(self):
        self._rpc(self.user_waas, "waas.return", "action_confirm", [self.ret.id])
        fee = self.ret.fee_move_id
        self.assertEqual(fee.amount_untaxed, 95.0)
        # Switching to a free self-return after the fee was invoiced: refused.
        self._assert_fault(
            "can no longer be changed",
            self.user_waas,
            "waas.return",
            "write",
            [self.ret.id],
            {"method": "self_return"},
        )
        self.assertEqual(self.ret.method, "pickup")
        # A scheduled pickup may still be rescheduled.
        new_date = fields.Date.add(fields.Date.today(), days=5)
        self._rpc(
            self.user_waas,
            "waas.return",
            "write",
            [self.ret.id],
            {"pickup_date": fields.Date.to_string(new_date)},
        )
        self.assertEqual(self.ret.pickup_date, new_date)
        self.assertEqual(self.ret.fee_move_id, fee)
        # Cancel and Reset to Draft, as a WaaS user: the fee invoice stays linked.
        self._rpc(self.user_waas, "waas.return", "action_cancel", self.ret.ids)
        self.assertEqual(self.ret.state, "cancel")
        self._rpc(self.user_waas, "waas.return", "action_draft", self.ret.ids)
        self.assertEqual(self.ret.state, "draft")
        self.assertEqual(self.ret.fee_move_id, fee)

    def test_lines_and_wipes_only_through_receipt_and_wizard(self):
        ret = self._received_return()
        line = ret.line_ids
        for vals in ({"received": False, "missing": True}, {"device_id": self.device_a.id}):
            self._assert_fault(GUARDED, self.user_waas, "waas.return.line", "write", line.ids, vals)
        self._assert_fault(
            "created only by the actions",
            self.user_waas,
            "waas.return.line",
            "create",
            {"return_id": self.ret.id, "device_id": self.device_a.id},
        )
        wipe_vals = {
            "return_line_id": line.id,
            "wiper_id": self.wiper.id,
            "method": "nist_purge",
            "date": fields.Date.to_string(fields.Date.today()),
            "certificate_ref": "FORGED-1",
        }
        self._assert_fault(
            "created only by the actions", self.user_waas, "waas.wipe", "create", wipe_vals
        )
        self._assert_fault(
            "created only by the actions", self.user_manager, "waas.wipe", "create", wipe_vals
        )
        self.assertFalse(line.wipe_id)
        self.assertEqual(ret.state, "received")
        self.assertTrue(line.received)
        # The Record Wipe wizard, over XML-RPC as a WaaS user: the wipe and the state.
        action = self._rpc(self.user_waas, "waas.return", "action_record_wipe", ret.ids)
        self.assertEqual(action["res_model"], "waas.return.wipe.wizard")
        wizard_id = self._rpc(
            self.user_waas,
            "waas.return.wipe.wizard",
            "create",
            {
                "return_id": ret.id,
                "line_ids": [(6, 0, line.ids)],
                "wiper_id": self.wiper.id,
                "method": "nist_destroy",
                "certificate_ref": "SW-RPC-1",
            },
        )
        self._rpc(self.user_waas, "waas.return.wipe.wizard", "action_confirm", [wizard_id])
        self.assertEqual(line.wipe_id.certificate_ref, "SW-RPC-1")
        self.assertEqual(ret.state, "wiped")
        # The recorded wipe is evidence: not edited, not deleted.
        self._assert_fault(
            GUARDED,
            self.user_manager,
            "waas.wipe",
            "write",
            line.wipe_id.ids,
            {"certificate_ref": "OTHER"},
        )
        self._assert_fault(
            "removed only by the actions",
            self.user_manager,
            "waas.wipe",
            "unlink",
            line.wipe_id.ids,
        )
        self.assertEqual(line.wipe_id.certificate_ref, "SW-RPC-1")
        self._rpc(self.user_waas, "waas.return", "action_done", ret.ids)
        self.assertEqual(ret.state, "done")

    # ------------------------------------------------------------------ portal
    def test_portal_users_cannot_call_return_actions(self):
        before = self._snapshot(self.ret)
        for user in (self.portal_customer_a, self.portal_reseller_a):
            for method in (
                "action_confirm",
                "action_acknowledge_risk",
                "action_cancel",
                "action_done",
                "action_flag_missing",
                "action_create_receipt",
                "action_record_wipe",
            ):
                self._assert_fault(
                    "Only ALSO's WaaS users manage returns",
                    user,
                    "waas.return",
                    method,
                    self.ret.ids,
                )
        self.assertEqual(self._snapshot(self.ret), before)
        # The same over the web client's JSON-RPC, with the end customer's session.
        self.authenticate("portal_ca", "portal_ca")
        for method in ("action_confirm", "action_cancel"):
            with mute_logger("odoo.http"), self.assertRaises(JsonRpcException) as cm:
                self.make_jsonrpc_request(
                    "/web/dataset/call_kw",
                    {
                        "model": "waas.return",
                        "method": method,
                        "args": [self.ret.ids],
                        "kwargs": {},
                    },
                )
            self.assertIn("AccessError", str(cm.exception))
        self.assertEqual(self._snapshot(self.ret), before)
        self.assertFalse(self.ret.fee_move_id)

    def test_reseller_cannot_accept_self_return_risk(self):
        self.ret.sudo().action_cancel()
        url = f"/my/waas/contracts/{self.contract_a.id}/return"
        self.authenticate("portal_ra", "portal_ra")
        page = self.url_open(url).text
        self.assertNotIn('id="waas_accept_risk"', page)
        self.assertIn("o_waas_self_return_end_customer_only", page)
        response = self._post_form(url, f"{url}/book", method="self_return", accept_risk="on")
        self.assertIn("Only Test End Customer NL can accept the risk", response.text)
        open_returns = self.contract_a.waas_return_ids.filtered(lambda r: r.state != "cancel")
        self.assertFalse(open_returns)
        # Nor over RPC on a draft self-return.
        ret = self.env["waas.return"].create({"contract_id": self.contract_a.id})
        self._assert_fault(
            "Only ALSO's WaaS users",
            self.portal_reseller_a,
            "waas.return",
            "action_acknowledge_risk",
            ret.ids,
        )
        self.assertFalse(ret.risk_ack_date)
        self.assertEqual(ret.state, "draft")
        # The end customer accepts it in its own portal.
        self.authenticate("portal_ca", "portal_ca")
        self._post_form(url, f"{url}/book", method="self_return", accept_risk="on")
        self.assertRecordValues(
            ret,
            [
                {
                    "state": "scheduled",
                    "method": "self_return",
                    "risk_ack_mode": "portal",
                    "risk_ack_by_id": self.portal_customer_a.id,
                    "user_id": self.logistics.id,
                }
            ],
        )

    def test_staff_record_written_consent(self):
        self.ret.sudo().action_cancel()
        ret = self.env["waas.return"].create({"contract_id": self.contract_a.id})
        self._assert_fault(
            "written consent", self.user_waas, "waas.return", "action_acknowledge_risk", ret.ids
        )
        self.assertFalse(ret.risk_ack_date)
        consent = base64.b64encode(b"%PDF-1.4 consent").decode()
        self._rpc(
            self.user_waas,
            "waas.return",
            "write",
            ret.ids,
            {
                "risk_consent_ref": "Letter of 2026-11-30, J. Klant",
                "risk_consent_file": consent,
                "risk_consent_filename": "consent.pdf",
            },
        )
        self._rpc(self.user_waas, "waas.return", "action_acknowledge_risk", ret.ids)
        self.assertRecordValues(
            ret,
            [
                {
                    "risk_ack_mode": "consent",
                    "risk_ack_by_id": self.user_waas.id,
                    "risk_consent_ref": "Letter of 2026-11-30, J. Klant",
                }
            ],
        )
        self.assertTrue(ret.risk_ack_date)
        # The consent recorded is kept as it was.
        self._assert_fault(
            "already acknowledged",
            self.user_waas,
            "waas.return",
            "write",
            ret.ids,
            {"risk_consent_ref": "something else"},
        )
        self._rpc(self.user_waas, "waas.return", "action_confirm", ret.ids)
        self.assertEqual(ret.state, "scheduled")

    # ------------------------------------------------------------------ responsible
    def test_expiry_return_gets_also_responsible(self):
        contract = self._create_contract(term=12, date_start="2024-01-01")
        self._create_devices(contract, 1)
        self.env["waas.contract"]._cron_waas_expire()
        ret = contract.waas_return_ids
        self.assertEqual(ret.user_id, self.logistics, "the logistics user, not OdooBot")
        # With a deal, its (internal) salesperson.
        seller = new_test_user(self.env, login="ret_seller", groups="also_waas.group_waas_user")
        order = self._create_waas_order(user_id=seller.id)
        contract_2 = self._create_contract(term=12, date_start="2024-01-01")
        contract_2.sudo().write({"sale_order_id": order.id})
        self._create_devices(contract_2, 1)
        self.env["waas.contract"]._cron_waas_expire()
        self.assertEqual(contract_2.waas_return_ids.user_id, seller)
        # Its to-dos go to that responsible.
        ret_2 = self._confirm_self_return(contract_2.waas_return_ids)
        ret_2.action_flag_missing()
        self.assertEqual(ret_2.activity_ids.user_id, seller)

    def test_portal_booking_gets_also_responsible(self):
        self.ret.sudo().action_cancel()
        url = f"/my/waas/contracts/{self.contract_a.id}/return"
        self.authenticate("portal_ra", "portal_ra")
        self._post_form(url, f"{url}/book", **PICKUP_POST)
        ret = self.contract_a.waas_return_ids.filtered(lambda r: r.state == "scheduled")
        self.assertEqual(ret.user_id, self.logistics, "ALSO's logistics, not the portal user")
        self.assertEqual(ret.fee_move_id.invoice_user_id, self.logistics)
        activity = ret.activity_ids
        self.assertEqual(activity.user_id, self.logistics)
        self.assertEqual(activity.summary, "Secure pickup booked in the portal")
        # A portal user is never a return's responsible.
        self._assert_fault(
            "must be an ALSO user",
            self.user_waas,
            "waas.return",
            "write",
            ret.ids,
            {"user_id": self.portal_reseller_a.id},
        )
        self.assertEqual(ret.user_id, self.logistics)

    # ------------------------------------------------------------------ wiping companies
    def test_only_waas_managers_certify_wiping_companies(self):
        before = self.wiper.read(["waas_is_wiper", "waas_wiper_certificate", "waas_wiper_valid_to"])
        for user in (self.user_product, self.user_waas):
            self._assert_fault(
                "Only a WaaS Manager",
                user,
                "res.partner",
                "write",
                self.wiper.ids,
                {"waas_wiper_valid_to": "2099-12-31"},
            )
            self._assert_fault(
                "Only a WaaS Manager",
                user,
                "res.partner",
                "write",
                self.reseller.ids,
                {
                    "waas_is_wiper": True,
                    "waas_wiper_certificate": "FAKE",
                    "waas_wiper_valid_from": "2020-01-01",
                    "waas_wiper_valid_to": "2099-12-31",
                },
            )
        self._assert_fault(
            "Only a WaaS Manager",
            self.user_product,
            "res.partner",
            "create",
            {
                "name": "Wipe It Cheap",
                "is_company": True,
                "waas_is_wiper": True,
                "waas_wiper_certificate": "X",
                "waas_wiper_valid_from": "2020-01-01",
                "waas_wiper_valid_to": "2099-12-31",
            },
        )
        self.wiper.invalidate_recordset()
        self.reseller.invalidate_recordset()
        self.assertEqual(
            self.wiper.read(["waas_is_wiper", "waas_wiper_certificate", "waas_wiper_valid_to"]),
            before,
        )
        self.assertFalse(self.reseller.waas_is_wiper)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Wipe It Cheap")]))
        # A WaaS Manager renews the certification.
        self._rpc(
            self.user_manager,
            "res.partner",
            "write",
            self.wiper.ids,
            {"waas_wiper_valid_to": "2031-12-31"},
        )
        self.assertEqual(str(self.wiper.waas_wiper_valid_to), "2031-12-31")
