"""The access matrix, through every portal route.

``access_table.ROUTES`` lists every portal route of the three addons (and the sale portal's
quotation page, where end customers read and sign WaaS quotations) with the model whose
records the route shows and the portal users it is for (the README's "Portal routes" table
shows the same list). The expected outcome of each (route, portal role, record) follows
from ``access_table.ACCESS``:

- a role the route is not for gets 404 (or is sent away) and sees no record;
- ``r (own)``: the role sees exactly the records of its own deals (as reseller or as end
  customer), ``r``: every record, ``r (none)`` or no read right: none;
- a record the role may not see is refused (403/404 or a redirect away from it) on every
  detail, report and POST route, its name never appears in the page, and a refused POST
  changes nothing;
- a JSON route (the portal signature ``/my/orders/<id>/accept``) called without its data
  answers an error for every record, names no record the role may not see and changes
  nothing.

Deals: A (reseller A, the end customer), B (reseller B, another customer), C (reseller B,
the same end customer as A) and CO2 (reseller A, the end customer, in a second company).
"""

import json
import logging
import re
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .test_access_matrix import ADDONS, PORTAL_ROLES, AccessMatrixCommon, read_portal_routes

_logger = logging.getLogger(__name__)

INT_ARG_RE = re.compile(r"<int:(\w+)>")
CSRF_RE = re.compile(r"""csrf_token["']?\s*[:=]\s*["']([0-9a-f]{20,}o?[0-9]*)["']""")
DENIED_STATUS = (403, 404)
REDIRECTS = (301, 302, 303)


