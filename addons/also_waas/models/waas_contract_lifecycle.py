"""Contract life after activation: early termination, renewal, expiry, licences.

Monthly periods are anchored on the contract start: period ``k`` starts on
``date_start + k months`` (so a contract started on 31 January has periods starting on
28/29 February, 31 March, 30 April, ...) and ends the day before the next one starts,
never after ``date_end``.
"""

import logging
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, Command, api, fields, models, modules
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date

from .waas_contract import waas_check_group

_logger = logging.getLogger(__name__)

MAX_TOTAL_MONTHS = 36


def months_between(date_from, date_to):
    """Whole months from ``date_from`` to ``date_to`` (floor)."""
    delta = relativedelta(date_to, date_from)
    return delta.years * 12 + delta.months


class WaasContract(models.Model):
    _inherit = "waas.contract"

    date_terminated = fields.Date(
        string="Terminated On",
        readonly=True,
        copy=False,
        tracking=True,
        help="Date the end customer ended the contract early.",
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

    # ------------------------------------------------------------------ periods

    def _waas_period_start(self, index):
        """Start of the contract's monthly period number ``index`` (0 = first)."""
        self.ensure_one()
        return self.date_start + relativedelta(months=index)

    def _waas_first_uninvoiced(self):
        """{contract id: start of the first period not invoiced yet}, in one query.

        Uses the invoicing's stored ``date_next_invoice`` when that module part is there,
        else the latest ``waas_period_start`` of the contract's non-cancelled invoices.
        """
        if "date_next_invoice" in self._fields:
            return {c.id: c.date_next_invoice or c.date_start for c in self}
        result = {c.id: c.date_start for c in self}
        if not self.ids:
            return result
        groups = self.env["account.move"]._read_group(
            domain=[
                ("waas_contract_id", "in", self.ids),
                ("waas_period_start", "!=", False),
                ("state", "!=", "cancel"),
                ("move_type", "=", "out_invoice"),
            ],
            groupby=["waas_contract_id"],
            aggregates=["waas_period_start:max"],
        )
        for contract, last_start in groups:
            index = months_between(contract.date_start, last_start)
            result[contract.id] = contract._waas_period_start(index + 1)
        return result

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
                end = self._waas_period_start(index + 1) - timedelta(days=1)
                periods.append((start, min(end, self.date_end)))
            index += 1
        return periods

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

    def _waas_termination_fee_lines(self):
        """{contract id: [invoice line values]} of the early termination fee: every monthly
        amount not invoiced yet until the original end, one line per contract line."""
        first = self._waas_first_uninvoiced()
        result = {}
        for contract in self:
            periods = contract._waas_periods_from(first[contract.id])
            lines = []
            for line in contract.line_ids:
                line_periods = [p for p in periods if not line.date_from or p[0] >= line.date_from]
                if not line_periods or line.currency_id.is_zero(line.price_subtotal):
                    continue
                months = len(line_periods)
                quantity = f"{line.quantity:g}"
                lines.append(
                    {
                        "product_id": line.product_id.id,
                        "name": self.env._(
                            "Early termination of %(contract)s: %(quantity)s x %(line)s, "
                            "%(months)s month(s) from %(start)s to %(end)s",
                            contract=contract.name,
                            quantity=quantity,
                            line=line.name,
                            months=months,
                            start=format_date(self.env, line_periods[0][0]),
                            end=format_date(self.env, line_periods[-1][1]),
                        ),
                        "quantity": months,
                        "price_unit": line.price_subtotal,
                    }
                )
            result[contract.id] = lines
        return result

    def _waas_invoice_journal(self):
        """The company's WaaS invoice journal when configured, else its sale journal."""
        self.ensure_one()
        company = self.company_id
        for fname in ("waas_invoice_journal_id", "waas_journal_id"):
            if fname in company._fields and company[fname]:
                return company[fname]
        return self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "sale")],
            limit=1,
        )

    def _waas_invoice_auto_post(self):
        """Post the fee invoice unless the company keeps WaaS invoices in draft."""
        self.ensure_one()
        company = self.company_id
        for fname in ("waas_invoice_auto_post", "waas_invoice_post"):
            if fname in company._fields:
                return bool(company[fname])
        return True

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
        """End the contracts early on ``date``: one fee invoice each for the monthly
        amounts not invoiced yet until the original end, state terminated, then the
        ``_on_ended`` hook once on the batch. Returns the fee invoices."""
        date = fields.Date.to_date(date)
        if not (reason or "").strip():
            raise UserError(self.env._("Give the reason of the early termination."))
        self._waas_lock()
        self._waas_check_terminate(date)
        fee_lines = self._waas_termination_fee_lines()
        today = fields.Date.context_today(self)
        moves = self.env["account.move"]
        # The fee invoice is a contractual consequence decided by a WaaS manager, like a
        # sales order's invoice: WaaS managers are not accountants, so the invoice is
        # created with superuser rights (the wizard itself is for WaaS managers only).
        Move = self.env["account.move"].sudo()
        invoice_of = {}
        for company, contracts in self.grouped("company_id").items():
            vals_list = []
            for contract in contracts:
                if not fee_lines[contract.id]:
                    continue
                vals_list.append(
                    {
                        "move_type": "out_invoice",
                        "company_id": company.id,
                        "partner_id": contract.partner_id.id,
                        "currency_id": contract.currency_id.id,
                        "journal_id": contract._waas_invoice_journal().id,
                        "invoice_date": today,
                        "invoice_origin": contract.name,
                        "ref": self.env._(
                            "Early termination of %(contract)s", contract=contract.name
                        ),
                        "waas_contract_id": contract.id,
                        "invoice_line_ids": [Command.create(v) for v in fee_lines[contract.id]],
                    }
                )
            if not vals_list:
                continue
            created = Move.with_company(company).create(vals_list)
            for move in created:
                invoice_of[move.waas_contract_id.id] = move
            to_post = created.filtered(lambda m: m.waas_contract_id._waas_invoice_auto_post())
            to_post.action_post()
            moves |= created
        schedule = "date_next_invoice" in self._fields and "invoiced_periods" in self._fields
        for contract in self:
            vals = {
                "state": "terminated",
                "date_terminated": date,
                "termination_reason": reason,
                "termination_move_id": invoice_of.get(contract.id, moves.browse()).id,
            }
            if schedule:
                # The fee invoiced every remaining period: the schedule is complete.
                periods = contract._waas_period_count()
                vals["invoiced_periods"] = periods
                vals["date_next_invoice"] = contract._waas_period_start(periods)
            # sudo: the guarded fields are written by this action, after the group check of
            # the wizard (WaaS Manager) and the state checks above.
            contract.sudo().write(vals)
        bodies = {}
        for contract in self:
            move = invoice_of.get(contract.id)
            if move:
                body = self.env._(
                    "Terminated early on %(date)s. Termination fee %(amount)s invoiced on "
                    "%(invoice)s.",
                    date=format_date(self.env, date),
                    amount=move.amount_untaxed,
                    invoice=move.name or move.display_name,
                )
            else:
                body = self.env._(
                    "Terminated early on %(date)s. Every month was already invoiced: no "
                    "termination fee.",
                    date=format_date(self.env, date),
                )
            bodies[contract.id] = body
        self._message_log_batch(bodies=bodies)
        self._on_ended()
        return moves.sudo(False)

    def action_waas_terminate(self):
        """Button "Terminate": open the early termination wizard."""
        waas_check_group(self.env, "also_waas.group_waas_manager")
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Terminate Contract"),
            "res_model": "waas.contract.terminate",
            "view_mode": "form",
            "target": "new",
            "context": {"default_contract_id": self.id},
        }

    def action_view_termination_invoice(self):
        """Smart button "Termination Invoice": open the fee invoice."""
        waas_check_group(self.env, "base.group_user")
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice")
        action.update(
            {"res_id": self.termination_move_id.id, "view_mode": "form", "views": [(False, "form")]}
        )
        return action

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
        return self.date_start + relativedelta(months=MAX_TOTAL_MONTHS) - timedelta(days=1)

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
        return self._waas_period_start(months) - timedelta(days=1)

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

    def _waas_check_renewable(self, open_orders=None):
        """Raise a clear ``UserError`` unless a renewal quotation may be prepared for each
        contract: active and without an open renewal quotation."""
        states = dict(self._fields["state"]._description_selection(self.env))
        if open_orders is None:
            open_orders = self._waas_open_renewal_orders()
        for contract in self:
            if contract.state != "active":
                raise UserError(
                    self.env._(
                        "Contract %(contract)s is %(state)s: only an active contract can be "
                        "renewed.",
                        contract=contract.name,
                        state=states[contract.state],
                    )
                )
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
            if contract.state != "active":
                raise UserError(
                    self.env._(
                        "Contract %(contract)s is %(state)s: only an active contract can be "
                        "renewed.",
                        contract=contract.name,
                        state=states[contract.state],
                    )
                )
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

    def action_waas_renew(self):
        """Button "Renew" (form, or several contracts from the list): open the wizard that
        prepares renewal quotations."""
        waas_check_group(self.env, "also_waas.group_waas_user")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Renew Contract"),
            "res_model": "waas.contract.renew",
            "view_mode": "form",
            "target": "new",
            "context": {"default_contract_ids": [Command.set(self.ids)]},
        }

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
        activity_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        model_id = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        configured = self._waas_configured_logistics_user()
        fallback = self._waas_fallback_logistics_user()
        self.env["mail.activity"].create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": contract.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "summary": self.env._("Collect the hardware of expired contract"),
                    "note": self.env._(
                        "Contract %(contract)s ended on %(end)s without renewal: arrange the "
                        "return of its devices.",
                        contract=contract.name,
                        end=format_date(self.env, contract.date_end),
                    ),
                    "user_id": contract._waas_logistics_user(configured, fallback).id,
                    "date_deadline": today,
                }
                for contract in self
            ]
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

    @api.model
    def _cron_waas_expire(self, batch_size=500):
        """Scheduled action: expire the active contracts whose end has passed, by chunks
        that commit their progress (a killed run resumes where it stopped)."""
        today = fields.Date.context_today(self)
        domain = [("state", "=", "active"), ("date_end", "<", today)]
        done = 0
        while True:
            contracts = self.search(domain, limit=batch_size, order="date_end, id")
            if not contracts:
                break
            contracts._waas_expire()
            done += len(contracts)
            remaining = self.search_count(domain)
            self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
            if not modules.module.current_test:
                # Commit each chunk so the work survives a crash or a timeout of the cron
                # worker; the next run continues with what is still active.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if not remaining:
                break
        _logger.info("WaaS expiry: %s contract(s) expired", done)
        return done

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
            Licence._waas_trigger_sync()
        return changed

    def _on_activated(self):
        res = super()._on_activated()
        self._waas_sync_licences()
        return res

    def _on_ended(self):
        res = super()._on_ended()
        licences = self.licence_ids.filtered(lambda lic: lic._waas_is_live())
        licences._waas_request_cancel()
        if licences:
            licences._waas_trigger_sync()
        return res

    def action_view_licences(self):
        """Smart button "Licences": the contract's Microsoft 365 subscriptions."""
        waas_check_group(self.env, "base.group_user")
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("also_waas.waas_licence_action")
        action.update(
            {
                "domain": [("contract_id", "=", self.id)],
                "context": {"default_contract_id": self.id},
            }
        )
        return action

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
                    "price_unit": item.monthly_price,
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

    def action_waas_upgrade(self):
        """Button "Upgrade": open the upgrade wizard."""
        waas_check_group(self.env, "also_waas.group_waas_user")
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Upgrade Contract"),
            "res_model": "waas.contract.upgrade",
            "view_mode": "form",
            "target": "new",
            "context": {"default_contract_id": self.id},
        }
