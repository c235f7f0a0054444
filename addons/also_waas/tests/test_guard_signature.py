import json

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..models.sale_order import WAAS_SIGNATURE_FIELDS
from .common import SIGNATURE_PNG, WaasRpcMixin
from .common_portal import WaasPortalCommon

CLEARED = "were cleared"
SIGNATURE_FIELDS = sorted(WAAS_SIGNATURE_FIELDS)


class SignatureGuardCommon(WaasPortalCommon):
    """A second credit controller and countersigner (four-eyes rule) and helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        cls.user_credit_2 = new_test_user(
            env, login="waas_credit_2", groups="also_waas.group_waas_credit_controller"
        )
        cls.user_countersign_2 = new_test_user(
            env, login="waas_countersign_2", groups="also_waas.group_waas_countersign"
        )
        cls.customer.email = "inkoop@klant-nl.example.com"

    def _signatures(self, order):
        order.invalidate_recordset()
        return order.sudo().read(SIGNATURE_FIELDS)[0]

    def _sign_and_countersign(self, order):
        self._sign_as_customer(order)
        order.with_user(self.user_countersign).action_waas_countersign()
        self.assertTrue(order.signature and order.waas_countersigned_by_id)

    def _assert_cleared(self, order, times=1):
        """Both signatures cleared, and the chatter said so ``times`` times by now."""
        values = self._signatures(order)
        for fname in SIGNATURE_FIELDS:
            self.assertFalse(values[fname], fname)
        notes = order.message_ids.filtered(lambda m: CLEARED in (m.body or ""))
        self.assertEqual(len(notes), times)


@tagged("post_install", "-at_install")
class TestSignatureChanges(SignatureGuardCommon):
    """Any change of what was signed clears both signatures and says so."""

    def test_form_change_of_term_clears(self):
        order = self._create_waas_order()
        self._sign_and_countersign(order)
        with Form(order.with_user(self.user_waas)) as form:
            form.waas_term_months = 24
        self._assert_cleared(order)
        self.assertFalse(order.waas_customer_signed)
        self.assertFalse(order.waas_countersigned)

    def test_form_change_of_line_and_delivery_clears(self):
        order = self._create_waas_order()
        self._sign_and_countersign(order)
        with Form(order.with_user(self.user_waas)) as form:
            with form.order_line.edit(0) as line:
                line.product_uom_qty = 2
        self._assert_cleared(order)
        self._sign_and_countersign(order)
        with Form(order.with_user(self.user_waas)) as form:
            form.waas_delivery_to = "reseller"
        self._assert_cleared(order, times=2)

    def test_countersignature_alone_is_cleared_too(self):
        order = self._create_waas_order()
        order.with_user(self.user_countersign).action_waas_countersign()
        order.with_user(self.user_waas).write(
            {"order_line": [Command.create({"product_id": self.option_monitor.id})]}
        )
        self._assert_cleared(order)

    def test_unrelated_change_keeps_signatures(self):
        order = self._create_waas_order()
        self._sign_and_countersign(order)
        order.with_user(self.user_waas).write({"client_order_ref": "PO-77", "note": "Hi"})
        values = self._signatures(order)
        self.assertEqual(values["signed_by"], "Jan de Klant")
        self.assertEqual(values["waas_countersigned_by_id"][0], self.user_countersign.id)
        self.assertFalse(order.message_ids.filtered(lambda m: CLEARED in (m.body or "")))

    def test_four_eyes_can_be_switched_off(self):
        order = self._create_waas_order(user_id=self.user_countersign.id)
        with self.assertRaisesRegex(UserError, "Four-eyes rule"):
            order.with_user(self.user_countersign).action_waas_countersign()
        self.assertFalse(order.waas_countersigned_by_id)
        self.company.waas_four_eyes = False
        order.with_user(self.user_countersign).action_waas_countersign()
        self.assertEqual(order.waas_countersigned_by_id, self.user_countersign)

    def test_plain_writes_refused_in_the_orm(self):
        order = self._create_waas_order()
        for user in (self.user_waas, self.user_countersign, self.user_manager):
            with self.assertRaisesRegex(AccessError, "change only through its buttons"):
                order.with_user(user).write({"waas_countersigned_by_id": user.id})
            with self.assertRaisesRegex(AccessError, "confirmed only with Confirm"):
                order.with_user(user).write({"state": "sale"})
        with self.assertRaisesRegex(AccessError, "created unsigned and unconfirmed"):
            self.env["sale.order"].with_user(self.user_manager).create(
                {
                    "is_waas": True,
                    "partner_id": self.customer.id,
                    "waas_reseller_id": self.reseller.id,
                    "signed_by": "Forged",
                    "signature": SIGNATURE_PNG,
                }
            )
        # A plain sale order is not concerned.
        plain = self.env["sale.order"].create({"partner_id": self.customer.id})
        plain.with_user(self.user_manager).write({"signed_by": "Somebody"})
        self.assertEqual(plain.signed_by, "Somebody")


@tagged("post_install", "-at_install")
class TestSignatureAttacks(WaasRpcMixin, HttpCase, SignatureGuardCommon):
    """The attacks of issue 14 on signatures, as each role performs them."""

    def _json(self, url, params):
        return self.url_open(
            url,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
            headers={"Content-Type": "application/json"},
        ).json()

    def _call_kw(self, model, method, args, kwargs=None):
        with mute_logger("odoo.http"):
            return self._json(
                f"/web/dataset/call_kw/{model}/{method}",
                {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
            )

    # ------------------------------------------------------------------ signing token
    def test_portal_users_never_read_the_signing_token(self):
        token = self.order_a._portal_ensure_token()
        for login in ("portal_ra", "portal_ca"):
            self.authenticate(login, login)
            for method, args, kwargs in (
                ("read", [[self.order_a.id], ["access_token"]], {}),
                ("search_read", [[("id", "=", self.order_a.id)], ["access_token"]], {}),
                ("web_read", [[self.order_a.id]], {"specification": {"access_token": {}}}),
                ("search", [[("access_token", "=", token)]], {}),
                ("search", [[("access_token", "=like", token[:1] + "%")]], {}),
                ("read_group", [[], ["id:count"], ["access_token"]], {}),
            ):
                response = self._call_kw("sale.order", method, args, kwargs)
                self.assertIn("error", response, (login, method))
                self.assertNotIn(token, json.dumps(response), (login, method))
            # The quotation itself stays readable; the token is not even described.
            response = self._call_kw("sale.order", "read", [[self.order_a.id], ["name"]])
            self.assertEqual(response["result"][0]["name"], self.order_a.name)
            response = self._call_kw("sale.order", "fields_get", [], {"attributes": ["type"]})
            self.assertIn("signed_by", response["result"])
            self.assertNotIn("access_token", response["result"])
        # Sale's page of the deal sends the reseller to its own page, without the link.
        self.authenticate("portal_ra", "portal_ra")
        response = self.url_open(f"/my/orders/{self.order_a.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertTrue(response.headers["Location"].endswith(f"/my/waas/quotes/{self.order_a.id}"))
        page = self.url_open(f"/my/waas/quotes/{self.order_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn(token, page.text)
        self.assertNotIn(token, self.url_open("/my/quotes").text)
        # The end customer keeps sale's page (its own quotation, to sign).
        self.authenticate("portal_ca", "portal_ca")
        response = self.url_open(f"/my/orders/{self.order_a.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 200)

    def test_logged_in_reseller_cannot_accept(self):
        token = self.order_a._portal_ensure_token()
        self.authenticate("portal_ra", "portal_ra")
        result = self._json(
            f"/my/orders/{self.order_a.id}/accept",
            {"access_token": token, "name": "Clara Klant", "signature": SIGNATURE_PNG},
        )["result"]
        self.assertIn("Only the end customer Test End Customer NL signs", result["error"])
        self.assertIn("you do not sign it in its place", result["error"])
        values = self._signatures(self.order_a)
        self.assertFalse(values["signature"])
        self.assertFalse(values["signed_by"])
        self.assertIn(self.order_a.state, ("draft", "sent"))

    def test_end_customer_signs_through_the_link(self):
        token = self.order_a._portal_ensure_token()
        result = self._json(
            f"/my/orders/{self.order_a.id}/accept",
            {"access_token": token, "name": "Clara Klant", "signature": SIGNATURE_PNG},
        )["result"]
        self.assertNotIn("error", result)
        values = self._signatures(self.order_a)
        self.assertTrue(values["signature"])
        self.assertEqual(values["signed_by"], "Clara Klant")
        self.assertTrue(values["signed_on"])
        self.assertEqual(values["waas_signer_email"], "inkoop@klant-nl.example.com")
        self.assertEqual(values["waas_signer_ip"], "127.0.0.1")

    def test_end_customer_portal_user_signs(self):
        self.authenticate("portal_ca", "portal_ca")
        result = self._json(
            f"/my/orders/{self.order_a.id}/accept",
            {"name": "Clara Klant", "signature": SIGNATURE_PNG},
        )["result"]
        self.assertNotIn("error", result)
        values = self._signatures(self.order_a)
        self.assertEqual(values["signed_by"], "Clara Klant")
        self.assertEqual(values["waas_signer_email"], self.portal_customer_a.email)
        self.assertEqual(values["waas_signer_ip"], "127.0.0.1")

    # ------------------------------------------------------------------ plain writes
    def test_roles_cannot_write_signatures_over_xmlrpc(self):
        order = self.order_a
        before = self._signatures(order)
        forged = {
            "waas_countersigned_by_id": self.user_countersign.id,
            "signature": SIGNATURE_PNG,
            "signed_by": "Forged",
        }
        for user in (self.user_waas, self.user_countersign, self.user_manager):
            for fname, value in forged.items():
                self._assert_fault(
                    "change only through its buttons", user, "sale.order", "write",
                    [order.id], {fname: value},
                )  # fmt: skip
        for fname, value in forged.items():
            self._assert_fault(
                "AccessError|not allowed|change only through its buttons",
                self.user_accountant, "sale.order", "write", [order.id], {fname: value},
            )  # fmt: skip
        self.assertEqual(self._signatures(order), before)

    def test_state_sale_over_xmlrpc_refused(self):
        order = self.order_a
        for user in (self.user_waas, self.user_manager):
            self._assert_fault(
                "confirmed only with Confirm", user, "sale.order", "write",
                [order.id], {"state": "sale"},
            )  # fmt: skip
        # A portal user cannot reach the confirmation either.
        self._assert_fault(
            "doesn't have '(read|write)' access", self.portal_customer_a, "sale.order",
            "action_confirm",
            [order.id],
        )  # fmt: skip
        order.invalidate_recordset()
        self.assertEqual(order.state, "sent")
        self.assertFalse(order.waas_contract_ids)

    # ------------------------------------------------------------------ four-eyes rule
    def test_four_eyes_credit_check_over_xmlrpc(self):
        order = self._create_waas_order()
        self._rpc(self.user_credit, "sale.order", "action_waas_request_credit_check", [order.id])
        check = order.waas_credit_check_id
        self.assertEqual(check.requested_by_id, self.user_credit)
        for method, args in (("action_approve", []), ("action_reject", ["Not me"])):
            message = self._assert_fault(
                "Four-eyes rule", self.user_credit, "waas.credit.check", method, [check.id], *args
            )
            self.assertIn("Another credit controller decides it", message)
        # Nor around the button: a plain write of the decision.
        self._assert_fault(
            "change only through its buttons", self.user_credit, "waas.credit.check", "write",
            [check.id], {"state": "approved", "valid_until": "2099-01-01"},
        )  # fmt: skip
        check.invalidate_recordset()
        self.assertEqual(check.state, "requested")
        self.assertFalse(check.decided_by_id)
        self._rpc(self.user_credit_2, "waas.credit.check", "action_approve", [check.id])
        check.invalidate_recordset()
        self.assertEqual(check.state, "approved")
        self.assertEqual(check.decided_by_id, self.user_credit_2)

    def test_four_eyes_countersign_over_xmlrpc(self):
        order_id = self._rpc(
            self.user_countersign,
            "sale.order",
            "create",
            {
                "is_waas": True,
                "partner_id": self.customer.id,
                "waas_reseller_id": self.reseller.id,
                "waas_term_months": 24,
                "order_line": [(0, 0, {"product_id": self.bundle.id, "product_uom_qty": 1})],
            },
        )
        message = self._assert_fault(
            "Four-eyes rule", self.user_countersign, "sale.order", "action_waas_countersign",
            [order_id],
        )  # fmt: skip
        self.assertIn("cannot countersign", message)
        order = self.env["sale.order"].browse(order_id)
        self.assertFalse(order.waas_countersigned_by_id)
        self._rpc(self.user_countersign_2, "sale.order", "action_waas_countersign", [order_id])
        order.invalidate_recordset()
        self.assertEqual(order.waas_countersigned_by_id, self.user_countersign_2)

    # ------------------------------------------------------------------ changes after signing
    def test_change_after_signature_over_xmlrpc_clears(self):
        order = self.order_a
        self._sign_and_countersign(order)
        line = order.order_line.filtered(lambda line: line.product_id == self.bundle)
        self._rpc(self.user_waas, "sale.order.line", "write", [line.id], {"product_uom_qty": 3})
        self._assert_cleared(order)
        self._sign_and_countersign(order)
        self._rpc(self.user_waas, "sale.order", "write", [order.id], {"waas_term_months": 12})
        self._assert_cleared(order, times=2)
        self._sign_and_countersign(order)
        self._rpc(self.user_waas, "sale.order.line", "unlink", [line.id])
        self._assert_cleared(order, times=3)

    # ------------------------------------------------------------------ sending
    def test_signing_link_goes_to_the_end_customer_only(self):
        self.authenticate("portal_ra", "portal_ra")
        token = self._csrf_token("/my/waas/quotes/new")
        order = self._create_waas_order()
        # No e-mail of the end customer, or one of the reseller's: nothing is sent.
        for email in (False, "anna.private@example.com"):
            self.customer.email = email
            self.url_open(f"/my/waas/quotes/{order.id}/send", data={"csrf_token": token})
            self.assertEqual(order.state, "draft")
            self.assertFalse(order.message_ids.filtered(lambda m: m.message_type == "comment"))
        self.customer.email = "inkoop@klant-nl.example.com"
        self.url_open(f"/my/waas/quotes/{order.id}/send", data={"csrf_token": token})
        self.assertEqual(order.state, "sent")
        self.assertTrue(order.message_ids.filtered(lambda m: self.customer in m.partner_ids))
        notified = (
            self.env["mail.notification"]
            .search([("mail_message_id", "in", order.message_ids.ids)])
            .res_partner_id
        )
        self.assertIn(self.customer, notified)
        self.assertFalse(notified.filtered(lambda p: p.commercial_partner_id == self.reseller))
        # The back office's "Send by Email" checks the same.
        self.customer.email = "portal_ra@example.com"
        with self.assertRaisesRegex(UserError, "is an address of the reseller"):
            order.with_user(self.user_waas).action_quotation_send()

    def test_new_customer_with_reseller_email_refused(self):
        self.authenticate("portal_ra", "portal_ra")
        token = self._csrf_token("/my/waas/quotes/new")
        partners_before = self.env["res.partner"].search_count([])
        for email in ("portal_ra@example.com", "someone.else@example.com"):
            response = self.url_open(
                "/my/waas/quotes/create",
                data={
                    "csrf_token": token,
                    "customer_id": "new",
                    "new_name": "Nieuwe Klant BV",
                    "new_country_id": str(self.env.ref("base.nl").id),
                    "new_vat": "NL004495445B01",
                    "new_company_registry": "24321773",
                    "new_email": email,
                    "term": "24",
                    "delivery_to": "end_customer",
                    f"qty_{self.bundle.product_tmpl_id.id}": "1",
                },
            )
            self.assertIn("is an address of the reseller Test Reseller A", response.text)
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
