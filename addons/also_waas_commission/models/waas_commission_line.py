import base64
import io
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.also_waas.models.waas_contract import NO_CHATTER_CONTEXT, period_end

COMMISSION_EVENTS = [
    ("new", "New Contract"),
    ("renewal", "Renewal"),
    ("upgrade", "Upgrade"),
    ("clawback", "Claw-back"),
]
COMMISSION_STATES = [
    ("to_settle", "To Settle"),
    ("settled", "Settled"),
    ("paid", "Paid"),
    ("cancelled", "Cancelled"),
]
# Fields that define what is owed: frozen once the line is on a vendor bill.
PROTECTED_FIELDS = {"reseller_id", "contract_id", "event", "amount", "company_id", "date"}
MANAGER_GROUP = "also_waas_commission.group_waas_commission_manager"


class WaasCommissionLine(models.Model):
    _name = "waas.commission.line"
    _description = "WaaS Commission Line"
    _inherit = ["waas.guard.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    # What is owed, to whom and its settlement: created only by the contract hooks
    # (activation, renewal, upgrade, claw-back), changed only by Cancel / Reset to Settle
    # (Commission Managers), the settlement and what accounting does with the bills (the
    # bill lines linked to the line); never written nor deleted by hand (waas.guard.mixin).
    _waas_guarded_fields = frozenset(
        {
            "amount",
            "state",
            "move_id",
            "move_line_ids",
            "contract_id",
            "contract_line_id",
            "renewal_id",
            "reseller_id",
            "event",
            "product_id",
            "bundle_id",
            "quantity",
            "date",
            "period",
            "currency_id",
            "company_id",
        }
    )
    _waas_guarded_create = True
    _waas_guarded_unlink = True

    # ------------------------------------------------------------------ fields
    name = fields.Char(string="Description", required=True)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id", store=True)
    reseller_id = fields.Many2one(
        comodel_name="res.partner",
        required=True,
        index=True,
        domain=[("waas_is_reseller", "=", True)],
    )
    contract_id = fields.Many2one(
        comodel_name="waas.contract",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    partner_id = fields.Many2one(
        related="contract_id.partner_id", string="End Customer", readonly=True
    )
    contract_line_id = fields.Many2one(
        comodel_name="waas.contract.line",
        ondelete="restrict",
        index="btree_not_null",
        help="The contract line (bundle, option or upgrade) this commission is earned on.",
    )
    renewal_id = fields.Many2one(
        comodel_name="waas.contract.renewal",
        ondelete="restrict",
        index="btree_not_null",
    )
    product_id = fields.Many2one(
        comodel_name="product.product",
        help="The bundle, option or upgrade that earned this commission.",
    )
    bundle_id = fields.Many2one(
        comodel_name="product.product",
        index="btree_not_null",
        help="The contract's bundle, for reporting.",
    )
    event = fields.Selection(selection=COMMISSION_EVENTS, required=True, index=True)
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure")
    amount = fields.Monetary(required=True, help="In the company currency.")
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    period = fields.Date(
        compute="_compute_period",
        store=True,
        index=True,
        help="First day of the month of the event: lines are settled per reseller and period.",
    )
    state = fields.Selection(
        selection=COMMISSION_STATES,
        compute="_compute_state",
        store=True,
        readonly=False,
        required=True,
        index=True,
        default="to_settle",
    )
    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Vendor Bill",
        compute="_compute_move_id",
        store=True,
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
        help="The vendor bill that bills this commission now (empty: to settle).",
    )
    move_line_ids = fields.Many2many(
        comodel_name="account.move.line",
        relation="waas_commission_line_account_move_line_rel",
        column1="commission_line_id",
        column2="move_line_id",
        string="Bill Lines",
        readonly=True,
        copy=False,
        help="Every bill line that billed this commission, and the credit note lines that "
        "reversed them: set by the settlement, copied by Reverse and Reverse and Create "
        "Invoice.",
    )

    def init(self):
        # One line per event: a hook triggered twice must never pay twice, even from two
        # concurrent transactions. NULL keys are folded to 0 so that they compare equal.
        tools.create_unique_index(
            self.env.cr,
            "waas_commission_line_event_unique",
            self._table,
            [
                "contract_id",
                "event",
                "COALESCE(renewal_id, 0)",
                "COALESCE(contract_line_id, 0)",
            ],
        )

    # ------------------------------------------------------------------ computes
    @api.depends("date")
    def _compute_period(self):
        for line in self:
            line.period = line.date and line.date.replace(day=1)

    @api.depends("move_line_ids.parent_state", "move_line_ids.balance")
    def _compute_move_id(self):
        billing = self._get_billing()
        for line in self:
            count, bills = billing[line]
            line.move_id = bills.sorted("id")[-1:] if count > 0 else False

    @api.depends("move_id", "move_id.payment_state")
    def _compute_state(self):
        for line in self:
            move = line.move_id
            if line.state == "cancelled":
                continue  # until Reset to Settle; no bill may bill it (_check_state_move)
            if move:
                paid = move.payment_state in ("paid", "in_payment")
                line.state = "paid" if paid else "settled"
            else:
                line.state = "to_settle"

    # ------------------------------------------------------------------ billing
    def _get_billing(self):
        """How many times each line is billed, from its bill lines: the one rule of
        commission billing.

        A bill line of the commission's sign bills it once while its bill is draft or
        posted; a bill line of the opposite sign (the credit note of a reversal) takes that
        back once posted. Cancelled bills and draft credit notes count for nothing. A line
        is to settle when the count is 0 and billed by the newest bill that counts when it
        is 1; any other count is refused (``_check_billed_once``).

        :return: {line: (count, the bills that count)}
        """
        # Each bill line is read once (a bill line bills many commission lines), then the
        # lines are counted on plain values: this runs whenever Odoo writes a bill line.
        bill_lines = {
            move_line.id: (
                move_line.parent_state,
                move_line.company_currency_id.compare_amounts(move_line.balance, 0),
                move_line.move_id.id,
            )
            for move_line in self.move_line_ids
        }
        Move = self.env["account.move"]
        result = {}
        for line in self:
            count = 0
            bill_ids = []
            negative = line.amount < 0
            for move_line_id in line.move_line_ids._ids:
                state, sign, move_id = bill_lines[move_line_id]
                if state == "cancel":
                    continue
                if sign and (sign < 0) != negative:
                    if state == "posted":
                        count -= 1
                else:
                    count += 1
                    bill_ids.append(move_id)
            result[line] = (count, Move.browse(list(dict.fromkeys(bill_ids))))
        return result

    def _check_billed_once(self):
        """Refuse what would bill a line twice, or take back more than was billed."""
        for line, (count, bills) in self._get_billing().items():
            if count > 1:
                raise UserError(
                    _(
                        "Commission line %(line)s would be billed %(count)s times "
                        "(%(bills)s): a commission is billed to the reseller once. Cancel or "
                        "reverse the other bill first.",
                        line=line.display_name,
                        count=count,
                        bills=", ".join(bills.mapped("display_name")),
                    )
                )
            if count < 0:
                raise UserError(
                    _(
                        "Commission line %(line)s would be taken back more often than it "
                        "was billed: a commission bill is reversed once, and a bill cannot "
                        "be cancelled or deleted once a credit note reversed it.",
                        line=line.display_name,
                    )
                )

    # ------------------------------------------------------------------ constrains
    @api.constrains("state", "move_id")
    def _check_state_move(self):
        for line in self:
            if line.state in ("settled", "paid") and not line.move_id:
                raise ValidationError(
                    _(
                        "Commission line %(name)s cannot be %(state)s without a vendor bill.",
                        name=line.name,
                        state=line.state,
                    )
                )
            if line.state == "cancelled" and line.move_id:
                raise ValidationError(
                    _(
                        "Commission line %(name)s is cancelled and cannot be on vendor bill "
                        "%(bill)s: cancel the bill first, or have a Commission Manager reset "
                        "the line to settle.",
                        name=line.name,
                        bill=line.move_id.display_name,
                    )
                )

    @api.constrains("event", "amount")
    def _check_amount_sign(self):
        for line in self:
            if (line.event == "clawback") != (line.amount < 0):
                raise ValidationError(
                    _(
                        "Commission line %(name)s: a claw-back is negative, any other "
                        "commission is positive (amount %(amount)s).",
                        name=line.name,
                        amount=line.amount,
                    )
                )

    # ------------------------------------------------------------------ CRUD
    def write(self, vals):
        if PROTECTED_FIELDS & set(vals) and any(line.move_id for line in self):
            raise UserError(
                _(
                    "A commission line on a vendor bill cannot be changed: cancel or reverse "
                    "the bill first."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_settled(self):
        if any(line.move_id or line.state in ("settled", "paid") for line in self):
            raise UserError(
                _("A settled or paid commission line cannot be deleted; cancel its bill first.")
            )

    # ------------------------------------------------------------------ actions
    def action_cancel(self):
        """Button "Cancel": the commission is not owed (only lines still to settle)."""
        self._check_manager()
        self.check_access("write")
        if any(line.state != "to_settle" or line.move_id for line in self):
            raise UserError(_("Only commission lines still to settle can be cancelled."))
        # sudo: the guarded fields are written by this action, after the group and state
        # checks above.
        self.sudo().write({"state": "cancelled"})
        return True

    def action_reset_to_settle(self):
        """Button "Reset to Settle": a cancelled line is owed again."""
        self._check_manager()
        self.check_access("write")
        if any(line.state != "cancelled" for line in self):
            raise UserError(_("Only cancelled commission lines can be reset."))
        # sudo: the guarded fields are written by this action, after the group and state
        # checks above.
        self.sudo().write({"state": "to_settle"})
        return True

    def action_view_move(self):
        """Button "Vendor Bill" of the form."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------ events
    @api.model
    def _event_key(self, vals):
        return (
            vals["contract_id"],
            vals["event"],
            vals.get("renewal_id") or 0,
            vals.get("contract_line_id") or 0,
        )

    @api.model
    def _create_event_lines(self, vals_list):
        """Create commission lines for contract events, once per event.

        Events already recorded (the hook was triggered twice) are skipped: one search for
        the existing keys, one create. A contract line commissioned as part of a new
        contract is never commissioned again as an upgrade. The unique index on the key is
        the safety net against concurrent transactions.
        """
        if not vals_list:
            return self.browse()
        # sudo: commission lines are recorded for whoever confirms, renews or upgrades a
        # contract; those users may only read commission lines.
        lines_sudo = self.sudo().with_context(active_test=False)
        contract_ids = list({vals["contract_id"] for vals in vals_list})
        existing = lines_sudo.search_fetch(
            [("contract_id", "in", contract_ids)],
            ["contract_id", "event", "renewal_id", "contract_line_id"],
        )
        seen = set()
        sold_lines = set()
        for line in existing:
            seen.add(
                (line.contract_id.id, line.event, line.renewal_id.id, line.contract_line_id.id)
            )
            if line.event in ("new", "upgrade") and line.contract_line_id:
                sold_lines.add(line.contract_line_id.id)
        to_create = []
        for vals in vals_list:
            key = self._event_key(vals)
            if key in seen:
                continue
            if vals["event"] in ("new", "upgrade") and vals.get("contract_line_id"):
                if vals["contract_line_id"] in sold_lines:
                    continue
                sold_lines.add(vals["contract_line_id"])
            seen.add(key)
            to_create.append(vals)
        return lines_sudo.create(to_create).sudo(self.env.su)

    # ------------------------------------------------------------------ settlement
    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only commission managers can settle or cancel commissions."))

    @api.model
    def _get_settle_domain(self, date_to, resellers=None, companies=None):
        domain = [("state", "=", "to_settle"), ("move_id", "=", False), ("date", "<=", date_to)]
        if resellers:
            domain.append(("reseller_id", "in", resellers.ids))
        if companies:
            domain.append(("company_id", "in", companies.ids))
        return domain

    def _lock_for_settlement(self):
        """Lock the lines to settle; lines another settlement holds are left to it.

        Together with the state and bill checks in the same statement this guarantees that
        no line is ever settled twice: a second settlement running at the same time skips
        the locked lines, one starting after the first committed no longer finds them (or
        fails on the concurrent update and is retried by Odoo).
        """
        if not self:
            return self
        self.flush_recordset(["state", "move_id"])
        self.env.cr.execute(
            """
            SELECT id FROM waas_commission_line
             WHERE id = ANY(%s) AND state = 'to_settle' AND move_id IS NULL
             ORDER BY id
               FOR UPDATE SKIP LOCKED
            """,
            [self.ids],
        )
        locked = {row[0] for row in self.env.cr.fetchall()}
        return self.filtered(lambda line: line.id in locked)

    @api.model
    def _settle(self, date_to, resellers=None, companies=None):
        """Settle the lines to settle up to ``date_to``: one vendor bill per company,
        reseller and period, all created at once.

        :return: the vendor bills (``account.move``), empty when nothing was to settle.
        """
        self._check_manager()
        date_to = fields.Date.to_date(date_to)
        lines = self.search(self._get_settle_domain(date_to, resellers, companies), order="id")
        lines = lines._lock_for_settlement()
        if not lines:
            return self.env["account.move"]
        group_ids = defaultdict(list)
        for line in lines:
            group_ids[(line.company_id, line.reseller_id, line.period)].append(line.id)
        groups = {
            key: lines.browse(ids).with_prefetch(lines._prefetch_ids)
            for key, ids in group_ids.items()
        }
        journals = self._get_settle_journals({key[0] for key in groups})
        vals_list = [
            group._prepare_bill_vals(journals[key[0]], date_to) for key, group in groups.items()
        ]
        # sudo: commission managers issue the vendor bills of the commissions they settle
        # without being accountants; the accountant reviews, posts and pays them. No
        # "bill created" note nor follower per bill: the lines point to their bill.
        # The bill lines carry their commission lines (waas_commission_line_ids): that link
        # makes the lines settled. Their bill and state (_compute_move_id, from the bill
        # lines) are computed once, when the bills exist, not at every change that
        # account.move.create makes to the bill lines while it balances them: protected
        # during the create, they are marked for recomputation once afterwards.
        billing_fields = [self._fields["move_id"], self._fields["state"]]
        with self.env.protecting(billing_fields, lines):
            moves = (
                self.env["account.move"].sudo().with_context(**NO_CHATTER_CONTEXT).create(vals_list)
            )
        lines.modified(["move_line_ids"])
        return moves.sudo(False)

    @api.model
    def _get_settle_journals(self, companies):
        journals = {}
        for company in companies:
            journal = company.waas_commission_journal_id or self.env[
                "account.journal"
            ].sudo().search(
                [
                    *self.env["account.journal"]._check_company_domain(company),
                    ("type", "=", "purchase"),
                ],
                limit=1,
            )
            if not journal:
                raise UserError(
                    _(
                        "Company %(company)s has no purchase journal for the commission bills.",
                        company=company.name,
                    )
                )
            journals[company] = journal
        return journals

    def _prepare_bill_vals(self, journal, date_to):
        """Values of the vendor bill settling ``self`` (one company, reseller, period).

        One bill line per event and product; a negative total (claw-backs) becomes a
        vendor credit note.
        """
        first = self[0]
        company = first.company_id
        product = company._get_waas_commission_product()
        account = company.waas_commission_account_id
        bill_date = min(period_end(first.period, 1), date_to)
        total = sum(self.mapped("amount"))
        sign = 1 if company.currency_id.compare_amounts(total, 0) >= 0 else -1
        event_labels = dict(self._fields["event"]._description_selection(self.env))
        buckets = defaultdict(list)
        for line in self:
            buckets[(line.event, line.product_id)].append(line)
        invoice_lines = []
        for (event, line_product), lines in buckets.items():
            amount = sum(line.amount for line in lines)
            line_vals = {
                "product_id": product.id,
                "name": _(
                    "%(event)s: %(product)s (%(count)s)",
                    event=event_labels[event],
                    product=line_product.display_name or "-",
                    count=len(lines),
                ),
                "quantity": 1.0,
                "price_unit": sign * amount,
                "waas_commission_line_ids": [Command.set([line.id for line in lines])],
            }
            if account:
                line_vals["account_id"] = account.id
            invoice_lines.append(Command.create(line_vals))
        return {
            "move_type": "in_invoice" if sign > 0 else "in_refund",
            "partner_id": first.reseller_id.id,
            "company_id": company.id,
            "journal_id": journal.id,
            "currency_id": company.currency_id.id,
            "invoice_date": bill_date,
            "date": bill_date,
            "ref": _(
                "WaaS commission %(period)s",
                period=first.period.strftime("%Y-%m"),
            ),
            "invoice_line_ids": invoice_lines,
        }

    @api.model
    def _cron_settle(self, batch_size=200):
        """Scheduled action "WaaS: settle commissions": every line up to the end of the
        previous month. One batch of resellers per call: the scheduler commits it and calls
        again while resellers remain (their settled lines are no longer "to settle", so a
        call after a crash continues where the last committed batch stopped)."""
        date_to = fields.Date.context_today(self).replace(day=1) - relativedelta(days=1)
        groups = self._read_group(self._get_settle_domain(date_to), ["reseller_id"])
        resellers = self.env["res.partner"].concat(*(reseller for (reseller,) in groups))
        batch = resellers[:batch_size]
        if batch:
            self._settle(date_to, resellers=batch)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=len(resellers) - len(batch))
        return True

    # ------------------------------------------------------------------ statements
    def _get_statement_groups(self):
        """Lines grouped per company, reseller and period, for the PDF and xlsx statement."""
        group_ids = defaultdict(list)
        for line in self.sorted(lambda line: (line.reseller_id.id, line.period, line.id)):
            group_ids[(line.company_id, line.reseller_id, line.period)].append(line.id)
        groups = {key: self.browse(ids) for key, ids in group_ids.items()}
        return [
            {
                "company": company,
                "reseller": reseller,
                "period": period,
                "lines": lines,
                "total": sum(lines.mapped("amount")),
                "currency": company.currency_id,
            }
            for (company, reseller, period), lines in groups.items()
        ]

    def _get_xlsx_content(self):
        import xlsxwriter  # noqa: PLC0415 - external dependency, only needed here

        output = io.BytesIO()
        # Names typed by customers and resellers are text, never formulas (or URLs).
        workbook = xlsxwriter.Workbook(
            output,
            {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        sheet = workbook.add_worksheet(_("Commissions"))
        bold = workbook.add_format({"bold": True})
        date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
        money = workbook.add_format({"num_format": "#,##0.00"})
        headers = [
            _("Reseller"),
            _("Period"),
            _("Date"),
            _("Contract"),
            _("End Customer"),
            _("Event"),
            _("Product"),
            _("Bundle"),
            _("Quantity"),
            _("Amount"),
            _("Currency"),
            _("State"),
            _("Vendor Bill"),
        ]
        sheet.write_row(0, 0, headers, bold)
        events = dict(self._fields["event"]._description_selection(self.env))
        states = dict(self._fields["state"]._description_selection(self.env))
        row = 0
        for group in self._get_statement_groups():
            for line in group["lines"]:
                row += 1
                sheet.write_string(row, 0, line.reseller_id.display_name or "")
                sheet.write_datetime(row, 1, fields.Datetime.to_datetime(line.period), date_fmt)
                sheet.write_datetime(row, 2, fields.Datetime.to_datetime(line.date), date_fmt)
                sheet.write_string(row, 3, line.contract_id.name or "")
                sheet.write_string(row, 4, line.partner_id.display_name or "")
                sheet.write_string(row, 5, events[line.event])
                sheet.write_string(row, 6, line.product_id.display_name or "")
                sheet.write_string(row, 7, line.bundle_id.display_name or "")
                sheet.write_number(row, 8, line.quantity)
                sheet.write_number(row, 9, line.amount, money)
                sheet.write_string(row, 10, line.currency_id.name or "")
                sheet.write_string(row, 11, states[line.state])
                sheet.write_string(row, 12, line.move_id.name or "")
        if row:
            sheet.write(row + 1, 8, _("Total"), bold)
            sheet.write_formula(row + 1, 9, f"=SUM(J2:J{row + 1})", money)
        sheet.autofit()
        workbook.close()
        return output.getvalue()

    def action_export_xlsx(self):
        """Action "Export Statement (xlsx)" of the list and of the statement wizard."""
        if not self:
            raise UserError(_("Select the commission lines to export."))
        attachment = self.env["ir.attachment"].create(
            {
                "name": _("commission-statement.xlsx"),
                "datas": base64.b64encode(self._get_xlsx_content()),
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }
