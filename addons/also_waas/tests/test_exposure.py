"""The end customer's total exposure: shown and approved on the credit check, and the
block of new business (activation, renewal, upgrade) over the approved exposure or in
dunning, until a credit controller releases it."""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import RollbackOnRaiseMixin, WaasRpcMixin
from .common_ops import WaasOpsCommon


class ExposureCommon(WaasOpsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.company.waas_dunning_grace_days = 30

    @classmethod
    def _open_invoice(cls, amount, due=None, contract=None, taxes=None):
        """A posted customer invoice of ``amount`` (untaxed, ``taxes`` or none) for the
        end customer, due on ``due`` (default: today)."""
        return cls._posted_customer_invoice(
            amount, due or cls.today, contract=contract, taxes=taxes
        )

    def _release(self, user, reason="Paid by bank transfer today", days=7):
        wizard = (
            self.env["waas.partner.release"]
            .with_user(user)
            .create(
                {
                    "partner_ids": [Command.set(self.customer.ids)],
                    "reason": reason,
                    "date_until": self.today + timedelta(days=days),
                }
            )
        )
        return wizard.action_release()


@tagged("post_install", "-at_install")
class TestExposure(RollbackOnRaiseMixin, ExposureCommon):
    def test_exposure_of_two_contracts_and_an_open_invoice(self):
        # 2 bundles x 60 x 12 months, and 1 bundle x 40 x 36 months; nothing invoiced.
        first = self._create_contract(term=12, products=[(self.bundle, 2)])
        self._create_contract(term=36, products=[(self.bundle, 1)])
        self._open_invoice(500.0)
        self.customer.invalidate_recordset()
        self.assertRecordValues(
            self.customer,
            [
                {
                    "waas_open_receivable": 500.0,
                    "waas_contracts_remaining": 1440.0 + 1440.0,
                    "waas_exposure": 500.0 + 2880.0,
                    "waas_blocked": False,
                }
            ],
        )
        # What the monthly invoices billed is no longer remaining, but owed until paid.
        self._invoice_until(first, first.date_start)
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.waas_contracts_remaining, 1440.0 - 120.0 + 1440.0)
        self.assertGreater(self.customer.waas_open_receivable, 500.0)
        # A contact of the customer shows the figures of its company.
        contact = self.env["res.partner"].create(
            {"name": "Jan de Klant", "parent_id": self.customer.id}
        )
        self.assertEqual(contact.waas_exposure, self.customer.waas_exposure)

    def test_exposure_is_untaxed_throughout(self):
        """Open invoices count untaxed, like the remaining contract value and the deal."""
        tax = self.env["account.tax"].create(
            {
                "name": "VAT 21% (exposure test)",
                "amount": 21.0,
                "type_tax_use": "sale",
                "company_id": self.company.id,
            }
        )
        invoice = self._open_invoice(1000.0, taxes=tax)
        self.assertEqual(invoice.amount_total, 1210.0)
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.waas_open_receivable, 1000.0)
        # A credit note of 121 (100 + VAT) counts -100.
        refund = (
            self.env["account.move"]
            .sudo()
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "invoice_date": self.today,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Credit",
                                "quantity": 1,
                                "price_unit": 100.0,
                                "tax_ids": [Command.set(tax.ids)],
                            }
                        )
                    ],
                }
            )
        )
        refund.action_post()
        self.assertEqual(refund.amount_total, 121.0)
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.waas_open_receivable, 900.0)
        # The deal and the remaining contract value: untaxed too (12 x 60).
        self._create_contract(term=12, products=[(self.bundle, 1)])
        order = self._create_waas_order(term=12, products=[(self.bundle, 1)])
        order.action_waas_request_credit_check()
        self.assertRecordValues(
            order.waas_credit_check_id,
            [{"exposure_before": 900.0 + 720.0, "exposure_deal": 720.0}],
        )

    def test_credit_check_shows_and_approves_total_exposure(self):
        self._create_contract(term=12, products=[(self.bundle, 2)])
        self._open_invoice(500.0)
        order = self._create_waas_order(term=12, products=[(self.bundle, 1)])
        order.action_waas_request_credit_check()
        check = order.waas_credit_check_id
        self.assertRecordValues(
            check,
            [{"exposure_before": 1940.0, "exposure_deal": 720.0, "exposure_total": 2660.0}],
        )
        self.assertFalse(self.customer.waas_credit_limit)
        check.with_user(self.user_credit).action_approve()
        self.assertEqual(check.approved_exposure, 2660.0)
        self.assertEqual(self.customer.waas_credit_limit, 2660.0)
        # The approved exposure is set by the approval only.
        with self.assertRaisesRegex(AccessError, "change only through its buttons"):
            self.customer.with_user(self.user_credit).write({"waas_credit_limit": 1e6})
        with self.assertRaisesRegex(AccessError, "change only through its buttons"):
            self.customer.with_user(self.user_manager).write(
                {"waas_block_released_until": self.today}
            )

    def test_over_limit_blocks_activation(self):
        order = self._create_waas_order(term=12, products=[(self.bundle, 1)])
        order.action_waas_request_credit_check()
        order.waas_credit_check_id.with_user(self.user_credit).action_approve()
        self._sign_as_customer(order)
        order.with_user(self.user_countersign).action_waas_countersign()
        # Meanwhile the customer owes an invoice: with the deal over the approved 720.
        self._open_invoice(100.0)
        with self.assertRaisesRegex(
            UserError, r"Test End Customer NL is blocked.*over its approved exposure"
        ):
            order.action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertFalse(order.waas_contract_ids)
        # Released by a credit controller: activated.
        self._release(self.user_credit)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertTrue(order.waas_contract_ids)

    def test_over_limit_blocks_upgrade(self):
        contract = self._create_waas_contract_approved()
        self._open_invoice(100.0)
        self.customer.invalidate_recordset()
        self.assertTrue(self.customer.waas_blocked)
        lines = contract.line_ids
        wizard = (
            self.env["waas.contract.upgrade"]
            .with_user(self.user_waas)
            .create({"contract_id": contract.id, "product_id": self.option_monitor.id})
        )
        with self.assertRaisesRegex(UserError, r"blocked.*upgrade of"):
            wizard.action_confirm()
        self.assertEqual(contract.line_ids, lines)
        self._release(self.user_credit)
        wizard.action_confirm()
        self.assertEqual(len(contract.line_ids), len(lines) + 1)

    def test_overdue_invoices_block_renewal(self):
        contract = self._create_waas_contract_approved()
        order = contract.with_user(self.user_waas)._waas_create_renewal_orders(months=12)
        order = order.with_env(self.env)
        # Overdue by 31 days (known to the credit check: the approved exposure covers it,
        # so the dunning alone blocks).
        self._open_invoice(0.01, due=self.today - timedelta(days=31), contract=contract)
        order.waas_credit_check_id.with_user(self.user_credit).action_approve()
        self._sign_as_customer(order)
        order.with_user(self.user_countersign).action_waas_countersign()
        end = contract.date_end
        with self.assertRaisesRegex(
            UserError, r"1 WaaS invoice\(s\) overdue by more than 30"
        ) as error:
            order.with_user(self.user_waas).action_confirm()
        self.assertNotIn("approved exposure", str(error.exception))
        self.assertEqual(contract.date_end, end)
        self.assertFalse(contract.renewal_ids)
        # Within the company's grace: not in dunning.
        self.company.waas_dunning_grace_days = 40
        self.assertFalse(self.customer._waas_in_dunning(self.company))
        order.with_user(self.user_waas).action_confirm()
        self.assertNotEqual(contract.date_end, end)
        self.assertTrue(contract.renewal_ids)

    def test_release_only_by_credit_controllers(self):
        self._open_invoice(10.0, due=self.today - timedelta(days=40))
        with self.assertRaises(AccessError):
            self._release(self.user_waas)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.user_waas).action_waas_release()
        self.assertFalse(self.customer.waas_block_released_until)
        with self.assertRaisesRegex(UserError, "needs a reason"):
            self._release(self.user_credit, reason=" ")
        self._release(self.user_credit, days=3)
        self.assertRecordValues(
            self.customer,
            [
                {
                    "waas_block_released_until": self.today + timedelta(days=3),
                    "waas_block_release_reason": "Paid by bank transfer today",
                }
            ],
        )
        self.assertTrue(
            any(
                "Paid by bank transfer today" in body
                for body in self.customer.message_ids.mapped("body")
            )
        )

    def test_approved_exposure_per_company(self):
        """Each company approves its own exposure: an approval in another company neither
        changes this company's approved exposure nor blocks the customer here."""
        self._create_waas_contract_approved()
        company_b = self.env["res.company"].create({"name": "ALSO WaaS Belgium (test)"})
        # What the approval of a credit check of company B writes.
        self.customer.sudo()._waas_set_credit_limit(50.0, company_b)
        customer_a = self.customer.with_company(self.company)
        customer_b = self.customer.with_company(company_b)
        self.assertEqual(customer_a.waas_credit_limit, 720.0)
        self.assertEqual(customer_b.waas_credit_limit, 50.0)
        # Company A: the contract (720) is within its 720; company B: no exposure there.
        self.assertFalse(self.customer._waas_block_reasons(self.company))
        self.assertFalse(self.customer._waas_block_reasons(company_b))
        self.customer.invalidate_recordset()
        self.assertFalse(customer_a.waas_blocked)
        # Over the limit in A only.
        self._open_invoice(100.0)
        self.assertIn(self.customer.id, self.customer._waas_block_reasons(self.company))
        self.assertFalse(self.customer._waas_block_reasons(company_b))
        # A new approval in A leaves B's figure alone.
        order = self._create_waas_order(term=12, products=[(self.bundle, 1)])
        order.action_waas_request_credit_check()
        order.waas_credit_check_id.with_user(self.user_credit).action_approve()
        self.assertEqual(customer_a.waas_credit_limit, 100.0 + 720.0 + 720.0)
        self.assertEqual(customer_b.waas_credit_limit, 50.0)

    def _create_waas_contract_approved(self):
        """A contract activated through the deal flow: its approval sets the limit."""
        order = self._create_waas_order(term=12, products=[(self.bundle, 1)])
        contract = self._activate_order(order)
        self.assertEqual(self.customer.waas_credit_limit, 720.0)
        return contract


@tagged("post_install", "-at_install")
class TestExposureRpc(WaasRpcMixin, HttpCase, ExposureCommon):
    def test_release_and_limit_refused_over_rpc(self):
        for user in (self.user_waas, self.user_manager, self.user_credit):
            self._assert_fault(
                "change only through its buttons",
                user,
                "res.partner",
                "write",
                [self.customer.id],
                {"waas_credit_limit": 999999.0, "waas_block_released_until": "2031-01-31"},
            )
        self._assert_fault(
            "Only a Credit Controller can release",
            self.user_waas,
            "res.partner",
            "action_waas_release",
            [self.customer.id],
        )
        self._assert_fault(
            r"waas\.partner\.release",
            self.user_waas,
            "waas.partner.release",
            "create",
            {
                "partner_ids": [(6, 0, self.customer.ids)],
                "reason": "forged",
                "date_until": "2031-01-31",
            },
        )
        self.customer.invalidate_recordset()
        self.assertFalse(self.customer.waas_credit_limit)
        self.assertFalse(self.customer.waas_block_released_until)
