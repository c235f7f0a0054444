"""WaaS contracts: what an activated deal (or an imported contract) agrees to, and its life.

Monthly periods are anchored on the contract start: period ``k`` starts on
``date_start + k months`` (so a contract started on 31 January has periods starting on
28/29 February, 31 March, 30 April, ...) and ends the day before the next one starts,
never after ``date_end`` (always counted from ``date_start``, never chained, so month ends
and 29 February stay put).

Monthly invoicing: one customer invoice per contract and period. The schedule follows the
invoices: a period is invoiced when it has a *live* monthly invoice (any state but
cancelled); ``date_next_invoice`` is the start of the first period without one and
``invoiced_periods`` its number (the periods invoiced before it). Both are plain stored
fields written by the invoice run, and moved back when a monthly invoice is cancelled or
deleted (``_waas_sync_schedule``). The run selects due contracts chunk by chunk with
``SELECT ... FOR UPDATE SKIP LOCKED`` so that several workers (even on several machines)
can run at once without invoicing a contract twice, and invoices every started period
without a live invoice; the unique index on ``account_move (waas_contract_id,
waas_period_start)`` (live invoices only) is the safety net in the database.

Money rules (one place, below): the *contract value* is every line's monthly amount for
every period of the term, a period cut by the end (``date_end``, or the termination date)
pro rata by days (``_waas_period_amount``). A termination fee is the contract value minus
what the live monthly invoices bill and what the monthly run still bills up to the
termination date, so that live monthly invoices plus the fee always equal the contract
value (``_waas_contract_value``, ``_waas_monthly_billed``).

After activation: early termination, renewal, upgrade, expiry and Microsoft 365 licences.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date, mute_logger

from ..tools import waas_wizard_action
from .product_template import WAAS_PRICED_KINDS
from .waas_pricelist_item import WAAS_TERMS

_logger = logging.getLogger(__name__)

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
# A contract's states (also those of the contract analyses).
WAAS_CONTRACT_STATES = [
    ("active", "Active"),
    ("ending", "Ending Early"),
    ("terminated", "Terminated"),
    ("expired", "Expired"),
]
# Longest total duration of a contract, renewals included (months).
MAX_TOTAL_MONTHS = 36
# The portal offers to book the return of the devices this many days before the end.
ENDING_SOON_DAYS = 90
# Contracts per batch of the invoice run: one batched invoice create, one commit (by the
# cron runner) per batch.
INVOICE_RUN_CHUNK_SIZE = 500
# Contracts the invoice run wizard invoices within its own request; the scheduled run
# continues with the rest.
INVOICE_RUN_WIZARD_LIMIT = 5000
# No chatter message, no tracking and no follower on the invoices of a run.
NO_CHATTER_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}


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


def _fee_line(name, quantity, price_unit, product=None):
    """Values of one line of an early termination fee invoice."""
    vals = {"name": name, "quantity": quantity, "price_unit": price_unit}
    if product:
        vals["product_id"] = product.id
    return vals


def months_between(date_from, date_to):
    """Whole months from ``date_from`` to ``date_to`` (floor)."""
    delta = relativedelta(date_to, date_from)
    return delta.years * 12 + delta.months


def period_start(date_start, index):
    """Start of monthly period number ``index`` (0 = first) of a term starting on
    ``date_start``: the same day of the month, or the month's last day."""
    return date_start + relativedelta(months=index)


def period_end(date_start, months):
    """End of the first ``months`` monthly periods from ``date_start``: the day before
    the start of the next period."""
    return period_start(date_start, months) - timedelta(days=1)


def period_index(date_start, day):
    """Number of the monthly period (0 = first) of a term starting on ``date_start`` that
    contains ``day`` (on or after ``date_start``)."""
    index = max(months_between(date_start, day) - 1, 0)
    while period_start(date_start, index + 1) <= day:
        index += 1
    return index


