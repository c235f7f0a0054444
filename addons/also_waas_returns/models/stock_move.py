from odoo import fields, models


class StockMove(models.Model):
    """A move of a WaaS return moves one returned device (``waas_return_line_id``, set by
    the return's procurement through stock.rule): its serial is the one expected on the
    receipt, and the one reserved on the way to refurbishing (as OCA
    ``stock_restrict_lot`` restricts a move to a lot)."""

    _inherit = "stock.move"

    waas_return_line_id = fields.Many2one(
        comodel_name="waas.return.line",
        string="WaaS Returned Device",
        index="btree_not_null",
        readonly=True,
        copy=False,
    )

    def _prepare_merge_moves_distinct_fields(self):
        # One move per returned device: each is ticked (picked) on its own at the receipt.
        return [*super()._prepare_merge_moves_distinct_fields(), "waas_return_line_id"]

    def _get_new_picking_values(self):
        vals = super()._get_new_picking_values()
        ret = self.waas_return_line_id.return_id
        if len(ret) == 1:
            vals["waas_return_id"] = ret.id
        return vals

    def _prepare_move_line_vals(self, quantity=None, reserved_quant=None):
        vals = super()._prepare_move_line_vals(quantity=quantity, reserved_quant=reserved_quant)
        # The receipt's detailed operation comes with the expected serial filled in.
        lot = self.waas_return_line_id.lot_id
        if lot and not vals.get("lot_id"):
            vals["lot_id"] = lot.id
        return vals

    def _update_reserved_quantity(
        self, need, location_id, lot_id=None, package_id=None, owner_id=None, strict=True
    ):
        # The device itself is reserved, not any serial of the same product.
        if self.waas_return_line_id.lot_id:
            lot_id = self.waas_return_line_id.lot_id
        return super()._update_reserved_quantity(
            need,
            location_id,
            lot_id=lot_id,
            package_id=package_id,
            owner_id=owner_id,
            strict=strict,
        )
