from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import format_date

# Fields of an existing contract a WaaS Manager may give when importing it (anything else,
# e.g. a termination or a deal, only comes from the actions of the WaaS flow). The next
# invoice period is recomputed from the invoiced periods.
IMPORT_FIELDS = frozenset(
    {
        "name",
        "company_id",
        "currency_id",
        "partner_id",
        "reseller_id",
        "term_months",
        "date_start",
        "date_end",
        "state",
        "line_ids",
        "invoiced_periods",
        "date_next_invoice",
        "origin",
    }
)


def waas_check_group(env, group_xmlid):
    """Refuse the action (``AccessError``) unless the user is in ``group_xmlid``.

    The buttons of the WaaS documents call this first: a portal user (who may read its own
    contracts and licences) or an internal user without the WaaS role reaches the method
    over RPC all the same, and must be refused before anything is read or written.
    """
    if env.su or env.user.has_group(group_xmlid):
        return
    group = env.ref(group_xmlid, raise_if_not_found=False)
    raise AccessError(
        env._(
            "Only users of the group %(group)s may do this.",
            group=group.sudo().full_name if group else group_xmlid,
        )
    )


class WaasContract(models.Model):
    _name = "waas.contract"
    _description = "WaaS Contract"
    _inherit = ["mail.thread", "mail.activity.mixin", "portal.mixin", "waas.guard.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    # Everything that moves money or state changes through the contract's actions only
    # (activation, termination, renewal, upgrade, expiry, invoice run, delivery); the
    # invoicing and lifecycle parts add their fields below their own definitions.
    _waas_guarded_fields = frozenset(
        {
            "name",
            "company_id",
            "currency_id",
            "partner_id",
            "reseller_id",
            "sale_order_id",
            "term_months",
            "date_start",
            "date_end",
            "state",
            "origin",
            "line_ids",
            "device_ids",
            "licence_ids",
            "renewal_ids",
            "invoice_ids",
            "date_terminated",
            "termination_reason",
            "termination_move_id",
            "invoiced_periods",
            "date_next_invoice",
        }
    )
    _waas_guarded_unlink = True

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
    origin = fields.Selection(
        selection=[
            ("deal", "Activated Deal"),
            ("import", "Imported"),
        ],
        default="deal",
        required=True,
        readonly=True,
        copy=False,
        help="Activated Deal: made by the activation of a signed, credit approved deal. "
        "Imported: an existing contract (no deal in Odoo) imported by a WaaS Manager.",
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

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        """Number new contracts from the ``waas.contract`` sequence (dated on their start).

        Contracts come into being by the activation of a deal (superuser mode, see
        ``sale.order._waas_create_contracts``) or as an explicit import of an existing
        contract by a WaaS Manager (``_waas_import``); anyone else is refused.
        """
        if not self.env.su:
            return self._waas_import(vals_list)
        sequence = self.env["ir.sequence"]
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = sequence.next_by_code(
                    "waas.contract", sequence_date=vals.get("date_start")
                )
        return super().create(vals_list)

    @api.model
    def _waas_import(self, vals_list):
        """A WaaS Manager imports existing contracts (Odoo's Import, the form or RPC): the
        values must describe a consistent running contract; each is marked ``import`` and
        says so in its chatter. Anyone else gets an ``AccessError``."""
        if not self.env.user.has_group("also_waas.group_waas_manager"):
            raise AccessError(
                self.env._(
                    "WaaS contracts are created by activating a signed, credit approved deal; "
                    "only a WaaS Manager may import an existing contract."
                )
            )
        allowed = self.env.user.company_ids
        for vals in vals_list:
            self._waas_check_import_vals(vals, allowed)
        # sudo: the group and the values were checked above; the contract lines (created
        # only by the WaaS flow) are part of the imported contract.
        contracts = self.sudo().create([dict(vals, origin="import") for vals in vals_list])
        contracts._waas_check_import()
        contracts = contracts.with_env(self.env)
        contracts._message_log_batch(
            bodies={
                contract.id: self.env._(
                    "Imported by %(user)s as an existing contract (no deal in Odoo).",
                    user=self.env.user.name,
                )
                for contract in contracts
            }
        )
        return contracts

    @api.model
    def _waas_check_import_vals(self, vals, companies):
        """Refuse the values of an imported contract that only the WaaS flow may set."""
        _ = self.env._
        foreign = sorted(set(vals) & (self._waas_guarded_fields - IMPORT_FIELDS))
        if foreign:
            raise ValidationError(
                _(
                    "An imported contract cannot set %(fields)s: they come from the WaaS flow "
                    "(deal, termination, renewal, delivery, licences).",
                    fields=", ".join(
                        self._fields[name]._description_string(self.env) for name in foreign
                    ),
                )
            )
        if vals.get("state", "active") != "active":
            raise ValidationError(_("An imported contract starts active."))
        company_id = vals.get("company_id") or self.env.company.id
        if company_id not in companies.ids:
            raise AccessError(_("You cannot import contracts into that company."))
        if vals.get("origin", "import") != "import":
            raise ValidationError(_("An imported contract is marked as imported."))
        if not any(
            isinstance(cmd, list | tuple) and cmd and cmd[0] == Command.CREATE
            for cmd in vals.get("line_ids") or []
        ):
            raise ValidationError(_("An imported contract needs its contract lines."))

    def _waas_check_import(self):
        """The imported contracts are consistent: a WaaS term, the end on the term, lines of
        WaaS products, and no more invoiced periods than the term has."""
        _ = self.env._
        for contract in self:
            if contract.term_months not in (12, 24, 36):
                raise ValidationError(_("A WaaS term is 12, 24 or 36 months."))
            end = contract.date_start + relativedelta(months=contract.term_months, days=-1)
            if contract.date_end != end:
                raise ValidationError(
                    _(
                        "Contract %(contract)s: a %(term)s-month term starting on %(start)s "
                        "ends on %(end)s.",
                        contract=contract.name,
                        term=contract.term_months,
                        start=format_date(self.env, contract.date_start),
                        end=format_date(self.env, end),
                    )
                )
            if not contract.line_ids or contract.line_ids.filtered(
                lambda line: not line.product_id.waas_kind
            ):
                raise ValidationError(
                    _(
                        "Contract %(contract)s: every contract line is a WaaS product.",
                        contract=contract.name,
                    )
                )
            periods = contract.invoiced_periods
            if periods < 0 or periods > contract.term_months:
                raise ValidationError(
                    _(
                        "Contract %(contract)s has %(term)s monthly periods: it cannot have "
                        "%(periods)s invoiced.",
                        contract=contract.name,
                        term=contract.term_months,
                        periods=periods,
                    )
                )
            # The next invoice period follows from the invoiced periods (whatever was given);
            # the contracts are still in superuser mode here, right after their create.
            contract.date_next_invoice = contract.date_start + relativedelta(months=periods)

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
