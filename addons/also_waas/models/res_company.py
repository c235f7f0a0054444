from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    waas_credit_validity_days = fields.Integer(
        string="Credit Approval Validity (days)",
        default=90,
        help="How long an approved WaaS credit check stays valid.",
    )
    waas_dunning_grace_days = fields.Integer(
        string="WaaS Dunning Grace (days)",
        default=30,
        help="A customer with a WaaS invoice overdue by more than these days is in dunning: "
        "no new quotation is activated, no renewal and no upgrade until a credit controller "
        "releases it.",
    )
    waas_four_eyes = fields.Boolean(
        string="WaaS Four-Eyes Rule",
        default=True,
        help="Whoever requested a credit check or prepared the quotation (its creator and "
        "salesperson) neither approves nor rejects that check nor countersigns that "
        "quotation.",
    )
    waas_invoice_journal_id = fields.Many2one(
        comodel_name="account.journal",
        string="WaaS Invoice Journal",
        domain="[('type', '=', 'sale'), ('company_id', '=', id)]",
        help="Sales journal of every WaaS invoice: monthly, termination and pickup fees, "
        "missing devices (default: the first sales journal).",
    )
    waas_invoice_auto_post = fields.Boolean(
        string="Post WaaS Invoices",
        help="Post the WaaS invoices (monthly, termination fees, missing devices) at once; "
        "otherwise they stay in draft. Pickup fees are always posted.",
    )

    @api.constrains("waas_invoice_journal_id")
    def _check_waas_invoice_journal(self):
        for company in self:
            journal = company.waas_invoice_journal_id
            if journal and (journal.type != "sale" or journal.company_id not in company.parent_ids):
                raise ValidationError(
                    _(
                        "The WaaS invoice journal %(journal)s must be a sales journal of "
                        "%(company)s.",
                        journal=journal.display_name,
                        company=company.display_name,
                    )
                )
