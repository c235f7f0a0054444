"""Contracts change only through their actions: the attacks of issue 14 performed as each
role over XML-RPC are refused with a clear message and leave nothing changed."""

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from .common import WaasRpcMixin
from .common_portal import WaasPortalCommon

CONTRACT_FIELDS = [
    "name",
    "state",
    "partner_id",
    "reseller_id",
    "term_months",
    "date_start",
    "date_end",
    "invoiced_periods",
    "date_next_invoice",
    "monthly_amount",
    "renewal_count",
    "origin",
]


class WaasGuardRpcMixin(WaasRpcMixin):
    def _snapshot(self, records, fnames):
        records = records.sudo()
        records.invalidate_recordset()
        return records.read(fnames)


@tagged("post_install", "-at_install")
class TestGuardContract(WaasGuardRpcMixin, HttpCase, WaasPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls.contract_a
        cls.line = cls.contract.line_ids[:1]
        cls.renewal = cls.env["waas.contract.renewal"].create(
            {
                "contract_id": cls.contract_b.id,
                "date_end_before": cls.contract_b.date_end - relativedelta(months=12),
                "date_end_after": cls.contract_b.date_end,
                "months": 12,
            }
        )

    def _import_vals(self, **values):
        start = fields.Date.to_date("2025-03-01")
        vals = {
            "name": "LEGACY-0001",
            "partner_id": self.customer.id,
            "reseller_id": self.reseller.id,
            "currency_id": self.currency.id,
            "term_months": 24,
            "date_start": fields.Date.to_string(start),
            "date_end": fields.Date.to_string(start + relativedelta(months=24, days=-1)),
            "line_ids": [
                [
                    Command.CREATE.value,
                    0,
                    {
                        "product_id": self.bundle.id,
                        "name": "Laptop bundle",
                        "quantity": 3,
                        "price_unit": 50.0,
                    },
                ]
            ],
        }
        vals.update(values)
        return vals

    # ------------------------------------------------------------------ create
    def test_waas_user_cannot_create_contract(self):
        Contract = self.env["waas.contract"].sudo()
        before = Contract.search_count([])
        self._assert_fault(
            "only a WaaS Manager may import",
            self.user_waas,
            "waas.contract",
            "create",
            self._import_vals(state="active"),
        )
        self.assertEqual(Contract.search_count([]), before)
        self.assertFalse(Contract.search([("name", "=", "LEGACY-0001")]))

    def test_manager_imports_existing_contract(self):
        contract_id = self._rpc(
            self.user_manager,
            "waas.contract",
            "create",
            self._import_vals(invoiced_periods=4),
        )
        contract = self.env["waas.contract"].browse(contract_id)
        self.assertEqual(contract.origin, "import")
        self.assertEqual(contract.state, "active")
        self.assertEqual(contract.monthly_amount, 150.0)
        self.assertFalse(contract.sale_order_id)
        self.assertEqual(contract.date_next_invoice, fields.Date.to_date("2025-07-01"))
        expected = (
            f"Imported by {self.user_manager.name} as an existing contract (no deal in Odoo)."
        )
        self.assertTrue(any(expected in body for body in contract.message_ids.mapped("body")))
        # An activated contract says where it comes from too.
        self.assertEqual(self.contract.origin, "deal")

    def test_manager_import_must_be_consistent(self):
        Contract = self.env["waas.contract"].sudo()
        before = Contract.search_count([])
        bad = [
            ({"date_end": "2027-03-31"}, "ends on"),
            ({"line_ids": []}, "needs its contract lines"),
            ({"state": "terminated"}, "starts active"),
            ({"sale_order_id": self.order_a.id}, "cannot set Sales Order"),
            ({"date_terminated": "2025-06-01"}, "cannot set Terminated On"),
            ({"invoiced_periods": 30}, "cannot have 30 invoiced"),
            ({"term_months": 18, "date_end": "2026-08-31"}, "12, 24 or 36 months"),
        ]
        for values, regex in bad:
            with self.subTest(values=values):
                self._assert_fault(
                    regex, self.user_manager, "waas.contract", "create", self._import_vals(**values)
                )
        self.assertEqual(Contract.search_count([]), before)

    def test_unlink_contract_refused(self):
        self._assert_fault(
            "removed only by the actions", self.user_manager, "waas.contract", "unlink",
            [self.contract.id],
        )  # fmt: skip
        self.assertTrue(self.contract.exists())

    # ------------------------------------------------------------------ write
    def test_waas_user_cannot_write_running_contract(self):
        before = self._snapshot(self.contract, CONTRACT_FIELDS)
        lines_before = self._snapshot(
            self.contract.line_ids, ["product_id", "quantity", "price_unit"]
        )
        attacks = [
            {"state": "expired"},
            {"date_end": "2030-12-31"},
            {"reseller_id": self.reseller_b.id},
            {"invoiced_periods": 36},
            {"date_next_invoice": "2031-01-01"},
            {"origin": "import"},
            # Command.create / update / delete / unlink, as an XML-RPC client sends them.
            {"line_ids": [[0, 0, {"product_id": self.bundle.id, "name": "Free", "quantity": 999}]]},
            {"line_ids": [[1, self.line.id, {"price_unit": 0.01}]]},
            {"line_ids": [[2, self.line.id, 0]]},
            {"line_ids": [[3, self.line.id, 0]]},
        ]
        for user in (self.user_waas, self.user_manager):
            for vals in attacks:
                with self.subTest(user=user.login, vals=vals):
                    label = self.env["waas.contract"]._fields[next(iter(vals))].string
                    self._assert_fault(
                        rf"^{label} of WaaS Contract change only through its buttons",
                        user,
                        "waas.contract",
                        "write",
                        [self.contract.id],
                        vals,
                    )
        self.assertEqual(self._snapshot(self.contract, CONTRACT_FIELDS), before)
        self.assertEqual(
            self._snapshot(self.contract.line_ids, ["product_id", "quantity", "price_unit"]),
            lines_before,
        )

    def test_contract_line_and_renewal_refused(self):
        line_before = self._snapshot(self.line, ["quantity", "price_unit", "contract_id"])
        lines = self.env["waas.contract.line"].sudo().search_count([])
        renewals = self.env["waas.contract.renewal"].sudo().search_count([])
        self._assert_fault(
            "created only by the actions",
            self.user_waas,
            "waas.contract.line",
            "create",
            {
                "contract_id": self.contract.id,
                "product_id": self.bundle.id,
                "name": "Free bundle",
                "quantity": 999,
                "price_unit": 0.0,
            },
        )
        for vals in ({"quantity": 999}, {"price_unit": 0.01}, {"contract_id": self.contract_b.id}):
            with self.subTest(vals=vals):
                self._assert_fault(
                    "change only through its buttons", self.user_waas, "waas.contract.line",
                    "write", [self.line.id], vals,
                )  # fmt: skip
        self._assert_fault(
            "removed only by the actions", self.user_manager, "waas.contract.line", "unlink",
            [self.line.id],
        )  # fmt: skip
        self._assert_fault(
            "created only by the actions",
            self.user_waas,
            "waas.contract.renewal",
            "create",
            {
                "contract_id": self.contract.id,
                "date_end_before": fields.Date.to_string(self.contract.date_end),
                "date_end_after": "2040-12-31",
                "months": 999,
            },
        )
        self._assert_fault(
            "change only through its buttons", self.user_waas, "waas.contract.renewal", "write",
            [self.renewal.id], {"months": 999},
        )  # fmt: skip
        self._assert_fault(
            "removed only by the actions", self.user_manager, "waas.contract.renewal", "unlink",
            [self.renewal.id],
        )  # fmt: skip
        self.assertEqual(
            self._snapshot(self.line, ["quantity", "price_unit", "contract_id"]), line_before
        )
        self.assertEqual(self.env["waas.contract.line"].sudo().search_count([]), lines)
        self.assertEqual(self.env["waas.contract.renewal"].sudo().search_count([]), renewals)
        self.assertEqual(self.renewal.months, 12)

    def test_device_fields_refused(self):
        before = self._snapshot(self.device_a, ["state", "warranty_end", "contract_id"])
        for vals in (
            {"state": "returned"},
            {"warranty_end": "2045-01-01"},
            {"contract_id": self.contract_b.id},
        ):
            with self.subTest(vals=vals):
                self._assert_fault(
                    "change only through its buttons", self.user_manager, "waas.device", "write",
                    [self.device_a.id], vals,
                )  # fmt: skip
        self._assert_fault(
            "created only by the actions",
            self.user_waas,
            "waas.device",
            "create",
            {
                "contract_id": self.contract.id,
                "product_id": self.laptop.id,
                "warranty_end": "2045-01-01",
            },
        )
        self.assertEqual(
            self._snapshot(self.device_a, ["state", "warranty_end", "contract_id"]), before
        )

    # ------------------------------------------------------------------ portal
    def test_portal_cannot_call_contract_actions(self):
        before = self._snapshot(self.contract, CONTRACT_FIELDS)
        # The portal users do read their own contract...
        for user in (self.portal_customer_a, self.portal_reseller_a):
            [read] = self._rpc(user, "waas.contract", "read", [self.contract.id], ["name"])
            self.assertEqual(read["name"], self.contract.name)
        # ... but none of its buttons.
        actions = [
            "action_waas_terminate",
            "action_waas_upgrade",
            "action_view_licences",
            "action_view_invoices",
            "action_view_termination_invoice",
        ]
        for user in (self.portal_customer_a, self.portal_reseller_a):
            for action in actions:
                with self.subTest(user=user.login, action=action):
                    self._assert_fault(
                        "Only users of the group", user, "waas.contract", action,
                        [self.contract.id],
                    )  # fmt: skip
        self.assertEqual(self._snapshot(self.contract, CONTRACT_FIELDS), before)

    # ------------------------------------------------------------------ the real actions
    def test_terminate_as_manager_only(self):
        wizard = {"contract_id": self.contract.id, "reason": "Moved abroad"}
        self._assert_fault(
            "You are not allowed to create", self.user_waas, "waas.contract.terminate", "create",
            wizard,
        )  # fmt: skip
        self.assertEqual(self.contract.state, "active")
        wizard_id = self._rpc(self.user_manager, "waas.contract.terminate", "create", wizard)
        self._rpc(self.user_manager, "waas.contract.terminate", "action_confirm", [wizard_id])
        self.contract.invalidate_recordset()
        self.assertEqual(self.contract.state, "terminated")
        self.assertEqual(self.contract.date_terminated, fields.Date.context_today(self.contract))
        self.assertEqual(self.contract.termination_reason, "Moved abroad")
        # Monthly invoicing stops the day before the termination date; the fee covers the
        # rest: monthly invoices plus the fee are the contract value.
        contract = self.contract.sudo()
        for move in contract._waas_invoice_chunk(contract.date_end):
            self.assertLess(move.waas_period_end, contract.date_terminated)
        self.assertFalse(contract._waas_invoice_chunk(contract.date_end))
        self.assertAlmostEqual(
            contract._waas_monthly_billed()[contract.id]
            + contract.termination_move_id.amount_untaxed,
            contract._waas_contract_value()[contract.id],
        )

    def test_upgrade_as_waas_user(self):
        lines = self.contract.line_ids
        wizard_id = self._rpc(
            self.user_waas,
            "waas.contract.upgrade",
            "create",
            {"contract_id": self.contract.id, "product_id": self.option_monitor.id, "quantity": 2},
        )
        self._rpc(self.user_waas, "waas.contract.upgrade", "action_confirm", [wizard_id])
        self.contract.invalidate_recordset()
        new_line = self.contract.line_ids - lines
        self.assertEqual(new_line.product_id, self.option_monitor)
        self.assertEqual(new_line.quantity, 2)
        self.assertEqual(new_line.price_unit, self.prices[self.option_monitor][36][0])
        # A portal user cannot even open the wizard.
        self._assert_fault(
            "You are not allowed to create",
            self.portal_customer_a,
            "waas.contract.upgrade",
            "create",
            {"contract_id": self.contract.id, "product_id": self.option_monitor.id},
        )
