import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, Command, api, fields, models
from odoo.exceptions import AccessError, RedirectWarning, UserError, ValidationError
from odoo.tools import SQL, format_date, mute_logger, split_every

from ..tools import create_partial_unique_index

_logger = logging.getLogger(__name__)

# Invoices sent per call of the scheduled action "WaaS: send invoices" (PDFs rendered in one
# Chromium print job, UBL exported in one call, mails queued in one create).
WAAS_SEND_CHUNK_SIZE = 200
# A failed send is tried again by the scheduled action after this long.
WAAS_SEND_RETRY_DELAY = timedelta(days=1)

# Invoices posted together by ``_waas_post_isolated`` (each chunk in its own savepoint, the ORM
# cache emptied after it): posting many invoices in one call costs more per invoice the more
# there are (see the README, "Performance"); per chunk it stays linear.
WAAS_POST_CHUNK_SIZE = 200

# The reason and date fields of a posting ("post") and a sending ("send") failure.
WAAS_FAILURE_FIELDS = {
    "post": ("waas_post_error", "waas_post_failed_on"),
    "send": ("waas_send_error", "waas_send_failed_on"),
}

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
    _name = "account.move"  # needed with two parents (else a new model would be made)
    _inherit = ["account.move", "waas.guard.mixin"]
    # How a WaaS invoice was posted and sent changes only through the posting, the scheduled
    # sending, Retry Sending and Odoo's Send (waas.guard.mixin): nobody marks an invoice sent
    # or clears its error by editing it.
    _waas_guarded_fields = frozenset(
        {
            "waas_post_error",
            "waas_post_failed_on",
            "waas_einvoice_channel",
            "waas_einvoice_error",
            "waas_send_state",
            "waas_sent_on",
            "waas_send_error",
            "waas_send_failed_on",
        }
    )

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
    # Sending at volume: set to "to send" when a WaaS invoice is posted; the scheduled action
    # "WaaS: send invoices" sends it once (``_cron_waas_send_invoices``).
    waas_send_state = fields.Selection(
        selection=[("to_send", "To Send"), ("sent", "Sent"), ("error", "Sending Failed")],
        string="WaaS Sending",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help='To Send: the scheduled action "WaaS: send invoices" sends this invoice (by '
        "Peppol or e-mail, see Sent By). Sending Failed: it tries again a day later.",
    )
    waas_sent_on = fields.Datetime(string="Sent On", readonly=True, copy=False)
    waas_send_error = fields.Text(string="Sending Error", readonly=True, copy=False)
    waas_send_failed_on = fields.Datetime(string="Sending Failed On", readonly=True, copy=False)

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

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        # The guard (waas.guard.mixin) refuses writing the posting and sending fields; an
        # invoice is not created already marked sent or failed either.
        given = {
            name
            for vals in vals_list
            for name, value in vals.items()
            if value and name in self._waas_guarded_fields
        }
        if given and not self.env.su:
            raise AccessError(
                self.env._(
                    "%(fields)s of an invoice are set only by its posting and sending, not "
                    "when it is created.",
                    fields=", ".join(
                        sorted(self._fields[name]._description_string(self.env) for name in given)
                    ),
                )
            )
        return super().create(vals_list)

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
        waas_moves = posted._waas_einvoice_moves()
        waas_moves._waas_set_einvoice_channel()
        waas_moves._waas_queue_sending()
        return posted

    def _waas_einvoice_moves(self):
        """The WaaS invoices among these (those of a contract; the returns addon adds its
        pickup fees and missing-device charges): they go out as Peppol e-invoices."""
        return self.filtered("waas_contract_id")

    def _waas_set_einvoice_channel(self):
        """Peppol for the customers with a Peppol endpoint, e-mail for the others (two
        writes for the whole batch)."""
        peppol = self.filtered(lambda move: move.commercial_partner_id._waas_has_peppol_endpoint())
        # sudo: the channel is guarded (waas.guard.mixin); the posting sets it, whoever posts.
        if peppol:
            peppol.sudo().write({"waas_einvoice_channel": "peppol"})
        if self - peppol:
            (self - peppol).sudo().write({"waas_einvoice_channel": "email"})

    def _waas_export_ubl(self):
        """Generate the Peppol BIS Billing 3.0 UBL of these posted customer invoices and
        credit notes in one call (Odoo's ``account.edi.xml.ubl_bis3``) and attach it to each
        as Odoo's Send does (``ubl_cii_xml_id``); invoices that already have theirs are
        left alone. An invoice that has its PDF gets it embedded in the UBL
        (``cac:AdditionalDocumentReference``, by Odoo's own
        ``account.move.send._postprocess_invoice_ubl_xml``), as Odoo's Send does. What the
        export refuses is kept on the invoice. Returns the invoices that have their UBL."""
        moves = self.filtered(
            lambda move: (
                move.state == "posted" and move.is_sale_document() and not move.ubl_cii_xml_id
            )
        )
        builder = self.env["account.edi.xml.ubl_bis3"]
        Send = self.env["account.move.send"]
        attachments_vals = []
        errors = {}
        for move in moves:
            xml_content, export_errors = builder._export_invoice(move)
            if export_errors:
                errors[move] = "\n".join(sorted(export_errors))
                continue
            vals = {
                "name": builder._export_invoice_filename(move),
                "raw": xml_content,
                "mimetype": "application/xml",
                "res_model": move._name,
                "res_id": move.id,
                "res_field": "ubl_cii_xml_file",
            }
            if move.invoice_pdf_report_id:
                # The PDF in the UBL, as Odoo's Send embeds it (it updates vals["raw"]).
                Send._postprocess_invoice_ubl_xml(
                    move,
                    {
                        "ubl_cii_xml_attachment_values": vals,
                        "ubl_cii_xml_options": {"ubl_cii_format": "ubl_bis3", "builder": builder},
                    },
                )
            attachments_vals.append(vals)
        # sudo: the attachment of a binary field of a posted invoice, created as Odoo's own
        # account.move.send creates it (as superuser) for whoever sends the invoice.
        self.env["ir.attachment"].sudo().create(attachments_vals)
        moves.invalidate_recordset(["ubl_cii_xml_id", "ubl_cii_xml_file"])
        failed = self.browse([move.id for move in errors])
        # sudo: the e-invoice error is guarded (waas.guard.mixin); only the export sets it.
        for move, error in errors.items():
            move.sudo().waas_einvoice_error = error
        done = moves - failed
        if done.filtered("waas_einvoice_error"):
            done.sudo().write({"waas_einvoice_error": False})
        return done

    # ------------------------------------------------------------------ sending
    # Every posted WaaS invoice is sent once, in batches, by the scheduled action "WaaS: send
    # invoices": its PDF (Odoo's batch rendering of account.move.send, one Chromium print job
    # per batch), its UBL (``_waas_export_ubl``), then Peppol (account_peppol's transport) or
    # one e-mail with both attached (Odoo's invoice mail template, mails queued in one create).

    def _waas_queue_sending(self):
        """Queue these posted WaaS invoices for the scheduled sending; an invoice already
        sent is not sent again when it is posted again (accounting uses Odoo's Send)."""
        to_queue = self.filtered(lambda move: move.waas_send_state != "sent")
        if to_queue:
            # sudo: the sending state is guarded (waas.guard.mixin); the posting queues the
            # invoice, whoever posts it.
            to_queue.sudo().write({"waas_send_state": "to_send"})
            # Sending starts soon after posting, not at the next daily call.
            cron = self.env.ref("also_waas.waas_invoice_send_cron", raise_if_not_found=False)
            if cron:
                cron._trigger()

    def action_waas_retry_sending(self):
        """Button "Retry Sending" on an invoice whose sending failed: the scheduled action
        sends it again at its next call (started now)."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise UserError(self.env._("Only billing users may send invoices again."))
        failed = self.filtered(lambda move: move.waas_send_state == "error")
        if not failed:
            raise UserError(self.env._("Only invoices whose sending failed can be sent again."))
        # sudo: the sending state is guarded (waas.guard.mixin); a billing user (checked
        # above) queues a failed invoice again.
        failed.sudo().write({"waas_send_state": "to_send"})
        self.env.ref("also_waas.waas_invoice_send_cron")._trigger()
        return True

    @api.model
    def _cron_waas_send_invoices(self, chunk_size=WAAS_SEND_CHUNK_SIZE):
        """Scheduled action "WaaS: send invoices": one batch per call. Failed sendings of
        more than a day ago are queued again; at most ``chunk_size`` invoices to send are
        locked (``FOR UPDATE SKIP LOCKED``: a second worker takes other invoices, and an
        invoice is marked sent in the transaction that sends it, so none goes out twice),
        sent, and the progress reported; Odoo's cron runner commits and calls again while
        invoices remain. Returns the number of invoices handled."""
        self._waas_requeue_failed_sending()
        try:
            with self.env.cr.savepoint():
                moves = self._waas_lock_to_send(chunk_size)
        except pg_errors.SerializationFailure:
            # A second worker sent some of these invoices after this transaction's
            # snapshot: send nothing now, and call again at once (new snapshot).
            self.env.ref("also_waas.waas_invoice_send_cron")._trigger()
            moves = self.browse()
        errors = moves._waas_send()
        remaining = self.search_count(
            [("waas_send_state", "=", "to_send"), ("state", "=", "posted")]
        )
        self.env["ir.cron"]._notify_progress(done=len(moves), remaining=remaining)
        _logger.info(
            "WaaS sending: %s invoice(s) sent, %s failed, %s remaining",
            len(moves) - len(errors),
            len(errors),
            remaining,
        )
        return len(moves)

    @api.model
    def _waas_requeue_failed_sending(self):
        """Queue again the invoices whose sending failed more than a day ago (one write)."""
        failed = self.search(
            [
                ("waas_send_state", "=", "error"),
                ("state", "=", "posted"),
                ("waas_send_failed_on", "<", fields.Datetime.now() - WAAS_SEND_RETRY_DELAY),
            ]
        )
        if failed:
            # sudo: the sending state is guarded (waas.guard.mixin); the scheduled sending
            # queues its own failures again.
            failed.sudo().write({"waas_send_state": "to_send"})

    @api.model
    def _waas_lock_to_send(self, limit):
        """Lock at most ``limit`` posted invoices to send, oldest first; those another
        transaction has locked are skipped."""
        self.flush_model(["waas_send_state", "state"])
        # An invoice a second worker sent and committed after this transaction's snapshot
        # raises a serialization failure, which the scheduled sending expects (the runner
        # calls it again): Odoo's SQL layer would log it as an ERROR.
        with mute_logger("odoo.sql_db"):
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM account_move WHERE waas_send_state = 'to_send' "
                    "AND state = 'posted' ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                    limit,
                )
            )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _waas_send(self):
        """Send these posted WaaS invoices (PDF and UBL generated in batch, then Peppol or
        e-mail by ``waas_einvoice_channel``), mark those sent in one write and those that
        failed with their reason (``_waas_report_send_failures``). Returns {invoice:
        reason} of those that failed."""
        errors = {}
        for company, moves in self.grouped("company_id").items():
            moves = moves.with_company(company)
            errors.update(moves._waas_prepare_documents())
            ready = moves.filtered(lambda m, errors=errors: m not in errors)
            peppol = ready.filtered(lambda m: m.waas_einvoice_channel == "peppol")
            errors.update(peppol._waas_send_peppol())
            errors.update((ready - peppol)._waas_send_email())
        self.filtered(lambda m: m not in errors)._waas_mark_sent()
        self._waas_report_send_failures(errors)
        return errors

    def _waas_prepare_documents(self):
        """Give these posted invoices (of one company) the documents the sending sends: the
        PDF (``_waas_render_pdfs``, one print job), then the UBL with that PDF embedded
        (``_waas_export_ubl``). ``make einvoice-check`` validates what this makes. Returns
        {invoice: reason} of those that have no PDF or no UBL."""
        errors = self._waas_render_pdfs()
        with_pdf = self.filtered(lambda m: m not in errors)
        with_pdf._waas_export_ubl()
        for move in with_pdf.filtered(lambda m: not m.ubl_cii_xml_id):
            errors[move] = move.waas_einvoice_error or self.env._(
                "The e-invoice (UBL) could not be generated."
            )
        return errors

    def _waas_mark_sent(self):
        """Mark these invoices sent now (one write): the scheduled sending never sends them
        again."""
        if self:
            # sudo: the sending fields are guarded (waas.guard.mixin); only the sending (ours,
            # or Odoo's Send) marks an invoice sent.
            self.sudo().write(
                {
                    "waas_send_state": "sent",
                    "waas_sent_on": fields.Datetime.now(),
                    "waas_send_error": False,
                    "waas_send_failed_on": False,
                }
            )

    def _waas_render_pdfs(self):
        """Give these invoices (of one company) their PDF as Odoo's Send does, in one
        rendering: ``account.move.send._prepare_invoice_pdf_report`` renders the batch and
        splits it per invoice, ``_link_invoice_documents`` attaches each. When the batch
        fails, each invoice is rendered alone. Returns {invoice: reason} of the failures."""
        to_render = self.filtered(lambda move: not move.invoice_pdf_report_id)
        if len(to_render) > 1:
            try:
                with self.env.cr.savepoint():
                    to_render._waas_render_pdf_batch()
                return {}
            except Exception:  # noqa: BLE001 (rendered one by one below, errors kept)
                _logger.warning("WaaS sending: the batch PDF failed, one by one", exc_info=True)
        errors = {}
        for move in to_render:
            try:
                with self.env.cr.savepoint():
                    move._waas_render_pdf_batch()
            except Exception as error:  # noqa: BLE001 (a renderer error of any kind)
                errors[move] = self.env._("The PDF could not be generated: %(error)s", error=error)
        return errors

    def _waas_render_pdf_batch(self):
        Send = self.env["account.move.send"]
        invoices_data = {
            move: {"pdf_report": Send._get_default_pdf_report_id(move)} for move in self
        }
        Send._prepare_invoice_pdf_report(invoices_data)
        Send._link_invoice_documents(invoices_data)

    def _waas_send_peppol(self):
        """Send these invoices (of one company, with their UBL) through account_peppol's
        transport, in one call to the Peppol access point. Returns {invoice: reason} of
        those that failed (a company not registered on Peppol: all)."""
        if not self:
            return {}
        company = self.company_id
        can_send = self.env["account_edi_proxy_client.user"]._get_can_send_domain()
        if company.account_peppol_proxy_state not in can_send:
            reason = self.env._(
                "The company %(company)s is not registered on Peppol: register it in the "
                "Invoicing settings (Peppol) and send the invoice again.",
                company=company.display_name,
            )
            return dict.fromkeys(self, reason)
        invoices_data = {
            move: {"sending_methods": {"peppol"}, "invoice_edi_format": "ubl_bis3"} for move in self
        }
        # account_peppol's transport (it also sets peppol_move_state and logs on each
        # invoice); ``waas_no_commit``: no commit inside the scheduled action's batch.
        self.env["account.move.send"].with_context(
            waas_no_commit=True
        )._call_web_service_after_invoice_pdf_render(invoices_data)
        errors = {
            move: str(data["error"]) for move, data in invoices_data.items() if data.get("error")
        }
        # The transport skips, without an error, what it does not apply to: only invoices
        # the access point took count as sent.
        for move in self.filtered(
            lambda m: m not in errors and m.peppol_move_state not in ("processing", "done")
        ):
            errors[move] = self.env._("The Peppol access point did not take the invoice.")
        return errors

    def _waas_send_email(self):
        """Queue one e-mail per invoice to its customer with its PDF and UBL attached,
        from Odoo's invoice mail template rendered for the whole batch, the mails created
        in one call (the mail queue sends them). Returns {invoice: reason} of those that
        cannot be e-mailed."""
        if not self:
            return {}
        errors = {}
        template = self.env.ref("account.email_template_edi_invoice")
        rendered = template._generate_template(
            self.ids, ("subject", "body_html", "email_from", "partner_to", "mail_server_id")
        )
        mails_vals = []
        for move in self:
            values = rendered[move.id]
            recipients = self.env["res.partner"].browse(values.get("partner_ids", []))
            if not recipients.filtered("email"):
                errors[move] = self.env._(
                    "The customer %(partner)s has no e-mail address: the invoice cannot be "
                    "e-mailed.",
                    partner=move.partner_id.display_name,
                )
                continue
            mails_vals.append(
                {
                    "subject": values.get("subject"),
                    "body_html": values.get("body_html"),
                    "email_from": values.get("email_from"),
                    "mail_server_id": values.get("mail_server_id"),
                    "recipient_ids": [Command.set(recipients.ids)],
                    "model": move._name,
                    "res_id": move.id,
                    "message_type": "email_outgoing",
                    "auto_delete": template.auto_delete,
                    "attachment_ids": [
                        Command.set((move.invoice_pdf_report_id | move.ubl_cii_xml_id).ids)
                    ],
                }
            )
        if mails_vals:
            # sudo: the scheduled job queues the mails of the invoices it sends, as Odoo's
            # Send does through message_post for whoever sends an invoice.
            self.env["mail.mail"].sudo().create(mails_vals)
        return errors

    # ------------------------------------------------------------------ failures
    # An invoice that cannot be posted (it stays in draft) or sent keeps the reason and the
    # date on itself, and accounting hears of it once: one helper for both,
    # ``_waas_report_failures``.

    @api.model
    def _waas_report_send_failures(self, errors):
        """Mark the invoices that could not be sent (``errors``: {invoice: reason}) with
        their reason; accounting gets a to-do on each that failed for the first time. The
        scheduled action tries them again a day later."""
        self._waas_report_failures("send", errors)

    @api.model
    def _waas_report_post_failures(self, failed, known=()):
        """Keep the reason on the invoices left in draft (``failed``: {invoice: reason}) and
        in the chatter of each invoice's document (``_waas_source_document``); accounting
        gets a to-do on each document where an invoice failed for the first time
        (``known``: invoices that had already failed)."""
        self._waas_report_failures("post", failed, known=known)

    @api.model
    def _waas_report_failures(self, stage, errors, known=()):
        """Tell accounting about the WaaS invoices that could not be posted (``stage``
        "post": they stay in draft) or sent ("send"); ``errors``: {invoice: reason}.

        The reason and date go on each invoice (one write per reason); a posting failure is
        also logged in the chatter of the invoice's document, where accounting works. A
        billing administrator of the company gets one to-do per document (posting) or
        invoice (sending) that failed for the first time: not for invoices in ``known``, nor
        for those that already had an error of this stage; one batched
        ``activity_schedule`` per model and company."""
        if not errors:
            return
        error_field, date_field = WAAS_FAILURE_FIELDS[stage]
        _logger.info(
            "WaaS invoices: %s invoice(s) could not be %s: %s",
            len(errors),
            "posted and stay in draft" if stage == "post" else "sent",
            ", ".join(f"{move.id}: {reason}" for move, reason in errors.items()),
        )
        first = self.browse(
            [move.id for move in errors if move not in known and not move[error_field]]
        )
        failed_on = fields.Date.context_today(self) if stage == "post" else fields.Datetime.now()
        by_reason = defaultdict(list)
        for move, reason in errors.items():
            by_reason[str(reason)].append(move.id)
        extra = {"waas_send_state": "error"} if stage == "send" else {}
        for reason, ids in by_reason.items():
            # sudo: the failure fields are guarded (waas.guard.mixin); only the posting and
            # the sending write them.
            self.browse(ids).sudo().with_context(tracking_disable=True).write(
                {error_field: reason, date_field: failed_on, **extra}
            )
        if stage == "send":
            self._waas_notify_accounting(
                first,
                self.env._("WaaS invoice could not be sent"),
                self.env._(
                    "This invoice could not be sent: the invoice shows why. Fix it and use "
                    "Retry Sending, or let the scheduled sending try again tomorrow."
                ),
            )
            return
        by_document = defaultdict(list)
        for move, reason in errors.items():
            by_document[move._waas_source_document()].append((move, reason))
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
            self._waas_notify_accounting(
                documents.filtered(lambda d: any(move in first for move, _r in by_document[d])),
                self.env._("WaaS invoice could not be posted"),
                self.env._(
                    "An invoice of this document could not be posted and stays in draft: "
                    "the chatter gives the reason. Fix it and post the invoice, or let the "
                    "next daily invoice run try again."
                ),
            )

    @api.model
    def _waas_notify_accounting(self, records, summary, note):
        """A to-do on each of ``records`` for a billing administrator of its company (one
        batched ``activity_schedule`` per company)."""
        today = fields.Date.context_today(self)
        for company, company_records in records.grouped("company_id").items():
            company_records.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=today,
                summary=summary,
                note=note,
                user_id=self._waas_accounting_user(company).id,
            )

    def _waas_post_isolated(self):
        """Post these invoices as every WaaS invoice is: ``WAAS_POST_CHUNK_SIZE`` at a time,
        each chunk at once in a savepoint; when that fails, each invoice of the chunk in its
        own savepoint, so that one invoice that cannot be posted stays in draft and the
        others post. The ORM cache is emptied after each chunk (posting costs more per
        invoice the more invoices the cache holds). A reason kept on an invoice is cleared
        once it posts. Returns {invoice: reason} of those left in draft (for
        ``_waas_report_failures``)."""
        failed = {}
        for ids in split_every(WAAS_POST_CHUNK_SIZE, self.ids):
            chunk = self.browse(ids)
            try:
                with self.env.cr.savepoint():
                    chunk._post(soft=False)
            except (UserError, ValidationError, RedirectWarning):
                for move in chunk:
                    try:
                        with self.env.cr.savepoint():
                            move._post(soft=False)
                    except (UserError, ValidationError, RedirectWarning) as error:
                        failed[move.id] = str(error.args[0]) if error.args else repr(error)
            posted = chunk.filtered(lambda m: m.id not in failed and m.waas_post_error)
            if posted:
                # sudo: the posting error is guarded (waas.guard.mixin); only posting clears it.
                posted.sudo().write({"waas_post_error": False, "waas_post_failed_on": False})
            self.env.flush_all()
            self.env.invalidate_all()
        return {self.browse(move_id): reason for move_id, reason in failed.items()}

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
