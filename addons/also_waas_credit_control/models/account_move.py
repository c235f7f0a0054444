# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._waas_einvoice_moves()._waas_set_credit_policy()
        return posted

    def _waas_set_credit_policy(self):
        """Each WaaS customer invoice (of a contract, or a pickup fee or missing-device
        charge of the returns addon) is dunned by its company's WaaS reminder policy:
        OCA's invoice-level policy, per company and only for WaaS invoices; the customer's
        other invoices keep the company's own policy. A returned direct debit reopens the
        same invoice, which keeps its policy and so enters the reminders."""
        invoices = self.filtered(
            lambda move: move.move_type == "out_invoice" and move.state == "posted"
        )
        # sudo: the policy field is for credit control groups; the posting user (an
        # accountant, the invoice run) sets the company's policy without being one.
        invoices = invoices.sudo().filtered(lambda move: not move.credit_policy_id)
        for company in invoices.company_id:
            policy = company._waas_credit_policy()
            if policy:
                invoices.filtered(lambda move, c=company: move.company_id == c).write(
                    {"credit_policy_id": policy.id}
                )