class WaasContract(models.Model):
    _name = "waas.contract"
    _description = "WaaS Contract"
    _inherit = ["mail.thread", "mail.activity.mixin", "portal.mixin", "waas.guard.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    # Everything that moves money or state changes through the contract's actions only
    # (activation, termination, renewal, upgrade, expiry, invoice run, delivery).
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
    currency_id = fields.Many2one(
        comodel_name="res.currency",
        required=True,
        # A contract imported by hand: the company's currency unless chosen.
        default=lambda self: self.env.company.currency_id,
    )
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
        selection=WAAS_CONTRACT_STATES,
        default="active",
        required=True,
        tracking=True,
        index=True,
    )
    line_ids = fields.One2many(comodel_name="waas.contract.line", inverse_name="contract_id")
    monthly_amount = fields.Monetary(
        compute="_compute_monthly_amount",
        store=True,
        tracking=True,
    )
    device_ids = fields.One2many(comodel_name="waas.device", inverse_name="contract_id")
    licence_ids = fields.One2many(comodel_name="waas.licence", inverse_name="contract_id")
    renewal_ids = fields.One2many(comodel_name="waas.contract.renewal", inverse_name="contract_id")
    invoice_ids = fields.One2many(comodel_name="account.move", inverse_name="waas_contract_id")
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

    # Life after activation: termination, renewals, licences.
    date_terminated = fields.Date(
        string="Terminated On",
        readonly=True,
        copy=False,
        tracking=True,
        help="The day the early termination takes effect: invoiced monthly until the day "
        "before, the fee covers the rest; the licences are cancelled and the return starts "
        "on that day (the contract is Ending Early until then).",
    )
    termination_reason = fields.Text(readonly=True, copy=False, tracking=True)
    termination_move_id = fields.Many2one(
        comodel_name="account.move",
        string="Termination Invoice",
        readonly=True,
        copy=False,
        check_company=True,
        help="Customer invoice of the early termination fee (the remaining contract value).",
    )
    renewal_count = fields.Integer(string="Renewals", compute="_compute_renewal_count", store=True)
    licence_count = fields.Integer(string="Licences", compute="_compute_licence_count")
    date_max_end = fields.Date(
        string="Latest Possible End",
        compute="_compute_date_max_end",
        help="The latest end a renewal can reach: 36 months after the start, and never "
        "after the earliest warranty end of the contract's devices.",
    )

    # Invoicing schedule (written by the invoice run only).
    date_next_invoice = fields.Date(
        string="Next Invoice Period",
        copy=False,
        readonly=True,
        index=True,
        help="Start of the first period not invoiced yet.",
    )
    invoiced_periods = fields.Integer(
        copy=False,
        readonly=True,
        default=0,
        help="Number of monthly periods already invoiced.",
    )
    invoice_count = fields.Integer(string="Invoices", compute="_compute_invoice_count")

    _sql_constraints = [
        ("name_company_unique", "UNIQUE(name, company_id)", "A contract number must be unique."),
        (
            "term_allowed",
            f"CHECK(term_months IN {WAAS_TERMS})",
            "A WaaS term is 12, 24 or 36 months.",
        ),
        ("dates_ordered", "CHECK(date_end > date_start)", "A contract must end after it starts."),
        (
            "invoiced_periods_positive",
            "CHECK(invoiced_periods >= 0)",
            "The number of invoiced periods cannot be negative.",
        ),
    ]

    # ------------------------------------------------------------------ computes
    @api.depends("line_ids.price_subtotal")
    def _compute_monthly_amount(self):
        for contract in self:
            contract.monthly_amount = sum(contract.line_ids.mapped("price_subtotal"))

    @api.depends("renewal_ids")
    def _compute_renewal_count(self):
        for contract in self:
            contract.renewal_count = len(contract.renewal_ids)

    @api.depends("licence_ids")
    def _compute_licence_count(self):
        for contract in self:
            contract.licence_count = len(contract.licence_ids)

    @api.depends("date_start", "device_ids.warranty_end")
    def _compute_date_max_end(self):
        warranty = self._waas_warranty_ends()
        for contract in self:
            limit = contract._waas_duration_limit()
            if contract.id in warranty:
                limit = min(limit, warranty[contract.id]) if limit else warranty[contract.id]
            contract.date_max_end = limit

    def _compute_invoice_count(self):
        # sudo: a count shown on the contract; users without accounting rights see the
        # number, opening the invoices still requires read access on them.
        groups = (
            self.env["account.move"]
            .sudo()
            ._read_group(
                [("waas_contract_id", "in", self.ids)],
                ["waas_contract_id"],
                ["__count"],
            )
        )
        counts = {contract.id: count for contract, count in groups}
        for contract in self:
            contract.invoice_count = counts.get(contract.id, 0)

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        """Number new contracts from the ``waas.contract`` sequence (dated on their start,
        in their company) and start their invoicing schedule at their first period.

        Contracts come into being by the activation of a deal (superuser mode, see
        ``sale.order._waas_create_contracts``) or as an explicit import of an existing
        contract by a WaaS Manager (``_waas_import``); anyone else is refused.
        """
        for vals in vals_list:
            if not vals.get("date_next_invoice") and vals.get("date_start"):
                vals["date_next_invoice"] = vals["date_start"]
        if not self.env.su:
            return self._waas_import(vals_list)
        sequence = self.env["ir.sequence"]
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id"))
                vals["name"] = sequence.with_company(company or self.env.company).next_by_code(
                    "waas.contract", sequence_date=vals.get("date_start")
                )
        return super().create(vals_list)

    def write(self, vals):
        res = super().write(vals)
        if "date_start" in vals and "date_next_invoice" not in vals:
            # Before the first invoice the schedule follows the start date.
            not_started = self.filtered(lambda c: not c.invoiced_periods)
            for date_start, contracts in not_started.grouped("date_start").items():
                contracts.write({"date_next_invoice": date_start})
        return res

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
            if contract.term_months not in WAAS_TERMS:
                raise ValidationError(_("A WaaS term is 12, 24 or 36 months."))
            end = period_end(contract.date_start, contract.term_months)
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
            contract.date_next_invoice = period_start(contract.date_start, periods)

    # ------------------------------------------------------------------ hooks
    # Other addons react to the contract's life through these methods: override them and
    # call super(). Each is called once per event, on the contracts concerned.

    def _on_activated(self):
        """Hook: the contracts were just activated (order confirmed with credit approved
        and both signatures). Their Microsoft 365 licences are provisioned here;
        commissions hook in (``also_waas_commission``)."""
        self._waas_sync_licences()

    def _on_renewed(self, renewals):
        """Hook: the contracts were just renewed; ``renewals`` are the new
        ``waas.contract.renewal`` records."""

    def _on_upgraded(self, new_lines):
        """Hook: options or upgrades (``new_lines``, ``waas.contract.line``) were added
        to active contracts during their term."""

    def _on_ended(self):
        """Hook: the contracts just ended (terminated early or expired). Their live
        licences are cancelled at the marketplace here; returns of the devices hook in
        (``also_waas_returns``)."""
        licences = self.licence_ids.filtered(lambda lic: lic._waas_is_live())
        licences._waas_request_cancel()
        if licences:
            licences._waas_trigger_sync()

    # ------------------------------------------------------------------ actions
    def _waas_view_action(self, xmlid, **values):
        """The window action ``xmlid`` for internal users, on this contract: ``values``
        (domain, context, res_id, ...) replace the action's own."""
        waas_check_group(self.env, "base.group_user")
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action.update(values)
        return action

    def action_view_invoices(self):
        """Smart button "Invoices": the customer invoices of the contract."""
        return self._waas_view_action(
            "account.action_move_out_invoice_type",
            domain=[("waas_contract_id", "=", self.id)],
            context={"default_move_type": "out_invoice", "create": False},
        )

    def _waas_open_wizard(self, group_xmlid, name, res_model):
        """Open the wizard ``res_model`` on this contract, for users of ``group_xmlid``."""
        waas_check_group(self.env, group_xmlid)
        self.ensure_one()
        return waas_wizard_action(name, res_model, {"default_contract_id": self.id})

    def action_waas_terminate(self):
        """Button "Terminate": open the early termination wizard."""
        return self._waas_open_wizard(
            "also_waas.group_waas_manager",
            self.env._("Terminate Contract"),
            "waas.contract.terminate",
        )

    def action_view_termination_invoice(self):
        """Smart button "Termination Invoice": open the fee invoice."""
        return self._waas_view_action(
            "account.action_move_out_invoice",
            res_id=self.termination_move_id.id,
            view_mode="form",
            views=[(False, "form")],
        )

    def action_waas_renew(self):
        """Button "Renew" (form, or several contracts from the list): open the wizard that
        prepares renewal quotations."""
        waas_check_group(self.env, "also_waas.group_waas_user")
        return waas_wizard_action(
            self.env._("Renew Contract"),
            "waas.contract.renew",
            {"default_contract_ids": [Command.set(self.ids)]},
        )

    def action_view_renewals(self):
        """Smart button "Renewals": the contract's renewal history."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Renewals"),
            "res_model": "waas.contract.renewal",
            "view_mode": "list,form",
            "domain": [("contract_id", "=", self.id)],
            "context": {"default_contract_id": self.id},
        }

    def action_view_licences(self):
        """Smart button "Licences": the contract's Microsoft 365 subscriptions."""
        return self._waas_view_action(
            "also_waas.waas_licence_action",
            domain=[("contract_id", "=", self.id)],
            context={"default_contract_id": self.id},
        )

    def action_waas_upgrade(self):
        """Button "Upgrade": open the upgrade wizard."""
        return self._waas_open_wizard(
            "also_waas.group_waas_user", self.env._("Upgrade Contract"), "waas.contract.upgrade"
        )

    # ------------------------------------------------------------------ periods
    def _waas_period_start(self, index):
        """Start of the contract's monthly period number ``index`` (0 = first)."""
        self.ensure_one()
        return period_start(self.date_start, index)

    def _waas_period_bounds(self, index):
        """(start, end) of the period ``index`` (0 based) of this contract."""
        self.ensure_one()
        return period_start(self.date_start, index), period_end(self.date_start, index + 1)

    def _waas_first_uninvoiced(self):
        """{contract id: start of the first period after every live monthly invoice}: where
        an upgrade starts to be invoiced (never within a period already invoiced, even when
        an earlier period is due again because its invoice was cancelled)."""
        live = self._waas_live_periods()
        result = {}
        for contract in self:
            first = contract.date_next_invoice or contract.date_start
            if live[contract.id]:
                latest = period_index(contract.date_start, max(live[contract.id]))
                first = max(first, contract._waas_period_start(latest + 1))
            result[contract.id] = first
        return result

    def _waas_periods(self):
        """Every monthly period of the contract up to ``date_end``: [(index, start, end,
        full days)], ``end`` cut by ``date_end`` and ``full days`` the length of the whole
        monthly period (what a cut period is pro rata of)."""
        return list(self._waas_iter_periods())

    def _waas_iter_periods(self, since=None):
        """The periods of ``_waas_periods`` one at a time, from the one that contains
        ``since`` (default: the first): the invoice run looks at one or two periods of a
        contract, not at all of them."""
        self.ensure_one()
        index = 0
        if since and since > self.date_start:
            index = period_index(self.date_start, since)
        start = period_start(self.date_start, index)
        while start <= self.date_end:
            following = period_start(self.date_start, index + 1)
            end = min(following - timedelta(days=1), self.date_end)
            yield index, start, end, (following - start).days
            index, start = index + 1, following

    def _waas_period_full_days(self, start):
        """Length in days of the whole monthly period starting on ``start``."""
        self.ensure_one()
        index = period_index(self.date_start, start)
        return (self._waas_period_start(index + 1) - self._waas_period_start(index)).days

    def _waas_period_count(self):
        """Number of monthly periods that start on or before ``date_end``."""
        self.ensure_one()
        count = months_between(self.date_start, self.date_end)
        while self._waas_period_start(count) <= self.date_end:
            count += 1
        return count

    def _waas_periods_from(self, first_start):
        """Monthly periods [(start, end)] starting on or after ``first_start`` and on or
        before ``date_end``."""
        self.ensure_one()
        periods = []
        index = max(months_between(self.date_start, first_start) - 1, 0)
        while True:
            start = self._waas_period_start(index)
            if start > self.date_end:
                break
            if start >= first_start:
                end = period_end(self.date_start, index + 1)
                periods.append((start, min(end, self.date_end)))
            index += 1
        return periods

    def _waas_invoice_end_date(self):
        """Last day invoiced monthly: the end, or the day before the termination date (the
        fee covers the rest). Override to stop earlier."""
        self.ensure_one()
        if self.date_terminated:
            return min(self.date_end, self.date_terminated - timedelta(days=1))
        return self.date_end

    # ------------------------------------------------------------------ money rules
    # Every amount a contract bills comes from here: the monthly run, the termination fee
    # and the contract value use the same pro rata arithmetic, so that live monthly
    # invoices plus the fee add up to the contract value to the cent.

    def _waas_prorated_price(self, line, days, full_days):
        """Unit price of contract ``line`` for ``days`` days of a monthly period of
        ``full_days`` days: the monthly unit price, pro rata by days for a cut period
        (rounded to the currency, as on the invoice line)."""
        if days >= full_days:
            return line.price_unit
        return self.currency_id.round(line.price_unit * days / full_days)

    def _waas_period_amount(self, line, days, full_days):
        """Untaxed amount of contract ``line`` for ``days`` days of a monthly period of
        ``full_days`` days."""
        return self.currency_id.round(
            line.quantity * self._waas_prorated_price(line, days, full_days)
        )

    def _waas_period_value(self, start, end, full_days):
        """Untaxed amount of the contract for its period starting on ``start`` (of
        ``full_days`` days), billed up to ``end``."""
        self.ensure_one()
        days = (end - start).days + 1
        return sum(
            self._waas_period_amount(line, days, full_days)
            for line in self.line_ids
            if self._waas_line_is_invoiced(line, start)
        )

    def _waas_contract_value(self):
        """{contract id: untaxed value of the whole contract}: every invoiced line for every
        period of the term from its date, a period cut by the end pro rata by days."""
        return {
            contract.id: sum(
                contract._waas_period_value(start, end, full)
                for _index, start, end, full in contract._waas_periods()
            )
            for contract in self
        }

    def _waas_live_periods(self):
        """{contract id: {period start: (period end, untaxed amount)}} of the live (not
        cancelled) monthly invoices of the contracts, in one query."""
        result = {contract.id: {} for contract in self}
        if not self.ids:
            return result
        # sudo: the schedule and the fee follow the contract's invoices, whoever runs the
        # invoicing or the termination; only periods and amounts are read.
        groups = (
            self.env["account.move"]
            .sudo()
            ._read_group(
                [
                    ("waas_contract_id", "in", self.ids),
                    ("waas_period_start", "!=", False),
                    ("move_type", "=", "out_invoice"),
                    ("state", "!=", "cancel"),
                ],
                ["waas_contract_id", "waas_period_start:day"],
                ["waas_period_end:max", "amount_untaxed:sum"],
            )
        )
        for contract, start, end, amount in groups:
            result[contract.id][fields.Date.to_date(start)] = (end, amount)
        return result

    def _waas_monthly_billed(self, live=None):
        """{contract id: untaxed amount billed by its live monthly invoices}."""
        live = self._waas_live_periods() if live is None else live
        return {
            cid: sum(amount for _end, amount in periods.values()) for cid, periods in live.items()
        }

    def _waas_first_billable(self):
        """First day a period of the contract has something to invoice (a priced line from
        its date), or ``None`` when nothing is ever invoiced monthly."""
        self.ensure_one()
        starts = [
            line.date_from or self.date_start
            for line in self.line_ids
            if self._waas_line_is_invoiced(line, line.date_from or self.date_start)
        ]
        return min(starts) if starts else None

    def _waas_schedule(self, covered, since=None):
        """(invoiced periods, next invoice period start) of the contract whose live monthly
        invoices cover the period starts ``covered``: the first period from ``since``
        (default: the current ``date_next_invoice``) up to the last day invoiced monthly
        without a live invoice and with something to bill; else the period after the last
        one invoiced monthly. The periods before ``since`` are invoiced (in Odoo, or before
        an imported contract came into Odoo)."""
        self.ensure_one()
        since = since or self.date_next_invoice or self.date_start
        last = self._waas_invoice_end_date()
        first_billable = self._waas_first_billable()
        for index, start, _end, _full in self._waas_iter_periods(since):
            if start < since or start in covered:
                continue
            if start > last or (first_billable is not None and start >= first_billable):
                return index, start
        count = self._waas_period_count()
        return count, self._waas_period_start(count)

    def _waas_write_schedule(self, live, since=None):
        """Write the schedule that follows from ``live`` (``_waas_live_periods``) on the
        contracts where it changed (``since``: {contract id: first period start to look
        at}): one write per distinct schedule."""
        since = since or {}
        groups = defaultdict(list)
        for contract in self:
            index, start = contract._waas_schedule(live[contract.id], since.get(contract.id))
            if (contract.invoiced_periods, contract.date_next_invoice) != (index, start):
                groups[(index, start)].append(contract.id)
        for (index, start), ids in groups.items():
            # sudo: the schedule is a guarded field written only by the invoicing itself
            # (run, or an invoice of the contract cancelled or deleted by accounting).
            self.browse(ids).sudo().with_context(**NO_CHATTER_CONTEXT).write(
                {"invoiced_periods": index, "date_next_invoice": start}
            )

    def _waas_sync_schedule(self, freed=None):
        """The schedule follows the invoices: after monthly invoices of the contracts were
        cancelled, deleted or reset to draft (``freed``: {contract id: their period
        starts}), the first of those periods without a live invoice is due again (batched:
        one query and one write per distinct schedule)."""
        # sudo: accounting (who may not read contract lines) cancels or deletes the invoice;
        # only the contract's schedule follows, computed from its lines and invoices.
        contracts = self.sudo().exists()
        if not contracts:
            return
        freed = freed or {}
        since = {}
        for contract in contracts:
            current = contract.date_next_invoice or contract.date_start
            since[contract.id] = min([current, *freed.get(contract.id, [])])
        contracts._waas_write_schedule(contracts._waas_live_periods(), since)

    @api.model
    def _get_contracts_to_invoice_domain(self, date, companies=None):
        """Domain of the contracts with a period starting on or before ``date``.

        The run adds ``date_next_invoice <= date_end`` and ``< date_terminated``
        (comparisons of two columns) and takes row locks itself. A terminated contract is
        invoiced monthly up to the day before its termination date only (a period whose
        invoice was cancelled is due again); the fee covers the rest.
        """
        domain = [
            ("state", "in", ("active", "ending", "terminated", "expired")),
            ("date_next_invoice", "!=", False),
            ("date_next_invoice", "<=", date),
        ]
        if companies:
            domain.append(("company_id", "in", companies.ids))
        return domain

    def _waas_line_is_invoiced(self, line, period_start):
        """Whether contract ``line`` is on the invoice of the period starting on
        ``period_start``: bundles, options and upgrades from their ``date_from`` on; never a
        delivery charge (delivery is free) or a partner's own service."""
        if line.waas_kind not in WAAS_PRICED_KINDS:
            return False
        if line.date_from and line.date_from > period_start:
            return False
        sale_line = line.sale_line_id
        return not (sale_line and sale_line._is_delivery())

    def _waas_prepare_invoice_line_vals(self, line, period_start, period_end, full_days=None):
        """Values of the invoice line of contract ``line`` for one period (``full_days``:
        the length of the whole monthly period; a shorter one is pro rata by days, said in
        the label)."""
        self.ensure_one()
        lang = self.partner_id.lang
        if full_days is None:
            full_days = self._waas_period_full_days(period_start)
        days = (period_end - period_start).days + 1
        label = _(
            "%(line)s, %(start)s to %(end)s",
            line=line.name,
            start=format_date(self.env, period_start, lang_code=lang),
            end=format_date(self.env, period_end, lang_code=lang),
        )
        if days < full_days:
            label = _(
                "%(label)s (pro rata %(days)s/%(full)s days)",
                label=label,
                days=days,
                full=full_days,
            )
        return {
            "product_id": line.product_id.id,
            "name": label,
            "quantity": line.quantity,
            "price_unit": self._waas_prorated_price(line, days, full_days),
        }

    def _waas_invoice_partner(self):
        """The invoice address of the contract: the quotation's invoice address where
        set, else the end customer."""
        self.ensure_one()
        return self.sale_order_id.partner_invoice_id or self.partner_id

    def _waas_prepare_invoice_vals(self, period_start, period_end, full_days=None):
        """Values of the customer invoice of this contract for one period (in advance:
        dated on the first day of the period), or ``None`` if nothing is billable. No
        journal: ``account.move._waas_create_and_post`` sets the WaaS journal."""
        self.ensure_one()
        lines = self.line_ids.filtered(lambda ln: self._waas_line_is_invoiced(ln, period_start))
        if not lines:
            return None
        if full_days is None:
            full_days = self._waas_period_full_days(period_start)
        return {
            "move_type": "out_invoice",
            "partner_id": self._waas_invoice_partner().id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "invoice_date": period_start,
            "invoice_origin": self.name,
            "invoice_user_id": self.sale_order_id.user_id.id or False,
            "ref": _(
                "%(contract)s, %(start)s",
                contract=self.name,
                start=format_date(self.env, period_start, lang_code=self.partner_id.lang),
            ),
            "waas_contract_id": self.id,
            "waas_period_start": period_start,
            "waas_period_end": period_end,
            "invoice_line_ids": [
                Command.create(
                    self._waas_prepare_invoice_line_vals(line, period_start, period_end, full_days)
                )
                for line in lines
            ],
        }

    def _waas_due_query(self, date, companies, exclude_ids=(), domain=None):
        # The query is run as raw SQL (row locks): pending ORM writes must be in the table.
        self.flush_model()
        domain = self._get_contracts_to_invoice_domain(date, companies) + list(domain or [])
        query = self._search(domain, order="id")
        table = query.table
        query.add_where(
            SQL(
                "%s <= %s AND (%s IS NULL OR %s < %s)",
                SQL.identifier(table, "date_next_invoice"),
                SQL.identifier(table, "date_end"),
                SQL.identifier(table, "date_terminated"),
                SQL.identifier(table, "date_next_invoice"),
                SQL.identifier(table, "date_terminated"),
            )
        )
        if exclude_ids:
            query.add_where(
                SQL("NOT (%s = ANY(%s))", SQL.identifier(table, "id"), list(exclude_ids))
            )
        return query

    @api.model
    def _waas_lock_due_contract_ids(
        self, date, companies=None, limit=INVOICE_RUN_CHUNK_SIZE, exclude_ids=(), domain=None
    ):
        """Ids of at most ``limit`` due contracts, row-locked for this transaction; the
        contracts another transaction has locked are skipped (``SKIP LOCKED``)."""
        query = self._waas_due_query(date, companies, exclude_ids, domain)
        query.limit = limit
        # With two workers, a contract another run committed after this transaction's
        # snapshot raises a serialization failure here, which the caller expects and handles
        # (``_cron_waas_invoice_run``): Odoo's SQL layer would log it as an ERROR.
        with mute_logger("odoo.sql_db"):
            self.env.cr.execute(
                SQL("%s FOR UPDATE OF %s SKIP LOCKED", query.select(), SQL.identifier(query.table))
            )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _waas_count_due(self, date, companies=None, exclude_ids=(), domain=None):
        query = self._waas_due_query(date, companies, exclude_ids, domain)
        query.order = None
        self.env.cr.execute(query.select(SQL("COUNT(*)")))
        return self.env.cr.fetchone()[0]

    def _waas_invoice_chunk(self, date):
        """Invoice every due period up to ``date`` of these (locked) contracts: each started
        period, up to the last day invoiced monthly, without a live invoice (one read of the
        live invoices), in one batched create; a batched post if the company posts at once;
        one write per distinct new schedule. Returns the invoices."""
        if not self:
            return self.env["account.move"]
        live = self._waas_live_periods()
        vals_list = []
        for contract in self:
            covered = live[contract.id]
            last = contract._waas_invoice_end_date()
            limit = min(date, last)
            since = contract.date_next_invoice or contract.date_start
            for _index, start, end, full_days in contract._waas_iter_periods(since):
                if start > limit:
                    break
                if start < since or start in covered:
                    continue
                vals = contract._waas_prepare_invoice_vals(start, min(end, last), full_days)
                if vals:
                    vals_list.append(vals)
                    covered[start] = (min(end, last), None)
        moves = (
            self.env["account.move"]
            .with_context(**NO_CHATTER_CONTEXT, default_move_type="out_invoice")
            ._waas_create_and_post(vals_list)
        )
        self._waas_write_schedule(live)
        return moves

    # ------------------------------------------------------------------ posting failures
    # A WaaS invoice that cannot be posted (a deprecated account, a lock date, a missing
    # tax...) stays in draft with its reason (``account.move._waas_create_and_post``); each
    # daily run tries those drafts again.

    @api.model
    def _waas_retry_posting(self, companies=None, limit=INVOICE_RUN_CHUNK_SIZE, domain=None):
        """Post again the WaaS invoices (monthly, fees, charges) left in draft because they
        could not be posted, each once a day (row-locked: concurrent runs skip each
        other's); ``domain`` narrows them to the invoices of those contracts. Returns the
        invoices tried."""
        today = fields.Date.context_today(self)
        move_domain = [
            ("state", "=", "draft"),
            ("waas_post_error", "!=", False),
            ("waas_post_failed_on", "<", today),
        ]
        if companies:
            move_domain.append(("company_id", "in", companies.ids))
        if domain:
            move_domain.append(("waas_contract_id", "any", domain))
        Move = self.env["account.move"]
        candidates = Move.search(move_domain, limit=limit, order="id")
        if not candidates:
            return Move
        self.env.cr.execute(
            SQL(
                "SELECT id FROM account_move WHERE id IN %s AND state = 'draft' "
                "FOR UPDATE SKIP LOCKED",
                tuple(candidates.ids),
            )
        )
        moves = Move.browse([row[0] for row in self.env.cr.fetchall()])
        moves.invalidate_recordset()
        failed = moves._waas_post_isolated()
        Move._waas_report_post_failures(failed, known=moves)
        return moves

    @api.model
    def _waas_invoice_batch(
        self, date, companies=None, limit=INVOICE_RUN_CHUNK_SIZE, domain=None, exclude_ids=()
    ):
        """One batch of the invoice run: lock at most ``limit`` due contracts (those another
        transaction holds are skipped), invoice every due period of them up to ``date``.
        Returns ``(contract ids, invoices, contracts still due)``. Nothing is committed
        here: the caller's transaction (the cron runner, an HTTP request) is the unit."""
        ids = self._waas_lock_due_contract_ids(date, companies, limit, exclude_ids, domain)
        moves = self.browse(ids)._waas_invoice_chunk(date)
        self._waas_after_invoice_batch(moves)
        remaining = self._waas_count_due(date, companies, set(exclude_ids).union(ids), domain)
        return ids, moves, remaining

    @api.model
    def _waas_after_invoice_batch(self, invoices):
        """Hook called by each batch of the invoice run with the invoices it created
        (posted, or left in draft when they could not be posted), in the batch's
        transaction: e.g. the direct debit addon files the posted ones into a payment
        order. Does nothing here."""
        return None

    @api.model
    def _waas_invoice_run(
        self,
        date=None,
        companies=None,
        chunk_size=INVOICE_RUN_CHUNK_SIZE,
        domain=None,
        max_contracts=None,
    ):
        """Invoice the due contract periods up to ``date`` (default today) for ``companies``
        (default all; ``domain`` narrows the contracts), batch by batch in the current
        transaction, at most ``max_contracts`` contracts (default: all). Concurrent runs
        share the work through row locks. Returns the invoices created."""
        date = fields.Date.to_date(date) or fields.Date.context_today(self)
        processed = set()
        move_ids = []
        while max_contracts is None or len(processed) < max_contracts:
            limit = chunk_size
            if max_contracts is not None:
                limit = min(chunk_size, max_contracts - len(processed))
            ids, moves, remaining = self._waas_invoice_batch(
                date, companies, limit, domain, processed
            )
            if not ids:
                break
            processed.update(ids)
            move_ids += moves.ids
            # Keep memory flat whatever the number of contracts.
            self.env.invalidate_all()
            _logger.info(
                "WaaS invoice run up to %s: %s contracts done, %s remaining, %s invoices",
                date,
                len(processed),
                remaining,
                len(move_ids),
            )
        return self.env["account.move"].browse(move_ids)

    # ------------------------------------------------------------------ termination
    def _waas_check_terminate(self, date):
        """Raise a clear error when any of the contracts cannot end on ``date``."""
        states = dict(self._fields["state"]._description_selection(self.env))
        for contract in self:
            if contract.state != "active":
                raise UserError(
                    self.env._(
                        "Contract %(contract)s is %(state)s: only an active contract can be "
                        "terminated.",
                        contract=contract.name,
                        state=states[contract.state],
                    )
                )
            if date < contract.date_start:
                raise UserError(
                    self.env._(
                        "The termination date %(date)s is before the start of contract "
                        "%(contract)s (%(start)s).",
                        date=format_date(self.env, date),
                        contract=contract.name,
                        start=format_date(self.env, contract.date_start),
                    )
                )
            if date > contract.date_end:
                raise UserError(
                    self.env._(
                        "The termination date %(date)s is after the end of contract "
                        "%(contract)s (%(end)s): let it expire instead.",
                        date=format_date(self.env, date),
                        contract=contract.name,
                        end=format_date(self.env, contract.date_end),
                    )
                )

    def _waas_fee_parts(self, date, live):
        """The parts of the contract's periods the termination fee bills, for a termination
        on ``date``: [(period start, from, to, full days, already billed days)], where
        ``from``-``to`` is the part of the period the monthly invoices do not cover and
        ``already billed days`` the days of the period before ``from`` (billed monthly, or
        to be):

        - a period with a live monthly invoice: the days after the invoice's period end
          (none before ``date_next_invoice`` of an imported contract: invoiced before);
        - a period without one that starts on or after ``date``: all of it;
        - the period ``date`` cuts: the days from ``date`` on (the monthly run bills the
          days before it).
        """
        self.ensure_one()
        parts = []
        since = self.date_next_invoice or self.date_start
        for _index, start, end, full in self._waas_periods():
            if start in live:
                billed_to = live[start][0]
            elif start < since:
                billed_to = end  # invoiced before the contract was imported into Odoo
            elif start >= date:
                billed_to = start - timedelta(days=1)
            else:
                billed_to = min(end, date - timedelta(days=1))
            if billed_to < end:
                parts.append(
                    (start, billed_to + timedelta(days=1), end, full, (billed_to - start).days + 1)
                )
        return parts

    def _waas_termination_fee_lines(self, date=None):
        """{contract id: [invoice line values]} of the early termination fee for a
        termination on ``date`` (default: the contract's termination date): the contract
        value minus what the live monthly invoices bill and what the monthly run still bills
        up to the day before ``date``. Per contract line: one line for the whole months, one
        per period cut (pro rata by days, said in the label); and one line for any
        difference between what the live monthly invoices bill and what the contract says
        of their periods (an invoice edited by hand)."""
        live_all = self._waas_live_periods()
        result = {}
        for contract in self:
            day = fields.Date.to_date(date) if date else contract.date_terminated
            live = live_all[contract.id]
            parts = contract._waas_fee_parts(day, live)
            lines = []
            for line in contract.line_ids:
                if line.currency_id.is_zero(line.price_subtotal):
                    continue
                mine = [p for p in parts if contract._waas_line_is_invoiced(line, p[0])]
                whole = [p for p in mine if p[4] == 0 and (p[2] - p[1]).days + 1 >= p[3]]
                quantity = f"{line.quantity:g}"
                if whole:
                    name = self.env._(
                        "Early termination of %(contract)s: %(quantity)s x %(line)s, "
                        "%(months)s month(s) from %(start)s to %(end)s",
                        contract=contract.name,
                        quantity=quantity,
                        line=line.name,
                        months=len(whole),
                        start=format_date(self.env, whole[0][1]),
                        end=format_date(self.env, whole[-1][2]),
                    )
                    lines.append(_fee_line(name, len(whole), line.price_subtotal, line.product_id))
                for start, date_from, date_to, full, before in mine:
                    if (start, date_from, date_to, full, before) in whole:
                        continue
                    days = (date_to - start).days + 1
                    amount = contract._waas_period_amount(
                        line, days, full
                    ) - contract._waas_period_amount(line, before, full)
                    if contract.currency_id.is_zero(amount):
                        continue
                    name = self.env._(
                        "Early termination of %(contract)s: %(quantity)s x %(line)s, "
                        "%(start)s to %(end)s (pro rata %(days)s/%(full)s days)",
                        contract=contract.name,
                        quantity=quantity,
                        line=line.name,
                        start=format_date(self.env, date_from),
                        end=format_date(self.env, date_to),
                        days=(date_to - date_from).days + 1,
                        full=full,
                    )
                    lines.append(_fee_line(name, 1, amount, line.product_id))
            expected = sum(
                contract._waas_period_value(start, end, contract._waas_period_full_days(start))
                for start, (end, _amount) in live.items()
            )
            difference = contract.currency_id.round(
                expected - sum(amount for _end, amount in live.values())
            )
            if not contract.currency_id.is_zero(difference):
                name = self.env._(
                    "Early termination of %(contract)s: difference between the "
                    "contract and its monthly invoices as billed",
                    contract=contract.name,
                )
                lines.append(_fee_line(name, 1, difference))
            result[contract.id] = lines
        return result

    def _waas_lock(self):
        """Row-lock the contracts (an invoice run working on them waits or skips them) and
        re-read them, so a fee never overlaps a monthly invoice created meanwhile."""
        if not self.ids:
            return
        self.flush_recordset()
        self.env.cr.execute(
            SQL("SELECT id FROM waas_contract WHERE id IN %s FOR UPDATE", tuple(self.ids))
        )
        self.invalidate_recordset()

    def _waas_terminate(self, date, reason):
        """Record the early termination of the contracts on ``date`` (the day it takes
        effect): one fee invoice each, dated today, for the contract value the monthly
        invoices do not bill (``_waas_termination_fee_lines``); the monthly run still
        invoices the days before ``date``. The contracts are *Ending Early* until ``date``;
        on that day (at once when it is today or past) they become *Terminated*, their
        licences are cancelled and ``_on_ended`` is called (``_waas_end_terminated``).
        Returns the fee invoices."""
        date = fields.Date.to_date(date)
        if not (reason or "").strip():
            raise UserError(self.env._("Give the reason of the early termination."))
        self._waas_lock()
        self._waas_check_terminate(date)
        fee_lines = self._waas_termination_fee_lines(date)
        today = fields.Date.context_today(self)
        # The fee invoice is a contractual consequence decided by a WaaS manager, like a
        # sales order's invoice: WaaS managers are not accountants, so the invoice is
        # created with superuser rights (the wizard itself is for WaaS managers only).
        Move = self.env["account.move"].sudo()
        vals_list = []
        for contract in self:
            lines = fee_lines[contract.id]
            total = sum(line["quantity"] * line["price_unit"] for line in lines)
            if not lines or contract.currency_id.compare_amounts(total, 0.0) <= 0:
                continue
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "company_id": contract.company_id.id,
                    "partner_id": contract._waas_invoice_partner().id,
                    "currency_id": contract.currency_id.id,
                    "invoice_date": today,
                    "invoice_origin": contract.name,
                    "ref": self.env._("Early termination of %(contract)s", contract=contract.name),
                    "waas_contract_id": contract.id,
                    "invoice_line_ids": [Command.create(v) for v in lines],
                }
            )
        moves = Move._waas_create_and_post(vals_list)
        invoice_of = {move.waas_contract_id.id: move for move in moves}
        for contract in self:
            # sudo: the guarded fields are written by this action, after the group check of
            # the wizard (WaaS Manager) and the state checks above.
            contract.sudo().write(
                {
                    "state": "ending",
                    "date_terminated": date,
                    "termination_reason": reason,
                    "termination_move_id": invoice_of.get(contract.id, moves.browse()).id,
                }
            )
        bodies = {}
        for contract in self:
            move = invoice_of.get(contract.id)
            if move:
                body = self.env._(
                    "Early termination recorded: the contract ends on %(date)s. Termination "
                    "fee %(amount)s invoiced on %(invoice)s.",
                    date=format_date(self.env, date),
                    amount=move.amount_untaxed,
                    invoice=move.name or move.display_name,
                )
            else:
                body = self.env._(
                    "Early termination recorded: the contract ends on %(date)s. Every month "
                    "is already invoiced: no termination fee.",
                    date=format_date(self.env, date),
                )
            bodies[contract.id] = body
        self._message_log_batch(bodies=bodies)
        self.filtered(lambda c: c.date_terminated <= today)._waas_end_terminated()
        return moves.sudo(False)

    def _waas_end_terminated(self):
        """The early termination of the contracts takes effect (their termination date has
        come): *Terminated*, then ``_on_ended`` once on the batch (licences cancelled, the
        return starts, commissions clawed back). Monthly invoicing stopped at the day
        before the termination date already."""
        if not self:
            return
        # sudo: the state is guarded; the termination was recorded by a WaaS manager and
        # its date has come (the recording itself, or the daily scheduled action).
        self.sudo().write({"state": "terminated"})
        self._message_log_batch(
            bodies={
                contract.id: self.env._(
                    "The early termination took effect on %(date)s: the contract is "
                    "terminated, its licences are cancelled and the return of its devices "
                    "starts.",
                    date=format_date(self.env, contract.date_terminated),
                )
                for contract in self
            }
        )
        self._on_ended()

    # ------------------------------------------------------------------ renewal
    # A renewal is a new agreement (FAQ): WaaS staff (the Renew wizard) or the end customer
    # (portal) prepare a renewal quotation (``_waas_create_renewal_orders``). It goes through
    # the credit check and both signatures like any deal; only its activation
    # (``sale.order._waas_activate_renewals``) extends the contract (``_waas_renew``) and so
    # earns the renewal commission (``_on_renewed``).
    #
    # Renewal ends fall on the contract's monthly anchor (start + n months - 1 day) or on the
    # latest end the limits allow: 36 months in total, never past the earliest warranty end
    # of the contract's devices.

    def _waas_duration_limit(self):
        """Latest end allowed by the 36 months maximum."""
        self.ensure_one()
        if not self.date_start:
            return False
        return period_end(self.date_start, MAX_TOTAL_MONTHS)

    def _waas_warranty_ends(self):
        """{contract id: earliest warranty end of its devices}, in one query."""
        if not self.ids:
            return {}
        # sudo: only the earliest warranty end of the contracts' own devices is read, to
        # show and apply the renewal limit (also for portal users, who read their contract).
        groups = (
            self.env["waas.device"]
            .sudo()
            ._read_group(
                domain=[("contract_id", "in", self.ids), ("warranty_end", "!=", False)],
                groupby=["contract_id"],
                aggregates=["warranty_end:min"],
            )
        )
        return {contract.id: warranty_end for contract, warranty_end in groups}

    def _waas_renewal_limit(self, warranty=None):
        """(latest end a renewal may reach, which limit: ``"duration"`` or ``"warranty"``)."""
        self.ensure_one()
        if warranty is None:
            warranty = self._waas_warranty_ends()
        limit = self._waas_duration_limit()
        warranty_end = warranty.get(self.id)
        if warranty_end and warranty_end < limit:
            return warranty_end, "warranty"
        return limit, "duration"

    def _waas_anchor_end(self, months):
        """End of the contract's first ``months`` monthly periods: start + months - 1 day."""
        self.ensure_one()
        return period_end(self.date_start, months)

    def _waas_anchor_on_or_before(self, day):
        """The latest end on the contract's monthly anchor on or before ``day``."""
        self.ensure_one()
        count = months_between(self.date_start, day + timedelta(days=1))
        while self._waas_period_start(count + 1) <= day + timedelta(days=1):
            count += 1
        return self._waas_anchor_end(count)

    def _waas_extended_end(self, months):
        """The end ``months`` after the current end, on the contract's monthly anchor."""
        self.ensure_one()
        return self._waas_anchor_end(self._waas_period_count() + months)

    def _waas_limit_error(self, new_end, limit, kind):
        """The ``UserError`` of a renewal to ``new_end`` past ``limit``, naming the limit."""
        self.ensure_one()
        if kind == "warranty":
            return UserError(
                self.env._(
                    "Contract %(contract)s cannot run until %(new_end)s: the warranty of "
                    "its devices ends on %(warranty_end)s and a contract never runs "
                    "beyond the device warranty.",
                    contract=self.name,
                    new_end=format_date(self.env, new_end),
                    warranty_end=format_date(self.env, limit),
                )
            )
        return UserError(
            self.env._(
                "Contract %(contract)s cannot run until %(new_end)s: the total duration "
                "of a WaaS contract is limited to %(max)s months, so it must end by "
                "%(limit)s at the latest.",
                contract=self.name,
                new_end=format_date(self.env, new_end),
                max=MAX_TOTAL_MONTHS,
                limit=format_date(self.env, limit),
            )
        )

    def _waas_renewal_end(self, months=0, date_end=False, warranty=None):
        """(new end, months added) of renewing this contract by ``months`` or until
        ``date_end``; a ``UserError`` names what prevents it.

        - ``months``: the monthly anchor ``months`` after the current end; refused when it
          is past the 36 months or the warranty limit (the error names the limit);
        - ``date_end``: the latest monthly anchor on or before the date, or the latest
          possible end when the date is at or after it.
        """
        self.ensure_one()
        if not months and not date_end:
            raise UserError(self.env._("Choose an extension (12 or 24 months) or a new end date."))
        if months and months <= 0:
            raise UserError(
                self.env._("A renewal extends a contract by a positive number of months.")
            )
        limit, kind = self._waas_renewal_limit(warranty)
        if months:
            new_end = self._waas_extended_end(months)
            if new_end > limit:
                raise self._waas_limit_error(new_end, limit, kind)
        else:
            date_end = fields.Date.to_date(date_end)
            if date_end >= limit:
                if limit <= self.date_end:
                    raise self._waas_limit_error(date_end, limit, kind)
                new_end = limit
            else:
                new_end = self._waas_anchor_on_or_before(date_end)
        if new_end <= self.date_end:
            raise UserError(
                self.env._(
                    "The new end %(new_end)s of contract %(contract)s must be after its "
                    "current end %(end)s (a renewal ends on the day before the start's day of "
                    "the month, the first such end being %(anchor)s, or on the latest "
                    "possible end %(limit)s).",
                    new_end=format_date(self.env, new_end),
                    contract=self.name,
                    end=format_date(self.env, self.date_end),
                    anchor=format_date(self.env, self._waas_extended_end(1)),
                    limit=format_date(self.env, limit),
                )
            )
        next_start = self.date_end + timedelta(days=1)
        extension = relativedelta(new_end + timedelta(days=1), next_start)
        ext_months = extension.years * 12 + extension.months + (1 if extension.days else 0)
        return new_end, ext_months

    def _waas_open_renewal_orders(self):
        """The open renewal quotations (draft or sent) of the contracts."""
        if not self.ids:
            return self.env["sale.order"]
        # sudo: a contract has at most one open renewal quotation, whoever can see it.
        return (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("waas_renewal_contract_id", "in", self.ids),
                    ("state", "in", ("draft", "sent")),
                ]
            )
        )

    def _waas_check_active_to_renew(self, states):
        """Raise a clear ``UserError`` unless this contract is active (``states``: the
        labels of the states)."""
        if self.state != "active":
            raise UserError(
                self.env._(
                    "Contract %(contract)s is %(state)s: only an active contract can be renewed.",
                    contract=self.name,
                    state=states[self.state],
                )
            )

    def _waas_check_renewable(self, open_orders=None):
        """Raise a clear ``UserError`` unless a renewal quotation may be prepared for each
        contract: active and without an open renewal quotation."""
        states = dict(self._fields["state"]._description_selection(self.env))
        if open_orders is None:
            open_orders = self._waas_open_renewal_orders()
        for contract in self:
            contract._waas_check_active_to_renew(states)
            pending = open_orders.filtered(lambda o, c=contract: o.waas_renewal_contract_id == c)
            if pending:
                raise UserError(
                    self.env._(
                        "Contract %(contract)s already has an open renewal quotation "
                        "(%(order)s): have it signed or cancel it before preparing another.",
                        contract=contract.name,
                        order=pending[0].name,
                    )
                )

    def _waas_create_renewal_orders(self, months=0, date_end=False):
        """Prepare one renewal quotation per contract (renewal by ``months`` or until
        ``date_end``, see ``_waas_renewal_end``) and request its credit check. Nothing
        is extended here: the contract is extended when the renewal quotation is activated.

        Callers check who asks first: the Renew wizard (WaaS Users) or the portal route (the
        contract's own end customer). Refused as a whole, naming the contract and the
        limit, when one contract cannot be renewed. Returns the quotations.
        """
        if not (self.env.su or self.env.user.has_group("also_waas.group_waas_user")):
            raise AccessError(
                self.env._("Only WaaS users or the end customer prepare a renewal quotation.")
            )
        if not self:
            raise UserError(self.env._("Choose the contracts to renew."))
        self._waas_lock()
        self._waas_check_renewable()
        warranty = self._waas_warranty_ends()
        vals_list = []
        for contract in self:
            new_end, ext_months = contract._waas_renewal_end(months, date_end, warranty)
            vals_list.append(contract._waas_prepare_renewal_order_vals(new_end, ext_months))
        # sudo: renewal quotations are prepared only here, after the caller's check of the
        # user (WaaS User, or the contract's own end customer in the portal) and the state
        # and limit checks above; their renewal fields are refused to anyone else.
        orders = self.env["sale.order"].sudo().create(vals_list)
        for order in orders:
            # The end customer follows (and so sees and signs) its renewal in the portal.
            order.message_subscribe(partner_ids=order.partner_id.ids)
            order.message_post(
                body=self.env._(
                    "Renewal of contract %(contract)s prepared by %(user)s: the contract would "
                    "end on %(new_end)s instead of %(old_end)s (%(months)s month(s) more). It "
                    "is extended only once the credit is approved, the end customer signed "
                    "and ALSO countersigned, when this quotation is confirmed.",
                    contract=order.waas_renewal_contract_id.name,
                    user=self.env.user.name,
                    new_end=format_date(self.env, order.waas_renewal_date_end),
                    old_end=format_date(self.env, order.waas_renewal_date_end_before),
                    months=order.waas_renewal_months,
                )
            )
            order.waas_renewal_contract_id.message_post(
                body=self.env._(
                    "Renewal quotation %(order)s prepared by %(user)s (new end %(new_end)s).",
                    order=order.name,
                    user=self.env.user.name,
                    new_end=format_date(self.env, order.waas_renewal_date_end),
                )
            )
        orders._waas_request_renewal_credit()
        return orders.with_env(self.env)

    def _waas_prepare_renewal_order_vals(self, new_end, months):
        """Values of the renewal quotation of this contract: same end customer, reseller,
        company, currency and lines (at the contract's monthly prices), the new end and the
        months added."""
        self.ensure_one()
        order = self.sale_order_id
        vals = {
            "is_waas": True,
            "partner_id": self.partner_id.id,
            "waas_reseller_id": self.reseller_id.id,
            "company_id": self.company_id.id,
            "waas_term_months": self.term_months,
            "waas_delivery_to": order.waas_delivery_to or "end_customer",
            "waas_renewal_contract_id": self.id,
            "waas_renewal_date_end_before": self.date_end,
            "waas_renewal_date_end": new_end,
            "waas_renewal_months": months,
            "origin": self.name,
            "order_line": [
                Command.create(
                    {
                        "sequence": line.sequence,
                        "product_id": line.product_id.id,
                        "name": line.name,
                        "product_uom_qty": line.quantity,
                        "price_unit": line.price_unit,
                        "discount": 0.0,
                    }
                )
                for line in self.line_ids
            ],
        }
        if order.user_id:
            vals["user_id"] = order.user_id.id
        elif not self.env.user.share:
            vals["user_id"] = self.env.user.id
        pricelist = order.pricelist_id
        if pricelist.currency_id != self.currency_id:
            pricelist = (
                self.env["product.pricelist"]
                .sudo()
                .search(
                    [
                        *self.env["product.pricelist"]._check_company_domain(self.company_id),
                        ("currency_id", "=", self.currency_id.id),
                    ],
                    limit=1,
                )
            )
        # The quotation's currency follows its price list (none: the company's currency).
        vals["pricelist_id"] = pricelist.id
        if not pricelist and self.currency_id != self.company_id.currency_id:
            raise UserError(
                self.env._(
                    "Contract %(contract)s is in %(currency)s: a price list in that currency "
                    "is needed for its renewal quotation.",
                    contract=self.name,
                    currency=self.currency_id.name,
                )
            )
        return vals

    def _waas_renew(self, months=0, date_end=False, sale_order=False):
        """Extend the active contracts by ``months`` or up to ``date_end`` (which must be
        a possible renewal end: on the monthly anchor or the latest possible end).

        Called only by the activation of a renewal quotation (``sale_order``, whose end the
        contract must still have), in superuser mode: the renewal record and the new end
        are written here and nowhere else. The total duration stays within 36 months and
        the new end is never after the earliest warranty end of the contract's devices;
        otherwise a ``UserError`` names the limit and nothing is written. Records one
        ``waas.contract.renewal`` per contract, then calls ``_on_renewed`` once. Returns
        the renewals.
        """
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "A contract is extended only by activating its renewal quotation (credit "
                    "approved, signed by the end customer and countersigned by ALSO)."
                )
            )
        date_end = fields.Date.to_date(date_end) if date_end else False
        self._waas_lock()
        warranty = self._waas_warranty_ends()
        states = dict(self._fields["state"]._description_selection(self.env))
        today = fields.Date.context_today(self)
        vals_list = []
        for contract in self:
            contract._waas_check_active_to_renew(states)
            if sale_order and sale_order.waas_renewal_date_end_before != contract.date_end:
                raise UserError(
                    self.env._(
                        "Contract %(contract)s was renewed meanwhile (it now ends on %(end)s): "
                        "the renewal quotation %(order)s no longer applies; cancel it and "
                        "prepare a new one.",
                        contract=contract.name,
                        end=format_date(self.env, contract.date_end),
                        order=sale_order.name,
                    )
                )
            new_end, ext_months = contract._waas_renewal_end(months, date_end, warranty)
            if date_end and new_end != date_end:
                raise UserError(
                    self.env._(
                        "Contract %(contract)s cannot be renewed until %(date)s any more: a "
                        "renewal must end on %(new_end)s at the latest (on its monthly anchor "
                        "or its latest possible end). Prepare a new renewal quotation.",
                        contract=contract.name,
                        date=format_date(self.env, date_end),
                        new_end=format_date(self.env, new_end),
                    )
                )
            vals_list.append(
                {
                    "contract_id": contract.id,
                    "date": today,
                    "date_end_before": contract.date_end,
                    "date_end_after": new_end,
                    "months": ext_months,
                    "sale_order_id": sale_order.id if sale_order else False,
                }
            )
        renewals = self.env["waas.contract.renewal"].create(vals_list)
        for new_end, renewed in renewals.grouped("date_end_after").items():
            renewed.contract_id.write({"date_end": new_end})
        self._message_log_batch(
            bodies={
                renewal.contract_id.id: self.env._(
                    "Renewed by %(months)s month(s): the contract now ends on %(new_end)s "
                    "instead of %(old_end)s.",
                    months=renewal.months,
                    new_end=format_date(self.env, renewal.date_end_after),
                    old_end=format_date(self.env, renewal.date_end_before),
                )
                for renewal in renewals
            }
        )
        self._on_renewed(renewals)
        return renewals

    # ------------------------------------------------------------------ expiry
    @api.model
    def _waas_configured_logistics_user(self):
        """The logistics user set in the WaaS settings, if any (active)."""
        # Reading a system parameter needs superuser rights; it only holds a user id.
        value = self.env["ir.config_parameter"].sudo().get_param("also_waas.logistics_user_id")
        user = self.env["res.users"].browse(int(value)).exists() if value else False
        return user if user and user.active else self.env["res.users"]

    @api.model
    def _waas_fallback_logistics_user(self):
        """A WaaS manager (other than the system user), else the user running the job."""
        group = self.env.ref("also_waas.group_waas_manager", raise_if_not_found=False)
        # Group members are read as superuser: the job may run as a user without access
        # to user groups; only an id is taken.
        managers = group.sudo().users if group else self.env["res.users"]
        manager = managers.filtered(lambda u: u.active and u.id != SUPERUSER_ID)[:1]
        return manager or self.env.user

    def _waas_logistics_user(self, configured=None, fallback=None):
        """The user a logistics activity of this contract goes to: the configured logistics
        user, else the salesperson of the deal, else a WaaS manager."""
        self.ensure_one()
        configured = self._waas_configured_logistics_user() if configured is None else configured
        if configured:
            return configured
        if self.sale_order_id.user_id.active:
            return self.sale_order_id.user_id
        return self._waas_fallback_logistics_user() if fallback is None else fallback

    def _waas_expire(self):
        """The contracts reached their end without renewal: expired, an activity for
        logistics to collect the hardware, then ``_on_ended`` once on the batch."""
        if not self:
            return
        # sudo: the expiry (scheduled action) ends the contracts whose end has passed.
        self.sudo().write({"state": "expired"})
        today = fields.Date.context_today(self)
        configured = self._waas_configured_logistics_user()
        fallback = self._waas_fallback_logistics_user()
        for contract in self:
            contract.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=today,
                summary=self.env._("Collect the hardware of expired contract"),
                note=self.env._(
                    "Contract %(contract)s ended on %(end)s without renewal: arrange the "
                    "return of its devices.",
                    contract=contract.name,
                    end=format_date(self.env, contract.date_end),
                ),
                user_id=contract._waas_logistics_user(configured, fallback).id,
            )
        self._message_log_batch(
            bodies={
                contract.id: self.env._(
                    "Expired on %(end)s without renewal.",
                    end=format_date(self.env, contract.date_end),
                )
                for contract in self
            }
        )
        self._on_ended()

    # ------------------------------------------------------------------ licences
    def _waas_licence_targets(self):
        """{contract id: {licence product.product: seats}} the contracts should have: each
        bundle's included licence x seats x quantity; an upgrade's or option's licence
        (x its seats x quantity), an upgrade taking its seats from the licence it
        replaces."""
        result = {}
        for contract in self:
            seats = {}
            lines = contract.line_ids
            for line in lines.filtered(lambda ln: ln.product_id.waas_kind == "bundle"):
                licence = line.product_id.waas_included_licence_id
                if licence:
                    count = int(round(line.quantity * (line.product_id.waas_licence_seats or 1)))
                    seats[licence] = seats.get(licence, 0) + count
            for line in lines.filtered(lambda ln: ln.product_id.waas_kind in ("upgrade", "option")):
                licence = line.product_id.waas_licence_id
                if not licence:
                    continue
                count = int(round(line.quantity * (line.product_id.waas_licence_seats or 1)))
                seats[licence] = seats.get(licence, 0) + count
                replaced = line.product_id.waas_replaces_licence_id
                if replaced and replaced in seats:
                    seats[replaced] = max(seats[replaced] - count, 0)
            result[contract.id] = {lic: n for lic, n in seats.items() if n > 0}
        return result

    def _waas_sync_licences(self):
        """Bring the contracts' licences in line with their lines: new licences to
        provision, seat changes and licences no longer needed to cancel, all queued for
        the marketplace. Returns the licences that changed."""
        Licence = self.env["waas.licence"]
        targets = self._waas_licence_targets()
        to_create = []
        changed = Licence
        for contract in self:
            wanted = dict(targets[contract.id])
            for licence in contract.licence_ids.filtered(lambda lic: lic._waas_is_live()):
                seats = wanted.pop(licence.product_id, 0)
                if not seats:
                    changed |= licence
                    licence._waas_request_cancel()
                elif seats != licence.seats:
                    changed |= licence
                    licence._waas_request_seats(seats)
            to_create += [
                {"contract_id": contract.id, "product_id": product.id, "seats": seats}
                for product, seats in wanted.items()
            ]
        # sudo: licences are created only by the WaaS flow (activation, upgrade) that calls
        # this, after its own group and state checks.
        changed |= Licence.sudo().create(to_create).sudo(False)
        if changed:
            changed._waas_trigger_sync()
        return changed

    # ------------------------------------------------------------------ upgrade
    def _waas_upgrade(self, products):
        """Add upgrades/options ``products`` (list of (product.product, quantity)) to the
        active contract during its term. The new lines are invoiced from the next invoice
        period; licences are switched at the marketplace; ``_on_upgraded`` is called once.
        Returns the new contract lines."""
        self.ensure_one()
        self._waas_lock()
        if self.state != "active":
            raise UserError(
                self.env._(
                    "Contract %(contract)s is not active: it cannot be upgraded.",
                    contract=self.name,
                )
            )
        if not products:
            raise UserError(self.env._("Choose the upgrade or option to add."))
        self.partner_id._waas_check_not_blocked(
            self.company_id, self.env._("upgrade of %(contract)s", contract=self.name)
        )
        date_from = self._waas_first_uninvoiced()[self.id]
        if date_from > self.date_end:
            raise UserError(
                self.env._(
                    "Every month of contract %(contract)s is already invoiced: there is no "
                    "invoice period left for an upgrade.",
                    contract=self.name,
                )
            )
        tmpls = self.env["product.template"].browse([p.product_tmpl_id.id for p, _q in products])
        prices = self.env["waas.pricelist.item"]._get_price_items(
            tmpls, self.term_months, self.company_id
        )
        seats_left = self._waas_licence_targets()[self.id]
        vals_list = []
        for product, quantity in products:
            if product.waas_kind not in ("upgrade", "option"):
                raise UserError(
                    self.env._(
                        "%(product)s is not an upgrade or an option.", product=product.display_name
                    )
                )
            if quantity <= 0 or quantity != int(quantity):
                raise UserError(
                    self.env._("The quantity of an upgrade must be a positive whole number.")
                )
            item = prices.get(product.product_tmpl_id.id)
            if not item:
                raise UserError(
                    self.env._(
                        "%(product)s has no WaaS price for a %(term)s-month term in %(company)s.",
                        product=product.display_name,
                        term=self.term_months,
                        company=self.company_id.name,
                    )
                )
            replaced = product.waas_replaces_licence_id
            if replaced:
                needed = int(round(quantity * (product.waas_licence_seats or 1)))
                available = seats_left.get(replaced, 0)
                if needed > available:
                    raise UserError(
                        self.env._(
                            "%(product)s replaces %(licence)s: contract %(contract)s has "
                            "%(available)s seat(s) of it left to upgrade, not %(needed)s.",
                            product=product.display_name,
                            licence=replaced.display_name,
                            contract=self.name,
                            available=available,
                            needed=needed,
                        )
                    )
                seats_left[replaced] = available - needed
            vals_list.append(
                {
                    "contract_id": self.id,
                    "product_id": product.id,
                    "name": product.display_name,
                    "quantity": quantity,
                    "price_unit": item._get_monthly_price(
                        self.currency_id, self.company_id, fields.Date.context_today(self)
                    ),
                    "date_from": date_from,
                }
            )
        # sudo: contract lines are added only by the WaaS flow; the upgrade wizard checked
        # the group (WaaS User) and the state and limits were checked above.
        new_lines = self.env["waas.contract.line"].sudo().create(vals_list).sudo(False)
        self._waas_sync_licences()
        upgraded = ", ".join(
            f"{line.quantity:g} x {line.name} ({line.price_unit:.2f}/month)" for line in new_lines
        )
        self.message_post(
            body=self.env._(
                "Upgraded during the term: %(lines)s. Invoiced from %(date)s; the licence "
                "change was sent to the Cloud Marketplace.",
                lines=upgraded,
                date=format_date(self.env, date_from),
            )
        )
        self._on_upgraded(new_lines)
        return new_lines

    # ------------------------------------------------------------------ scheduled actions
    @api.model
    def _cron_waas_invoice_run(self, chunk_size=INVOICE_RUN_CHUNK_SIZE):
        """Scheduled action "WaaS: monthly invoice run", every company, up to today. One
        batch per call: it reports its progress and returns; Odoo's cron runner commits it
        and calls again while contracts remain, so a run stopped half-way loses at most one
        uncommitted batch and the next call continues. Row locks let a manual run go on at
        the same time. Returns the number of invoices created."""
        date = fields.Date.context_today(self)
        self._waas_retry_posting(limit=chunk_size)
        try:
            with self.env.cr.savepoint():
                ids, moves, remaining = self._waas_invoice_batch(date, limit=chunk_size)
        except pg_errors.SerializationFailure:
            # Another run committed some of these contracts after this transaction's
            # snapshot: nothing of the batch is kept; call again at once (new snapshot).
            self.env.invalidate_all(flush=False)
            self.env.ref("also_waas.waas_invoice_run_cron")._trigger()
            ids, moves = [], self.env["account.move"]
            remaining = self._waas_count_due(date)
        self.env["ir.cron"]._notify_progress(done=len(ids), remaining=remaining)
        _logger.info(
            "WaaS invoice run up to %s: %s contracts invoiced (%s invoices), %s remaining",
            date,
            len(ids),
            len(moves),
            remaining,
        )
        return len(moves)

    @api.model
    def _cron_waas_end_terminated(self, batch_size=500):
        """Scheduled action: the early terminations whose date has come take effect. One
        batch per call: the cron runner commits it and calls again while some remain."""
        today = fields.Date.context_today(self)
        domain = [("state", "=", "ending"), ("date_terminated", "<=", today)]
        contracts = self.search(domain, limit=batch_size, order="date_terminated, id")
        contracts._waas_end_terminated()
        remaining = self.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(contracts), remaining=remaining)
        _logger.info(
            "WaaS early terminations: %s took effect, %s remaining", len(contracts), remaining
        )
        return len(contracts)

    @api.model
    def _cron_waas_expire(self, batch_size=500):
        """Scheduled action: expire the active contracts whose end has passed. One batch
        per call: the cron runner commits it and calls again while some remain (a killed
        run continues with what is still active)."""
        today = fields.Date.context_today(self)
        domain = [("state", "=", "active"), ("date_end", "<", today)]
        contracts = self.search(domain, limit=batch_size, order="date_end, id")
        contracts._waas_expire()
        remaining = self.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(contracts), remaining=remaining)
        _logger.info("WaaS expiry: %s contract(s) expired, %s remaining", len(contracts), remaining)
        return len(contracts)

    # ------------------------------------------------------------------ portal
    # What the end customer and the reseller see and do on the contract in the portal.

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for contract in self:
            contract.access_url = f"/my/waas/contracts/{contract.id}"
        return res

    def _waas_portal_renewal_info(self):
        """(renewal possible, up to which date) as shown in the portal: 36 months in
        total at most and never beyond the earliest device warranty (date_max_end)."""
        self.ensure_one()
        limit = self.date_max_end
        return bool(self.state == "active" and limit and limit > self.date_end), limit

    def _waas_portal_renewal_options(self):
        """The renewals the end customer can ask for in the portal, each with the end it
        gives: [{"key": "12" | "24" | "max", "months": months added, "date_end": new end}].
        Empty when the contract cannot be renewed or a renewal quotation is open."""
        self.ensure_one()
        possible, limit = self._waas_portal_renewal_info()
        if not possible or self._waas_open_renewal_orders():
            return []
        warranty = self._waas_warranty_ends()
        options = []
        for key, months, date_end in (("12", 12, False), ("24", 24, False), ("max", 0, limit)):
            try:
                new_end, added = self._waas_renewal_end(months, date_end, warranty)
            except UserError:
                continue
            if any(option["date_end"] == new_end for option in options):
                continue
            options.append({"key": key, "months": added, "date_end": new_end})
        return options

    def _waas_portal_renew(self, key):
        """The end customer's *Renew* in the portal (``key`` from
        ``_waas_portal_renewal_options``): prepare the renewal quotation it signs next.
        The controller checked that the user is this contract's end customer."""
        self.ensure_one()
        option = next(
            (opt for opt in self._waas_portal_renewal_options() if opt["key"] == key), None
        )
        if not option:
            raise UserError(self.env._("This renewal is not possible for this contract."))
        if key == "max":
            return self._waas_create_renewal_orders(date_end=option["date_end"])
        return self._waas_create_renewal_orders(months=int(key))

    def _waas_portal_ending_soon(self, today=None):
        """True when the contract is active and ends within 90 days (a return is
        then to be booked)."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        return self.state == "active" and (self.date_end - today).days <= ENDING_SOON_DAYS
