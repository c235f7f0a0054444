from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import RedirectWarning, UserError, ValidationError

from ..tools import create_partial_unique_index

# At most one live invoice per contract and period: the database refuses a second one.
WAAS_PERIOD_INDEX = "account_move_waas_contract_period_unique"

# Fields of an invoice that, with its product lines, decide every journal item Odoo computes
# for it (accounts, taxes and tax lines, currency amounts, receivable instalments).
WAAS_ALIKE_MOVE_FIELDS = (
    "move_type",
    "company_id",
    "journal_id",
    "currency_id",
    "invoice_date",
    "date",
    "fiscal_position_id",
    "invoice_payment_term_id",
    "invoice_cash_rounding_id",
)
# What is copied from the journal items of the first invoice of a shape to the others; the
# partner, and the receivable account of the instalment lines, are the invoice's own.
WAAS_ALIKE_LINE_FIELDS = (
    "display_type",
    "sequence",
    "name",
    "product_id",
    "product_uom_id",
    "quantity",
    "price_unit",
    "discount",
    "account_id",
    "tax_ids",
    "tax_repartition_line_id",
    "tax_tag_ids",
    "tax_base_amount",
    "group_tax_id",
    "balance",
    "amount_currency",
    "currency_id",
    "date_maturity",
    "analytic_distribution",
)


