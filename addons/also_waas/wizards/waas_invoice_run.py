from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from ..models.waas_contract import INVOICE_RUN_WIZARD_LIMIT


class WaasInvoiceRun(models.TransientModel):
    _name = "waas.invoice.run"
    _description = "WaaS Invoice Run"

    date = fields.Date(
        string="Invoice Up To",
        required=True,
        default=fields.Date.context_today,
        help="Every contract period starting on or before this date is invoiced.",
    )
    company_ids = fields.Many2many(
        comodel_name="res.company",
        string="Companies",
        required=True,
        default=lambda self: self.env.companies,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
    )
    state = fields.Selection(
        selection=[("draft", "To Run"), ("done", "Done")],
        default="draft",
        required=True,
    )
    move_ids = fields.Many2many(
        comodel_name="account.move",
        string="Invoices",
        readonly=True,
    )
    failed_move_ids = fields.Many2many(
        comodel_name="account.move",
        relation="waas_invoice_run_failed_move_rel",
        string="Invoices Not Posted",
        readonly=True,
        help="Invoices this run could not post: they stay in draft with the reason (also on "
        "their contract, with an activity); the next run tries again.",
    )
    failed_count = fields.Integer(string="Not Posted", readonly=True)
    invoice_count = fields.Integer(string="Invoices Created", readonly=True)
    contract_count = fields.Integer(string="Contracts Invoiced", readonly=True)
    remaining_count = fields.Integer(
        string="Contracts Still Due",
        readonly=True,
        help="Due contracts this run left to the scheduled invoice run (it invoices a "
        "bounded number of contracts at once).",
    )
    background = fields.Boolean(
        string="Continues in the Background",
        readonly=True,
        help="The scheduled invoice run was started for the contracts still due up to today.",
    )

    @api.constrains("company_ids")
    def _check_company_ids(self):
        for run in self:
            foreign = run.company_ids - self.env.user.company_ids
            if foreign:
                raise UserError(
                    _(
                        "You cannot run the WaaS invoices of %(companies)s.",
                        companies=", ".join(foreign.mapped("display_name")),
                    )
                )

    def action_run(self):
        """Button "Create Invoices": invoice the due contract periods up to the date for
        the chosen companies, at most ``INVOICE_RUN_WIZARD_LIMIT`` contracts within this
        request, then show what was created. What is still due up to today is left to the
        scheduled invoice run, started at once; a later date needs another run."""
        self.ensure_one()
        if not self.company_ids:
            raise UserError(_("Choose at least one company."))
        companies = self.company_ids & self.env.user.company_ids
        # sudo: accountants start the run but only read contracts; the run itself writes
        # nothing but the contracts' invoicing schedule and the standard invoices, and is
        # restricted to the companies of the user (checked above).
        contracts = self.env["waas.contract"].sudo().with_context(allowed_company_ids=companies.ids)
        retried = contracts._waas_retry_posting(companies)
        moves = contracts._waas_invoice_run(
            date=self.date, companies=companies, max_contracts=INVOICE_RUN_WIZARD_LIMIT
        )
        failed = (retried | moves).filtered(lambda m: m.state == "draft" and m.waas_post_error)
        remaining = contracts._waas_count_due(self.date, companies)
        background = bool(remaining) and self.date <= fields.Date.context_today(self)
        if background:
            self.env.ref("also_waas.waas_invoice_run_cron").sudo()._trigger()
        self.write(
            {
                "state": "done",
                "move_ids": [Command.set(moves.ids)],
                "invoice_count": len(moves),
                "failed_move_ids": [Command.set(failed.ids)],
                "failed_count": len(failed),
                "contract_count": len(moves.waas_contract_id),
                "remaining_count": remaining,
                "background": background,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("WaaS Invoice Run"),
        }

    def action_open_failed_invoices(self):
        """Button "Invoices Not Posted": the drafts this run could not post."""
        self.ensure_one()
        action = self.action_open_invoices()
        action["domain"] = [("id", "in", self.failed_move_ids.ids)]
        return action

    def action_open_invoices(self):
        """Button "Open Invoices": the invoices this run created."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.move_ids.ids)]
        action["context"] = {"default_move_type": "out_invoice", "create": False}
        return action
