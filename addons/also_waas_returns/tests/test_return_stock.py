"""Returns stock is set up by the warehouse, as stock sets up its own locations,
operation types and routes: a warehouse gets its WaaS Returns and Refurbish locations,
its "WaaS Returns" operation type and its "WaaS Returns" route when it is created, and a
return only runs procurements along that route."""

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import ReturnsCommon


@tagged("post_install", "-at_install")
class TestReturnStock(ReturnsCommon):
    # ------------------------------------------------------------------ helpers
    def _assert_returns_setup(self, warehouse):
        returns = warehouse.waas_return_loc_id
        refurbish = warehouse.waas_refurbish_loc_id
        picking_type = warehouse.waas_return_type_id
        self.assertEqual(returns.usage, "internal")
        self.assertEqual(refurbish.usage, "internal")
        self.assertEqual((returns | refurbish).location_id, warehouse.view_location_id)
        self.assertEqual((returns | refurbish).warehouse_id, warehouse)
        self.assertEqual((returns | refurbish).company_id, warehouse.company_id)
        self.assertEqual(picking_type.code, "incoming")
        self.assertEqual(picking_type.warehouse_id, warehouse)
        self.assertEqual(picking_type.company_id, warehouse.company_id)
        self.assertEqual(picking_type.default_location_dest_id, returns)
        self.assertEqual(picking_type.sequence_code, "WRET")
        self.assertEqual(picking_type.sequence_id.prefix, f"{warehouse.code}/WRET/")
        route = warehouse.waas_return_route_id
        self.assertIn(route, warehouse.route_ids)
        self.assertEqual(route.company_id, warehouse.company_id)
        self.assertEqual(route.name, f"{warehouse.name}: WaaS Returns")
        self.assertFalse(route.product_selectable)
        customers = self.env.ref("stock.stock_location_customers")
        self.assertEqual(
            {
                (rule.location_src_id, rule.location_dest_id, rule.picking_type_id)
                for rule in route.rule_ids
            },
            {
                (customers, returns, picking_type),
                (returns, refurbish, warehouse.int_type_id),
            },
        )
        self.assertEqual(set(route.rule_ids.mapped("action")), {"pull"})
        self.assertEqual(set(route.rule_ids.mapped("procure_method")), {"make_to_stock"})
        self.assertEqual(route.rule_ids.warehouse_id, warehouse)

    # ------------------------------------------------------------------ warehouses
    def test_installed_warehouse_is_set_up(self):
        """The warehouse that existed at install got its returns stock then."""
        self._assert_returns_setup(self.warehouse)
        self.assertEqual(self.warehouse.waas_return_loc_id.barcode, "WHWAASRET")

    def test_new_warehouse_gets_returns_stock(self):
        warehouse = self.env["stock.warehouse"].create(
            {"name": "Test Returns Hub", "code": "TRH", "company_id": self.company.id}
        )
        self._assert_returns_setup(warehouse)
        self.assertEqual(warehouse.waas_return_loc_id.barcode, "TRHWAASRET")
        self.assertEqual(warehouse.waas_refurbish_loc_id.barcode, "TRHREFURB")
        self.assertNotEqual(warehouse.waas_return_type_id, self.warehouse.waas_return_type_id)
        # A new code renumbers its receipts, as the warehouse's other operation types.
        warehouse.code = "TRX"
        self.assertEqual(warehouse.waas_return_type_id.sequence_id.prefix, "TRX/WRET/")
        # Renamed with its warehouse, as its other routes.
        warehouse.name = "Test Returns Depot"
        self.assertEqual(warehouse.waas_return_route_id.name, "Test Returns Depot: WaaS Returns")
        # Archived with its warehouse, and back.
        warehouse.active = False
        self.assertFalse(warehouse.waas_return_type_id.active)
        self.assertFalse(warehouse.waas_return_route_id.active)
        warehouse.active = True
        self._assert_returns_setup(warehouse)
        self.assertTrue(warehouse.waas_return_route_id.active)
        self.assertTrue(all(warehouse.waas_return_route_id.rule_ids.mapped("active")))

    # ------------------------------------------------------------------ procurement
    def test_receipt_and_refurbish_run_along_the_route(self):
        """A return's transfers are made by procurements along the warehouse's route, in
        the return's own procurement group: one move per device, linked to its line."""
        route = self.warehouse.waas_return_route_id
        by_destination = {rule.location_dest_id: rule for rule in route.rule_ids}
        receive_rule = by_destination[self.warehouse.waas_return_loc_id]
        refurbish_rule = by_destination[self.warehouse.waas_refurbish_loc_id]
        ret = self._confirm_self_return(self._ended_contract(devices=2).waas_return_ids)
        group = ret.procurement_group_id
        self.assertTrue(group)
        self.assertEqual(group.partner_id, self.customer)
        receipt = self._open_receipt(ret)
        self.assertEqual(len(ret.picking_ids), 1)
        self.assertEqual(receipt.group_id, group)
        self.assertEqual(receipt.origin, ret.name)
        self.assertEqual(receipt.waas_return_id, ret)
        self.assertEqual(receipt.scheduled_date.date(), ret.expected_date)
        self.assertEqual(receipt.move_ids.rule_id, receive_rule)
        self.assertEqual(receipt.move_ids.route_ids, route)
        self.assertEqual(receipt.move_ids.waas_return_line_id, ret.line_ids)
        for move in receipt.move_ids:
            self.assertEqual(move.move_line_ids.lot_id, move.waas_return_line_id.lot_id)
        self._receive(ret)
        self._wipe(ret.line_ids)
        ret.action_done()
        refurbish = ret.picking_ids - receipt
        self.assertEqual(refurbish.state, "done")
        self.assertEqual(refurbish.group_id, group)
        self.assertEqual(refurbish.picking_type_id, self.warehouse.int_type_id)
        self.assertEqual(refurbish.move_ids.rule_id, refurbish_rule)
        self.assertEqual(refurbish.move_ids.waas_return_line_id, ret.line_ids)
        for move in refurbish.move_ids:
            self.assertEqual(move.move_line_ids.lot_id, move.waas_return_line_id.lot_id)

    def test_refurbish_waits_for_a_device_not_there(self):
        """The move to refurbishing takes the returned devices themselves: one no longer
        in the WaaS returns location waits in an open transfer, with a to-do for
        logistics, while the others move and the return closes."""
        ret = self._confirm_self_return(self._ended_contract(devices=2).waas_return_ids)
        self._receive(ret)
        self._wipe(ret.line_ids)
        moved, stayed = ret.line_ids.lot_id
        Quant = self.env["stock.quant"]
        Quant._update_available_quantity(
            self.laptop, self.warehouse.waas_return_loc_id, -1, lot_id=moved
        )
        Quant._update_available_quantity(self.laptop, self.warehouse.lot_stock_id, 1, lot_id=moved)
        ret.action_done()
        self.assertEqual(ret.state, "done")
        refurbish = ret.picking_ids.filtered(lambda p: p.picking_type_code == "internal")
        done = refurbish.filtered(lambda p: p.state == "done")
        self.assertEqual(done.move_line_ids.lot_id, stayed)
        waiting = refurbish - done
        self.assertEqual(len(waiting), 1)
        self.assertEqual(waiting.move_ids.waas_return_line_id.lot_id, moved)
        self.assertEqual(waiting.waas_return_id, ret)
        activity = ret.activity_ids.filtered(
            lambda a: a.summary == "Devices not moved to refurbishing"
        )
        self.assertEqual(len(activity), 1)
        self.assertIn(moved.name, activity.note)

    def test_settings_choose_the_warehouse(self):
        """The settings point to the warehouse receiving the returns; devices received
        there are refurbished there, even when the setting changes in the meantime."""
        hub = self.env["stock.warehouse"].create(
            {"name": "Test Returns Hub", "code": "TRH", "company_id": self.company.id}
        )
        self.company.waas_return_warehouse_id = hub
        ret = self._confirm_self_return(self._ended_contract(devices=1).waas_return_ids)
        receipt = self._open_receipt(ret)
        self.assertEqual(receipt.picking_type_id, hub.waas_return_type_id)
        self.assertEqual(receipt.location_dest_id, hub.waas_return_loc_id)
        self._receive(ret)
        self.company.waas_return_warehouse_id = False
        self._wipe(ret.line_ids)
        ret.action_done()
        refurbish = ret.picking_ids.filtered(lambda p: p.picking_type_code == "internal")
        self.assertEqual(refurbish.location_id, hub.waas_return_loc_id)
        self.assertEqual(refurbish.location_dest_id, hub.waas_refurbish_loc_id)

    # ------------------------------------------------------------------ companies
    def test_new_company_returns_without_setup(self):
        """A new company gets a warehouse (stock) with its returns stock: a WaaS user
        runs a return there and no location or operation type is made on the way."""
        other = self.env["res.company"].create(
            {"name": "Test WaaS Company 2", "currency_id": self.currency.id}
        )
        warehouse = other._waas_return_warehouse()
        self._assert_returns_setup(warehouse)
        user = new_test_user(
            self.env,
            login="ret_stock_company_2",
            groups="also_waas.group_waas_user",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        contract = self._create_contract(company_id=other.id, name="TRET/C2/00001")
        lot = self.env["stock.lot"].create(
            {"name": "TSN-C2-0001", "product_id": self.laptop.id, "company_id": other.id}
        )
        self.env["waas.device"].create(
            {
                "contract_id": contract.id,
                "product_id": self.laptop.id,
                "lot_id": lot.id,
                "date_delivered": contract.date_start,
            }
        )
        contract.state = "terminated"
        contract._on_ended()
        before = self._stock_config_count()
        ret = contract.waas_return_ids.with_user(user)
        self._confirm_self_return(ret)
        receipt = self._open_receipt(ret)
        self.assertEqual(receipt.picking_type_id, warehouse.waas_return_type_id)
        self.assertEqual(receipt.location_dest_id, warehouse.waas_return_loc_id)
        self.assertTrue(receipt.name.startswith(f"{warehouse.code}/WRET/"))
        self._receive(ret.sudo())
        self._wipe(ret.line_ids)
        ret.action_done()
        self.assertEqual(ret.state, "done")
        quant = self.env["stock.quant"].search([("lot_id", "=", lot.id), ("quantity", ">", 0)])
        self.assertEqual(quant.location_id, warehouse.waas_refurbish_loc_id)
        self.assertEqual(self._stock_config_count(), before, "nothing made at runtime")

    def test_company_without_warehouse(self):
        other = self.env["res.company"].create({"name": "Test WaaS Company 3"})
        self.env["stock.warehouse"].search([("company_id", "=", other.id)]).active = False
        with self.assertRefused(UserError, "Test WaaS Company 3 has no warehouse"):
            other._waas_return_warehouse()
