"""Migrations: an older version kept the WaaS returns locations and operation type on
the company, made on first use; they now belong to the warehouse."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.also_waas.tests.test_migrations import _load_migration

from .common import ReturnsCommon

FIELDS = ("waas_return_loc_id", "waas_refurbish_loc_id", "waas_return_type_id")
# The route came in 18.0.1.2.0.
ROUTE = "waas_return_route_id"


@tagged("post_install", "-at_install")
class TestReturnsMigrations(ReturnsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.migration = _load_migration("18.0.1.1.0", "post", module="also_waas_returns")
        cls.hub = cls.env["stock.warehouse"].create(
            {"name": "Test Old Hub", "code": "TOH", "company_id": cls.company.id}
        )

    def _as_older_version(self, warehouse):
        """The warehouse as an older version left it: without WaaS returns records.
        Returns the records it had."""
        records = [warehouse[name] for name in FIELDS]
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE stock_warehouse SET waas_return_loc_id = NULL, waas_refurbish_loc_id = NULL,"
            " waas_return_type_id = NULL WHERE id = %s",
            [warehouse.id],
        )
        warehouse.invalidate_recordset(FIELDS)
        return records

    def test_existing_warehouse_gets_returns_stock(self):
        old = self._as_older_version(self.hub)
        # Records of no older install: nothing to take over.
        old[0].barcode = old[1].barcode = False
        old[2].sequence_code = "OLD"

        self.migration.migrate(self.env.cr, False)  # a new install: nothing to do
        self.assertFalse(self.hub.waas_return_type_id)

        self.migration.migrate(self.env.cr, "18.0.1.0.0")
        self.hub.invalidate_recordset(FIELDS)
        for name, record in zip(FIELDS, old, strict=True):
            self.assertTrue(self.hub[name])
            self.assertNotEqual(self.hub[name], record)
        self.assertEqual(self.hub.waas_return_type_id.default_location_dest_id.name, "WaaS Returns")
        self.assertEqual(self.hub.waas_return_type_id.warehouse_id, self.hub)
        self.assertEqual(self.hub.waas_refurbish_loc_id.location_id, self.hub.view_location_id)

    def test_company_records_taken_over(self):
        """The records an older version kept on the company stay in use (their receipts
        keep their numbering) and their warehouse becomes the company's returns warehouse."""
        old = self._as_older_version(self.hub)
        # Older versions gave the locations no barcode.
        old[0].barcode = old[1].barcode = False
        self.env.flush_all()
        # The columns of the older version (dropped once the update is over).
        self.env.cr.execute(
            "ALTER TABLE res_company ADD COLUMN waas_return_location_id int,"
            " ADD COLUMN waas_refurbish_location_id int,"
            " ADD COLUMN waas_return_picking_type_id int"
        )
        self.env.cr.execute(
            "UPDATE res_company SET waas_return_location_id = %s,"
            " waas_refurbish_location_id = %s, waas_return_picking_type_id = %s WHERE id = %s",
            [*(record.id for record in old), self.company.id],
        )
        before = self.env["stock.location"].with_context(active_test=False).search_count([])

        self.migration.migrate(self.env.cr, "18.0.1.0.0")
        self.hub.invalidate_recordset(FIELDS)
        self.assertEqual([self.hub[name] for name in FIELDS], old)
        self.assertEqual(self.company.waas_return_warehouse_id, self.hub)
        self.assertEqual(old[0].barcode, "TOHWAASRET")
        self.assertEqual(
            self.env["stock.location"].with_context(active_test=False).search_count([]), before
        )

    def test_reinstall_takes_over(self):
        """After an uninstall, the records of the earlier install are taken over again,
        its route too (no second route)."""
        route = self.hub[ROUTE]
        old = self._as_older_version(self.hub)
        self._without_route(self.hub, drop=False)
        old[2].active = False
        route.active = False
        before = self._stock_config_count()
        self.env["stock.warehouse"]._waas_returns_setup_all()
        self.hub.invalidate_recordset([*FIELDS, ROUTE])
        self.assertEqual([self.hub[name] for name in FIELDS], old)
        self.assertTrue(old[2].active)
        self.assertEqual(self.hub[ROUTE], route)
        self.assertTrue(route.active)
        self.assertEqual(len(route.rule_ids), 2)
        self.assertEqual(self._stock_config_count(), before)

    # ------------------------------------------------------------------ 18.0.1.2.0
    def _without_route(self, warehouse, drop=True):
        """The warehouse without its WaaS Returns route (as 18.0.1.1.0 left it, ``drop``;
        or as an uninstall left it: the route still there but no longer linked)."""
        route = warehouse[ROUTE]
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE stock_warehouse SET waas_return_route_id = NULL WHERE id = %s", [warehouse.id]
        )
        warehouse.invalidate_recordset([ROUTE])
        if drop:
            warehouse.route_ids -= route
            route.unlink()

    def test_existing_warehouse_gets_route(self):
        migration = _load_migration("18.0.1.2.0", "post", module="also_waas_returns")
        self._without_route(self.hub)
        self.company.waas_return_warehouse_id = self.hub
        ret = self._ended_contract(devices=1).waas_return_ids
        ret.risk_consent_ref = "E-mail of the end customer"
        ret.action_acknowledge_risk()
        with self.assertRefused(UserError, "has no WaaS returns operation type, locations or"):
            ret.action_confirm()

        migration.migrate(self.env.cr, False)  # a new install: nothing to do
        self.assertFalse(self.hub[ROUTE])

        records = [self.hub[name] for name in FIELDS]
        config = self._stock_config_count()
        migration.migrate(self.env.cr, "18.0.1.1.0")
        self.hub.invalidate_recordset([ROUTE])
        route = self.hub[ROUTE]
        self.assertIn(route, self.hub.route_ids)
        self.assertEqual(len(route.rule_ids), 2)
        self.assertEqual(route.rule_ids.picking_type_id, records[2] | self.hub.int_type_id)
        # Nothing else is made again.
        self.assertEqual([self.hub[name] for name in FIELDS], records)
        self.assertEqual(self._stock_config_count(), (*config[:2], config[2] + 1))
        ret.action_confirm()
        receipt = self._open_receipt(ret)
        self.assertEqual(receipt.move_ids.rule_id.route_id, route)
