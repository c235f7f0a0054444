from odoo import _, api, models
from odoo.exceptions import ValidationError


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    @api.constrains("lot_id", "lot_name", "picking_id")
    def _check_waas_return_serial(self):
        """Only serials of the contract's devices may be received on a WaaS return."""
        for line in self:
            picking = line.picking_id
            if not picking.waas_return_id or picking.picking_type_code != "incoming":
                continue
            serial = line.lot_id.name or line.lot_name
            if not serial:
                continue
            # sudo: the warehouse user scanning the serial has no WaaS rights; only the
            # expected serials of the return are read.
            ret = picking.waas_return_id.sudo()
            expected = ret.line_ids.lot_id
            known = line.lot_id in expected if line.lot_id else serial in expected.mapped("name")
            if not known:
                raise ValidationError(
                    _(
                        "Serial number %(serial)s is not a device of contract %(contract)s: "
                        "it cannot be received on return %(return_name)s.",
                        serial=serial,
                        contract=ret.contract_id.name,
                        return_name=ret.name,
                    )
                )
