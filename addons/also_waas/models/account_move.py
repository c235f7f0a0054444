from collections import defaultdict

from odoo import Command, api, fields, models

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
