# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, api, models

WAAS_POLICY_TEMPLATE = "also_waas_credit_control.credit_control_policy_waas"


class ResCompany(models.Model):
    _inherit = "res.company"

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._waas_credit_policy_setup()
        return companies

    @api.model
    def _waas_credit_policy_setup_all(self):
        """Set up the WaaS reminder policy of every company (module install and update)."""
        self.sudo().with_context(active_test=False).search([])._waas_credit_policy_setup()

    def _waas_credit_policy(self):
        """The company's WaaS reminder policy (or no record)."""
        self.ensure_one()
        return (
            self.env["credit.control.policy"]
            .sudo()
            .search(
                [("waas_policy", "=", True), ("company_id", "=", self.id)],
                order="id",
                limit=1,
            )
        )

    def _waas_credit_policy_setup(self):
        """Each company gets its WaaS reminder policy, a copy of the main company's (levels
        and translated texts included), and the policy follows the company's receivable
        accounts (a new company has them only once its chart of accounts is installed).
        Safe to run again: the daily job runs it too."""
        # sudo: the policy is configuration set up for every company, whoever creates the
        # company or runs the job.
        template = self.env.ref(WAAS_POLICY_TEMPLATE, raise_if_not_found=False)
        Account = self.env["account.account"].sudo()
        for company in self.sudo():
            receivable = Account.search(
                [("account_type", "=", "asset_receivable"), ("company_ids", "in", company.id)]
            )
            policy = company._waas_credit_policy()
            if not policy:
                if not template:
                    continue
                policy = template.sudo().copy(
                    {
                        "name": template.name,
                        "company_id": company.id,
                        "account_ids": [Command.set(receivable.ids)],
                    }
                )
            missing = receivable - policy.account_ids
            if missing:
                policy.account_ids = [Command.link(account.id) for account in missing]
