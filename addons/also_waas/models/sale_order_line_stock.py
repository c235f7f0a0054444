"""Delivery of WaaS deals: a bundle (or option) is sold, its hardware components ship.

Like a kit, without depending on mrp: the procurement of a bundle line is exploded into
procurements of its components (line quantity x component quantity); the delivered and
procured quantities of the line are counted back in whole bundles from the component moves.
Services (licences, upgrades) are not delivered. Delivery is free on a WaaS deal. A
renewal quotation ships nothing: the hardware is already with the end customer.
"""

from collections import defaultdict

from odoo import _, api, models
from odoo.exceptions import ValidationError
from odoo.tools import float_round


class SaleOrderLine(models.Model):
    # Split by concern (delivery) from sale_order_line.py, as the team layout asks.
    _inherit = "sale.order.line"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------ kit helpers
    def _waas_is_kit(self):
        """A bundle or option whose hardware components ship instead of itself."""
        self.ensure_one()
        return self.product_id.waas_kind in ("bundle", "option") and bool(
            self._waas_kit_components()
        )

    def _waas_kit_components(self):
        """{component product.product: quantity per unit of the line's product (in the
        component's unit)}; only goods (services inside a bundle do not ship)."""
        self.ensure_one()
        components = defaultdict(float)
        for bundle_line in self.product_id.waas_bundle_line_ids:
            if bundle_line.product_id.type == "consu":
                components[bundle_line.product_id] += bundle_line.quantity
        return components

    def _waas_kit_quantity(self, quantities):
        """Whole bundles (in the line's unit) that the component ``quantities``
        ({product: quantity in its own unit}) make up."""
        self.ensure_one()
        components = self._waas_kit_components()
        kits = min(quantities.get(product, 0.0) / qty for product, qty in components.items())
        kits = float_round(
            kits, precision_rounding=self.product_id.uom_id.rounding, rounding_method="DOWN"
        )
        return self.product_id.uom_id._compute_quantity(
            kits, self.product_uom, rounding_method="HALF-UP"
        )

    def _waas_component_moves(self):
        self.ensure_one()
        components = self._waas_kit_components()
        return self.move_ids.filtered(
            lambda m: m.state != "cancel" and not m.scrapped and m.product_id in components
        )

    @staticmethod
    def _waas_add_move_quantity(quantities, move, quantity, sign=1):
        quantities[move.product_id] += sign * move.product_uom._compute_quantity(
            quantity, move.product_id.uom_id, rounding_method="HALF-UP"
        )

    # ------------------------------------------------------------------ sale_stock
    def _action_launch_stock_rule(self, previous_product_uom_qty=False):
        """A renewal quotation extends a running contract whose hardware is already with the
        end customer: its lines ship nothing (no procurement, no delivery)."""
        lines = self.filtered(lambda line: not line.order_id.waas_renewal_contract_id)
        return super(SaleOrderLine, lines)._action_launch_stock_rule(
            previous_product_uom_qty=previous_product_uom_qty
        )

    def _create_procurements(self, product_qty, procurement_uom, origin, values):
        if not self._waas_is_kit():
            return super()._create_procurements(product_qty, procurement_uom, origin, values)
        self.ensure_one()
        Procurement = self.env["procurement.group"].Procurement
        bundles = procurement_uom._compute_quantity(product_qty, self.product_id.uom_id)
        procurements = []
        for component, qty in self._waas_kit_components().items():
            component_values = dict(
                values,
                product_packaging_id=False,
                never_product_template_attribute_value_ids=self.env[
                    "product.template.attribute.value"
                ],
                product_description_variants="",
            )
            procurements.append(
                Procurement(
                    component,
                    bundles * qty,
                    component.uom_id,
                    self._get_location_final(),
                    component.display_name,
                    origin,
                    self.order_id.company_id,
                    component_values,
                )
            )
        return procurements

    def _get_qty_procurement(self, previous_product_uom_qty=False):
        if not self._waas_is_kit():
            return super()._get_qty_procurement(previous_product_uom_qty=previous_product_uom_qty)
        quantities = defaultdict(float)
        for move in self._waas_component_moves():
            qty = move.quantity if move.state == "done" else move.product_uom_qty
            if move.origin_returned_move_id:
                if move.to_refund and move.location_id.usage == "customer":
                    self._waas_add_move_quantity(quantities, move, qty, sign=-1)
            elif not move.move_orig_ids:
                # The first move of each chain (pick of a multi-step delivery, the delivery
                # itself, or the dropship) counts; later steps carry the same goods.
                self._waas_add_move_quantity(quantities, move, qty)
        return self._waas_kit_quantity(quantities)

    def _compute_qty_delivered(self):
        res = super()._compute_qty_delivered()
        for line in self:
            if line.qty_delivered_method != "stock_move" or not line._waas_is_kit():
                continue
            quantities = defaultdict(float)
            for move in line._waas_component_moves().filtered(lambda m: m.state == "done"):
                if move.location_dest_id.usage == "customer":
                    if not move.origin_returned_move_id or move.to_refund:
                        line._waas_add_move_quantity(quantities, move, move.quantity)
                elif move.location_id.usage == "customer" and move.to_refund:
                    line._waas_add_move_quantity(quantities, move, move.quantity, sign=-1)
            line.qty_delivered = line._waas_kit_quantity(quantities)
        return res

    # ------------------------------------------------------------------ free delivery
    @api.constrains("price_unit", "order_id")
    def _check_waas_free_delivery(self):
        """Delivery is free on a WaaS deal: a delivery line (delivery module) of a WaaS
        order must not charge anything."""
        if "is_delivery" not in self._fields:
            return
        for line in self:
            if line.is_delivery and line.order_id.is_waas and line.price_unit:
                raise ValidationError(
                    _(
                        "Delivery is free on WaaS deal %(order)s: remove the delivery charge "
                        "%(line)s.",
                        order=line.order_id.name,
                        line=line.name,
                    )
                )
