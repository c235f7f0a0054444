# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class PaymentReturn(models.Model):
    _inherit = "payment.return"

    def action_cancel(self):
        """OCA account_payment_return: cancelling a confirmed return books it off and pays
        the invoices again; the returned-debit flag of their WaaS contracts and end
        customers then follows the returns that are still confirmed (the last one, or
        none: cleared)."""
        invoices = self._waas_returned_invoices()
        res = super().action_cancel()
        invoices.waas_contract_id._waas_debit_return_refresh()
        return res

    def _waas_returned_invoices(self):
        """The invoices these confirmed returns reopened (as OCA's ``action_cancel`` finds
        them: the partial reconciliations of the return's receivable lines)."""
        # sudo: read the reconciliation of the accountant's own return, whatever the
        # rights on the partial reconciliations.
        lines = self.sudo().move_id.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        )
        return lines.matched_credit_ids.origin_returned_move_ids.move_id.sudo(False)


class PaymentReturnLine(models.Model):
    _inherit = "payment.return.line"

    def _waas_reason(self):
        """The reason of this returned payment as the contract shows it: the reason code
        and label, and the bank's additional information."""
        self.ensure_one()
        reason = self.reason_id.display_name if self.reason_id else False
        if self.reason_additional_information:
            reason = " ".join(filter(None, [reason, self.reason_additional_information]))
        return reason
