from odoo import fields, models


class StockMove(models.Model):
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
