"""Licences: ALSO's API key acts at the Cloud Marketplace only through the licence's own
buttons, for the right role and mode. The attacks of issue 14 performed over XML-RPC."""

from odoo.tests import HttpCase, tagged

from .common_ops import FakeMarketplace
from .common_portal import WaasPortalCommon
from .test_guard_contract import WaasGuardRpcMixin

LICENCE_FIELDS = ["seats", "marketplace_ref", "state", "pending_action", "contract_id"]


@tagged("post_install", "-at_install")
class TestGuardLicence(WaasGuardRpcMixin, HttpCase, WaasPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marketplace = FakeMarketplace.start(cls)
        Licence = cls.env["waas.licence"]
        # Another customer's running subscription: what an attacker would point at.
        cls.running = Licence.create(
            {
                "contract_id": cls.contract_b.id,
                "product_id": cls.premium.id,
                "seats": 5,
                "marketplace_ref": "SUB-OF-SOMEONE-ELSE",
                "state": "provisioned",
                "pending_action": False,
            }
        )
        # The portal users' own licence, failed once at the marketplace.
        cls.licence = Licence.create(
            {
                "contract_id": cls.contract_a.id,
                "product_id": cls.essentials.id,
                "seats": 1,
                "state": "failed",
                "last_error": "The Cloud Marketplace answered HTTP 500: internal at 10.0.0.7",
                "attempt_count": 1,
            }
        )

    def setUp(self):
        super().setUp()
        self.marketplace.set_mode("ok")
        self.marketplace.requests.clear()

    def _licences(self):
        return self._snapshot(self.licence | self.running, LICENCE_FIELDS)

    def test_waas_user_cannot_redirect_nor_send(self):
        before = self._licences()
        for vals in (
            {"marketplace_ref": "SUB-OF-SOMEONE-ELSE"},
            {"pending_action": "cancel"},
            {"state": "provisioned"},
            {"seats": 999},
            {"contract_id": self.contract_b.id},
            {"attempt_count": 0, "next_attempt_at": False},
        ):
            with self.subTest(vals=vals):
                self._assert_fault(
                    "of WaaS Licence Subscription change only through its buttons",
                    self.user_waas,
                    "waas.licence",
                    "write",
                    [self.licence.id],
                    vals,
                )
        self._assert_fault(
            "Only users of the group .*WaaS Manager", self.user_waas, "waas.licence",
            "action_waas_sync_now", [self.licence.id, self.running.id],
        )  # fmt: skip
        self._assert_fault(
            "created only by the actions",
            self.user_waas,
            "waas.licence",
            "create",
            {
                "contract_id": self.contract_a.id,
                "product_id": self.premium.id,
                "marketplace_ref": "SUB-OF-SOMEONE-ELSE",
                "pending_action": "cancel",
            },
        )
        self._assert_fault(
            "removed only by the actions", self.user_manager, "waas.licence", "unlink",
            [self.running.id],
        )  # fmt: skip
        self.assertEqual(self._licences(), before)
        self.assertFalse(self.marketplace.requests, "nothing may reach the marketplace")

    def test_marks_only_in_manual_mode(self):
        before = self._licences()
        for action in ("action_waas_mark_provisioned", "action_waas_mark_cancelled"):
            with self.subTest(action=action):
                self._assert_fault(
                    "connection is on", self.user_waas, "waas.licence", action, [self.licence.id]
                )
        self.assertEqual(self._licences(), before)

    def test_portal_cannot_call_actions_nor_read_errors(self):
        before = self._licences()
        for user in (self.portal_customer_a, self.portal_reseller_a):
            with self.subTest(user=user.login):
                # The portal user reads its own licence...
                [read] = self._rpc(user, "waas.licence", "read", [self.licence.id], ["state"])
                self.assertEqual(read["state"], "failed")
                # ... but not what the marketplace answered, nor the retry bookkeeping.
                for fname in ("last_error", "attempt_count", "next_attempt_at", "last_attempt_at"):
                    regex = f'not have enough rights to access the fields "{fname}"'
                    self._assert_fault(
                        regex, user, "waas.licence", "read", [self.licence.id], [fname]
                    )
                    self._assert_fault(
                        regex, user, "waas.licence", "search_read",
                        [("id", "=", self.licence.id)], fields=[fname],
                    )  # fmt: skip
                for action in (
                    "action_waas_sync_now",
                    "action_waas_mark_provisioned",
                    "action_waas_mark_cancelled",
                ):
                    self._assert_fault(
                        "Only users of the group", user, "waas.licence", action, [self.licence.id]
                    )
        # Without any field list the portal user gets the fields it may read only.
        [read] = self._rpc(self.portal_customer_a, "waas.licence", "read", [self.licence.id])
        self.assertNotIn("last_error", read)
        self.assertEqual(self._licences(), before)
        self.assertFalse(self.marketplace.requests)

    def test_manual_mode_mark_provisioned_as_waas_user(self):
        self.company.waas_marketplace_manual = True
        self.licence.write({"state": "to_provision", "pending_action": "create"})
        # Typing the id of the subscription staff created, on a licence still to create...
        self._rpc(
            self.user_waas, "waas.licence", "write", [self.licence.id], {"marketplace_ref": "M-7"}
        )
        # ... but never on a running one, nor any other guarded field.
        self._assert_fault(
            "change only through its buttons", self.user_waas, "waas.licence", "write",
            [self.running.id], {"marketplace_ref": "M-8"},
        )  # fmt: skip
        self._assert_fault(
            "change only through its buttons", self.user_waas, "waas.licence", "write",
            [self.licence.id], {"marketplace_ref": "M-9", "pending_action": False},
        )  # fmt: skip
        self._assert_fault(
            "Only users of the group", self.portal_customer_a, "waas.licence",
            "action_waas_mark_provisioned", [self.licence.id],
        )  # fmt: skip
        self._rpc(self.user_waas, "waas.licence", "action_waas_mark_provisioned", [self.licence.id])
        self.licence.invalidate_recordset()
        self.assertEqual(
            (self.licence.state, self.licence.marketplace_ref, self.licence.pending_action),
            ("provisioned", "M-7", False),
        )
        self.assertFalse(self.licence.last_error)
        self.assertEqual(self.running.marketplace_ref, "SUB-OF-SOMEONE-ELSE")
        self.assertFalse(self.marketplace.requests)

    def test_send_now_as_manager(self):
        self._rpc(self.user_manager, "waas.licence", "action_waas_sync_now", [self.licence.id])
        self.licence.invalidate_recordset()
        self.assertEqual(self.licence.state, "provisioned")
        self.assertEqual(self.licence.marketplace_ref, "SUB-1")
        self.assertFalse(self.licence.pending_action)
        self.assertEqual(self.licence.attempt_count, 0)
        self.assertEqual(
            [(r["method"], r["path"]) for r in self.marketplace.requests],
            [("POST", "/api/v1/subscriptions")],
        )
