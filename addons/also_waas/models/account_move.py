from odoo import fields, models
from odoo.tools import SQL, index_exists

# At most one live invoice per contract and period: the database refuses a second one.
WAAS_PERIOD_INDEX = "account_move_waas_contract_period_unique"


class AccountMove(models.Model):
    _inherit = "account.move"

    waas_contract_id = fields.Many2one(
        comodel_name="waas.contract",
        string="WaaS Contract",
        readonly=True,
        index="btree_not_null",
        copy=False,
    )
    waas_period_start = fields.Date(string="WaaS Period Start", readonly=True, copy=False)
    waas_period_end = fields.Date(string="WaaS Period End", readonly=True, copy=False)

    def init(self):
        res = super().init()
        if not index_exists(self.env.cr, WAAS_PERIOD_INDEX):
            self.env.cr.execute(
                SQL(
                    "CREATE UNIQUE INDEX %s ON account_move (waas_contract_id, waas_period_start)"
                    " WHERE waas_contract_id IS NOT NULL AND state != 'cancel'",
                    SQL.identifier(WAAS_PERIOD_INDEX),
                )
            )
        return res
