import xmlrpc.client
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user
from odoo.tools import mute_logger

from odoo.addons.base.tests.common import BaseCommon

# Valid VAT numbers (checked with python-stdnum).
VAT_NL = "NL004495445B01"
VAT_BE = "BE0477472701"
# Company registry numbers (KvK: 8 digits; BE enterprise number = VAT digits).
KVK_NL = "24321773"
REGISTRY_BE = "0477472701"
# A 1x1 PNG: a customer's signature in tests.
SIGNATURE_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9"
    "awAAAABJRU5ErkJggg=="
)


class RollbackOnRaiseMixin:
    """Opt-in: ``assertRaisesRegex`` also rolls back what the failing call wrote (like
    Odoo's ``assertRaises``), so a test sees what a failed RPC call leaves: nothing."""

    @contextmanager
    def _rollback_raises_regex(self, expected_exception, expected_regex):
        with self.assertRaises(expected_exception) as cm:
            yield cm
        self.assertRegex(str(cm.exception), expected_regex)

    def assertRaisesRegex(self, expected_exception, expected_regex, *args, **kwargs):
        if args:
            func, *args = args
            with self._rollback_raises_regex(expected_exception, expected_regex):
                func(*args, **kwargs)
            return None
        return self._rollback_raises_regex(expected_exception, expected_regex)


class WaasRpcMixin:
    """For ``HttpCase`` tests that act as a user over XML-RPC, as an attacker would."""

    def _rpc(self, user, model, method, *args, **kwargs):
        """``execute_kw`` as ``user`` (whose password is its login in the tests)."""
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs
        )

    def _assert_fault(self, regex, user, model, method, *args, **kwargs):
        """The call is refused with a message matching ``regex`` and no traceback."""
        # The server logs each refused call as a warning: expected here.
        with mute_logger("odoo.http", "odoo.sql_db"), self.assertRaises(xmlrpc.client.Fault) as cm:
            self._rpc(user, model, method, *args, **kwargs)
        message = cm.exception.faultString
        self.assertRegex(message, regex)
        self.assertNotIn("Traceback", message)
        self.env.invalidate_all()
        return message


