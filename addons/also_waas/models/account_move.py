import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import SUPERUSER_ID, Command, api, fields, models
from odoo.exceptions import RedirectWarning, UserError, ValidationError
from odoo.tools import format_date

from ..tools import create_partial_unique_index

_logger = logging.getLogger(__name__)

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
        help="Why this WaaS invoice could not be posted: it stays in draft and the next "
        "daily invoice run tries again.",
    )
    waas_post_failed_on = fields.Date(string="WaaS Posting Failed On", readonly=True, copy=False)
    # How a posted WaaS invoice goes out: decided when it is posted, from its customer.
    waas_einvoice_channel = fields.Selection(
        selection=[
            ("peppol", "Peppol (BIS Billing 3.0 UBL)"),
            ("email", "E-mail (PDF and UBL)"),
        ],
        string="Sent By",
        readonly=True,
        copy=False,
        help="Peppol when the customer has a Peppol endpoint when the invoice is posted, "
        "otherwise e-mail.",
    )
    waas_einvoice_error = fields.Text(
        string="E-invoice Error",
        readonly=True,
        copy=False,
        help="Why the UBL (Peppol BIS Billing 3.0) of this invoice could not be generated.",
    )

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

    # ------------------------------------------------------------------ WaaS invoices
    # The one builder of every WaaS customer invoice (monthly, termination fee, pickup fee,
    # missing devices): the company's WaaS journal, created in batch, posted when the company
    # posts WaaS invoices (or always, when the caller says so); an invoice that cannot be
    # posted stays in draft with its reason, accounting gets an activity, and the daily
    # invoice run tries it again (``waas.contract._waas_retry_posting``).

    @api.model
    def _waas_invoice_journals(self, companies):
        """{company id: journal id} of the WaaS invoices (setting, else the first sales
        journal of the company); a clear error if a company has none."""
        result = {}
        missing = companies.filtered(lambda c: not c.waas_invoice_journal_id)
        result.update({c.id: c.waas_invoice_journal_id.id for c in companies - missing})
        if missing:
            # sudo: the builder reads the configuration of the companies it invoices.
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
                    self.env._(
                        "No sales journal for the WaaS invoices of %(companies)s: set one in "
                        "the WaaS settings.",
                        companies=", ".join(without.mapped("display_name")),
                    )
                )
        return result

    @api.model
    def _waas_create_and_post(self, vals_list, post=None):
        """Create the WaaS customer invoices ``vals_list`` (without journal) and post them
        as every WaaS invoice is: the WaaS journal of their company
        (``_waas_invoice_journals``), one batched create per company
        (``_waas_create_invoices``), posted when the company posts WaaS invoices at once
        (``post=True``: always) with ``_waas_post_isolated``, those that cannot be posted
        reported to accounting (``_waas_report_post_failures``). Returns the invoices."""
        if not vals_list:
            return self.browse()
        Company = self.env["res.company"]
        by_company = defaultdict(list)
        for vals in vals_list:
            by_company[vals["company_id"]].append(vals)
        journals = self._waas_invoice_journals(Company.browse(list(by_company)))
        moves = self.browse()
        for company_id, company_vals in by_company.items():
            moves |= self.with_company(company_id)._waas_create_invoices(
                [dict(vals, journal_id=journals[company_id]) for vals in company_vals]
            )
        to_post = moves if post else moves.filtered(lambda m: m.company_id.waas_invoice_auto_post)
        failed = to_post._waas_post_isolated()
        self._waas_report_post_failures(failed)
        return moves

    # ------------------------------------------------------------------ posting
    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._waas_einvoice_moves()._waas_set_einvoice_channel()
        return posted

    def _waas_einvoice_moves(self):
        """The WaaS invoices among these (those of a contract; the returns addon adds its
        pickup fees and missing-device charges): they go out as Peppol e-invoices."""
        return self.filtered("waas_contract_id")

    def _waas_set_einvoice_channel(self):
        """Peppol for the customers with a Peppol endpoint, e-mail for the others (two
        writes for the whole batch)."""
        peppol = self.filtered(lambda move: move.commercial_partner_id._waas_has_peppol_endpoint())
        if peppol:
            peppol.write({"waas_einvoice_channel": "peppol"})
        if self - peppol:
            (self - peppol).write({"waas_einvoice_channel": "email"})

    def _waas_export_ubl(self):
        """Generate the Peppol BIS Billing 3.0 UBL of these posted customer invoices and
        credit notes in one call (Odoo's ``account.edi.xml.ubl_bis3``) and attach it to each
        as Odoo's Send does (``ubl_cii_xml_id``); invoices that already have theirs are
        left alone. What the export refuses is kept on the invoice. Returns the invoices
        that have their UBL."""
        moves = self.filtered(
            lambda move: (
                move.state == "posted" and move.is_sale_document() and not move.ubl_cii_xml_id
            )
        )
        builder = self.env["account.edi.xml.ubl_bis3"]
        attachments_vals = []
        errors = {}
        for move in moves:
            xml_content, export_errors = builder._export_invoice(move)
            if export_errors:
                errors[move] = "\n".join(sorted(export_errors))
                continue
            attachments_vals.append(
                {
                    "name": builder._export_invoice_filename(move),
                    "raw": xml_content,
                    "mimetype": "application/xml",
                    "res_model": move._name,
                    "res_id": move.id,
                    "res_field": "ubl_cii_xml_file",
                }
            )
        # sudo: the attachment of a binary field of a posted invoice, created as Odoo's own
        # account.move.send creates it (as superuser) for whoever sends the invoice.
        self.env["ir.attachment"].sudo().create(attachments_vals)
        moves.invalidate_recordset(["ubl_cii_xml_id", "ubl_cii_xml_file"])
        failed = self.browse([move.id for move in errors])
        for move, error in errors.items():
            move.waas_einvoice_error = error
        done = moves - failed
        if done.filtered("waas_einvoice_error"):
            done.write({"waas_einvoice_error": False})
        return done

    def _waas_post_isolated(self):
        """Post these invoices as every WaaS invoice is: all at once in a savepoint; when
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

    def _waas_source_document(self):
        """The WaaS document this invoice bills (its contract here; the returns addon adds
        its returns): its chatter gets the reason when the invoice cannot be posted, and
        accounting an activity on it."""
        self.ensure_one()
        return self.waas_contract_id

    @api.model
    def _waas_accounting_user(self, company):
        """The user the activities about invoices go to: a billing administrator of the
        company, else the current user."""
        group = self.env.ref("account.group_account_manager", raise_if_not_found=False)
        # Group members are read as superuser (the job may run as a user without access
        # to user groups); only an id is taken.
        users = group.sudo().users if group else self.env["res.users"]
        user = users.filtered(
            lambda u: u.active and u.id != SUPERUSER_ID and company in u.company_ids
        )[:1]
        return user or self.env.user

    @api.model
    def _waas_report_post_failures(self, failed, known=()):
        """Tell accounting about the invoices left in draft (``failed``: {invoice: reason}):
        the reason in the chatter of each invoice's document (``_waas_source_document``),
        and an activity on each document where an invoice failed for the first time
        (``known``: invoices that had already failed), one batched ``activity_schedule``
        per model and company."""
        if not failed:
            return
        _logger.info(
            "WaaS invoices: %s invoice(s) could not be posted and stay in draft: %s",
            len(failed),
            ", ".join(f"{move.id}: {reason}" for move, reason in failed.items()),
        )
        by_document = defaultdict(list)
        for move, reason in failed.items():
            by_document[move._waas_source_document()].append((move, reason))
        today = fields.Date.context_today(self)
        for model in {document._name for document in by_document if document}:
            documents = self.env[model].browse(
                [document.id for document in by_document if document._name == model]
            )
            documents._message_log_batch(
                bodies={
                    document.id: Markup("<br/>").join(
                        self._waas_post_failure_message(move, reason)
                        for move, reason in by_document[document]
                    )
                    for document in documents
                }
            )
            first = documents.filtered(
                lambda d: any(move not in known for move, _reason in by_document[d])
            )
            for company, company_documents in first.grouped("company_id").items():
                company_documents.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=today,
                    summary=self.env._("WaaS invoice could not be posted"),
                    note=self.env._(
                        "An invoice of this document could not be posted and stays in draft: "
                        "the chatter gives the reason. Fix it and post the invoice, or let the "
                        "next daily invoice run try again."
                    ),
                    user_id=self._waas_accounting_user(company).id,
                )

    @api.model
    def _waas_post_failure_message(self, move, reason):
        if move.waas_period_start:
            return self.env._(
                "Invoice %(invoice)s (period from %(start)s) could not be posted and stays in "
                "draft: %(reason)s The next invoice run tries again.",
                invoice=move.display_name,
                start=format_date(self.env, move.waas_period_start),
                reason=reason,
            )
        return self.env._(
            "Invoice %(invoice)s could not be posted and stays in draft: %(reason)s The next "
            "invoice run tries again.",
            invoice=move.display_name,
            reason=reason,
        )

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
