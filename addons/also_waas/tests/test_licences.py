"""Licences through the ALSO Cloud Marketplace, against a real HTTP server on 127.0.0.1
started by the test (see common_ops.FakeMarketplace)."""

import socket
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common_ops import FakeMarketplace, WaasOpsCommon


@tagged("post_install", "-at_install")
class TestLicences(WaasOpsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marketplace = FakeMarketplace.start(cls, timeout=10)
        # Licences already in the database (demo data) stay out of these tests' calls.
        cls.env["waas.licence"].search([("pending_action", "!=", False)]).pending_action = False

    def setUp(self):
        super().setUp()
        self.marketplace.set_mode("ok")
        self.marketplace.requests.clear()
        self.marketplace.server.counter = 0
        self.marketplace.server.subscriptions_by_key.clear()

    def _activated(self, products=None, **values):
        contract = self._create_contract(products=products, **values)
        contract._on_activated()
        return contract

    def _sync(self):
        return self.env["waas.licence"]._cron_waas_marketplace_sync()

    def _make_due(self, licences):
        """Time passes: the next attempt is due."""
        licences.write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})

    def test_activation_creates_licences(self):
        contract = self._activated(products=[(self.bundle, 3), (self.upgrade_premium, 1)])
        licences = contract.licence_ids.sorted(lambda lic: lic.product_id.id)
        self.assertEqual(
            {(lic.product_id, lic.seats, lic.state, lic.pending_action) for lic in licences},
            {
                (self.essentials, 2, "to_provision", "create"),
                (self.premium, 1, "to_provision", "create"),
            },
        )
        self.assertEqual(contract.licence_count, 2)
        # Activating twice creates nothing more.
        contract._on_activated()
        self.assertEqual(len(contract.licence_ids), 2)

    def test_provisioning_succeeds(self):
        contract = self._activated(products=[(self.bundle, 2)])
        licence = contract.licence_ids
        self._sync()
        self.assertEqual(licence.state, "provisioned")
        self.assertEqual(licence.marketplace_ref, "SUB-1")
        self.assertFalse(licence.pending_action)
        self.assertFalse(licence.last_error)
        request = self.marketplace.requests[0]
        self.assertEqual((request["method"], request["path"]), ("POST", "/api/v1/subscriptions"))
        self.assertEqual(request["headers"]["Authorization"], "Bearer test-key-123")
        self.assertTrue(request["headers"]["Idempotency-Key"].endswith(f"-{licence.id}"))
        body = request["body"]
        self.assertEqual(body["sku"], "M365-BE")
        self.assertEqual(body["seats"], 2)
        self.assertEqual(body["customer"]["vat"], self.customer.vat)
        self.assertEqual(body["customer"]["name"], self.customer.name)
        self.assertEqual(body["contract"], contract.name)
        # Nothing pending: the next run sends nothing.
        self._sync()
        self.assertEqual(len(self.marketplace.requests), 1)

    def _assert_failure_then_retry(self, mode, reason):
        contract = self._activated()
        licence = contract.licence_ids
        self.marketplace.set_mode(mode)
        before = fields.Datetime.now()
        self._sync()
        self.assertEqual(licence.state, "failed")
        self.assertRegex(licence.last_error, reason)
        self.assertEqual(licence.attempt_count, 1)
        self.assertEqual(licence.pending_action, "create")
        self.assertFalse(licence.marketplace_ref)
        wait = licence.next_attempt_at - before
        self.assertTrue(timedelta(minutes=5) <= wait < timedelta(minutes=6), wait)
        # Not due yet: the scheduled action leaves it alone.
        calls = len(self.marketplace.requests)
        self._sync()
        self.assertEqual(len(self.marketplace.requests), calls)
        self.assertEqual(licence.attempt_count, 1)
        # Due, still failing: twice the wait.
        self._make_due(licence)
        before = fields.Datetime.now()
        self._sync()
        self.assertEqual(licence.attempt_count, 2)
        wait = licence.next_attempt_at - before
        self.assertTrue(timedelta(minutes=10) <= wait < timedelta(minutes=11), wait)
        # The marketplace is back: provisioned on the next due attempt.
        self.marketplace.set_mode("ok")
        self._make_due(licence)
        self._sync()
        self.assertEqual(licence.state, "provisioned")
        self.assertTrue(licence.marketplace_ref.startswith("SUB-"))
        self.assertEqual(licence.attempt_count, 0)
        self.assertFalse(licence.next_attempt_at)
        self.assertFalse(licence.last_error)

    def test_failure_http_500(self):
        self._assert_failure_then_retry("error500", r"answered HTTP 500")

    def test_failure_garbage(self):
        self._assert_failure_then_retry("garbage", r"not JSON: <html>")

    def test_failure_no_id(self):
        self._assert_failure_then_retry("no_id", r"no subscription id")

    def test_failure_down(self):
        # A port nobody listens on.
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.company.waas_marketplace_url = f"http://127.0.0.1:{port}/api"
        licence = self._activated().licence_ids
        self._sync()
        self.assertEqual(licence.state, "failed")
        self.assertRegex(licence.last_error, r"cannot be reached")
        self.assertEqual(licence.attempt_count, 1)
        self.company.waas_marketplace_url = self.marketplace.url
        self._make_due(licence)
        self._sync()
        self.assertEqual(licence.state, "provisioned")

    def test_failure_timeout(self):
        licence = self._activated().licence_ids
        self.marketplace.set_mode("slow")
        self.marketplace.server.release.clear()
        try:
            self._sync()
        finally:
            self.marketplace.server.release.set()
        self.assertEqual(licence.state, "failed")
        self.assertRegex(licence.last_error, r"did not answer within 10")
        # The server did create it after all: the retry carries the same idempotency key,
        # so the marketplace answers with the same subscription instead of a second one.
        self.marketplace.set_mode("ok")
        self._make_due(licence)
        self._sync()
        self.assertEqual(licence.state, "provisioned")
        self.assertEqual(licence.marketplace_ref, "SUB-1")
        keys = {r["headers"]["Idempotency-Key"] for r in self.marketplace.requests}
        self.assertEqual(len(keys), 1)

    def test_not_configured(self):
        self.company.waas_marketplace_url = False
        licence = self._activated().licence_ids
        self._sync()
        self.assertEqual(licence.state, "failed")
        self.assertRegex(licence.last_error, r"endpoint of .* is not configured")

    def test_manual_mode(self):
        self.company.waas_marketplace_manual = True
        licence = self._activated().licence_ids
        self._sync()
        self.assertFalse(self.marketplace.requests)
        self.assertEqual(licence.state, "to_provision")
        self.assertTrue(licence.manual_mode)
        with self.assertRaisesRegex(UserError, r"manual mode"):
            licence.action_waas_sync_now()
        licence_user = licence.with_user(self.user_waas)
        with self.assertRaisesRegex(UserError, r"Enter the marketplace subscription id"):
            licence_user.action_waas_mark_provisioned()
        with Form(licence_user) as form:
            form.marketplace_ref = "MANUAL-42"
        licence_user.action_waas_mark_provisioned()
        self.assertEqual(licence.state, "provisioned")
        self.assertEqual(licence.marketplace_ref, "MANUAL-42")
        self.assertFalse(licence.pending_action)
        # Ending the contract: the cancellation waits for staff too.
        licence.contract_id._waas_terminate(fields.Date.to_date("2026-02-01"), "Bankrupt")
        self.assertEqual(licence.pending_action, "cancel")
        licence_user.action_waas_mark_cancelled()
        self.assertEqual(licence.state, "cancelled")
        self.assertFalse(self.marketplace.requests)

    def test_end_cancels_at_marketplace(self):
        contract = self._activated(products=[(self.bundle, 1)])
        self._sync()
        never = self._activated(products=[(self.bundle, 1)])
        licence = contract.licence_ids
        self.assertEqual(licence.state, "provisioned")
        contract._waas_terminate(fields.Date.to_date("2026-03-01"), "Moved abroad")
        never._waas_terminate(fields.Date.to_date("2026-03-01"), "Moved abroad")
        # Never provisioned: nothing to tell the marketplace.
        self.assertEqual(never.licence_ids.state, "cancelled")
        self.assertEqual(licence.pending_action, "cancel")
        self.marketplace.requests.clear()
        self.marketplace.set_mode("error500")
        self._sync()
        self.assertEqual(licence.state, "failed")
        self.assertEqual(licence.pending_action, "cancel")
        self.marketplace.set_mode("ok")
        self._make_due(licence)
        self._sync()
        self.assertEqual(licence.state, "cancelled")
        self.assertFalse(licence.pending_action)
        last = self.marketplace.requests[-1]
        self.assertEqual(
            (last["method"], last["path"]),
            ("DELETE", f"/api/v1/subscriptions/{licence.marketplace_ref}"),
        )

    def test_upgrade_from_next_invoice(self):
        contract = self._activated(products=[(self.bundle, 2)])
        self._sync()
        essentials = contract.licence_ids
        self._invoice_until(contract, "2026-03-01")
        upgraded = self._count_hook("_on_upgraded")
        wizard = Form(
            self.env["waas.contract.upgrade"]
            .with_user(self.user_waas)
            .with_context(default_contract_id=contract.id)
        )
        wizard.product_id = self.upgrade_premium
        self.assertEqual(wizard.quantity, 2)
        wizard.quantity = 1
        self.assertEqual(wizard.price_unit, 10.0)
        self.assertEqual(str(wizard.date_from), "2026-04-01")
        wizard.save().action_confirm()
        new_line = contract.line_ids.filtered(lambda ln: ln.product_id == self.upgrade_premium)
        self.assertEqual((new_line.quantity, new_line.price_unit), (1, 10.0))
        self.assertEqual(str(new_line.date_from), "2026-04-01")
        self.assertEqual(contract.monthly_amount, 90.0)
        self.assertEqual(len(upgraded), 1)
        self.assertEqual(upgraded[0][1][0], new_line)
        self.assertIn("Upgraded during the term", contract.message_ids[0].body)
        # The marketplace is told: one Essentials seat less, one Premium seat new.
        self.assertEqual((essentials.seats, essentials.pending_action), (1, "update"))
        premium = contract.licence_ids - essentials
        self.assertEqual(
            (premium.product_id, premium.seats, premium.state), (self.premium, 1, "to_provision")
        )
        self.marketplace.requests.clear()
        self._sync()
        self.assertEqual(
            sorted(
                (r["method"], r["body"]["sku"], r["body"]["seats"])
                for r in self.marketplace.requests
            ),
            [("PATCH", "M365-BE", 1), ("POST", "M365-BP", 1)],
        )
        self.assertEqual((essentials.state, premium.state), ("provisioned", "provisioned"))
        # The new price applies from the next invoice on.
        april = self._invoice_until(contract, "2026-04-01")
        self.assertEqual(april.amount_untaxed, 90.0)
        self.assertIn(self.upgrade_premium, april.invoice_line_ids.product_id)
        march = contract.invoice_ids.filtered(lambda m: str(m.waas_period_start) == "2026-03-01")
        self.assertEqual(march.amount_untaxed, 80.0)
        # Upgrading the other seat: Essentials is cancelled at the marketplace.
        contract._waas_upgrade([(self.upgrade_premium, 1)])
        self.assertEqual(essentials.pending_action, "cancel")
        self.assertEqual(premium.seats, 2)
        self._sync()
        self.assertEqual((essentials.state, premium.state), ("cancelled", "provisioned"))

    def test_upgrade_errors(self):
        contract = self._activated(products=[(self.bundle, 1)])
        with self.assertRaisesRegex(UserError, r"1 seat\(s\) of it left to upgrade, not 2"):
            contract._waas_upgrade([(self.upgrade_premium, 2)])
        with self.assertRaisesRegex(UserError, r"is not an upgrade or an option"):
            contract._waas_upgrade([(self.bundle, 1)])
        no_price = self.env["product.product"].create(
            {
                "name": "Unpriced upgrade",
                "type": "service",
                "waas_kind": "upgrade",
                "waas_licence_id": self.premium.id,
            }
        )
        with self.assertRaisesRegex(UserError, r"has no WaaS price for a 36-month term"):
            contract._waas_upgrade([(no_price, 1)])
        self.assertEqual(len(contract.line_ids), 1)
        self._invoice_until(contract, "2028-12-01")
        with self.assertRaisesRegex(UserError, r"already invoiced"):
            contract._waas_upgrade([(self.upgrade_premium, 1)])
        contract.state = "expired"
        with self.assertRaisesRegex(UserError, r"is not active"):
            contract._waas_upgrade([(self.upgrade_premium, 1)])
