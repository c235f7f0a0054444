from odoo import api, fields, models


class WaasContract(models.Model):
    _name = "waas.contract"
    _description = "WaaS Contract"
    _inherit = ["mail.thread", "mail.activity.mixin", "portal.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Number", required=True, readonly=True, default="/", copy=False)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    currency_id = fields.Many2one(comodel_name="res.currency", required=True)
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="End Customer",
        required=True,
        index=True,
        tracking=True,
    )
    reseller_id = fields.Many2one(
        comodel_name="res.partner",
        required=True,
        index=True,
        tracking=True,
    )
    sale_order_id = fields.Many2one(
        comodel_name="sale.order",
        string="Sales Order",
        readonly=True,
        index=True,
        check_company=True,
    )
    term_months = fields.Integer(string="Term (months)", required=True, tracking=True)
    date_start = fields.Date(string="Start", required=True, tracking=True)
    date_end = fields.Date(string="End", required=True, tracking=True)
    state = fields.Selection(
        selection=[
            ("active", "Active"),
            ("terminated", "Terminated"),
            ("expired", "Expired"),
        ],
        default="active",
        required=True,
        tracking=True,
        index=True,
    )
    line_ids = fields.One2many(
        comodel_name="waas.contract.line",
        inverse_name="contract_id",
    )
    monthly_amount = fields.Monetary(
        compute="_compute_monthly_amount",
        store=True,
        tracking=True,
    )
    device_ids = fields.One2many(
        comodel_name="waas.device",
        inverse_name="contract_id",
    )
    licence_ids = fields.One2many(
        comodel_name="waas.licence",
        inverse_name="contract_id",
    )
    renewal_ids = fields.One2many(
        comodel_name="waas.contract.renewal",
        inverse_name="contract_id",
    )
    invoice_ids = fields.One2many(
        comodel_name="account.move",
        inverse_name="waas_contract_id",
    )

    _sql_constraints = [
        ("name_company_unique", "UNIQUE(name, company_id)", "A contract number must be unique."),
        (
            "term_allowed",
            "CHECK(term_months IN (12, 24, 36))",
            "A WaaS term is 12, 24 or 36 months.",
        ),
        ("dates_ordered", "CHECK(date_end > date_start)", "A contract must end after it starts."),
    ]

    @api.depends("line_ids.price_subtotal")
    def _compute_monthly_amount(self):
        for contract in self:
            contract.monthly_amount = sum(contract.line_ids.mapped("price_subtotal"))

    @api.model_create_multi
    def create(self, vals_list):
        """Number new contracts from the ``waas.contract`` sequence (dated on their start)."""
        sequence = self.env["ir.sequence"]
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = sequence.next_by_code(
                    "waas.contract", sequence_date=vals.get("date_start")
                )
        return super().create(vals_list)

    # ------------------------------------------------------------------ hooks
    # Other addons react to the contract's life through these methods: override them and
    # call super(). Each is called once per event, on the contracts concerned.

    def _on_activated(self):
        """Hook: the contracts were just activated (order confirmed with credit approved
        and both signatures). Commission and licence provisioning hook in here."""

    def _on_renewed(self, renewals):
        """Hook: the contracts were just renewed; ``renewals`` are the new
        ``waas.contract.renewal`` records."""

    def _on_upgraded(self, new_lines):
        """Hook: options or upgrades (``new_lines``, ``waas.contract.line``) were added
        to active contracts during their term."""

    def _on_ended(self):
        """Hook: the contracts just ended (terminated early or expired). Returns of the
        devices hook in here."""
