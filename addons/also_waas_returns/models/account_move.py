from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    waas_return_id = fields.Many2one(
        comodel_name="waas.return",
        string="WaaS Return (pickup fee)",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The return whose secure pickup fee this invoice bills.",
    )

    waas_charge_return_id = fields.Many2one(
        comodel_name="waas.return",
        string="WaaS Return (missing devices)",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The self-return whose missing devices this invoice charges.",
    )

    _sql_constraints = [
        (
            "waas_return_fee_unique",
            "UNIQUE(waas_return_id)",
            "The secure pickup fee of a return is invoiced only once.",
        ),
        (
            "waas_charge_return_unique",
            "UNIQUE(waas_charge_return_id)",
            "The missing devices of a return are charged only once.",
        ),
    ]

    def _waas_source_document(self):
        """A return's invoice is about the return: a posting failure is told there."""
        return self.waas_return_id or self.waas_charge_return_id or super()._waas_source_document()

    def _waas_einvoice_moves(self):
        return super()._waas_einvoice_moves() | self.filtered(
            lambda move: move.waas_return_id or move.waas_charge_return_id
        )
