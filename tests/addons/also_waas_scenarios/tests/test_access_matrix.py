"""The access matrix, checked cell by cell.

``access_table.py`` is the single written statement of who may do what (the README's
"Security" section shows the same table; ``make test`` checks that it does): this test
reads it, creates one user per role and compares every (role, model, operation) with what
the ORM allows that user. Portal cells "r (own)" are also checked on records of reseller A,
reseller B and an end customer; multi-company isolation is checked on a second company.
"""

import logging
import re

from odoo import Command
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.also_waas.tests.common import WaasCommon

from .access_table import ACCESS, ROLES, ROUTES

_logger = logging.getLogger(__name__)

ADDONS = ("also_waas", "also_waas_commission", "also_waas_returns")
# Models of other modules that the table also covers (WaaS quotations are sale orders).
EXTRA_MODELS = ("sale.order",)
PORTAL_ROLES = ("reseller_a", "reseller_b", "end_customer")
OPERATIONS = {"r": "read", "c": "create", "w": "write", "u": "unlink"}
ROUTE_AUDIENCES = {
    "resellers": ("reseller_a", "reseller_b"),
    "portal users": PORTAL_ROLES,
}
CELL_RE = re.compile(r"^(?P<ops>-|r?c?w?u?)(?:\s*\((?P<scope>own|none)\))?$")


def read_security_table():
    """{model: {role: (ops, scope)}} from ``access_table.ACCESS``, every cell checked."""
    table = {}
    for model, row in ACCESS.items():
        if tuple(row) != ROLES:
            raise AssertionError(f"{model}: access table roles must be {ROLES}, not {tuple(row)}")
        cells = {}
        for role, cell in row.items():
            match = CELL_RE.match(cell)
            if not match or not match["ops"]:
                raise AssertionError(f"bad access cell {cell!r} ({model}, {role})")
            ops = "" if match["ops"] == "-" else match["ops"]
            if match["scope"] and (ops != "r" or role not in PORTAL_ROLES):
                raise AssertionError(f"'({match['scope']})' is for portal reads: {model}, {role}")
            cells[role] = (ops, match["scope"])
        table[model] = cells
    return table


def read_portal_routes():
    """[(route, model, audience roles)] from ``access_table.ROUTES``, every row checked."""
    routes, seen = [], set()
    for row in ROUTES:
        if len(row) != 3:
            raise AssertionError(f"portal route rows are (route, model, for): {row}")
        route, model, audience = row
        if route in seen:
            raise AssertionError(f"route {route} twice in the portal route table")
        seen.add(route)
        if model not in ACCESS:
            raise AssertionError(f"route {route}: {model} is not in the access table")
        if audience not in ROUTE_AUDIENCES:
            raise AssertionError(f"route {route}: 'for' must be one of {list(ROUTE_AUDIENCES)}")
        routes.append((route, model, ROUTE_AUDIENCES[audience]))
    return routes


def format_cell(ops, scope):
    return (ops or "-") + (f" ({scope})" if scope else "")


