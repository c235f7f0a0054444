# Copyright 2026 ALSO Holding AG
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    @api.model
    def _can_commit(self):
        # The scheduled WaaS sending marks an invoice sent in the transaction that sends
        # it (exactly once); account_peppol's transport must not commit half a batch.
        if self.env.context.get("waas_no_commit"):
            return False
        return super()._can_commit()
