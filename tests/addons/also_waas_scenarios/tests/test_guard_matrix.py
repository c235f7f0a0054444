"""Who may change what, checked as an attacker.

Each model of the three addons that inherits ``waas.guard.mixin`` names the fields that
only its buttons and wizards change (``_waas_guarded_fields``; the README's "Who may change
what" table lists the same, checked by ``make test``). This test logs in as every role of
the access matrix and, over XML-RPC, writes every guarded field of a record that role can
read (its own deals for portal users), creates and deletes where creation or deletion is
guarded, and calls every ``action_*`` of the record as a portal user. Each attempt must be
refused with a clear message (no traceback), and afterwards every guarded field of every
record is what it was.
"""

import base64
import logging
import xmlrpc.client

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.also_waas.tests.common import WaasRpcMixin

from .test_access_matrix import PORTAL_ROLES, ROLES, AccessMatrixCommon

_logger = logging.getLogger(__name__)


def _defined_by_waas(model_class, name):
    """True when one of our addons defines or overrides method ``name`` of the model (the
    buttons of the WaaS flow; Odoo's own actions are Odoo's to guard)."""
    return any(
        name in vars(cls) and cls.__module__.startswith("odoo.addons.also_waas")
        for cls in model_class.__mro__
    )


def guarded_models(env):
    """{model name: model} of every model with guarded fields, creation or deletion."""
    return {
        name: env[name]
        for name, model in env.registry.items()
        if not model._abstract
        and (
            getattr(model, "_waas_guarded_fields", None)
            or getattr(model, "_waas_guarded_create", False)
        )
    }