class AccessMatrixCommon(WaasCommon):
    """One user per role of the access table and the deals they should or should not see."""

    deal_start = None  # start of the deals' contracts (None: the fixture's default)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.table = read_security_table()
        cls._setup_matrix_users()
        cls._setup_matrix_records()

    # ------------------------------------------------------------------ fixtures
    @classmethod
    def _portal_user(cls, company, login):
        contact = cls.env["res.partner"].create(
            {"name": login, "parent_id": company.id, "email": f"{login}@example.com"}
        )
        return new_test_user(
            cls.env(context=dict(cls.env.context, no_reset_password=True)),
            login=login,
            groups="base.group_portal",
            partner_id=contact.id,
        )

    @classmethod
    def _setup_matrix_users(cls):
        env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        cls.users = {
            "internal": cls.user_internal,
            "waas_user": cls.user_waas,
            "waas_manager": cls.user_manager,
            "credit_controller": cls.user_credit,
            "product_manager": cls.user_product,
            "commission_manager": new_test_user(
                env,
                login="acl_commission",
                groups="also_waas_commission.group_waas_commission_manager",
            ),
            "accountant": cls.user_accountant,
            "reseller_a": cls._portal_user(cls.reseller, "acl_reseller_a"),
            "reseller_b": cls._portal_user(cls.reseller_b, "acl_reseller_b"),
            "end_customer": cls._portal_user(cls.customer, "acl_customer"),
        }

    @classmethod
    def _deal(cls, key, partner, reseller, company=None):
        """Quotation, credit check, active contract (licences, commission lines), a device,
        the return of that device and its wipe: ``{model: records}``."""
        company = company or cls.company
        order = cls._create_waas_order(
            partner=partner, reseller=reseller, company_id=company.id, client_order_ref=key
        )
        order.action_quotation_sent()
        order.action_waas_request_credit_check()
        contract = cls._create_contract(
            partner=partner,
            reseller=reseller,
            name=f"ACL-{key}",
            company_id=company.id,
            currency_id=company.currency_id.id,
            **({"date_start": cls.deal_start} if cls.deal_start else {}),
        )
        contract._on_activated()
        lot = cls.env["stock.lot"].create(
            {"name": f"ACL-SN-{key}", "product_id": cls.laptop.id, "company_id": company.id}
        )
        device = cls.env["waas.device"].create(
            {
                "contract_id": contract.id,
                "product_id": cls.laptop.id,
                "lot_id": lot.id,
                "date_delivered": contract.date_start,
                "warranty_end": "2028-12-31",
            }
        )
        commission = cls.env["waas.commission.line"].search([("contract_id", "=", contract.id)])
        if not commission:
            commission = cls.env["waas.commission.line"].create(
                {
                    "name": f"ACL commission {key}",
                    "company_id": company.id,
                    "reseller_id": reseller.id,
                    "contract_id": contract.id,
                    "event": "new",
                    "amount": 10.0,
                }
            )
        ret = contract._create_waas_returns()
        ret.line_ids.write({"received": True})
        wipe = cls.env["waas.wipe"].create(
            {
                "return_line_id": ret.line_ids[0].id,
                "wiper_id": cls.wiper.id,
                "date": "2026-06-01",
                "certificate_ref": f"ACL-CERT-{key}",
            }
        )
        records = {
            "sale.order": order,
            "waas.credit.check": order.waas_credit_check_ids,
            "waas.contract": contract,
            "waas.contract.line": contract.line_ids,
            "waas.device": device,
            "waas.licence": contract.licence_ids,
            "waas.commission.line": commission,
            "waas.return": ret,
            "waas.return.line": ret.line_ids,
            "waas.wipe": wipe,
        }
        for model, recs in records.items():
            assert recs, f"fixture {key}: no {model}"
        return records

    @classmethod
    def _setup_matrix_records(cls):
        cls.wiper = cls.env["res.partner"].create(
            {
                "name": "ACL Secure Wipe BV",
                "is_company": True,
                "waas_is_wiper": True,
                "waas_wiper_certificate": "ADISA-ACL-1",
                "waas_wiper_valid_from": "2025-01-01",
                "waas_wiper_valid_to": "2030-12-31",
            }
        )
        # A: reseller A for the end customer; B: reseller B for another customer;
        # C: reseller B for the same end customer as A.
        cls.deals = {
            "A": cls._deal("A", cls.customer, cls.reseller),
            "B": cls._deal("B", cls.customer_be, cls.reseller_b),
            "C": cls._deal("C", cls.customer, cls.reseller_b),
        }
        cls.visible_deals = {
            "reseller_a": ("A",),
            "reseller_b": ("B", "C"),
            "end_customer": ("A", "C"),
        }
        # A second company with its own WaaS business.
        cls.company_2 = cls.env["res.company"].create(
            {"name": "ACL WaaS Company 2", "currency_id": cls.env.ref("base.EUR").id}
        )
        cls.env["waas.pricelist.item"].create(
            {
                "company_id": cls.company_2.id,
                "currency_id": cls.company_2.currency_id.id,
                "product_tmpl_id": cls.bundle.product_tmpl_id.id,
                "term_months": 36,
                "monthly_price": 45.0,
                "commission_new": 100.0,
                "commission_renewal": 50.0,
            }
        )
        cls.deal_2 = cls._deal("CO2", cls.customer, cls.reseller, company=cls.company_2)

    def _records(self, model, keys):
        return self.env[model].union(*(self.deals[key][model] for key in keys))


