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
        receipts = self.filtered(
            lambda p: p.waas_return_id and p.picking_type_code == "incoming" and p.state == "done"
        )
        if receipts:
            # sudo: the warehouse user validating the receipt has no WaaS rights, yet the
            # receipt must mark the return lines received and the devices returned.
            receipts.sudo().waas_return_id._process_receipts()
        return res

    def action_cancel(self):
        res = super().action_cancel()
        receipts = self.filtered(
            lambda p: p.waas_return_id and p.picking_type_code == "incoming" and p.state == "cancel"
        )
        if receipts:
            # sudo: see _action_done; a cancelled receipt flags the devices still expected.
            receipts.sudo().waas_return_id._process_receipts()
        return res
