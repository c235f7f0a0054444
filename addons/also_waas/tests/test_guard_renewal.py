"""Consented renewals, attacked as each role would: over XML-RPC (WaaS User) and over HTTP
(the portal end customer, another end customer, the reseller). A contract is extended,
and the renewal commission earned, only by activating a renewal quotation with the credit
approval, the end customer's signature and ALSO's countersignature."""

from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import SIGNATURE_PNG, WaasRpcMixin
from .common_portal import WaasPortalCommon


@tagged("post_install", "-at_install")
class TestGuardRenewal(WaasRpcMixin, HttpCase, WaasPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        # A 12-month contract of end customer A (reseller A), started two months ago,
        # with a device under warranty for 36 months: renewable by 12 or 24 months.
        cls.contract = cls._create_contract(
            partner=cls.customer,
            reseller=cls.reseller,
            term=12,
            date_start=today - relativedelta(months=2),
            name="CTR-RENEW-1",
        )
        cls._create_portal_device(cls.contract, "SN-RENEW-1")
        cls.end = cls.contract.date_end
        # End customer B's own renewable contract (its page has the Renew form).
        cls.contract_b2 = cls._create_contract(
            partner=cls.customer_be,
            reseller=cls.reseller_b,
            term=12,
            date_start=today - relativedelta(months=2),
            name="CTR-RENEW-B",
        )

    # ------------------------------------------------------------------ helpers
    def _renewal_orders(self, contract=None):
        return (
            self.env["sale.order"]
            .sudo()
            .search([("waas_renewal_contract_id", "=", (contract or self.contract).id)])
        )

    def _renewal_commissions(self):
        if "waas.commission.line" not in self.env:
            return None
        return (
            self.env["waas.commission.line"]
            .sudo()
            .search([("contract_id", "=", self.contract.id), ("event", "=", "renewal")])
        )

    def _assert_unchanged(self):
        self.env.invalidate_all()
        contract = self.contract.sudo()
        self.assertEqual(contract.date_end, self.end)
        self.assertFalse(contract.renewal_ids)
        commissions = self._renewal_commissions()
        if commissions is not None:
            self.assertFalse(commissions)

    def _renew_url(self, contract=None):
        return f"/my/waas/contracts/{(contract or self.contract).id}/renew"

    def _post_renew(self, token, contract=None, **kwargs):
        """The portal's *Renew* of 12 months, posted with ``token``."""
        data = {"csrf_token": token, "extension": "12"} if token else {"extension": "12"}
        return self.url_open(self._renew_url(contract), data=data, **kwargs)

    # ------------------------------------------------------------------ XML-RPC
    def test_waas_user_cannot_extend_over_xmlrpc(self):
        user = self.user_waas
        new_end = fields.Date.to_string(self.end + relativedelta(months=12))
        self._assert_fault(
            "change only through its buttons",
            user,
            "waas.contract",
            "write",
            [self.contract.id],
            {"date_end": new_end},
        )
        self._assert_fault(
            r"Private methods \(such as 'waas.contract._waas_renew'\) cannot be called remotely",
            user,
            "waas.contract",
            "_waas_renew",
            [self.contract.id],
            months=12,
        )
        self._assert_fault(
            r"Private methods",
            user,
            "sale.order",
            "_waas_activate_renewals",
            [],
        )
        self._assert_fault(
            "created only by the actions of the WaaS flow",
            user,
            "waas.contract.renewal",
            "create",
            {
                "contract_id": self.contract.id,
                "date_end_before": fields.Date.to_string(self.end),
                "date_end_after": new_end,
                "months": 12,
            },
        )
        # A hand-made "renewal quotation" (its own lines, end or months) is refused.
        self._assert_fault(
            "renewal quotation is prepared only with Renew",
            user,
            "sale.order",
            "create",
            {
                "is_waas": True,
                "partner_id": self.customer.id,
                "waas_reseller_id": self.reseller.id,
                "waas_term_months": 12,
                "waas_renewal_contract_id": self.contract.id,
                "waas_renewal_date_end_before": fields.Date.to_string(self.end),
                "waas_renewal_date_end": new_end,
                "waas_renewal_months": 12,
                "order_line": [(0, 0, {"product_id": self.bundle.id, "product_uom_qty": 1})],
            },
        )
        self.assertFalse(self._renewal_orders())
        self._assert_unchanged()

    def test_wizard_over_xmlrpc_prepares_a_quotation_only(self):
        user = self.user_waas
        wizard_id = self._rpc(
            user,
            "waas.contract.renew",
            "create",
            {"contract_ids": [(6, 0, self.contract.ids)], "extension": "12"},
        )
        action = self._rpc(user, "waas.contract.renew", "action_confirm", [wizard_id])
        order = self.env["sale.order"].browse(action["res_id"])
        self.assertEqual(order.waas_renewal_contract_id, self.contract)
        self.assertEqual(order.waas_renewal_date_end, self.end + relativedelta(months=12))
        self._assert_unchanged()
        # Its renewal is fixed; it cannot be confirmed before credit and both signatures.
        self._assert_fault(
            "set when it is prepared",
            user,
            "sale.order",
            "write",
            [order.id],
            {"waas_renewal_date_end": fields.Date.to_string(self.end + relativedelta(months=24))},
        )
        self._assert_fault(
            "cannot be activated yet", user, "sale.order", "action_confirm", [order.id]
        )
        # A second renewal quotation while this one is open: refused.
        wizard_id = self._rpc(
            user,
            "waas.contract.renew",
            "create",
            {"contract_ids": [(6, 0, self.contract.ids)], "extension": "24"},
        )
        self._assert_fault(
            "already has an open renewal quotation",
            user,
            "waas.contract.renew",
            "action_confirm",
            [wizard_id],
        )
        self.assertEqual(self._renewal_orders(), order)
        self.assertEqual(order.waas_renewal_date_end, self.end + relativedelta(months=12))
        self._assert_unchanged()

    def test_limits_over_xmlrpc_name_the_limit(self):
        today = fields.Date.today()
        long = self._create_contract(
            term=24, date_start=today - relativedelta(months=2), name="CTR-RENEW-36"
        )
        short = self._create_contract(
            term=12, date_start=today - relativedelta(months=2), name="CTR-RENEW-WAR"
        )
        warranty_end = short.date_start + relativedelta(months=18)
        self._create_portal_device(short, "SN-RENEW-W", warranty_end=warranty_end)
        for contract, extension, regex in (
            (long, "24", "limited to 36 months"),
            (short, "12", "warranty of its devices ends on"),
        ):
            wizard_id = self._rpc(
                self.user_waas,
                "waas.contract.renew",
                "create",
                {"contract_ids": [(6, 0, contract.ids)], "extension": extension},
            )
            self._assert_fault(
                regex, self.user_waas, "waas.contract.renew", "action_confirm", [wizard_id]
            )
            self.assertFalse(self._renewal_orders(contract))
        # Until a date past the warranty: the renewal stops on the warranty end.
        wizard_id = self._rpc(
            self.user_waas,
            "waas.contract.renew",
            "create",
            {
                "contract_ids": [(6, 0, short.ids)],
                "extension": "date",
                "date_end": fields.Date.to_string(today + relativedelta(years=3)),
            },
        )
        self._rpc(self.user_waas, "waas.contract.renew", "action_confirm", [wizard_id])
        self.assertEqual(self._renewal_orders(short).waas_renewal_date_end, warranty_end)
        self.assertEqual(short.date_end, short.date_start + relativedelta(months=12, days=-1))

    # ------------------------------------------------------------------ portal
    def test_end_customer_renews_in_the_portal(self):
        self.authenticate("portal_ca", "portal_ca")
        page = self.url_open(self.contract.access_url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_waas_renew_form", page.text)
        token = self._csrf_token(self.contract.access_url)
        # Without the CSRF token: refused, nothing created.
        with mute_logger("odoo.http"):
            response = self._post_renew(None, allow_redirects=False)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._renewal_orders())
        response = self._post_renew(token, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        order = self._renewal_orders()
        self.assertEqual(len(order), 1)
        self.assertTrue(response.headers["Location"].endswith(f"/my/orders/{order.id}"))
        self.assertNotIn("access_token", response.headers["Location"])
        self.assertRecordValues(
            order,
            [
                {
                    "state": "draft",
                    "partner_id": self.customer.id,
                    "waas_reseller_id": self.reseller.id,
                    "waas_renewal_date_end": self.end + relativedelta(months=12),
                    "waas_renewal_months": 12,
                }
            ],
        )
        self._assert_unchanged()
        # The signing page opens for the end customer and says what it renews.
        page = self.url_open(f"/my/orders/{order.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_waas_sale_renewal", page.text)
        # The contract page now shows the open renewal instead of the form.
        page = self.url_open(self.contract.access_url)
        self.assertIn("o_waas_open_renewal", page.text)
        self.assertNotIn("o_waas_renew_form", page.text)

        # The reseller cannot sign the renewal in the end customer's place.
        self.authenticate("portal_ra", "portal_ra")
        result = self._json(
            f"/my/orders/{order.id}/accept", {"name": "Anna Reseller", "signature": SIGNATURE_PNG}
        )
        self.assertIn("error", result.get("result", result))
        order.invalidate_recordset()
        self.assertFalse(order.signature)

        # The end customer signs; ALSO approves the credit and countersigns; Confirm
        # extends the contract and earns exactly one renewal commission.
        self.authenticate("portal_ca", "portal_ca")
        result = self._json(
            f"/my/orders/{order.id}/accept", {"name": "Clara Klant", "signature": SIGNATURE_PNG}
        )
        self.assertNotIn("error", result.get("result", {}))
        order.invalidate_recordset()
        self.assertTrue(order.signature)
        self._assert_unchanged()
        order.waas_credit_check_id.with_user(self.user_credit).action_approve()
        self._assert_unchanged()
        order.with_user(self.user_countersign).action_waas_countersign()
        self._assert_unchanged()
        order.with_user(self.user_waas).action_confirm()
        self.assertEqual(self.contract.date_end, self.end + relativedelta(months=12))
        self.assertEqual(self.contract.renewal_ids.sale_order_id, order)
        commissions = self._renewal_commissions()
        if commissions is not None:
            self.assertEqual(len(commissions.mapped("renewal_id")), 1)
            self.assertEqual(commissions.renewal_id, self.contract.renewal_ids)

    def test_portal_refuses_others(self):
        # Another end customer: 404, nothing created.
        self.authenticate("portal_cb", "portal_cb")
        token = self._csrf_token(self.contract_b2.access_url)
        with mute_logger("odoo.http"):
            response = self._post_renew(token, allow_redirects=False)
        self.assertIn(response.status_code, (403, 404))
        # The reseller of the contract does not renew in the end customer's place.
        self.authenticate("portal_ra", "portal_ra")
        page = self.url_open(self.contract.access_url)
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("o_waas_renew_form", page.text)
        token = self._csrf_token("/my/waas/quotes/new")
        with mute_logger("odoo.http"):
            response = self._post_renew(token, allow_redirects=False)
        self.assertIn(response.status_code, (403, 404))
        self.assertFalse(self._renewal_orders())
        self._assert_unchanged()

    def test_portal_limit_says_why_and_creates_nothing(self):
        # contract_a started almost 36 months ago: it cannot be renewed any more.
        self.authenticate("portal_ca", "portal_ca")
        page = self.url_open(self.contract_a.access_url)
        self.assertNotIn("o_waas_renew_form", page.text)
        token = self._csrf_token(self.contract.access_url)
        response = self._post_renew(token, self.contract_a)
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_waas_renewal_error", response.text)
        self.assertIn("not possible", response.text)
        self.assertFalse(self._renewal_orders(self.contract_a))
        # An end customer's renewal ends on the anchor or on the latest possible end.
        options = self.contract.sudo()._waas_portal_renewal_options()
        start = self.contract.date_start
        self.assertEqual(
            [(o["key"], o["months"], o["date_end"]) for o in options],
            [
                ("12", 12, start + relativedelta(months=24) - timedelta(days=1)),
                ("24", 24, start + relativedelta(months=36) - timedelta(days=1)),
            ],
        )
