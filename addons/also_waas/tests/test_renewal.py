from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common_ops import WaasOpsCommon


class RenewalCommon(WaasOpsCommon):
    def _prepare(self, contracts, user=None, **kwargs):
        """Renewal quotations of ``contracts`` as a WaaS user would prepare them."""
        orders = contracts.with_user(user or self.user_waas)._waas_create_renewal_orders(**kwargs)
        return orders.with_env(self.env)

    def _approve_and_sign(self, order):
        """Credit approved (credit controller), signed by the end customer, countersigned."""
        order.waas_credit_check_id.with_user(self.user_credit).action_approve()
        self._sign_as_customer(order)
        order.with_user(self.user_countersign).action_waas_countersign()

    def _activate_renewal(self, order):
        self._approve_and_sign(order)
        order.with_user(self.user_waas).action_confirm()
        return order.waas_renewal_contract_id.renewal_ids.filtered(
            lambda r: r.sale_order_id == order
        )


@tagged("post_install", "-at_install")
class TestRenewal(RenewalCommon):
    def test_renewal_quotation_then_activation(self):
        contract = self._create_contract(term=12, products=[(self.bundle, 2)])
        renewed = self._count_hook("_on_renewed")
        order = self._prepare(contract, months=12)
        self.assertRecordValues(
            order,
            [
                {
                    "is_waas": True,
                    "state": "draft",
                    "partner_id": contract.partner_id.id,
                    "waas_reseller_id": contract.reseller_id.id,
                    "company_id": contract.company_id.id,
                    "currency_id": contract.currency_id.id,
                    "waas_renewal_contract_id": contract.id,
                    "waas_renewal_date_end_before": date(2026, 12, 31),
                    "waas_renewal_date_end": date(2027, 12, 31),
                    "waas_renewal_months": 12,
                    "waas_monthly_amount": 120.0,
                    "waas_contract_value": 1440.0,
                }
            ],
        )
        self.assertEqual(
            [(ln.product_id, ln.product_uom_qty, ln.price_unit) for ln in order.order_line],
            [(self.bundle, 2.0, 60.0)],
        )
        # The credit check of the added value is requested at once.
        self.assertRecordValues(
            order.waas_credit_check_id, [{"state": "requested", "amount": 1440}]
        )
        # Nothing is extended nor earned before the credit, the signature and the
        # countersignature.
        self.assertEqual(str(contract.date_end), "2026-12-31")
        self.assertFalse(contract.renewal_ids)
        self.assertFalse(renewed)
        with self.assertRaisesRegex(UserError, r"cannot be activated yet"):
            order.with_user(self.user_waas).action_confirm()
        order.waas_credit_check_id.with_user(self.user_credit).action_approve()
        self._sign_as_customer(order)
        with self.assertRaisesRegex(UserError, r"ALSO's countersignature"):
            order.with_user(self.user_waas).action_confirm()
        self.assertEqual(str(contract.date_end), "2026-12-31")
        order.with_user(self.user_countersign).action_waas_countersign()
        order.with_user(self.user_waas).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(str(contract.date_end), "2027-12-31")
        self.assertRecordValues(
            contract.renewal_ids,
            [
                {
                    "date_end_before": date(2026, 12, 31),
                    "date_end_after": date(2027, 12, 31),
                    "months": 12,
                    "sale_order_id": order.id,
                    "reseller_id": self.reseller.id,
                }
            ],
        )
        self.assertEqual(len(renewed), 1)
        self.assertEqual(renewed[0][1][0], contract.renewal_ids)
        # No new contract, nothing shipped.
        self.assertFalse(order.waas_contract_ids)
        self.assertFalse(order.picking_ids)
        self.assertEqual(contract.term_months, 12)
        self.assertTrue(
            any("now ends on 12/31/2027" in body for body in contract.message_ids.mapped("body"))
        )

    def test_one_open_renewal_quotation(self):
        contract = self._create_contract(term=12)
        order = self._prepare(contract, months=12)
        with self.assertRaisesRegex(
            UserError, rf"already has an open renewal quotation \({order.name}"
        ):
            self._prepare(contract, months=24)
        order.with_user(self.user_waas)._action_cancel()
        second = self._prepare(contract, months=24)
        self.assertEqual(second.waas_renewal_date_end, date(2028, 12, 31))

    def test_until_a_date_snaps_to_the_anchor(self):
        contract = self._create_contract(term=12, date_start="2026-01-31")
        self.assertEqual(str(contract.date_end), "2027-01-30")
        cases = [
            ("2027-06-15", date(2027, 5, 30), 4),  # latest anchor on or before the date
            ("2027-06-29", date(2027, 6, 29), 5),  # on the anchor itself
            ("2027-03-01", date(2027, 2, 27), 1),  # 28 February 2027 is the 28th start
            ("2031-01-01", date(2029, 1, 30), 24),  # after the limit: the limit
            ("2029-01-30", date(2029, 1, 30), 24),  # at the limit
        ]
        for day, expected, months in cases:
            with self.subTest(day=day):
                self.assertEqual(contract._waas_renewal_end(date_end=day), (expected, months))
        with self.assertRaisesRegex(UserError, r"must be after its current end 01/30/2027"):
            contract._waas_renewal_end(date_end="2027-02-20")
        order = self._prepare(contract, date_end="2027-06-15")
        self.assertEqual(order.waas_renewal_date_end, date(2027, 5, 30))
        self.assertEqual(order.waas_renewal_months, 4)
        self._activate_renewal(order)
        self.assertEqual(contract.date_end, date(2027, 5, 30))

    def test_36_months_limit(self):
        contract = self._create_contract(term=24)
        with self.assertRaisesRegex(
            UserError, r"cannot run until 12/31/2029.*limited to 36 months.*12/31/2028"
        ):
            self._prepare(contract, months=24)
        self.assertFalse(contract._waas_open_renewal_orders())
        self.assertFalse(
            self.env["sale.order"].search([("waas_renewal_contract_id", "=", contract.id)])
        )
        order = self._prepare(contract, months=12)
        self._activate_renewal(order)
        self.assertEqual(str(contract.date_end), "2028-12-31")
        # At the limit: nothing more, whatever the extension.
        for kwargs in ({"months": 12}, {"date_end": "2030-06-30"}):
            with self.assertRaisesRegex(
                UserError, r"limited to 36 months, so it must end by 12/31/2028"
            ):
                self._prepare(contract, **kwargs)
        self.assertEqual(len(contract.renewal_ids), 1)

    def test_warranty_limit(self):
        contract = self._create_contract(term=12)
        self._create_device(contract, "2027-08-31")
        self._create_device(contract, "2029-01-15", serial="SN-TEST-2")
        self.assertEqual(str(contract.date_max_end), "2027-08-31")
        with self.assertRaisesRegex(UserError, r"warranty of its devices ends on 08/31/2027"):
            self._prepare(contract, months=12)
        self.assertFalse(contract._waas_open_renewal_orders())
        # Until a date past the warranty: the latest possible end, the warranty end.
        order = self._prepare(contract, date_end="2028-06-30")
        self.assertEqual(order.waas_renewal_date_end, date(2027, 8, 31))
        self.assertEqual(order.waas_renewal_months, 8)
        self._activate_renewal(order)
        self.assertEqual(str(contract.date_end), "2027-08-31")

    def test_activation_refused_when_contract_ended_or_renewed(self):
        contract = self._create_contract(term=12)
        order = self._prepare(contract, months=12)
        self._approve_and_sign(order)
        contract.write({"state": "expired"})
        with self.assertRaisesRegex(UserError, r"is Expired \(cancel this renewal quotation\)"):
            order.with_user(self.user_waas).action_confirm()
        contract.write({"state": "active"})
        # Renewed meanwhile (by another activated renewal): this one no longer applies.
        contract._waas_renew(months=12)
        with self.assertRaisesRegex(UserError, r"was renewed meanwhile and now ends on 12/31/2027"):
            order.with_user(self.user_waas).action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertEqual(len(contract.renewal_ids), 1)

    def test_activation_refused_when_lines_changed(self):
        contract = self._create_contract(term=12)
        order = self._prepare(contract, months=12)
        order.order_line.write({"product_uom_qty": 5})
        order.action_waas_request_credit_check()
        self._approve_and_sign(order)
        with self.assertRaisesRegex(UserError, r"renewal quotation's lines were changed"):
            order.with_user(self.user_waas).action_confirm()
        self.assertEqual(str(contract.date_end), "2026-12-31")

    def test_renew_is_not_callable_outside_activation(self):
        contract = self._create_contract(term=12)
        with self.assertRaisesRegex(AccessError, r"only by activating its renewal quotation"):
            contract.with_user(self.user_manager)._waas_renew(months=12)
        with self.assertRaises(AccessError):
            self.env["sale.order"].with_user(self.user_manager).create(
                {
                    "partner_id": self.customer.id,
                    "is_waas": True,
                    "waas_reseller_id": self.reseller.id,
                    "waas_renewal_contract_id": contract.id,
                    "waas_renewal_date_end": "2027-12-31",
                }
            )
        order = self._prepare(contract, months=12)
        with self.assertRaises(AccessError):
            order.with_user(self.user_manager).write({"waas_renewal_date_end": "2028-12-31"})
        self.assertEqual(str(contract.date_end), "2026-12-31")
        self.assertEqual(order.waas_renewal_date_end, date(2027, 12, 31))

    def test_errors(self):
        contract = self._create_contract(term=12, state="expired")
        with self.assertRaisesRegex(UserError, r"is Expired: only an active contract"):
            self._prepare(contract, months=12)
        with self.assertRaisesRegex(UserError, r"Choose an extension"):
            self._prepare(self._create_contract(term=12))
        with self.assertRaisesRegex(UserError, r"Choose an extension"):
            self._create_contract(term=12)._waas_renew()

    def test_wizard_prepares_quotations_for_several_contracts(self):
        contracts = self._create_contract(term=12) | self._create_contract(term=24)
        too_long = self._create_contract(term=36)
        renewed = self._count_hook("_on_renewed")
        wizard = Form(
            self.env["waas.contract.renew"]
            .with_user(self.user_waas)
            .with_context(default_contract_ids=[Command.set(contracts.ids)])
        )
        wizard.extension = "12"
        self.assertIn("ends on 12/31/2027 instead of 12/31/2026 (12 month(s) more)", wizard.preview)
        action = wizard.save().action_confirm()
        orders = self.env["sale.order"].search(action["domain"])
        self.assertEqual(orders.waas_renewal_contract_id, contracts)
        self.assertEqual(set(orders.mapped("state")), {"draft"})
        # Nothing is extended by the wizard.
        self.assertEqual(
            [str(d) for d in contracts.mapped("date_end")], ["2026-12-31", "2027-12-31"]
        )
        self.assertEqual(contracts.mapped("renewal_count"), [0, 0])
        self.assertFalse(renewed)
        # One contract that cannot be renewed: no quotation at all.
        other = self._create_contract(term=12)
        wizard = Form(
            self.env["waas.contract.renew"]
            .with_user(self.user_waas)
            .with_context(default_contract_ids=[Command.set((other | too_long).ids)])
        )
        wizard.extension = "12"
        self.assertIn("limited to 36 months", wizard.preview)
        with self.assertRaisesRegex(UserError, r"36 months"):
            wizard.save().action_confirm()
        self.assertFalse(other._waas_open_renewal_orders())

    def test_wizard_preview(self):
        contract = self._create_contract(term=24)
        wizard = Form(
            self.env["waas.contract.renew"]
            .with_user(self.user_waas)
            .with_context(default_contract_ids=[Command.set(contract.ids)])
        )
        self.assertEqual(str(wizard.date_end_preview), "2028-12-31")
        self.assertEqual(str(wizard.date_max_end), "2028-12-31")
        wizard.extension = "date"
        wizard.date_end = "2028-06-15"
        self.assertEqual(str(wizard.date_end_preview), "2028-05-31")
        action = wizard.save().action_confirm()
        order = self.env["sale.order"].browse(action["res_id"])
        self.assertEqual(order.waas_renewal_date_end, date(2028, 5, 31))
        self.assertEqual(order.waas_renewal_months, 5)
        self.assertEqual(str(contract.date_end), "2027-12-31")

    def test_action_needs_waas_user(self):
        contract = self._create_contract(term=12)
        with self.assertRaises(AccessError):
            contract.with_user(self.user_internal).action_waas_renew()
        self.assertEqual(
            contract.with_user(self.user_waas).action_waas_renew()["res_model"],
            "waas.contract.renew",
        )