class WaasCommon(BaseCommon):
    """A small WaaS catalogue, a reseller, an end customer and one user per role.

    Built once per test class and independent of demo data: every addon's tests and the
    cross-addon scenarios inherit from it.
    """

    @classmethod
    def setup_main_company(cls, currency_code="EUR"):
        # Odoo's test base class puts the main company in US dollars; ALSO Nederland (the
        # main company, Dutch chart) and its sales price list work in euros.
        return super().setup_main_company(currency_code=currency_code)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.currency = cls.company.currency_id
        # Whatever the demo data says: no marketplace configured, not in manual mode.
        cls.company.write(
            {
                "waas_marketplace_url": False,
                "waas_marketplace_api_key": False,
                "waas_marketplace_manual": False,
            }
        )
        cls._setup_waas_users()
        cls._setup_waas_catalogue()
        cls._setup_waas_partners()

    @classmethod
    def _use_own_company(cls, name):
        """The class's records go to a new company ``name`` in euros: the demo contracts
        of the main company never show up in its figures."""
        cls.company = cls.env["res.company"].create(
            {"name": name, "currency_id": cls.env.ref("base.EUR").id}
        )
        cls.currency = cls.company.currency_id

    # ------------------------------------------------------------------ scheduled jobs
    def _run_cron_batches(self, xmlid, method, max_calls=50, **kwargs):
        """Run a scheduled job as Odoo's cron runner does (``ir.cron._run_job``): call it
        with a progress record in its context, once per batch, until it reports nothing
        remaining. Returns the number of calls; a job that never ends fails the test."""
        cron = self.env.ref(xmlid)
        model = self.env[cron.model_id.model]
        for calls in range(1, max_calls + 1):
            progress = cron._add_progress()[1]
            getattr(model.with_context(ir_cron_progress_id=progress.id), method)(**kwargs)
            if not progress.remaining:
                return calls
        self.fail(f"{method} still reports records remaining after {max_calls} calls")
        return max_calls

    # ------------------------------------------------------------------ WaaS invoices
    @classmethod
    def _posted_customer_invoice(
        cls, amount, due, partner=None, contract=None, days_issued=1, taxes=None, name="Rent"
    ):
        """A posted customer invoice of one line ``name`` of ``amount`` (untaxed, with
        ``taxes`` or none) for ``partner`` (default: the end customer), of ``contract``
        if given, due on ``due`` and dated ``days_issued`` days before."""
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or cls.customer).id,
                "company_id": cls.company.id,
                "invoice_date": due - timedelta(days=days_issued),
                "invoice_date_due": due,
                "waas_contract_id": contract.id if contract else False,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": name,
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.set(taxes.ids if taxes else [])],
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move

    def _without_sales_journal(self):
        """The company has no WaaS invoice journal and no active sales journal (archived
        in SQL: Odoo refuses to archive a journal that holds draft entries)."""
        self.company.waas_invoice_journal_id = False
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE account_journal SET active = FALSE WHERE type = 'sale' AND company_id = %s",
            [self.company.id],
        )
        self.env["account.journal"].invalidate_model(["active"])

    @contextmanager
    def _refuse_posting(self, refused):
        """Within the block, Odoo refuses to post the invoices for which ``refused(move)``
        is true (as it refuses a deprecated account or a lock date)."""
        Move = type(self.env["account.move"])
        post = Move._post

        def _post(moves, soft=True):
            if moves.filtered(refused):
                raise UserError(self.env._("Posting refused by the test"))
            return post(moves, soft=soft)

        with patch.object(Move, "_post", _post):
            yield

    def _posting_activities(self, record):
        return record.activity_ids.filtered(
            lambda a: a.summary == "WaaS invoice could not be posted"
        )

    # ------------------------------------------------------------------ users
    @classmethod
    def _setup_waas_users(cls):
        ctx = {"no_reset_password": True}
        env = cls.env(context=dict(cls.env.context, **ctx))
        cls.user_internal = new_test_user(env, login="waas_internal", groups="base.group_user")
        cls.user_waas = new_test_user(env, login="waas_user", groups="also_waas.group_waas_user")
        cls.user_manager = new_test_user(
            env, login="waas_manager", groups="also_waas.group_waas_manager"
        )
        cls.user_credit = new_test_user(
            env, login="waas_credit", groups="also_waas.group_waas_credit_controller"
        )
        cls.user_countersign = new_test_user(
            env, login="waas_countersign", groups="also_waas.group_waas_countersign"
        )
        cls.user_product = new_test_user(
            env, login="waas_product", groups="also_waas.group_waas_product_manager"
        )
        cls.user_accountant = new_test_user(
            env, login="waas_accountant", groups="account.group_account_invoice"
        )

    # ------------------------------------------------------------------ catalogue
    @classmethod
    def _setup_waas_catalogue(cls):
        Partner = cls.env["res.partner"]
        Product = cls.env["product.product"]
        cls.manufacturer = Partner.create(
            {
                "name": "Test Laptops Inc.",
                "is_company": True,
                "waas_is_manufacturer": True,
                "waas_warranty_months": 36,
                "waas_approval_state": "approved",
            }
        )
        cls.manufacturer_pending = Partner.create(
            {
                "name": "Unvetted Hardware Ltd.",
                "is_company": True,
                "waas_is_manufacturer": True,
                "waas_warranty_months": 24,
                "waas_approval_state": "pending",
            }
        )
        cls.microsoft = Partner.create(
            {
                "name": "Test Microsoft",
                "is_company": True,
                "waas_is_manufacturer": True,
                "waas_warranty_months": 36,
                "waas_approval_state": "approved",
            }
        )
        cls.laptop = Product.create(
            {
                "name": "Test Laptop 14",
                "type": "consu",
                "is_storable": True,
                "tracking": "serial",
                "waas_kind": "component",
                "waas_manufacturer_id": cls.manufacturer.id,
                "waas_manufacturer_sku": "TL-14-G1",
                "standard_price": 600.0,
            }
        )
        cls.monitor = Product.create(
            {
                "name": "Test Monitor 24",
                "type": "consu",
                "is_storable": True,
                "tracking": "serial",
                "waas_kind": "component",
                "waas_manufacturer_id": cls.manufacturer.id,
                "waas_manufacturer_sku": "TM-24",
                "standard_price": 150.0,
            }
        )
        cls.essentials = Product.create(
            {
                "name": "Test Microsoft 365 Business Essentials",
                "type": "service",
                "waas_kind": "licence",
                "waas_manufacturer_id": cls.microsoft.id,
                "waas_manufacturer_sku": "M365-BE",
            }
        )
        cls.premium = Product.create(
            {
                "name": "Test Microsoft 365 Business Premium",
                "type": "service",
                "waas_kind": "licence",
                "waas_manufacturer_id": cls.microsoft.id,
                "waas_manufacturer_sku": "M365-BP",
            }
        )
        cls.bundle = Product.create(
            {
                "name": "Test Laptop Bundle",
                "type": "consu",
                "waas_kind": "bundle",
                "waas_included_licence_id": cls.essentials.id,
                "waas_licence_seats": 1,
                "waas_bundle_line_ids": [
                    Command.create({"product_id": cls.laptop.id, "quantity": 1}),
                ],
            }
        )
        cls.upgrade_premium = Product.create(
            {
                "name": "Test Upgrade to Business Premium",
                "type": "service",
                "waas_kind": "upgrade",
                "waas_licence_id": cls.premium.id,
                "waas_replaces_licence_id": cls.essentials.id,
            }
        )
        cls.option_monitor = Product.create(
            {
                "name": "Test Extra Monitor",
                "type": "consu",
                "waas_kind": "option",
                "waas_bundle_line_ids": [
                    Command.create({"product_id": cls.monitor.id, "quantity": 1}),
                ],
            }
        )
        cls.partner_service = Product.create(
            {
                "name": "Test Installation by the Partner",
                "type": "service",
                "waas_kind": "partner_service",
            }
        )
        # Monthly price, commission new, commission renewal per term.
        cls.prices = {
            cls.bundle: {12: (60.0, 120.0, 60.0), 24: (50.0, 150.0, 75.0), 36: (40.0, 180.0, 90.0)},
            cls.upgrade_premium: {
                12: (12.0, 20.0, 10.0),
                24: (11.0, 25.0, 12.0),
                36: (10.0, 30.0, 15.0),
            },
            cls.option_monitor: {12: (9.0, 10.0, 5.0), 24: (8.0, 12.0, 6.0), 36: (7.0, 15.0, 7.0)},
        }
        cls.env["waas.pricelist.item"].create(
            [
                {
                    "company_id": cls.company.id,
                    "currency_id": cls.currency.id,
                    "product_tmpl_id": product.product_tmpl_id.id,
                    "term_months": term,
                    "monthly_price": price,
                    "commission_new": new,
                    "commission_renewal": renewal,
                }
                for product, terms in cls.prices.items()
                for term, (price, new, renewal) in terms.items()
            ]
        )

    # ------------------------------------------------------------------ partners
    @classmethod
    def _setup_waas_partners(cls):
        Partner = cls.env["res.partner"]
        nl = cls.env.ref("base.nl")
        be = cls.env.ref("base.be")
        cls.reseller = Partner.create(
            {
                "name": "Test Reseller A",
                "is_company": True,
                "waas_is_reseller": True,
                "country_id": nl.id,
                "street": "Resellerstraat 1",
                "zip": "1011 AA",
                "city": "Amsterdam",
            }
        )
        cls.reseller_b = Partner.create(
            {
                "name": "Test Reseller B",
                "is_company": True,
                "waas_is_reseller": True,
                "country_id": be.id,
            }
        )
        cls.customer = Partner.create(
            {
                "name": "Test End Customer NL",
                "is_company": True,
                "vat": VAT_NL,
                "company_registry": KVK_NL,
                "country_id": nl.id,
                "street": "Klantweg 5",
                "zip": "3011 AB",
                "city": "Rotterdam",
            }
        )
        cls.customer_be = Partner.create(
            {
                "name": "Test End Customer BE",
                "is_company": True,
                "vat": VAT_BE,
                "company_registry": REGISTRY_BE,
                "country_id": be.id,
                "street": "Klantlaan 7",
                "zip": "1000",
                "city": "Brussel",
            }
        )

    # ------------------------------------------------------------------ helpers
    @classmethod
    def _create_contract(
        cls,
        partner=None,
        reseller=None,
        term=36,
        date_start="2026-01-01",
        products=None,
        **values,
    ):
        """An active contract made directly (without the quotation flow).

        ``products``: list of (product.product, quantity); default one bundle. Monthly
        prices come from the test price list for ``term``.
        """
        products = products or [(cls.bundle, 1)]
        start = fields.Date.to_date(date_start)
        lines = []
        for product, qty in products:
            price = cls.prices.get(product, {}).get(term, (0.0, 0.0, 0.0))[0]
            lines.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "name": product.display_name,
                        "quantity": qty,
                        "price_unit": price,
                    }
                )
            )
        vals = {
            "partner_id": (partner or cls.customer).id,
            "reseller_id": (reseller or cls.reseller).id,
            "company_id": cls.company.id,
            "currency_id": cls.currency.id,
            "term_months": term,
            "date_start": start,
            "date_end": start + relativedelta(months=term, days=-1),
            "line_ids": lines,
        }
        vals.update(values)
        return cls.env["waas.contract"].create(vals)

    # Contracts made directly get the next number of the company's sequence; some test
    # classes give each its own number instead, ``_contract_prefix`` and a counter.
    _contract_prefix = "TEST/"
    _contract_seq = 0

    @classmethod
    def _next_contract_number(cls):
        WaasCommon._contract_seq += 1
        return f"{cls._contract_prefix}{WaasCommon._contract_seq:05d}"

    @classmethod
    def _new_contract(cls, **values):
        """``_create_contract`` with a number of its own (unless ``values`` has one)."""
        if "name" not in values:
            values["name"] = cls._next_contract_number()
        return cls._create_contract(**values)

    @classmethod
    def _create_waas_order(
        cls,
        partner=None,
        reseller=None,
        term=36,
        products=None,
        delivery_to="end_customer",
        **values,
    ):
        """A WaaS quotation (draft sale.order) priced from the test price list.

        ``products``: list of (product.product, quantity); default one bundle.
        """
        products = products or [(cls.bundle, 1)]
        vals = {
            "is_waas": True,
            "partner_id": (partner or cls.customer).id,
            "waas_reseller_id": (reseller or cls.reseller).id,
            "waas_term_months": term,
            "waas_delivery_to": delivery_to,
            "company_id": cls.company.id,
            "order_line": [
                Command.create({"product_id": product.id, "product_uom_qty": qty})
                for product, qty in products
            ],
        }
        vals.update(values)
        return cls.env["sale.order"].create(vals)

    @classmethod
    def _sign_as_customer(cls, order, name="Jan de Klant"):
        """What the portal writes when the end customer signs online."""
        order.write(
            {
                "signed_by": name,
                "signed_on": fields.Datetime.now(),
                "signature": SIGNATURE_PNG,
            }
        )

    @classmethod
    def _activate_order(cls, order):
        """Run the whole deal flow on a WaaS quotation: request the credit check,
        approve it (credit controller), sign (end customer) and countersign (ALSO), then
        confirm. Returns the new ``waas.contract``."""
        order.action_waas_request_credit_check()
        order.waas_credit_check_id.with_user(cls.user_credit).action_approve()
        cls._sign_as_customer(order)
        order.with_user(cls.user_countersign).action_waas_countersign()
        order.action_confirm()
        return order.waas_contract_ids
