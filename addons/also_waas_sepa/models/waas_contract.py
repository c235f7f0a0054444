# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools.misc import format_date

from odoo.addons.also_waas.models.waas_contract import INVOICE_RUN_CHUNK_SIZE

# Set only by a confirmed payment return (see ``_waas_debit_returned``).
WAAS_DEBIT_RETURN_FIELDS = frozenset({"waas_debit_returned_date", "waas_debit_return_reason"})


class WaasContract(models.Model):
    _inherit = "waas.contract"

    # Set at activation from the signed quotation (see write).
    waas_mandate_id = fields.Many2one(
        comodel_name="account.banking.mandate",
        string="Direct Debit Mandate",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        tracking=True,
    )
    waas_mandate_reference = fields.Char(
        related="waas_mandate_id.unique_mandate_reference", string="Mandate Reference"
    )
    waas_mandate_date = fields.Date(
        related="waas_mandate_id.signature_date", string="Mandate Signed On"
    )
    waas_payment_method = fields.Selection(
        selection=[("direct_debit", "SEPA Direct Debit"), ("transfer", "Bank Transfer")],
        string="Collected By",
        compute="_compute_waas_payment_method",
        help="Direct debit when the contract has a valid mandate and the company a WaaS "
        "direct debit payment mode; otherwise the end customer pays by bank transfer.",
    )
    waas_debit_returned_date = fields.Date(
        string="Debit Returned On",
        readonly=True,
        copy=False,
        tracking=True,
        help="Date of the last payment of this contract's invoices that the bank returned "
        "(set by confirming the payment return, which reopens the invoice).",
    )
    waas_debit_return_reason = fields.Char(
        string="Debit Return Reason",
        readonly=True,
        copy=False,
        help="Reason code and reason the bank gave for the last returned payment.",
    )

    # ------------------------------------------------------------------ computes
    @api.depends("waas_mandate_id.state", "company_id.waas_sdd_payment_mode_id")
    def _compute_waas_payment_method(self):
        for contract in self:
            contract.waas_payment_method = (
                "direct_debit" if contract._waas_sdd_payment_mode() else "transfer"
            )

    # ------------------------------------------------------------------ ORM
    def _waas_guard_check_write(self, vals):
        """The mandate link is guarded like ``_waas_guarded_fields``: set only by the
        activation of the signed quotation."""
        res = super()._waas_guard_check_write(vals)
        if "waas_mandate_id" in vals and not self.env.su:
            raise AccessError(
                self.env._(
                    "The direct debit mandate of a WaaS contract comes from the quotation "
                    "the end customer signed, not from editing the contract."
                )
            )
        if WAAS_DEBIT_RETURN_FIELDS.intersection(vals) and not self.env.su:
            raise AccessError(
                self.env._(
                    "A returned debit is recorded by confirming the bank's payment return, "
                    "not by editing the contract."
                )
            )
        return res

    # ------------------------------------------------------------------ direct debit
    def _waas_sdd_payment_mode(self):
        """The direct debit payment mode the invoices of this contract are collected with
        (a valid mandate and the company's mode), else an empty recordset."""
        self.ensure_one()
        if self.waas_mandate_id.state != "valid":
            return self.env["account.payment.mode"]
        return self.company_id.waas_sdd_payment_mode_id

    def _waas_prepare_invoice_vals(self, period_start, period_end, full_days=None):
        vals = super()._waas_prepare_invoice_vals(period_start, period_end, full_days)
        if vals is None:
            return vals
        mode = self._waas_sdd_payment_mode()
        vals.update(
            {
                "payment_mode_id": mode.id or False,
                "mandate_id": mode and self.waas_mandate_id.id or False,
            }
        )
        return vals

    @api.model
    def _waas_after_invoice_batch(self, invoices):
        res = super()._waas_after_invoice_batch(invoices)
        invoices._waas_sdd_add_to_payment_orders()
        return res

    @api.model
    def _waas_retry_posting(self, companies=None, limit=INVOICE_RUN_CHUNK_SIZE, domain=None):
        """Invoices a run could not post go into the direct debit order once posted."""
        moves = super()._waas_retry_posting(companies=companies, limit=limit, domain=domain)
        moves._waas_sdd_add_to_payment_orders()
        return moves

    # ------------------------------------------------------------------ returned debits
    def _waas_debit_returned(self, date, reason):
        """A payment of these contracts' invoices came back (``date``, ``reason``: the
        return's date and its reason label): flag the contracts and their end customers,
        say so in the contracts' chatter and give every credit controller of the company
        a to-do. Called by the confirmation of the payment return only."""
        if not self:
            return
        # sudo: the accountant confirming the bank's return needs no WaaS rights; the
        # confirmed return is the only action that sets the guarded flag.
        contracts = self.sudo()
        contracts.write({"waas_debit_returned_date": date, "waas_debit_return_reason": reason})
        contracts.partner_id.commercial_partner_id._waas_set_debit_returned(date)
        reason = reason or self.env._("no reason given")
        body = self.env._(
            "The bank returned a payment of this contract's invoices on %(date)s "
            "(%(reason)s): the invoice is open again.",
            date=format_date(self.env, date),
            reason=reason,
        )
        team = self.env["waas.credit.check"]._waas_credit_team()
        todo = self.env.ref("mail.mail_activity_data_todo")
        for contract in contracts:
            contract.message_post(body=body, subtype_xmlid="mail.mt_note")
            for user in team.filtered(lambda u, c=contract: c.company_id in u.company_ids):
                contract.activity_schedule(
                    activity_type_id=todo.id,
                    date_deadline=fields.Date.context_today(self),
                    summary=self.env._("Returned debit: follow up the payment"),
                    note=body,
                    user_id=user.id,
                )

    def _waas_debit_return_refresh(self):
        """A payment return of these contracts' invoices was cancelled: their flag and
        their end customers' follow the returns still confirmed (the latest one), or are
        cleared when none is left; the contracts' chatter says so."""
        if not self:
            return
        # sudo: called by the cancellation of a payment return only (the guarded flag).
        contracts = self.sudo()
        partners = contracts.partner_id.commercial_partner_id
        returns = self._waas_debit_returns(
            [
                (
                    "origin_returned_move_ids.move_id.partner_id.commercial_partner_id",
                    "in",
                    partners.ids,
                )
            ]
        )
        by_contract, by_partner = {}, {}
        for invoice, date, reason in returns:
            contract = invoice.waas_contract_id
            if contract and date >= by_contract.get(contract.id, (date, False))[0]:
                by_contract[contract.id] = (date, reason)
            if contract:
                partner = invoice.commercial_partner_id.id
                by_partner[partner] = max(by_partner.get(partner, date), date)
        for contract in contracts:
            date, reason = by_contract.get(contract.id, (False, False))
            if (date, reason) == (
                contract.waas_debit_returned_date,
                contract.waas_debit_return_reason,
            ):
                continue
            contract.write({"waas_debit_returned_date": date, "waas_debit_return_reason": reason})
            contract.message_post(
                body=self.env._(
                    "A payment return of this contract's invoices was cancelled: the "
                    "returned debit is cleared."
                )
                if not date
                else self.env._(
                    "A payment return of this contract's invoices was cancelled: the last "
                    "returned debit still confirmed is of %(date)s.",
                    date=format_date(self.env, date),
                ),
                subtype_xmlid="mail.mt_note",
            )
        for partner in partners:
            date = by_partner.get(partner.id, False)
            if partner.waas_debit_returned_date != date:
                partner._waas_set_debit_returned(date)

    @api.model
    def _waas_debit_returns(self, domain):
        """[(invoice, date, reason)] of the confirmed payment returns whose reconciliation
        (``account.partial.reconcile`` of the returned payment and the return) matches
        ``domain``; a cancelled return has none left (OCA removes it)."""
        # sudo: the credit team's flag, whoever cancels the return; only dates and reasons
        # are read.
        partials = self.env["account.partial.reconcile"].sudo().search(domain)
        if not partials:
            return []
        returns = (
            self.env["payment.return"]
            .sudo()
            .search([("state", "=", "done"), ("move_id", "in", partials.debit_move_id.move_id.ids)])
        )
        by_move = {ret.move_id.id: ret for ret in returns}
        result = []
        for partial in partials:
            payment_return = by_move.get(partial.debit_move_id.move_id.id)
            if not payment_return:
                continue
            line = payment_return.line_ids.filtered(
                lambda rl, p=partial: p.credit_move_id in rl.move_line_ids
            )[:1]
            date = line.date or payment_return.date
            reason = line._waas_reason() if line else False
            for invoice in partial.origin_returned_move_ids.move_id:
                result.append((invoice, date, reason))
        return result

    def _waas_portal_masked_iban(self):
        """The mandate's IBAN as the end customer sees it on the portal: the country code
        and the last four characters, the rest masked, in groups of four
        (``NL** **** **** **43 00``)."""
        self.ensure_one()
        iban = (self.waas_mandate_id.partner_bank_id.sanitized_acc_number or "").upper()
        if len(iban) < 8:
            return ""
        masked = iban[:2] + "*" * (len(iban) - 6) + iban[-4:]
        return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))