@tagged("post_install", "-at_install")
class TestDeviceWarranty(WaasOpsCommon):
    def _device(self, contract, product, serial, **values):
        lot = self.env["stock.lot"].create(
            {"name": serial, "product_id": product.id, "company_id": self.company.id}
        )
        return self.env["waas.device"].create(
            {"contract_id": contract.id, "product_id": product.id, "lot_id": lot.id, **values}
        )

    def test_warranty_end_from_delivery_and_manufacturer(self):
        contract = self._create_contract(term=36)
        device = self._device(contract, self.laptop, "SN-W-1", date_delivered="2026-03-15")
        self.assertEqual(device.warranty_end, date(2029, 3, 15))  # 36 months
        self.manufacturer_pending.waas_warranty_months = 24
        odd = self.env["product.product"].create(
            {
                "name": "Test Tablet",
                "type": "consu",
                "tracking": "serial",
                "waas_kind": "component",
                "waas_manufacturer_id": self.manufacturer_pending.id,
            }
        )
        tablet = self._device(contract, odd, "SN-W-2", date_delivered="2026-03-15")
        self.assertEqual(tablet.warranty_end, date(2028, 3, 15))
        # No warranty recorded for the manufacturer: 36 months.
        self.manufacturer_pending.waas_warranty_months = 0
        other = self._device(contract, odd, "SN-W-3", date_delivered="2026-04-01")
        self.assertEqual(other.warranty_end, date(2029, 4, 1))
        # No delivery date: counted from the contract start.
        undated = self._device(contract, self.laptop, "SN-W-4")
        self.assertEqual(undated.warranty_end, date(2029, 1, 1))
        # A later change of the manufacturer's warranty keeps the delivered warranty.
        self.manufacturer_pending.waas_warranty_months = 48
        self.assertEqual(tablet.warranty_end, date(2028, 3, 15))
        self.assertEqual(contract.date_max_end, date(2028, 3, 15))
