"""Monthly invoicing of WaaS contracts: one customer invoice per contract and period.

Period ``k`` of a contract runs from ``date_start + k months`` to the day before
``date_start + (k + 1) months`` (always counted from ``date_start``, never chained, so month
ends and 29 February stay put). ``invoiced_periods`` counts the periods already invoiced and
``date_next_invoice`` is the start of the first period not invoiced yet; both are plain
stored fields written by the invoice run only.

The run selects due contracts chunk by chunk with ``SELECT ... FOR UPDATE SKIP LOCKED`` so
that several workers (even on several machines) can run at once without invoicing a
contract twice; the unique index on ``account_move (waas_contract_id, waas_period_start)``
is the safety net in the database.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from psycopg2 import errors as pg_errors

from odoo import Command, _, api, fields, models, modules
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

from .waas_contract import waas_check_group

_logger = logging.getLogger(__name__)

# Contracts per chunk: one batched invoice create and one commit per chunk.
INVOICE_RUN_CHUNK_SIZE = 500
# How often a chunk is retried when a concurrent run committed the same rows between our
# snapshot and our lock (REPEATABLE READ serialization failure).
INVOICE_RUN_MAX_RETRIES = 5
# No chatter message, no tracking and no follower on the invoices of a run.
NO_CHATTER_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}


class WaasContract(models.Model):
    # Split by concern (invoicing) from waas_contract.py, as the team layout asks.
    _inherit = "waas.contract"  # pylint: disable=consider-merging-classes-inherited

    # Contract line kinds that ALSO invoices every month.
    _waas_invoiced_kinds = ("bundle", "option", "upgrade")

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
        (
            "invoiced_periods_positive",
            "CHECK(invoiced_periods >= 0)",
            "The number of invoiced periods cannot be negative.",
        ),
    ]

    def init(self):
        res = super().init()
        # Contracts that existed before the invoicing schedule: start at their first period.
        self.env.cr.execute(
            "UPDATE waas_contract SET date_next_invoice = date_start"
            " WHERE date_next_invoice IS NULL AND COALESCE(invoiced_periods, 0) = 0"
        )
        return res

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
        for vals in vals_list:
            if not vals.get("date_next_invoice") and vals.get("date_start"):
                vals["date_next_invoice"] = vals["date_start"]
        return super().create(vals_list)

    def write(self, vals):
        res = super().write(vals)
        if "date_start" in vals and "date_next_invoice" not in vals:
            # Before the first invoice the schedule follows the start date.
            not_started = self.filtered(lambda c: not c.invoiced_periods)
            for date_start, contracts in not_started.grouped("date_start").items():
                contracts.write({"date_next_invoice": date_start})
        return res

    # ------------------------------------------------------------------ periods
    def _waas_period_bounds(self, index):
        """(start, end) of the period ``index`` (0 based) of this contract."""
        self.ensure_one()
        start = self.date_start + relativedelta(months=index)
        end = self.date_start + relativedelta(months=index + 1) - timedelta(days=1)
        return start, end

    def _waas_invoice_end_date(self):
        """Last day that may start an invoiced period (override to stop earlier)."""
        self.ensure_one()
        return self.date_end

    # ------------------------------------------------------------------ hooks
    @api.model
    def _get_contracts_to_invoice_domain(self, date, companies=None):
        """Domain of the contracts with a period starting on or before ``date``.

        The run adds ``date_next_invoice <= date_end`` (a comparison of two columns) and
        takes row locks itself. Terminated contracts are not invoiced monthly any more: the
        early-termination invoice covers the rest.
        """
        domain = [
            ("state", "in", ("active", "expired")),
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
        if line.waas_kind not in self._waas_invoiced_kinds:
            return False
        if line.date_from and line.date_from > period_start:
            return False
        sale_line = line.sale_line_id
        return not (sale_line and "is_delivery" in sale_line._fields and sale_line.is_delivery)

    def _waas_prepare_invoice_line_vals(self, line, period_start, period_end):
        """Values of the invoice line of contract ``line`` for one period."""
        self.ensure_one()
        lang = self.partner_id.lang
        label = _(
            "%(line)s, %(start)s to %(end)s",
            line=line.name,
            start=format_date(self.env, period_start, lang_code=lang),
            end=format_date(self.env, period_end, lang_code=lang),
        )
        return {
            "product_id": line.product_id.id,
            "name": label,
            "quantity": line.quantity,
            "price_unit": line.price_unit,
        }

    def _waas_prepare_invoice_vals(self, period_start, period_end):
        """Values of the customer invoice of this contract for one period (in advance:
        dated on the first day of the period), or ``None`` if nothing is billable."""
        self.ensure_one()
        lines = self.line_ids.filtered(lambda ln: self._waas_line_is_invoiced(ln, period_start))
        if not lines:
            return None
        journals = self.env.context.get("waas_invoice_journals") or {}
        journal_id = journals.get(self.company_id.id) or self._waas_invoice_journals(
            self.company_id
        ).get(self.company_id.id)
        return {
            "move_type": "out_invoice",
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "journal_id": journal_id,
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
                Command.create(self._waas_prepare_invoice_line_vals(line, period_start, period_end))
                for line in lines
            ],
        }

    @api.model
    def _waas_invoice_journals(self, companies):
        """{company id: journal id} of the monthly invoices (setting, else the first sales
        journal of the company); a clear error if a company has none."""
        result = {}
        missing = companies.filtered(lambda c: not c.waas_invoice_journal_id)
        result.update({c.id: c.waas_invoice_journal_id.id for c in companies - missing})
        if missing:
            # sudo: the run reads the configuration of the companies it invoices.
            journals = (
                self.env["account.journal"]
                .sudo()
                .search(
                    [("type", "=", "sale"), ("company_id", "in", missing.ids)],
                    order="sequence, id",
                )
            )
            for journal in journals:
                result.setdefault(journal.company_id.id, journal.id)
            without = missing.filtered(lambda c: c.id not in result)
            if without:
                raise UserError(
                    _(
                        "No sales journal for the WaaS invoices of %(companies)s: set one in "
                        "the WaaS settings.",
                        companies=", ".join(without.mapped("display_name")),
                    )
                )
        return result

    # ------------------------------------------------------------------ the run
    def _waas_due_query(self, date, companies, exclude_ids=(), domain=None):
        # The query is run as raw SQL (row locks): pending ORM writes must be in the table.
        self.flush_model()
        domain = self._get_contracts_to_invoice_domain(date, companies) + list(domain or [])
        query = self._search(domain, order="id")
        table = query.table
        query.add_where(
            SQL(
                "%s <= %s",
                SQL.identifier(table, "date_next_invoice"),
                SQL.identifier(table, "date_end"),
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
        """Invoice every due period up to ``date`` of these (locked) contracts: one batched
        create, a batched post if the company posts at once, and one write per distinct new
        schedule. Returns the invoices."""
        if not self:
            return self.env["account.move"]
        journals = self._waas_invoice_journals(self.company_id)
        contracts = self.with_context(waas_invoice_journals=journals)
        vals_list = []
        schedule = defaultdict(list)
        for contract in contracts:
            index = contract.invoiced_periods
            start, end = contract._waas_period_bounds(index)
            # Someone moved the schedule forward (e.g. an early termination): follow it.
            while contract.date_next_invoice and start < contract.date_next_invoice:
                index += 1
                start, end = contract._waas_period_bounds(index)
            limit = min(date, contract._waas_invoice_end_date())
            while start <= limit:
                vals = contract._waas_prepare_invoice_vals(start, end)
                if vals:
                    vals_list.append(vals)
                index += 1
                start, end = contract._waas_period_bounds(index)
            schedule[(index, start)].append(contract.id)
        moves = (
            self.env["account.move"]
            .with_context(**NO_CHATTER_CONTEXT, default_move_type="out_invoice")
            ._waas_create_invoices(vals_list)
        )
        to_post = moves.filtered(lambda m: m.company_id.waas_invoice_auto_post)
        if to_post:
            to_post._post(soft=False)
        for (index, next_start), ids in schedule.items():
            # sudo: the schedule is a guarded field written only by the run (scheduled
            # action, or the invoice run wizard after its group and company checks).
            self.browse(ids).sudo().with_context(**NO_CHATTER_CONTEXT).write(
                {"invoiced_periods": index, "date_next_invoice": next_start}
            )
        return moves

    @api.model
    def _waas_invoice_run(
        self, date=None, companies=None, chunk_size=INVOICE_RUN_CHUNK_SIZE, domain=None
    ):
        """Invoice every due contract period up to ``date`` (default today) for
        ``companies`` (default all; ``domain`` narrows the contracts), chunk by chunk.
        Outside tests each chunk is committed, so a run stopped half-way resumes where it
        stopped; concurrent runs share the work through row locks. Returns the invoices
        created by this run."""
        date = fields.Date.to_date(date) or fields.Date.context_today(self)
        # No commit in tests, nor while modules are loading (demo data calls the run).
        testing = modules.module.current_test or not self.env.registry.ready
        cr = self.env.cr
        processed = set()
        move_ids = []
        done = retries = 0
        while True:
            try:
                ids = self._waas_lock_due_contract_ids(
                    date, companies, chunk_size, processed, domain
                )
                if not ids:
                    break
                moves = self.browse(ids)._waas_invoice_chunk(date)
                remaining = self._waas_count_due(date, companies, processed.union(ids), domain)
            except pg_errors.SerializationFailure:
                # Another run committed some of these contracts after our snapshot was
                # taken: start a new transaction and select again.
                if testing or retries >= INVOICE_RUN_MAX_RETRIES:
                    raise
                retries += 1
                cr.rollback()
                self.env.invalidate_all(flush=False)
                continue
            retries = 0
            processed.update(ids)
            move_ids += moves.ids
            done += len(ids)
            self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
            if not testing:
                # Commit each chunk: its invoices and schedules are final, a crash later
                # loses nothing and the next run resumes after it.
                cr.commit()  # pylint: disable=invalid-commit
            # Keep memory flat whatever the number of contracts.
            self.env.invalidate_all()
            _logger.info(
                "WaaS invoice run up to %s: %s contracts done, %s remaining, %s invoices",
                date,
                done,
                remaining,
                len(move_ids),
            )
        return self.env["account.move"].browse(move_ids)

    @api.model
    def _cron_waas_invoice_run(self):
        """Scheduled action "WaaS: monthly invoice run": every company, up to today."""
        self._waas_invoice_run()

    # ------------------------------------------------------------------ actions
    def action_view_invoices(self):
        """Smart button "Invoices": the customer invoices of the contract."""
        waas_check_group(self.env, "base.group_user")
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("waas_contract_id", "=", self.id)]
        action["context"] = {
            "default_move_type": "out_invoice",
            "create": False,
        }
        return action
