from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import RollbackOnRaiseMixin, WaasCommon


@tagged("post_install", "-at_install")
class TestQuotation(RollbackOnRaiseMixin, WaasCommon):
    def _lines_by_product(self, order):
        return {line.product_id: line for line in order.order_line}

    def test_form_creates_priced_waas_quotation(self):
        with Form(self.env["sale.order"].with_context(default_is_waas=True)) as form:
            form.partner_id = self.customer
            form.waas_reseller_id = self.reseller
            form.waas_term_months = 24
            with form.order_line.new() as line:
                line.product_id = self.bundle
                line.product_uom_qty = 3
            with form.order_line.new() as line:
                line.product_id = self.upgrade_premium
                line.product_uom_qty = 3
        order = form.record
        self.assertTrue(order.is_waas)
        self.assertTrue(order.require_signature)
        lines = self._lines_by_product(order)
        self.assertEqual(lines[self.bundle].price_unit, 50.0)
        self.assertEqual(lines[self.upgrade_premium].price_unit, 11.0)
        self.assertEqual(order.waas_monthly_amount, 3 * 50.0 + 3 * 11.0)
        self.assertEqual(order.waas_contract_value, (3 * 50.0 + 3 * 11.0) * 24)
        self.assertEqual(order.partner_invoice_id, self.customer)

    def test_term_change_reprices_every_line(self):
        order = self._create_waas_order(
            products=[(self.bundle, 2), (self.upgrade_premium, 2), (self.option_monitor, 1)]
        )
        self.assertEqual(order.waas_monthly_amount, 2 * 40.0 + 2 * 10.0 + 7.0)
        with Form(order) as form:
            form.waas_term_months = 12
        lines = self._lines_by_product(order)
        self.assertEqual(lines[self.bundle].price_unit, 60.0)
        self.assertEqual(lines[self.upgrade_premium].price_unit, 12.0)
        self.assertEqual(lines[self.option_monitor].price_unit, 9.0)
        self.assertEqual(order.waas_monthly_amount, 2 * 60.0 + 2 * 12.0 + 9.0)
        self.assertEqual(order.waas_contract_value, (2 * 60.0 + 2 * 12.0 + 9.0) * 12)
        # Also when written directly (XML-RPC).
        order.waas_term_months = 24
        self.assertEqual(lines[self.bundle].price_unit, 50.0)
        self.assertEqual(order.waas_contract_value, (2 * 50.0 + 2 * 11.0 + 8.0) * 24)

    def test_price_converted_to_order_currency(self):
        chf = self.setup_other_currency("CHF", rates=[("2020-01-01", 2.0)])
        pricelist = self.env["product.pricelist"].create(
            {"name": "WaaS CHF", "currency_id": chf.id, "company_id": self.company.id}
        )
        order = self._create_waas_order(pricelist_id=pricelist.id)
        self.assertEqual(order.currency_id, chf)
        self.assertEqual(order.order_line.price_unit, 80.0)
        self.assertEqual(order.waas_monthly_amount, 80.0)

    def test_reseller_required(self):
        with self.assertRaisesRegex(ValidationError, "needs a reseller"):
            self._create_waas_order(waas_reseller_id=False)
        self.assertFalse(self.env["sale.order"].search([("partner_id", "=", self.customer.id)]))
        order = self._create_waas_order()
        with self.assertRaisesRegex(ValidationError, "needs a reseller"):
            order.waas_reseller_id = False

    def test_reseller_must_be_reseller_and_not_the_customer(self):
        with self.assertRaisesRegex(ValidationError, "is not a WaaS reseller"):
            self._create_waas_order(reseller=self.customer_be)
        with self.assertRaisesRegex(ValidationError, "cannot be the reseller"):
            self._create_waas_order(partner=self.reseller)

    def test_term_of_18_months_refused(self):
        with self.assertRaisesRegex(ValidationError, "12, 24 or 36 months, not 18 months"):
            self._create_waas_order(term=18)
        order = self._create_waas_order(term=24)
        with self.assertRaisesRegex(ValidationError, "not 18 months"):
            order.waas_term_months = 18
        self.assertEqual(order.waas_term_months, 24)
        # A standard order keeps its meaningless default term, unchecked.
        self.env["sale.order"].create({"partner_id": self.customer.id, "waas_term_months": 18})

    def test_partner_service_billed_by_partner(self):
        order = self._create_waas_order(
            products=[(self.bundle, 2), (self.partner_service, 1)],
        )
        service = self._lines_by_product(order)[self.partner_service]
        service.waas_partner_price = 250.0
        self.assertTrue(service.waas_billed_by_partner)
        self.assertEqual(service.price_unit, 0.0)
        self.assertEqual(service.price_subtotal, 0.0)
        self.assertEqual(order.waas_monthly_amount, 80.0)
        self.assertEqual(order.amount_untaxed, 80.0)
        self.assertEqual(order.waas_contract_value, 80.0 * 36)
        self.assertEqual(order.waas_partner_services_amount, 250.0)
        with self.assertRaisesRegex(ValidationError, "billed by the partner"):
            service.price_unit = 100.0

    def test_delivery_to_reseller_or_end_customer(self):
        order = self._create_waas_order(delivery_to="reseller")
        self.assertEqual(order.partner_shipping_id, self.reseller)
        with Form(order) as form:
            form.waas_delivery_to = "end_customer"
        self.assertEqual(order.partner_shipping_id, self.customer)
        order.waas_delivery_to = "reseller"
        self.assertEqual(order.partner_shipping_id, self.reseller)

    def test_only_waas_products_on_a_deal(self):
        other = self.env["product.product"].create({"name": "Test Coffee", "list_price": 3.0})
        order = self._create_waas_order(products=[(self.bundle, 1), (other, 1)])
        with self.assertRaisesRegex(UserError, "remove Test Coffee"):
            order.action_waas_request_credit_check()

    def test_reseller_over_credit_limit_still_sells(self):
        self.company.account_use_credit_limit = True
        self.reseller.credit_limit = 10.0
        self.customer.credit_limit = 10.0
        coffee = self.env["product.product"].create({"name": "Test Coffee", "list_price": 1000.0})
        standard = self.env["sale.order"].create(
            {
                "partner_id": self.reseller.id,
                "order_line": [Command.create({"product_id": coffee.id})],
            }
        )
        standard.action_confirm()
        self.reseller.invalidate_recordset(["credit_to_invoice"])
        self.assertGreater(self.reseller.credit_to_invoice, 10.0)
        second = self.env["sale.order"].create(
            {
                "partner_id": self.reseller.id,
                "order_line": [Command.create({"product_id": coffee.id})],
            }
        )
        self.assertIn("credit limit", second.partner_credit_warning)

        order = self._create_waas_order(products=[(self.bundle, 10)])
        self.assertEqual(order.partner_credit_warning, "")
        contract = self._activate_order(order)
        self.assertEqual(contract.state, "active")
        # A WaaS deal adds nothing to anyone's credit exposure: its contract invoices.
        self.assertEqual(order.amount_to_invoice, 0.0)
        self.customer.invalidate_recordset(["credit_to_invoice"])
        self.assertEqual(self.customer.credit_to_invoice, 0.0)

    def test_waas_order_never_invoiced_from_sales(self):
        order = self._create_waas_order(products=[(self.bundle, 1), (self.partner_service, 1)])
        self._activate_order(order)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.invoice_status, "no")
        self.assertEqual(set(order.order_line.mapped("qty_to_invoice")), {0.0})
        with self.assertRaisesRegex(UserError, "never invoiced from the sales order"):
            order._create_invoices()
        self.assertFalse(order.invoice_ids)

    def test_confirmed_deal_term_locked(self):
        order = self._create_waas_order()
        self._activate_order(order)
        with self.assertRaisesRegex(UserError, "cannot change its reseller or term"):
            order.waas_term_months = 12