@tagged("post_install", "-at_install")
class TestGuardMatrix(WaasRpcMixin, HttpCase, AccessMatrixCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.guard_table = guarded_models(cls.env)

    # ------------------------------------------------------------------ helpers
    def _refused(self, user, model, method, *args):
        """True when the call is refused with a Fault that carries no traceback."""
        try:
            with mute_logger("odoo.http", "odoo.sql_db", "odoo.addons.base.models.ir_model"):
                self._rpc(user, model, method, *args)
        except xmlrpc.client.Fault as fault:
            self.assertNotIn("Traceback", fault.faultString, f"{model}.{method} as {user.login}")
            return True
        return False

    def _attack_value(self, record, name):
        """A value for field ``name`` that differs from the record's."""
        field = record._fields[name]
        current = record[name]
        if field.type == "many2one":
            other = self.env[field.comodel_name].sudo().search([("id", "!=", current.id)], limit=1)
            return other.id or False
        if field.type in ("one2many", "many2many"):
            return [(5, 0, 0)]
        if field.type == "selection":
            keys = [key for key, _label in field._description_selection(self.env)]
            return next((key for key in keys if key != current), keys[0])
        if field.type == "boolean":
            return not current
        if field.type == "date":
            return "2031-01-31"
        if field.type == "datetime":
            return "2031-01-31 10:00:00"
        if field.type in ("integer",):
            return (current or 0) + 7
        if field.type in ("float", "monetary"):
            return (current or 0.0) + 999.0
        if field.type == "binary":
            return base64.b64encode(b"forged").decode()
        return "FORGED"

    def _rpc_vals(self, Model, vals):
        """``vals`` as XML-RPC carries them: dates and datetimes as strings."""
        result = {}
        for name, value in vals.items():
            field = Model._fields.get(name)
            if field is None or value is None:
                continue
            if field.type == "date" and value:
                value = fields.Date.to_string(value)
            elif field.type == "datetime" and value:
                value = fields.Datetime.to_string(value)
            result[name] = value
        return result

    def _snapshot(self, records_by_model):
        """{(model, id, field): value} of every guarded field, read as superuser."""
        snap = {}
        for model, records in records_by_model.items():
            fields_ = sorted(self.env[model]._waas_guarded_fields)
            for record in records.sudo():
                for name in fields_:
                    value = record[name]
                    if hasattr(value, "ids"):
                        value = tuple(value.ids)
                    snap[(model, record.id, name)] = value
        return snap

    def _deal_records(self, keys):
        return {
            model: self._records(model, keys)
            for model in self.guard_table
            if model in self.deals["A"]
        }

    # ------------------------------------------------------------------ tests
    def test_every_document_model_is_guarded(self):
        """The documents whose state or amounts move money have guarded fields."""
        for model in (
            "sale.order",
            "waas.credit.check",
            "waas.contract",
            "waas.contract.line",
            "waas.contract.renewal",
            "waas.device",
            "waas.licence",
            "waas.commission.line",
            "waas.return",
            "waas.return.line",
            "waas.wipe",
        ):
            self.assertIn(model, self.guard_table, f"{model} has no guarded fields")
        self.assertIn("state", self.env["waas.contract"]._waas_guarded_fields)
        self.assertIn("signature", self.env["sale.order"]._waas_guarded_fields)

    def test_plain_writes_refused_for_every_role(self):
        records = self._deal_records(("A", "B", "C"))
        before = self._snapshot(records)
        checked = 0
        failures = []
        for role in ROLES:
            user = self.users[role]
            keys = self.visible_deals.get(role, ("A",))
            for model, recs in self._deal_records(keys).items():
                record = recs[:1].sudo()
                for name in sorted(self.env[model]._waas_guarded_fields):
                    value = self._attack_value(record, name)
                    checked += 1
                    if not self._refused(user, model, "write", [record.id], {name: value}):
                        failures.append(f"{role} wrote {model}.{name}")
        _logger.info("Guard matrix: %s plain writes of guarded fields refused", checked)
        self.assertFalse(
            failures, "guarded fields written outside their actions:\n" + "\n".join(failures)
        )
        self.env.invalidate_all()
        self.assertEqual(self._snapshot(records), before, "a refused write changed something")

    def test_guarded_create_and_unlink_refused(self):
        records = self._deal_records(("A",))
        counts = {model: self.env[model].sudo().search_count([]) for model in self.guard_table}
        failures = []
        for role in ROLES:
            if role == "waas_manager":
                continue  # a WaaS Manager imports existing contracts (tested with the import)
            user = self.users[role]
            for model, recs in records.items():
                Model = self.env[model]
                if Model._waas_guarded_create:
                    vals = recs[:1].sudo().copy_data()[0] if recs else {}
                    vals.pop("name", None)
                    vals = self._rpc_vals(Model, vals)
                    if not self._refused(user, model, "create", vals):
                        failures.append(f"{role} created {model}")
                if Model._waas_guarded_unlink and not self._refused(
                    user, model, "unlink", recs[:1].ids
                ):
                    failures.append(f"{role} deleted {model}")
        self.assertFalse(failures, "\n".join(failures))
        self.env.invalidate_all()
        self.assertEqual(
            {model: self.env[model].sudo().search_count([]) for model in self.guard_table},
            counts,
        )

    def test_portal_users_cannot_run_back_office_actions(self):
        """Every ``action_*`` of a guarded model, called over XML-RPC by a portal user on
        its own record, changes nothing."""
        records = self._deal_records(("A", "B", "C"))
        before = self._snapshot(records)
        counts = {model: self.env[model].sudo().search_count([]) for model in self.guard_table}
        called = 0
        for role in PORTAL_ROLES:
            user = self.users[role]
            for model, recs in self._deal_records(self.visible_deals[role]).items():
                Model = type(self.env[model])
                actions = sorted(
                    name
                    for name in dir(Model)
                    if name.startswith("action_")
                    and callable(getattr(Model, name))
                    and _defined_by_waas(Model, name)
                )
                for name in actions:
                    self._refused(user, model, name, recs[:1].ids)
                    called += 1
        _logger.info("Guard matrix: %s back-office actions called by portal users", called)
        self.assertGreater(called, 20, "the portal users' own records have WaaS actions")
        self.env.invalidate_all()
        self.assertEqual(
            self._snapshot(records), before, "a portal user's action changed a document"
        )
        self.assertEqual(
            {model: self.env[model].sudo().search_count([]) for model in self.guard_table},
            counts,
            "a portal user's action created or deleted a document",
        )
