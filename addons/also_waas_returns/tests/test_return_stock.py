"""Returns stock is set up by the warehouse, as stock sets up its own locations and
operation types: a warehouse gets its WaaS Returns and Refurbish locations and its
"WaaS Returns" operation type when it is created, and a return only uses them."""

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import ReturnsCommon


@tagged("post_install", "-at_install")
class TestReturnStock(ReturnsCommon):
    # ------------------------------------------------------------------ helpers
    def _stock_config_count(self):
        """How many locations and operation types exist (archived included)."""
        return tuple(
            self.env[model].with_context(active_test=False).search_count([])
            for model in ("stock.location", "stock.picking.type")
        )

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
        # Archived with its warehouse.
        warehouse.active = False
        self.assertFalse(warehouse.waas_return_type_id.active)

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