@tagged("post_install", "-at_install")
class TestAccessMatrixPortal(HttpCase, AccessMatrixCommon):
    # Contracts in their last months: their return can be booked in the portal.
    deal_start = date.today() - relativedelta(months=35, days=20)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.routes = read_portal_routes()
        # The wipe certificate is offered once the devices of a return are wiped.
        for deal in (*cls.deals.values(), cls.deal_2):
            deal["waas.return"].write({"state": "wiped"})
        cls.all_deals = {**cls.deals, "CO2": cls.deal_2}
        items = cls.env["waas.pricelist.item"].search([("company_id", "=", cls.company.id)])
        cls.price_items = items.filtered(
            lambda item: item.product_tmpl_id == cls.bundle.product_tmpl_id
        )

    @classmethod
    def _route_records(cls, model):
        """{key: (record, marker regex)}: what a route of ``model`` may show."""
        if model == "waas.pricelist.item":
            return {"*": (cls.price_items, rf"\b{re.escape(cls.bundle.name)}\b")}
        markers = {
            "sale.order": lambda deal: deal["sale.order"].name,
            "waas.contract": lambda deal: deal["waas.contract"].name,
            "waas.commission.line": lambda deal: deal["waas.contract"].name,
            "waas.return": lambda deal: deal["waas.return"].name,
        }
        if model not in markers:
            raise AssertionError(f"no portal marker for {model}: add one to the route test")
        return {
            key: (deal[model], rf"\b{re.escape(markers[model](deal))}\b")
            for key, deal in cls.all_deals.items()
        }

    def _visible_keys(self, role, model, audience, records):
        if role not in audience:
            return set()
        ops, scope = self.table[model][role]
        if "r" not in ops or scope == "none":
            return set()
        if scope == "own":
            return set(self.visible_deals[role])
        return set(records)

    # ------------------------------------------------------------------ http helpers
    def _get(self, url):
        return self.url_open(url, allow_redirects=False)

    def _csrf_token(self):
        response = self.url_open("/my")
        match = CSRF_RE.search(response.text)
        self.assertTrue(match, "no csrf_token on /my")
        return match.group(1)

    def assertDenied(self, response, url, label):
        if response.status_code in REDIRECTS:
            self.assertNotIn(url.split("?")[0], response.headers.get("Location", ""), label)
        else:
            self.assertIn(response.status_code, DENIED_STATUS, label)

    def assertShows(self, response, markers, label, present):
        body = response.text
        for key, marker in markers.items():
            found = bool(re.search(marker, body))
            self.assertEqual(found, key in present, f"{label}: deal {key} shown={found}")

    # ------------------------------------------------------------------ tests
    def test_every_portal_route_is_in_the_table(self):
        ours = set()
        routing = self.env["ir.http"].routing_map()
        for rule in routing.iter_rules():
            module = getattr(rule.endpoint, "__module__", "") or ""
            if any(module.startswith(f"odoo.addons.{addon}.") for addon in ADDONS):
                ours.add(rule.rule)
        listed = {route for route, _model, _audience in self.routes}
        self.assertFalse(
            ours - listed, "portal routes missing from the route table (access_table.py)"
        )
        known = {rule.rule for rule in routing.iter_rules()}
        self.assertFalse(listed - known, "the route table (access_table.py) names unknown routes")
        for route, model, audience in self.routes:
            for role in audience:
                self.assertIn(
                    "r", self.table[model][role][0], f"{route} is for {role}: no read on {model}"
                )

    @mute_logger("odoo.http", "odoo.addons.http_routing.models.ir_http")
    def test_routes_follow_the_access_table(self):
        methods = {
            rule.rule: rule.endpoint.routing.get("methods") or ["GET"]
            for rule in self.env["ir.http"].routing_map().iter_rules()
        }
        json_routes = {
            rule.rule
            for rule in self.env["ir.http"].routing_map().iter_rules()
            if rule.endpoint.routing.get("type") == "json"
        }
        checked = 0
        for role in PORTAL_ROLES:
            login = self.users[role].login
            self.authenticate(login, login)
            csrf = self._csrf_token()
            for route, model, audience in self.routes:
                records = self._route_records(model)
                visible = self._visible_keys(role, model, audience, records)
                markers = {key: marker for key, (_rec, marker) in records.items()}
                label = f"{role} {route}"
                if route in json_routes:
                    checked += self._check_json(route, records, visible, label)
                elif "POST" in methods[route]:
                    checked += self._check_post(route, records, visible, csrf, label)
                elif "<int:year>" in route:
                    checked += self._check_period(route, model, markers, visible, label)
                elif INT_ARG_RE.sub("", route) != route and "<int:page>" not in route:
                    checked += self._check_detail(route, records, markers, visible, label)
                else:
                    url = route.replace("<int:page>", "1")
                    response = self._get(url)
                    if role not in audience:
                        self.assertDenied(response, url, label)
                    else:
                        self.assertEqual(response.status_code, 200, label)
                    if route.endswith("/new"):
                        # A form: it lists no deal, and never one of another reseller.
                        self._assert_none_hidden(response, markers, visible, label)
                    else:
                        self.assertShows(response, markers, label, visible)
                    checked += 1
        _logger.info("Access matrix: %s (portal role, route, record) checks", checked)

    def _assert_none_hidden(self, response, markers, visible, label):
        for key, marker in markers.items():
            if key not in visible:
                self.assertNotRegex(response.text, marker, f"{label}: deal {key} shown")

    def _check_detail(self, route, records, markers, visible, label):
        checked = 0
        for key, (record, _marker) in records.items():
            url = INT_ARG_RE.sub(str(record.id), route)
            response = self._get(url)
            if key in visible:
                if response.status_code in REDIRECTS:
                    # The booking form of a contract whose return is booked opens that return.
                    self.assertIn("/my/waas/", response.headers["Location"], f"{label} {key}")
                else:
                    self.assertEqual(response.status_code, 200, f"{label} {key}")
                    self.assertShows(response, {key: markers[key]}, f"{label} {key}", {key})
            else:
                self.assertDenied(response, url, f"{label} {key}")
                self.assertShows(response, markers, f"{label} {key}", set())
            checked += 1
        return checked

    def _check_period(self, route, model, markers, visible, label):
        periods = {}
        for key, deal in self.all_deals.items():
            for period in deal[model].mapped("period"):
                periods.setdefault(period, set()).add(key)
        checked = 0
        for period, keys in periods.items():
            url = route.replace("<int:year>", str(period.year)).replace(
                "<int:month>", str(period.month)
            )
            response = self._get(url)
            expected = keys & visible
            if expected:
                self.assertEqual(response.status_code, 200, f"{label} {period}")
            else:
                self.assertDenied(response, url, f"{label} {period}")
            self.assertShows(response, markers, f"{label} {period}", expected)
            checked += 1
        return checked

    def _snapshot(self):
        self.env.invalidate_all()
        return {
            model: self.env[model].sudo().search_read([], ["write_date"], order="id")
            for model in ("sale.order", "waas.credit.check", "waas.contract", "waas.return")
        }

    def _check_json(self, route, records, visible, label):
        """A JSON-RPC call without its data: an error for every record, nothing about the
        records the role may not see, nothing changed."""
        checked = 0
        payload = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {}})
        for key, (record, marker) in records.items():
            url = INT_ARG_RE.sub(str(record.id), route)
            before = self._snapshot()
            response = self.url_open(
                url, data=payload, headers={"Content-Type": "application/json"}
            )
            self.assertEqual(response.status_code, 200, f"{label} {key}")
            self.assertIn("error", response.json().get("result") or {}, f"{label} {key}")
            if key not in visible:
                self.assertNotRegex(response.text, marker, f"{label} {key}")
            self.assertEqual(self._snapshot(), before, f"{label} {key}: something changed")
            checked += 1
        return checked

    def _check_post(self, route, records, visible, csrf, label):
        """A refused POST (a record the role may not see, or a route not for it) changes
        nothing. What an allowed POST does is tested with the feature itself."""
        checked = 0
        targets = (
            {key: record for key, (record, _m) in records.items() if key not in visible}
            if INT_ARG_RE.search(route)
            else ({"-": None} if not visible else {})
        )
        for key, record in targets.items():
            url = INT_ARG_RE.sub(str(record.id), route) if record is not None else route
            before = self._snapshot()
            response = self.url_open(url, data={"csrf_token": csrf}, allow_redirects=False)
            self.assertDenied(response, url, f"{label} {key}")
            self.assertEqual(self._snapshot(), before, f"{label} {key}: something changed")
            checked += 1
        return checked
