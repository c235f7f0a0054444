from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import WaasCommon


@tagged("post_install", "-at_install")
class TestDelivery(WaasCommon):
    """A confirmed WaaS order ships the hardware of its bundles (free) to the address chosen
    on the deal, from stock or dropshipped, and every delivered serial becomes a rented
    device of the contract."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.supplier = cls.env["res.partner"].create({"name": "Test Laptop Distributor"})
        cls.serial_seq = 0

    # ------------------------------------------------------------------ helpers
    def _confirmed_order(self, delivery_to="end_customer", products=None):
        """A WaaS order confirmed as at activation (the activation checks themselves are
        the deal flow's tests); returns (order, contract)."""
        products = products or [(self.bundle, 2), (self.upgrade_premium, 2)]
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "is_waas": True,
                "waas_reseller_id": self.reseller.id,
                "waas_term_months": 36,
                "waas_delivery_to": delivery_to,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": qty})
                    for product, qty in products
                ],
            }
        )
        order.write({"state": "sale", "date_order": fields.Datetime.now()})
        order._action_confirm()
        contract = order.waas_contract_ids[:1] or self._create_contract(
            sale_order_id=order.id, name=f"DLV-{order.id}"
        )
        return order, contract

    def _serials(self, product, count):
        lots = self.env["stock.lot"]
        for _i in range(count):
            type(self).serial_seq += 1
            lots |= lots.create(
                {
                    "name": f"SN-{product.id}-{self.serial_seq:05d}",
                    "product_id": product.id,
                    "company_id": self.company.id,
                }
            )
        return lots

    def _pick(self, move, lots):
        """Pick ``lots`` (one unit each) on ``move``."""
        move.write(
            {
                "move_line_ids": [
                    Command.create(
                        {
                            "product_id": move.product_id.id,
                            "product_uom_id": move.product_uom.id,
                            "lot_id": lot.id,
                            "quantity": 1,
                            "location_id": move.location_id.id,
                            "location_dest_id": move.location_dest_id.id,
                            "picking_id": move.picking_id.id,
                        }
                    )
                    for lot in lots
                ],
                "picked": True,
            }
        )

    def _validate_with_serials(self, picking):
        """Validate ``picking``, one new serial per unit; returns the serials."""
        all_lots = self.env["stock.lot"]
        for move in picking.move_ids:
            lots = self._serials(move.product_id, int(move.product_uom_qty))
            all_lots |= lots
            move.move_line_ids.unlink()
            self._pick(move, lots)
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return all_lots

    # ------------------------------------------------------------------ routing
    def test_ships_to_end_customer(self):
        order, _contract = self._confirmed_order("end_customer")
        self.assertEqual(order.partner_shipping_id, self.customer)
        picking = order.picking_ids
        self.assertEqual(len(picking), 1)
        self.assertEqual(picking.partner_id, self.customer)
        self.assertEqual(picking.picking_type_id, self.warehouse.out_type_id)
        self.assertEqual(picking.location_dest_id.usage, "customer")

    def test_ships_to_reseller(self):
        order, _contract = self._confirmed_order("reseller")
        self.assertEqual(order.partner_shipping_id, self.reseller)
        self.assertEqual(order.picking_ids.partner_id, self.reseller)
        self.assertEqual(order.picking_ids.move_ids.partner_id, self.reseller)

    def test_bundle_components_ship_services_do_not(self):
        # 2 bundles (1 laptop each) and 3 monitor options (2 monitors each).
        self.option_monitor.waas_bundle_line_ids.quantity = 2
        order, _contract = self._confirmed_order(
            products=[(self.bundle, 2), (self.option_monitor, 3), (self.upgrade_premium, 2)]
        )
        moves = order.picking_ids.move_ids
        self.assertEqual(
            {m.product_id: m.product_uom_qty for m in moves},
            {self.laptop: 2.0, self.monitor: 6.0},
        )
        bundle_line = order.order_line.filtered(lambda sl: sl.product_id == self.bundle)
        option_line = order.order_line.filtered(lambda sl: sl.product_id == self.option_monitor)
        self.assertEqual(
            moves.filtered(lambda m: m.product_id == self.laptop).sale_line_id, bundle_line
        )
        self.assertEqual(
            moves.filtered(lambda m: m.product_id == self.monitor).sale_line_id, option_line
        )
        # Confirming again (e.g. a write of the quantity) does not procure twice.
        order.order_line._action_launch_stock_rule()
        self.assertEqual(len(order.picking_ids.move_ids), 2)
        self.assertEqual(sum(order.picking_ids.move_ids.mapped("product_uom_qty")), 8.0)
        # Raising a bundle quantity procures the components of the difference only.
        bundle_line.product_uom_qty = 3
        self.assertEqual(
            sum(
                order.picking_ids.move_ids.filtered(lambda m: m.product_id == self.laptop).mapped(
                    "product_uom_qty"
                )
            ),
            3.0,
        )
        self._validate_with_serials(order.picking_ids)
        self.assertEqual(bundle_line.qty_delivered, 3.0)
        self.assertEqual(option_line.qty_delivered, 3.0)

    def test_no_delivery_charge(self):
        order, contract = self._confirmed_order()
        self.assertFalse(
            order.order_line.filtered(
                lambda sl: sl.product_id.type == "service" and not sl.product_id.waas_kind
            )
        )
        self.assertEqual(
            set(order.order_line.mapped("product_id.waas_kind")), {"bundle", "upgrade"}
        )
        self.assertTrue(all(line.waas_kind for line in contract.line_ids))

    def test_activated_contract_invoiced_without_delivery_charge(self):
        order, contract = self._confirmed_order("reseller")
        moves = self.env["waas.contract"]._waas_invoice_run(
            date=contract.date_start, domain=[("id", "=", contract.id)]
        )
        self.assertEqual(len(moves), 1)
        self.assertEqual(moves.partner_id, contract.partner_id)
        self.assertEqual(moves.invoice_user_id, order.user_id)
        self.assertEqual(moves.invoice_line_ids.product_id, self.bundle | self.upgrade_premium)
        self.assertEqual(moves.amount_untaxed, contract.monthly_amount)

    # ------------------------------------------------------------------ devices
    def test_serials_become_rented_devices(self):
        self.manufacturer.waas_warranty_months = 48
        order, contract = self._confirmed_order("reseller")
        lots = self._validate_with_serials(order.picking_ids)
        today = fields.Date.context_today(self.env.user)
        devices = contract.device_ids
        self.assertEqual(len(devices), 2)
        self.assertEqual(devices.lot_id, lots)
        for device in devices:
            self.assertEqual(device.product_id, self.laptop)
            self.assertEqual(device.manufacturer_id, self.manufacturer)
            self.assertEqual(device.date_delivered, today)
            self.assertEqual(device.warranty_end, today + relativedelta(months=48))
            self.assertEqual(device.state, "rented")
        lot = lots[0]
        self.assertTrue(lot.waas_rented)
        self.assertEqual(lot.waas_contract_id, contract)
        self.assertEqual(
            order.order_line.filtered(lambda sl: sl.product_id == self.bundle).qty_delivered, 2.0
        )

    def test_partial_delivery_and_backorder(self):
        order, contract = self._confirmed_order()
        picking = order.picking_ids
        move = picking.move_ids
        lot = self._serials(self.laptop, 1)
        self._pick(move, lot)
        picking.with_context(cancel_backorder=False)._action_done()
        self.assertEqual(contract.device_ids.lot_id, lot)
        backorder = order.picking_ids - picking
        self.assertEqual(len(backorder), 1)
        lots = self._validate_with_serials(backorder)
        self.assertEqual(contract.device_ids.lot_id, lot | lots)
        self.assertEqual(len(contract.device_ids), 2)

    def test_dropship_to_chosen_address(self):
        dropship = self.env.ref("stock_dropshipping.route_drop_shipping")
        self.laptop.write(
            {
                "route_ids": [Command.link(dropship.id)],
                "seller_ids": [Command.create({"partner_id": self.supplier.id, "price": 500.0})],
            }
        )
        for delivery_to, address in (("reseller", self.reseller), ("end_customer", self.customer)):
            order, contract = self._confirmed_order(delivery_to)
            self.assertFalse(order.picking_ids, "nothing leaves our warehouse")
            purchase_line = self.env["purchase.order.line"].search(
                [("sale_line_id", "in", order.order_line.ids)]
            )
            self.assertEqual(purchase_line.product_id, self.laptop)
            self.assertEqual(purchase_line.product_qty, 2.0)
            purchase = purchase_line.order_id
            self.assertEqual(purchase.partner_id, self.supplier)
            self.assertEqual(purchase.dest_address_id, address)
            purchase.button_confirm()
            picking = purchase.picking_ids
            self.assertEqual(picking.location_id.usage, "supplier")
            self.assertEqual(picking.location_dest_id.usage, "customer")
            self.assertEqual(picking.move_ids.partner_id, address)
            lots = self._validate_with_serials(picking)
            self.assertEqual(contract.device_ids.lot_id, lots)
            self.assertEqual(
                contract.device_ids.mapped("warranty_end"),
                [fields.Date.context_today(self.env.user) + relativedelta(months=36)] * 2,
            )
            self.assertEqual(
                order.order_line.filtered(lambda sl: sl.product_id == self.bundle).qty_delivered,
                2.0,
            )

    def test_return_creates_no_device(self):
        order, contract = self._confirmed_order()
        self._validate_with_serials(order.picking_ids)
        self.assertEqual(len(contract.device_ids), 2)
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=order.picking_ids.id, active_model="stock.picking")
            .create({})
        )
        wizard.product_return_moves.quantity = 2
        action = wizard.action_create_returns()
        returned = self.env["stock.picking"].browse(action["res_id"])
        for ml, device in zip(returned.move_ids.move_line_ids, contract.device_ids, strict=False):
            ml.lot_id = device.lot_id
        returned.move_ids.picked = True
        returned.button_validate()
        self.assertEqual(len(contract.device_ids), 2)
