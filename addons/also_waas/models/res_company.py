from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

# The company's Cloud Marketplace account: changed only by WaaS Managers and Settings
# administrators (``write`` below); the API key is not even readable by other users.
MARKETPLACE_FIELDS = (
    "waas_marketplace_url",
    "waas_marketplace_api_key",
    "waas_marketplace_timeout",
    "waas_marketplace_manual",
)
MARKETPLACE_GROUPS = "also_waas.group_waas_manager,base.group_system"


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

    # ------------------------------------------------------------------ Cloud Marketplace
    # Each ALSO country has its own marketplace account: endpoint, key and mode per company.
    waas_marketplace_url = fields.Char(
        string="Cloud Marketplace Endpoint",
        help="Base URL of this company's ALSO Cloud Marketplace API, e.g. "
        "https://marketplace.example/api/v1",
    )
    waas_marketplace_api_key = fields.Char(
        string="Cloud Marketplace API Key",
        groups=MARKETPLACE_GROUPS,
        copy=False,
    )
    waas_marketplace_timeout = fields.Integer(
        string="Cloud Marketplace Timeout (seconds)",
        default=10,
    )
    waas_marketplace_manual = fields.Boolean(
        string="Cloud Marketplace Manual Mode",
        help="Nothing is sent to the marketplace: staff create the licence subscriptions "
        "there and enter their id, and publish the catalogue there themselves.",
    )

    _sql_constraints = [
        (
            "waas_marketplace_timeout_positive",
            "CHECK(waas_marketplace_timeout IS NULL OR waas_marketplace_timeout >= 0)",
            "The Cloud Marketplace timeout cannot be negative.",
        ),
    ]

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        if any(set(MARKETPLACE_FIELDS).intersection(vals) for vals in vals_list):
            self._waas_check_marketplace_access()
        return super().create(vals_list)

    def write(self, vals):
        changed = set(MARKETPLACE_FIELDS).intersection(vals)
        if changed:
            self._waas_check_marketplace_access()
        result = super().write(vals)
        if changed:
            # A new endpoint or key, or the end of manual mode: the marketplace gets the
            # catalogue (again) with the next publication.
            connected = self.filtered(
                lambda c: c.waas_marketplace_url and not c.waas_marketplace_manual
            )
            self.env["waas.catalogue.publication"]._waas_mark_to_publish(connected)
        return result

    def _waas_check_marketplace_access(self):
        """Only WaaS Managers and Settings administrators change the marketplace account."""
        user = self.env.user
        if (
            self.env.su
            or user.has_group("also_waas.group_waas_manager")
            or user.has_group("base.group_system")
        ):
            return
        raise AccessError(
            _(
                "Only a WaaS Manager or a Settings administrator may change the Cloud "
                "Marketplace settings of a company (%(user)s is neither).",
                user=user.name,
            )
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