@tagged("post_install", "-at_install")
class TestAccessMatrix(AccessMatrixCommon):
    def test_table_lists_every_model(self):
        ours = {
            name
            for name, model in self.env.registry.items()
            if model._original_module in ADDONS and not model._abstract
        }
        expected = ours | set(EXTRA_MODELS)
        self.assertFalse(
            expected - set(self.table),
            "models missing from the access table (access_table.py)",
        )
        self.assertFalse(
            set(self.table) - expected, "the access table (access_table.py) names unknown models"
        )

    def test_model_access_matches_table(self):
        mismatches, checked = [], 0
        for model, cells in self.table.items():
            for role, (ops, scope) in cells.items():
                Model = self.env[model].with_user(self.users[role])
                actual = "".join(op for op, name in OPERATIONS.items() if Model.has_access(name))
                checked += len(OPERATIONS)
                if actual != ops:
                    mismatches.append(
                        f"{model} / {role}: the table says {format_cell(ops, scope)!r}, "
                        f"the ORM allows {actual or '-'!r}"
                    )
        _logger.info(
            "Access matrix: %s (role, model, operation) combinations checked "
            "(%s roles x %s models x %s operations)",
            checked,
            len(ROLES),
            len(self.table),
            len(OPERATIONS),
        )
        self.assertEqual(checked, len(ROLES) * len(self.table) * len(OPERATIONS))
        self.assertFalse(mismatches, "access matrix mismatches:\n" + "\n".join(mismatches))

    def test_portal_reads_own_records_only(self):
        """'r (own)': only its company's records; 'r (none)': no record at all;
        'r' (all): every record of the fixture."""
        checked = 0
        all_keys = tuple(self.deals)
        for model, cells in self.table.items():
            for role, (ops, scope) in cells.items():
                if "r" not in ops:
                    continue
                Model = self.env[model].with_user(self.users[role])
                if scope == "none":
                    self.assertFalse(Model.search([]), f"{role} reads {model} records")
                    checked += 1
                    continue
                if model not in self.deals["A"]:
                    continue
                everything = self._records(model, all_keys)
                expected = (
                    self._records(model, self.visible_deals[role]) if scope == "own" else everything
                )
                visible = Model.search([("id", "in", everything.ids)])
                self.assertEqual(visible, expected, f"{role} on {model}")
                if scope == "own":
                    hidden = everything - expected
                    self.assertFalse(hidden.with_user(self.users[role])._filtered_access("read"))
                checked += 1
        _logger.info("Access matrix: %s record-level read checks", checked)

    def test_portal_price_list_and_catalogue(self):
        items = self.env["waas.pricelist.item"].search([("company_id", "=", self.company.id)])
        for role in ("reseller_a", "reseller_b"):
            Item = self.env["waas.pricelist.item"].with_user(self.users[role])
            self.assertEqual(Item.search([("id", "in", items.ids)]), items, role)

    def test_multi_company(self):
        """A WaaS manager of one company never sees the other company's WaaS records."""
        env = self.env(context=dict(self.env.context, no_reset_password=True))
        manager_1 = new_test_user(
            env,
            login="acl_manager_co1",
            groups="also_waas.group_waas_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        manager_2 = new_test_user(
            env,
            login="acl_manager_co2",
            groups="also_waas.group_waas_manager",
            company_id=self.company_2.id,
            company_ids=[Command.set(self.company_2.ids)],
        )
        for model, records_2 in self.deal_2.items():
            records_1 = self._records(model, tuple(self.deals))
            both = records_1 | records_2
            seen_1 = self.env[model].with_user(manager_1).search([("id", "in", both.ids)])
            seen_2 = self.env[model].with_user(manager_2).search([("id", "in", both.ids)])
            self.assertEqual(seen_1, records_1, f"company 1 manager on {model}")
            self.assertEqual(seen_2, records_2, f"company 2 manager on {model}")

    def test_accountant_opens_the_documents_it_reads(self):
        """An accountant follows an invoice to its contract, return or commission line:
        the form (with its device, licence and return-line lists) opens."""
        accountant = self.users["accountant"]
        for model in ("waas.contract", "waas.return", "waas.commission.line"):
            record = self.deals["A"][model].with_user(accountant)
            form = Form(record)
            self.assertEqual(form.id, record.id, model)
