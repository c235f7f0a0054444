from odoo import models


class StockRule(models.Model):
    _inherit = "stock.rule"

    def _get_custom_move_fields(self):
        # The returned device a procurement of a WaaS return is for (waas.return).
        return [*super()._get_custom_move_fields(), "waas_return_line_id"]
