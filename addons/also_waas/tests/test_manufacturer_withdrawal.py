from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, HttpCase, tagged

from .common_portal import WaasPortalCommon
from .test_invoicing import InvoicingCommon

BLOCKED_TYPE = "also_waas.mail_activity_type_waas_product_blocked"


class WithdrawalMixin:
    def _withdraw(self):
        """A product manager rejects the laptop and monitor manufacturer after all."""
        self.manufacturer.with_user(self.user_product).action_waas_reject_manufacturer()

    def _blocked_activities(self, product):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "product.template"),
                ("res_id", "=", product.product_tmpl_id.id),
                ("activity_type_id", "=", self.env.ref(BLOCKED_TYPE).id),
            ]
        )


@tagged("post_install", "-at_install")
class TestManufacturerWithdrawal(WithdrawalMixin, InvoicingCommon):
    """A manufacturer losing its approval: its bundles cannot be quoted, product managers
    are told, running contracts go on; re-approval lifts it."""

    def test_withdrawal_blocks_quoting_in_the_back_office(self):
        draft = self._create_waas_order(products=[(self.bundle, 1), (self.upgrade_premium, 1)])
        self._withdraw()
        self.assertTrue(self.bundle.waas_quote_blocked)
        self.assertTrue(self.option_monitor.waas_quote_blocked)  # its monitor: same maker
        self.assertFalse(self.upgrade_premium.waas_quote_blocked)
        # Adding the bundle to a quotation: a clear error naming the manufacturer.
        with (
            self.assertRaisesRegex(
                ValidationError,
                r"Test Laptop Bundle cannot be quoted any more: Test Laptops Inc\. is no "
                r"longer approved",
            ),
            Form(self.env["sale.order"].with_context(default_is_waas=True)) as form,
        ):
            form.partner_id = self.customer
            form.waas_reseller_id = self.reseller
            with form.order_line.new() as line:
                line.product_id = self.bundle
        # The flag follows the approval only.
        with self.assertRaisesRegex(UserError, "follows the approval"):
            self.bundle.product_tmpl_id.with_user(self.user_product).write(
                {"waas_quote_blocked": False}
            )
        # A quotation made before the withdrawal is not activated with it.
        problems = draft._waas_activation_problems()
        self.assertTrue(any("Test Laptop Bundle cannot be quoted" in p for p in problems))
        # Approved again: quoted as before.
        self.manufacturer.with_user(self.user_product).action_waas_approve_manufacturer()
        self.assertFalse(self.bundle.waas_quote_blocked)
        order = self._create_waas_order(products=[(self.bundle, 1)])
        self.assertEqual(order.order_line.product_id, self.bundle)
        self.assertFalse([p for p in draft._waas_activation_problems() if "cannot be quoted" in p])

    def test_withdrawal_gives_product_managers_an_activity(self):
        self._withdraw()
        for product in (self.bundle, self.option_monitor):
            activities = self._blocked_activities(product)
            self.assertIn(self.user_product, activities.user_id, product.name)
            self.assertEqual(len(activities.filtered(lambda a: a.user_id == self.user_product)), 1)
            self.assertIn("Test Laptops Inc.", str(activities[0].note))
        self.assertFalse(self._blocked_activities(self.upgrade_premium))
        self.assertFalse(self._blocked_activities(self.laptop))
        bodies = " ".join(str(body) for body in self.manufacturer.message_ids.mapped("body"))
        self.assertIn("can no longer be quoted", bodies)
        self.assertIn("Test Laptop Bundle", bodies)
        # Withdrawn again (pending) while still blocked: no second to-do.
        self.manufacturer.with_user(self.user_product).action_waas_reset_manufacturer()
        self.assertEqual(
            len(
                self._blocked_activities(self.bundle).filtered(
                    lambda a: a.user_id == self.user_product
                )
            ),
            1,
        )
        # Re-approval lifts the flag and closes the to-dos.
        self.manufacturer.with_user(self.user_product).action_waas_approve_manufacturer()
        self.assertFalse(self._blocked_activities(self.bundle))
        self.assertFalse(self._blocked_activities(self.option_monitor))

    def test_exception_keeps_a_bundle_quotable(self):
        self.laptop.product_tmpl_id.write({"waas_exception_state": "approved"})
        self._withdraw()
        self.assertFalse(self.bundle.waas_quote_blocked)
        self.assertTrue(self.option_monitor.waas_quote_blocked)
        self.assertFalse(self._blocked_activities(self.bundle))

    def test_existing_contract_still_invoices(self):
        contract = self._new_contract(products=[(self.bundle, 2)], date_start="2026-01-01")
        self._withdraw()
        moves = self._run("2026-02-15", contract)
        self.assertEqual(len(moves), 2)
        self.assertEqual(contract.state, "active")
        self.assertEqual(moves.invoice_line_ids.product_id, self.bundle)
        self.assertEqual(sum(moves.mapped("amount_untaxed")), 2 * 2 * 40.0)


@tagged("post_install", "-at_install")
class TestManufacturerWithdrawalPortal(WithdrawalMixin, HttpCase, WaasPortalCommon):
    def test_portal_hides_and_refuses_blocked_bundles(self):
        self._withdraw()
        self.authenticate("portal_ra", "portal_ra")
        for url in ("/my/waas/prices", "/my/waas/quotes/new"):
            page = self.url_open(url).text
            self.assertNotIn("Test Laptop Bundle", page, url)
            self.assertNotIn("Test Extra Monitor", page, url)
            self.assertIn("Test Upgrade to Business Premium", page, url)
        # A form still showing the bundle (opened before the withdrawal) is refused.
        token = self._csrf_token("/my/waas/quotes/new")
        orders_before = self.env["sale.order"].search_count([])
        response = self.url_open(
            "/my/waas/quotes/create",
            data={
                "csrf_token": token,
                "customer_id": str(self.customer.id),
                "term": "36",
                "delivery_to": "end_customer",
                f"qty_{self.bundle.product_tmpl_id.id}": "1",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Test Laptop Bundle cannot be quoted any more", response.text)
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)
