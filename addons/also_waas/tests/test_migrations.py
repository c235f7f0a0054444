"""The data fixes of ``migrations/``: run on an update from an older version only."""

import importlib.util

from odoo.tests import tagged
from odoo.tools.misc import file_path

from .common import WaasCommon


def _load_migration(version, stage, module="also_waas"):
    """The ``{stage}-migrate.py`` script of ``module``'s ``migrations/{version}``."""
    path = file_path(f"{module}/migrations/{version}/{stage}-migrate.py")
    spec = importlib.util.spec_from_file_location(f"{module}_{stage}_{version}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestMigrations(WaasCommon):
    def _set_schedule(self, contract, periods):
        """The contract as an older version left it: no next invoice date."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE waas_contract SET date_next_invoice = NULL, invoiced_periods = %s"
            " WHERE id = %s",
            [periods, contract.id],
        )
        contract.invalidate_recordset(["date_next_invoice", "invoiced_periods"])

    def test_18_0_1_0_1_schedule_of_older_contracts(self):
        migration = _load_migration("18.0.1.0.1", "post")
        fresh = self._create_contract(name="TST-MIG-00001")
        invoiced = self._create_contract(name="TST-MIG-00002", date_start="2026-02-01")
        self._set_schedule(fresh, 0)
        self._set_schedule(invoiced, 2)

        migration.migrate(self.env.cr, False)  # a new install: nothing to fix
        self.assertFalse(fresh.date_next_invoice)

        migration.migrate(self.env.cr, "18.0.1.0.0")
        (fresh | invoiced).invalidate_recordset(["date_next_invoice"])
        self.assertEqual(fresh.date_next_invoice, fresh.date_start)
        # A contract with invoiced periods is not guessed at.
        self.assertFalse(invoiced.date_next_invoice)

    def test_18_0_1_1_0_marketplace_per_company(self):
        migration = _load_migration("18.0.1.1.0", "post")
        params = self.env["ir.config_parameter"]
        own = self.env["res.company"].create({"name": "Test Own Marketplace"})
        own.write(
            {"waas_marketplace_url": "https://own.example/api", "waas_marketplace_api_key": "own"}
        )
        other = self.env["res.company"].create({"name": "Test No Marketplace"})
        old = {
            "also_waas.marketplace_url": "https://old.example/api/v1",
            "also_waas.marketplace_api_key": "old-key",
            "also_waas.marketplace_timeout": "25",
            "also_waas.marketplace_manual": "True",
        }
        for key, value in old.items():
            params.set_param(key, value)
        self.env.flush_all()

        migration.migrate(self.env.cr, False)  # a new install: nothing to move
        self.assertEqual(
            params.get_param("also_waas.marketplace_url"), old["also_waas.marketplace_url"]
        )

        migration.migrate(self.env.cr, "18.0.1.0.1")
        self.env.invalidate_all()
        fields = [
            "waas_marketplace_url",
            "waas_marketplace_api_key",
            "waas_marketplace_timeout",
            "waas_marketplace_manual",
        ]
        self.assertEqual(
            [other[f] for f in fields], ["https://old.example/api/v1", "old-key", 25, True]
        )
        # A company with a marketplace account of its own keeps it.
        self.assertEqual([own[f] for f in fields], ["https://own.example/api", "own", 10, False])
        # Moved: the database-wide settings are gone.
        self.env.cr.execute("SELECT key FROM ir_config_parameter WHERE key IN %s", [tuple(old)])
        self.assertFalse(self.env.cr.fetchall())

    def test_18_0_1_0_2_approved_exposure_per_company(self):
        migration = _load_migration("18.0.1.0.2", "pre")
        order = self._create_waas_order(term=12, products=[(self.bundle, 1)])
        order.action_waas_request_credit_check()
        order.waas_credit_check_id.with_user(self.user_credit).action_approve()
        approved = order.waas_credit_check_id.approved_exposure
        self.assertTrue(approved)
        no_check = self.env["res.partner"].create(
            {"name": "Customer Approved Long Ago", "company_id": self.company.id}
        )
        no_check.sudo()._waas_set_credit_limit(333.0, self.company)
        self.env.flush_all()
        # The column as the older version had it: one number per customer.
        key = str(self.company.id)
        self.env.cr.execute(
            "ALTER TABLE res_partner ALTER COLUMN waas_credit_limit TYPE numeric"
            " USING (waas_credit_limit->>%s)::numeric",
            [key],
        )
        migration.migrate(self.env.cr, False)  # a new install: nothing to do
        migration.migrate(self.env.cr, "18.0.1.0.1")
        self.env.cr.execute(
            "SELECT id, waas_credit_limit FROM res_partner WHERE id IN %s",
            [(self.customer.id, no_check.id)],
        )
        limits = dict(self.env.cr.fetchall())
        self.assertEqual(limits[self.customer.id], {key: approved})
        self.assertEqual(limits[no_check.id], {key: 333.0})
        (self.customer | no_check).invalidate_recordset(["waas_credit_limit"])
        self.assertEqual(self.customer.with_company(self.company).waas_credit_limit, approved)
        # Run again: nothing changes.
        migration.migrate(self.env.cr, "18.0.1.0.1")
