# Copyright 2026 ALSO Holding AG
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

# Sending methods of Odoo's Send that deliver the invoice to the customer ("manual" only
# downloads it).
WAAS_DELIVERING_METHODS = frozenset({"email", "peppol", "snailmail"})


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    @api.model
    def _can_commit(self):
        # The scheduled WaaS sending marks an invoice sent in the transaction that sends
        # it (exactly once); account_peppol's transport must not commit half a batch.
        if self.env.context.get("waas_no_commit"):
            return False
        return super()._can_commit()

    @api.model
    def _hook_if_success(self, moves_data):
        """A WaaS invoice that accounting sends with Odoo's own Send (the wizard, or its
        scheduled action) by e-mail, Peppol or post is marked sent: the scheduled WaaS
        sending never sends it again."""
        res = super()._hook_if_success(moves_data)
        sent = self.env["account.move"].browse(
            [
                move.id
                for move, move_data in moves_data.items()
                if move.waas_send_state
                and WAAS_DELIVERING_METHODS.intersection(move_data.get("sending_methods") or ())
            ]
        )
        sent._waas_mark_sent()
        return res