class AccountMove(models.Model):
    _inherit = "account.move"

    waas_contract_id = fields.Many2one(
        comodel_name="waas.contract",
        string="WaaS Contract",
        readonly=True,
        index="btree_not_null",
        copy=False,
    )
    waas_period_start = fields.Date(string="WaaS Period Start", readonly=True, copy=False)
    waas_period_end = fields.Date(string="WaaS Period End", readonly=True, copy=False)
    waas_post_error = fields.Text(
        string="WaaS Posting Error",
        readonly=True,
        copy=False,
        help="Why the monthly invoice run could not post this invoice: it stays in draft and "
        "the next run tries again.",
    )
    waas_post_failed_on = fields.Date(string="WaaS Posting Failed On", readonly=True, copy=False)

    def init(self):
        res = super().init()
        create_partial_unique_index(
            self.env.cr,
            WAAS_PERIOD_INDEX,
            self._table,
            ["waas_contract_id", "waas_period_start"],
            where="waas_contract_id IS NOT NULL AND state != 'cancel'",
        )
        return res

    # ------------------------------------------------------------------ schedule
    # The invoice schedule of a contract follows its live monthly invoices: cancelling or
    # deleting one makes its period due again (the next run invoices it).

    def _waas_monthly(self):
        """The monthly WaaS invoices among these moves."""
        return self.filtered(lambda m: m.waas_contract_id and m.waas_period_start)

    def _waas_freed_periods(self):
        """{contract id: period starts} of these monthly invoices."""
        freed = defaultdict(list)
        for move in self._waas_monthly():
            freed[move.waas_contract_id.id].append(move.waas_period_start)
        return freed

    def _waas_check_fee_counted(self):
        """Once an early termination is recorded, its fee counted on the monthly invoices
        that bill days from the termination date on: cancelling or deleting one of them would
        leave those days billed by nobody. Accounting credits them instead."""
        # sudo: the check reads the contract's termination date, whoever cancels the invoice.
        counted = (
            self._waas_monthly()
            .sudo()
            .filtered(
                lambda m: (
                    m.state != "cancel"
                    and m.waas_contract_id.date_terminated
                    and (m.waas_period_end or m.waas_period_start)
                    >= m.waas_contract_id.date_terminated
                )
            )
        )
        if counted:
            raise UserError(
                self.env._(
                    "Invoice %(invoice)s bills days of contract %(contract)s from its "
                    "termination date on, which its termination fee counted as billed: it "
                    "cannot be cancelled or deleted. Issue a credit note instead.",
                    invoice=counted[0].display_name,
                    contract=counted[0].waas_contract_id.name,
                )
            )

    def button_cancel(self):
        monthly = self._waas_monthly()
        monthly._waas_check_fee_counted()
        freed = monthly._waas_freed_periods()
        res = super().button_cancel()
        monthly.waas_contract_id._waas_sync_schedule(freed)
        return res

    def button_draft(self):
        monthly = self._waas_monthly()
        cancelled = monthly.filtered(lambda m: m.state == "cancel")
        if cancelled:
            # sudo: the check reads the contract's other invoices, whoever resets this one.
            taken = {
                (contract.id, fields.Date.to_date(start))
                for contract, start in self.sudo()._read_group(
                    [
                        ("id", "not in", cancelled.ids),
                        ("state", "!=", "cancel"),
                        ("waas_contract_id", "in", cancelled.waas_contract_id.ids),
                        ("waas_period_start", "in", cancelled.mapped("waas_period_start")),
                    ],
                    ["waas_contract_id", "waas_period_start:day"],
                )
            }
            if any((m.waas_contract_id.id, m.waas_period_start) in taken for m in cancelled):
                raise UserError(
                    self.env._(
                        "This WaaS period was invoiced again after the invoice was cancelled: "
                        "the cancelled invoice cannot be reset to draft."
                    )
                )
        res = super().button_draft()
        if cancelled:
            monthly.waas_contract_id._waas_sync_schedule()
        return res

    def unlink(self):
        monthly = self._waas_monthly()
        monthly._waas_check_fee_counted()
        contracts, freed = monthly.waas_contract_id, monthly._waas_freed_periods()
        res = super().unlink()
        contracts._waas_sync_schedule(freed)
        return res

    # ------------------------------------------------------------------ posting
    def _waas_post_isolated(self):
        """Post these invoices as the monthly run does: all at once in a savepoint; when
        that fails, each in its own savepoint, so that one invoice that cannot be posted
        stays in draft and the others post. The reason is kept on the invoice (and cleared
        once it posts). Returns {invoice: reason} of those left in draft."""
        if not self:
            return {}
        failed = {}
        try:
            with self.env.cr.savepoint():
                self._post(soft=False)
        except (UserError, ValidationError, RedirectWarning):
            for move in self:
                try:
                    with self.env.cr.savepoint():
                        move._post(soft=False)
                except (UserError, ValidationError, RedirectWarning) as error:
                    failed[move] = str(error.args[0]) if error.args else repr(error)
        today = fields.Date.context_today(self)
        for move, reason in failed.items():
            move.with_context(tracking_disable=True).write(
                {"waas_post_error": reason, "waas_post_failed_on": today}
            )
        posted = self.filtered(lambda m: m not in failed and m.waas_post_error)
        if posted:
            posted.write({"waas_post_error": False, "waas_post_failed_on": False})
        return failed

    # ------------------------------------------------------------------ batch creation
    def _waas_alike_key(self, line_commands):
        """The shape of this invoice: invoices of one shape get the same journal items.
        ``None`` when its lines are not plain ``Command.create`` values (no sharing)."""
        self.ensure_one()
        lines = []
        for command in line_commands:
            if command[0] != Command.CREATE or not isinstance(command[2], dict):
                return None
            try:
                lines.append(tuple(sorted(command[2].items())))
                hash(lines[-1])
            except TypeError:
                return None
        header = tuple(
            self[fname].id if self._fields[fname].relational else self[fname]
            for fname in WAAS_ALIKE_MOVE_FIELDS
        )
        partner = ()
        if self.env.context.get("waas_alike_per_partner"):
            partner = (self.commercial_partner_id.id,)
        return (header, partner, tuple(lines))

    @api.model
    def _waas_create_invoices(self, vals_list):
        """Create the invoices ``vals_list`` (``invoice_line_ids`` as ``Command.create``)
        in batch, like ``create`` would, at a fraction of its cost.

        Odoo computes the journal items of each invoice (accounts, tax lines, receivable
        instalments, currency amounts) one invoice at a time, and that is most of the time
        of a monthly run. Monthly WaaS invoices repeat the same lines for thousands of end
        customers: the first invoice of each shape (same company, journal, currency, dates,
        fiscal position, payment terms and product lines) gets its journal items computed by
        Odoo as usual, the others get a copy of them (with their own partner and receivable
        account) without recomputing them; Odoo still checks that every invoice balances.
        Analytic distribution models that match on partners make every invoice its own
        shape."""
        if not vals_list:
            return self.browse()
        headers, line_commands = [], []
        for vals in vals_list:
            vals = dict(vals)
            line_commands.append(vals.pop("invoice_line_ids", []))
            headers.append(vals)
        moves = self.create(headers)
        Model = self.env["account.analytic.distribution.model"].sudo()
        per_partner = bool(
            Model.search_count(
                ["|", ("partner_id", "!=", False), ("partner_category_id", "!=", False)], limit=1
            )
        )
        shapes = defaultdict(list)
        for move, commands in zip(
            moves.with_context(waas_alike_per_partner=per_partner), line_commands, strict=True
        ):
            key = move._waas_alike_key(commands)
            shapes[key if key is not None else ("single", move.id)].append((move, commands))
        # Odoo's own computation of the journal items, once per shape (in one batch).
        first_vals = [
            dict(command[2], move_id=group[0][0].id, display_type="product")
            for group in shapes.values()
            for command in group[0][1]
        ]
        if first_vals:
            self.env["account.move.line"].create(first_vals)
        copy_vals = []
        for group in shapes.values():
            first = group[0][0]
            if len(group) == 1:
                continue
            template = []
            for line in first.line_ids.sorted(lambda ln: (ln.sequence, ln.id)):
                vals = {
                    fname: line._fields[fname].convert_to_write(line[fname], line)
                    for fname in WAAS_ALIKE_LINE_FIELDS
                }
                if line.display_type == "payment_term":
                    del vals["account_id"]  # the invoice's own receivable account
                template.append(vals)
            for move, _commands in group[1:]:
                copy_vals.extend(dict(vals, move_id=move.id) for vals in template)
        if copy_vals:
            self.env["account.move.line"].with_context(
                skip_invoice_sync=True, skip_invoice_line_sync=True
            ).create(copy_vals)
        return moves
