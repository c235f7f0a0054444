"""WaaS lines of a deal: monthly prices from the WaaS price list, never invoiced by sale.

Delivery of WaaS deals: a bundle (or option) is sold, its hardware components ship.
Like a kit, without depending on mrp: the procurement of a bundle line is exploded into
procurements of its components (line quantity x component quantity); the delivered and
procured quantities of the line are counted back in whole bundles from the component moves.
Services (licences, upgrades) are not delivered. Delivery is free on a WaaS deal. A
renewal quotation ships nothing: the hardware is already with the end customer.
"""

import math
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_is_zero, float_round

from .product_template import WAAS_PRICED_KINDS
from .waas_pricelist_item import WAAS_TERMS, check_finite_vals

# Line fields a WaaS signature agrees to: changed after a signature, both are cleared.
WAAS_SIGNED_LINE_FIELDS = frozenset(
    {
        "order_id",
        "product_id",
        "product_uom",
        "product_uom_qty",
        "price_unit",
        "discount",
        "tax_id",
        "waas_partner_price",
        "display_type",
    }
)
# Numbers of a line that must be finite (NaN or infinity would fail in the rounding).
FINITE_FIELDS = (
    "price_unit",
    "technical_price_unit",
    "waas_partner_price",
    "discount",
    "product_uom_qty",
)


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    waas_kind = fields.Selection(related="product_id.waas_kind")
    waas_billed_by_partner = fields.Boolean(
        string="Billed by the Partner",
        compute="_compute_waas_billed_by_partner",
        store=True,
        help="A reseller's own service noted on the deal: billed by the reseller, never by ALSO.",
    )
    waas_partner_price = fields.Monetary(
        string="Partner Price",
        help="For information only: what the reseller bills the end customer for this "
        "service. Never part of ALSO's totals nor invoiced by ALSO.",
    )

    # ------------------------------------------------------------------ computes
    @api.depends("order_id.is_waas", "product_id.waas_kind")
    def _compute_waas_billed_by_partner(self):
        for line in self:
            line.waas_billed_by_partner = (
                line.order_id.is_waas and line.product_id.waas_kind == "partner_service"
            )

    # ------------------------------------------------------------------ constraints
    @api.constrains("price_unit", "product_id", "order_id")
    def _check_waas_partner_service_price(self):
        for line in self:
            if (
                line.order_id.is_waas
                and line.product_id.waas_kind == "partner_service"
                and not float_is_zero(line.price_unit, precision_rounding=line.currency_id.rounding)
            ):
                raise ValidationError(
                    _(
                        "%(product)s is billed by the partner, never by ALSO: leave its unit "
                        "price at 0 and note the partner's price in Partner Price.",
                        product=line.product_id.display_name,
                    )
                )

    @api.constrains("product_id", "order_id")
    def _check_waas_product_quotable(self):
        """A product whose manufacturer lost its WaaS approval is not quoted any more (a
        renewal quotation extends a running contract and keeps its products)."""
        for line in self:
            order = line.order_id
            if (
                order.is_waas
                and not order.waas_renewal_contract_id
                and order.state in ("draft", "sent")
                and line.product_id.waas_quote_blocked
            ):
                raise ValidationError(line.product_id.product_tmpl_id._waas_quote_blocked_message())

    @api.constrains("price_unit", "waas_partner_price")
    def _check_waas_amounts_finite(self):
        for line in self.filtered(lambda line: line.order_id.is_waas):
            for fname in ("price_unit", "waas_partner_price"):
                if not math.isfinite(line[fname]):
                    raise ValidationError(
                        _(
                            "%(product)s: %(field)s must be a finite amount, not %(value)s.",
                            product=line.product_id.display_name,
                            field=line._fields[fname]._description_string(self.env),
                            value=line[fname],
                        )
                    )

    @api.constrains("price_unit", "order_id")
    def _check_waas_free_delivery(self):
        """Delivery is free on a WaaS deal: a delivery line (delivery module) of a WaaS
        order must not charge anything."""
        for line in self:
            if line.order_id.is_waas and line.price_unit and line._is_delivery():
                raise ValidationError(
                    _(
                        "Delivery is free on WaaS deal %(order)s: remove the delivery charge "
                        "%(line)s.",
                        order=line.order_id.name,
                        line=line.name,
                    )
                )

    # ------------------------------------------------------------------ CRUD (finite numbers)
    @api.model_create_multi
    def create(self, vals_list):
        check_finite_vals(self, vals_list, FINITE_FIELDS)
        orders = (
            self.env["sale.order"]
            .browse({vals["order_id"] for vals in vals_list if vals.get("order_id")})
            ._waas_signed_quotations()
        )
        terms = orders._waas_signed_terms()
        lines = super().create(vals_list)
        orders._waas_clear_changed_signatures(terms)
        return lines

    def write(self, vals):
        check_finite_vals(self, [vals], FINITE_FIELDS)
        orders = self.env["sale.order"]
        if WAAS_SIGNED_LINE_FIELDS.intersection(vals):
            orders = self.order_id | orders.browse(vals.get("order_id"))
            orders = orders._waas_signed_quotations()
        terms = orders._waas_signed_terms()
        res = super().write(vals)
        orders._waas_clear_changed_signatures(terms)
        return res

    def unlink(self):
        orders = self.order_id._waas_signed_quotations()
        terms = orders._waas_signed_terms()
        res = super().unlink()
        orders._waas_clear_changed_signatures(terms)
        return res

    # ------------------------------------------------------------------ pricing

    def _waas_is_priced_line(self):
        """Whether this line takes its monthly price from the WaaS price list."""
        self.ensure_one()
        return (
            self.order_id.is_waas
            and not self.display_type
            and self.product_id.waas_kind in WAAS_PRICED_KINDS + ("partner_service",)
        )

    @api.depends("order_id.is_waas", "order_id.waas_term_months", "order_id.currency_id")
    def _compute_price_unit(self):
        waas_lines = self.filtered(lambda line: line.order_id and line._waas_is_priced_line())
        res = super(SaleOrderLine, self - waas_lines)._compute_price_unit()
        waas_lines._waas_compute_price_unit()
        return res

    def _waas_compute_price_unit(self):
        """Monthly price of WaaS lines from the WaaS price list for the order's term.

        Always re-priced (a term change re-prices every line); partner services are
        billed by the partner, so their price is 0. One price query per term and company.
        """
        groups = defaultdict(lambda: self.browse())
        for line in self:
            if line.product_id.waas_kind == "partner_service":
                line.price_unit = line.technical_price_unit = 0.0
                continue
            groups[(line.order_id.waas_term_months, line.order_id.company_id)] |= line
        Item = self.env["waas.pricelist.item"]
        for (term, company), lines in groups.items():
            if term not in WAAS_TERMS:
                continue  # the order's term constraint reports it; keep the prices
            items = Item._get_price_items(lines.product_id.product_tmpl_id, term, company)
            for line in lines:
                item = items.get(line.product_id.product_tmpl_id.id)
                price = 0.0
                if item:
                    price = item._get_monthly_price(
                        line.order_id.currency_id or company.currency_id,
                        company,
                        fields.Date.context_today(line, line.order_id.date_order),
                    )
                line = line.with_context(sale_write_from_compute=True)
                line.price_unit = price
                line.technical_price_unit = price

    # ------------------------------------------------------------------ invoicing
    # A WaaS order is never invoiced through the standard sale invoicing: its contract
    # invoices the end customer monthly. So nothing is "to invoice" on its lines and they
    # add nothing to anyone's credit exposure.

    @api.depends("order_id.is_waas")
    def _compute_qty_to_invoice(self):
        res = super()._compute_qty_to_invoice()
        self.filtered(lambda line: line.order_id.is_waas).qty_to_invoice = 0.0
        return res

    @api.depends("order_id.is_waas")
    def _compute_invoice_status(self):
        res = super()._compute_invoice_status()
        self.filtered(lambda line: line.order_id.is_waas).invoice_status = "no"
        return res

    @api.depends("order_id.is_waas")
    def _compute_untaxed_amount_to_invoice(self):
        res = super()._compute_untaxed_amount_to_invoice()
        self.filtered(lambda line: line.order_id.is_waas).untaxed_amount_to_invoice = 0.0
        return res

    @api.depends("order_id.is_waas")
    def _compute_amount_to_invoice(self):
        res = super()._compute_amount_to_invoice()
        self.filtered(lambda line: line.order_id.is_waas).amount_to_invoice = 0.0
        return res

    # ------------------------------------------------------------------ delivery (kit helpers)
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

    # ------------------------------------------------------------------ delivery (sale_stock)
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

    # ------------------------------------------------------------------ contract

    def _waas_prepare_contract_line_vals(self):
        """Values of the ``waas.contract.line`` copied from this sale order line."""
        self.ensure_one()
        return {
            "sequence": self.sequence,
            "sale_line_id": self.id,
            "product_id": self.product_id.id,
            "name": self.name or self.product_id.display_name,
            "quantity": self.product_uom_qty,
            "price_unit": self.price_reduce_taxexcl,
        }
