from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    waas_return_id = fields.Many2one(
        comodel_name="waas.return",
        string="WaaS Return",
        index="btree_not_null",
        readonly=True,
        help="Return of WaaS devices this transfer receives or moves to refurbishing.",
    )

    def _action_done(self):
        res = super()._action_done()
        self._waas_process_return_receipts("done")
        return res

    def action_cancel(self):
        res = super().action_cancel()
        # A cancelled receipt flags the devices still expected.
        self._waas_process_return_receipts("cancel")
        return res

    def _waas_process_return_receipts(self, state):
        """The WaaS returns of the receipts among these transfers that are now in ``state``
        (done or cancelled) process them."""
        receipts = self.filtered(
            lambda p: p.waas_return_id and p.picking_type_code == "incoming" and p.state == state
        )
        if receipts:
            # sudo: the warehouse user validating or cancelling the receipt has no WaaS
            # rights, yet the receipt must mark the return lines received and the devices
            # returned (or still expected).
            receipts.sudo().waas_return_id._process_receipts()
