from collections import defaultdict
from datetime import timedelta

from odoo import SUPERUSER_ID, Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression

from odoo.addons.also_waas.tools import create_partial_unique_index, waas_wizard_action

# A contract has at most one return in these states at a time.
OPEN_STATES = ("draft", "scheduled", "partial", "received", "wiped")
# States in which devices are on their way, being received or wiped.
PROGRESS_STATES = ("scheduled", "partial", "received", "wiped")
CRON_CHUNK = 200
# The return's buttons are ALSO's: internal WaaS users (portal users book in the portal).
WAAS_USER_GROUP = "also_waas.group_waas_user"
# Booking fields: editable (by WaaS users) only in these states, then frozen. The method
# decides whether a pickup fee is invoiced at confirmation; a confirmed pickup may still
# be rescheduled (date, window, address, contact) while the courier has not come.
STATE_BOUND_FIELDS = {
    "method": ("draft",),
    "pickup_date": ("draft", "scheduled"),
    "pickup_time_from": ("draft", "scheduled"),
    "pickup_time_to": ("draft", "scheduled"),
    "pickup_address_id": ("draft", "scheduled"),
    "pickup_contact_id": ("draft", "scheduled"),
    "risk_consent_ref": ("draft",),
    "risk_consent_file": ("draft",),
    "risk_consent_filename": ("draft",),
}
# Written consent of the end customer: frozen once the risk is acknowledged.
CONSENT_FIELDS = ("risk_consent_ref", "risk_consent_file", "risk_consent_filename")
# The customer invoices of a return: {field of the return: field of the invoice linking it
# back (unique)}. The pickup fee, and the charge of devices missing from a self-return.
INVOICE_LINKS = {"fee_move_id": "waas_return_id", "charge_move_id": "waas_charge_return_id"}


class WaasReturn(models.Model):
    _name = "waas.return"
    _description = "WaaS Return"
    _inherit = ["mail.thread", "mail.activity.mixin", "portal.mixin", "waas.guard.mixin"]
    _order = "id desc"
    _check_company_auto = True

    # State, devices, fee invoice and risk acknowledgement change only through the buttons
    # (action_*), the receipt validation, the wipe recording and the charge of missing
    # devices (waas.guard.mixin).
    _waas_guarded_fields = frozenset(
        {
            "state",
            "contract_id",
            "line_ids",
            "fee_move_id",
            "charge_move_id",
            "risk_ack_by_id",
            "risk_ack_date",
            "risk_ack_mode",
            "date_done",
            "picking_ids",
            "procurement_group_id",
        }
    )

    name = fields.Char(
        string="Number", required=True, readonly=True, default="/", copy=False, index="trigram"
    )
    contract_id = fields.Many2one(
        comodel_name="waas.contract",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        related="contract_id.company_id", store=True, index=True, precompute=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        related="contract_id.partner_id",
        string="End Customer",
        store=True,
        index=True,
        precompute=True,
    )
    reseller_id = fields.Many2one(
        related="contract_id.reseller_id", store=True, index=True, precompute=True
    )
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Responsible",
        tracking=True,
        domain="[('share', '=', False)]",
        help="ALSO's responsible for the return, who gets its to-dos: by default the "
        "salesperson of the contract's deal, else the logistics user of the WaaS settings.",
    )
    method = fields.Selection(
        selection=[("self_return", "Self-Return (own risk)"), ("pickup", "Secure Pickup by ALSO")],
        required=True,
        default="self_return",
        tracking=True,
    )
    state = fields.Selection(
        selection=[
            ("draft", "Draft"),
            ("scheduled", "Scheduled"),
            ("partial", "Partially Received"),
            ("received", "Received"),
            ("wiped", "Wiped"),
            ("done", "Done"),
            ("cancel", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    line_ids = fields.One2many(
        comodel_name="waas.return.line", inverse_name="return_id", string="Devices", copy=False
    )
    # ------------------------------------------------------------------ self-return
    risk_ack_by_id = fields.Many2one(
        comodel_name="res.users",
        string="Risk Acknowledged By",
        readonly=True,
        copy=False,
        tracking=True,
    )
    risk_ack_date = fields.Datetime(
        string="Risk Acknowledged On", readonly=True, copy=False, tracking=True
    )
    risk_ack_mode = fields.Selection(
        selection=[
            ("portal", "By the end customer in the portal"),
            ("consent", "Written consent recorded by ALSO"),
        ],
        string="Risk Acknowledged How",
        readonly=True,
        copy=False,
        tracking=True,
    )
    risk_consent_ref = fields.Char(
        string="Consent Reference",
        copy=False,
        tracking=True,
        help="Reference of the end customer's written consent to a self-return at its own "
        "risk (e.g. the date and sender of its e-mail or letter): required before ALSO staff "
        "acknowledge the risk on its behalf.",
    )
    risk_consent_file = fields.Binary(string="Consent Document", attachment=True, copy=False)
    risk_consent_filename = fields.Char(copy=False)
    expected_date = fields.Date(
        string="Expected By",
        tracking=True,
        copy=False,
        help="Date by which the end customer's parcel must be back; a reminder activity is "
        "scheduled when it passes.",
    )
    reminder_date = fields.Date(
        string="Overdue Reminder On",
        readonly=True,
        copy=False,
        help="When the overdue reminder was scheduled (once per expected-by date).",
    )
    # ------------------------------------------------------------------ secure pickup
    pickup_date = fields.Date(tracking=True, copy=False)
    pickup_time_from = fields.Float(string="Window From", tracking=True, copy=False)
    pickup_time_to = fields.Float(string="Window To", tracking=True, copy=False)
    pickup_address_id = fields.Many2one(
        comodel_name="res.partner",
        compute="_compute_pickup_address_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
    )
    pickup_contact_id = fields.Many2one(
        comodel_name="res.partner",
        string="Contact Person",
        tracking=True,
        help="Who hands the devices over to the courier.",
    )
    pickup_contact_phone = fields.Char(related="pickup_contact_id.phone", string="Contact Phone")
    fee_move_id = fields.Many2one(
        comodel_name="account.move",
        string="Pickup Fee Invoice",
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
    )
    # ------------------------------------------------------------------ missing devices
    charge_move_id = fields.Many2one(
        comodel_name="account.move",
        string="Missing Devices Invoice",
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="Customer invoice of the devices still missing from the self-return after the "
        "grace period, charged at their replacement value.",
    )
    charge_checked_date = fields.Date(
        string="Missing Devices Checked On",
        readonly=True,
        copy=False,
        help="Last day the daily job tried to charge the missing devices (once a day).",
    )
    # ------------------------------------------------------------------ logistics
    picking_ids = fields.One2many(
        comodel_name="stock.picking", inverse_name="waas_return_id", string="Transfers"
    )
    picking_count = fields.Integer(compute="_compute_picking_count", string="Transfer Count")
    procurement_group_id = fields.Many2one(
        comodel_name="procurement.group",
        readonly=True,
        copy=False,
        help="Groups the transfers of the return's devices (its receipts and the move to "
        "refurbishing), run along the WaaS Returns route of the warehouse.",
    )
    date_done = fields.Datetime(string="Closed On", readonly=True, copy=False)
    # ------------------------------------------------------------------ progress
    device_count = fields.Integer(compute="_compute_progress")
    received_count = fields.Integer(compute="_compute_progress")
    missing_count = fields.Integer(compute="_compute_progress")
    wiped_count = fields.Integer(compute="_compute_progress")
    lost_count = fields.Integer(compute="_compute_progress")

    _sql_constraints = [
        (
            "fee_move_unique",
            "UNIQUE(fee_move_id)",
            "A pickup fee invoice belongs to one return only.",
        ),
        (
            "charge_move_unique",
            "UNIQUE(charge_move_id)",
            "An invoice of missing devices belongs to one return only.",
        ),
        (
            "pickup_window_valid",
            "CHECK(pickup_time_from IS NULL OR pickup_time_to IS NULL "
            "OR pickup_time_to = 0 OR pickup_time_from < pickup_time_to)",
            "The pickup window must end after it starts.",
        ),
    ]

    def init(self):
        # Safety net of _check_one_open_return: one open return per contract, even when
        # two transactions create one at the same time.
        create_partial_unique_index(
            self.env.cr,
            "waas_return_contract_open_unique",
            self._table,
            ["contract_id"],
            where="state NOT IN ('done', 'cancel')",
        )

    # ------------------------------------------------------------------ computes
    @api.depends("partner_id")
    def _compute_pickup_address_id(self):
        for ret in self:
            if not ret.pickup_address_id or ret.state == "draft":
                ret.pickup_address_id = ret.partner_id

    @api.depends("picking_ids")
    def _compute_picking_count(self):
        for ret in self:
            ret.picking_count = len(ret.picking_ids)

    @api.depends("line_ids.received", "line_ids.missing", "line_ids.lost", "line_ids.wipe_id")
    def _compute_progress(self):
        for ret in self:
            lines = ret.line_ids
            ret.device_count = len(lines)
            ret.received_count = len(lines.filtered("received"))
            ret.missing_count = len(lines.filtered("missing"))
            ret.wiped_count = len(lines.filtered("wipe_id"))
            ret.lost_count = len(lines.filtered("lost"))

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for ret in self:
            ret.access_url = f"/my/waas/returns/{ret.id}"
        return res

    def _get_report_base_filename(self):
        self.ensure_one()
        return _("Data Wipe Certificate %(name)s", name=self.name)

    # ------------------------------------------------------------------ constraints
    @api.model
    def _check_one_open_return(self, contract_ids, exclude_ids=()):
        """Refuse a second open return on a contract. Called before the rows are written
        (the partial unique index ``waas_return_contract_open_unique`` would otherwise
        answer first, with a database error instead of a clear message)."""
        if not contract_ids:
            return
        if len(set(contract_ids)) < len(contract_ids):
            raise ValidationError(_("A contract can have only one open return at a time."))
        clash = self.search(
            [
                ("contract_id", "in", list(contract_ids)),
                ("state", "in", OPEN_STATES),
                ("id", "not in", list(exclude_ids)),
            ],
            limit=1,
        )
        if clash:
            raise ValidationError(
                _(
                    "Contract %(contract)s already has an open return (%(name)s): finish or "
                    "cancel it before starting another one.",
                    contract=clash.contract_id.name,
                    name=clash.name,
                )
            )

    @api.model
    def _waas_pickup_window_ok(self, start, end):
        """The pickup window rule: ``start`` and ``end`` (hours) lie within the day and the
        window ends after it starts; an ``end`` of 0 is a window not set yet."""
        return 0 <= start <= 24 and 0 <= end <= 24 and not (end and start >= end)

    @api.constrains("pickup_time_from", "pickup_time_to")
    def _check_pickup_window(self):
        for ret in self:
            if not self._waas_pickup_window_ok(ret.pickup_time_from, ret.pickup_time_to):
                raise ValidationError(
                    _(
                        "The pickup window of return %(name)s must be within the day and end "
                        "after it starts.",
                        name=ret.name,
                    )
                )

    @api.constrains("user_id")
    def _check_user_internal(self):
        for ret in self:
            user = ret.user_id
            if user and (user.share or user.id == SUPERUSER_ID):
                raise ValidationError(
                    _(
                        "The responsible of return %(name)s must be an ALSO user, not %(user)s.",
                        name=ret.name,
                        user=user.name,
                    )
                )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        self._waas_check_create_vals(vals_list)
        self._check_one_open_return(
            [
                vals["contract_id"]
                for vals in vals_list
                if vals.get("contract_id") and vals.get("state", "draft") in OPEN_STATES
            ]
        )
        contract_ids = {vals["contract_id"] for vals in vals_list if vals.get("contract_id")}
        contracts = self.env["waas.contract"].browse(contract_ids)
        lines_by_contract = self._prepare_line_vals(contracts)
        line_vals_list = []
        for index, vals in enumerate(vals_list):
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("waas.return") or "/"
            contract = self.env["waas.contract"].browse(vals.get("contract_id"))
            if not vals.get("user_id") and contract:
                vals["user_id"] = contract._waas_return_responsible().id
            if "line_ids" not in vals and contract:
                line_vals = lines_by_contract.get(contract.id)
                if not line_vals:
                    raise UserError(
                        _(
                            "Contract %(contract)s has no rented device left to return.",
                            contract=contract.name,
                        )
                    )
                line_vals_list.append((index, line_vals))
        returns = super().create(vals_list)
        # sudo: the devices of a return are its contract's rented devices, added here
        # only (return lines are not created by hand, see waas.return.line).
        self.env["waas.return.line"].sudo().create(
            [
                dict(vals, return_id=returns[index].id)
                for index, line_vals in line_vals_list
                for vals in line_vals
            ]
        )
        return returns

    def _waas_check_create_vals(self, vals_list):
        """A return is created as a draft with the rented devices of its contract: its
        state, devices, fee invoice and risk acknowledgement are never given by hand."""
        if self.env.su:
            return
        guarded = self._waas_guarded_fields - {"contract_id"}
        for vals in vals_list:
            given = {name for name in guarded.intersection(vals) if vals[name]}
            if vals.get("state") == "draft":
                given.discard("state")
            if given:
                raise AccessError(
                    _(
                        "A return is created as a draft with the rented devices of its "
                        "contract; %(fields)s change only through its buttons.",
                        fields=", ".join(
                            sorted(
                                self._fields[name]._description_string(self.env) for name in given
                            )
                        ),
                    )
                )

    def write(self, vals):
        self._waas_check_state_bound_fields(vals)
        if "contract_id" in vals and self.filtered("line_ids"):
            raise UserError(_("The contract of a return with devices cannot be changed."))
        if vals.get("state") in OPEN_STATES:
            reopened = self.filtered(lambda r: r.state not in OPEN_STATES)
            self._check_one_open_return(reopened.contract_id.ids, exclude_ids=self.ids)
        if "expected_date" in vals:
            # A new expected-by date gets its own overdue reminder.
            vals["reminder_date"] = False
        return super().write(vals)

    def _waas_check_state_bound_fields(self, vals):
        """The booking (method, pickup) and the written consent are edited only while the
        return is a draft (a pickup may be rescheduled until it is received); the consent
        no more once the risk is acknowledged. Only the return's own actions (in superuser
        mode, after their checks) pass."""
        if self.env.su:
            return
        state_labels = dict(self._fields["state"]._description_selection(self.env))
        for name in sorted(STATE_BOUND_FIELDS.keys() & vals.keys()):
            states = STATE_BOUND_FIELDS[name]
            field = self._fields[name]._description_string(self.env)
            frozen = self.filtered(lambda r, states=states: r.state not in states)[:1]
            if frozen:
                raise AccessError(
                    _(
                        "%(field)s of return %(name)s can no longer be changed: the return "
                        "is %(state)s.",
                        field=field,
                        name=frozen.name,
                        state=state_labels[frozen.state],
                    )
                )
            acknowledged = self.filtered("risk_ack_date")[:1] if name in CONSENT_FIELDS else None
            if acknowledged:
                raise AccessError(
                    _(
                        "%(field)s of return %(name)s can no longer be changed: the risk of "
                        "the self-return is already acknowledged.",
                        field=field,
                        name=acknowledged.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft_or_cancelled(self):
        if self.filtered(lambda r: r.state not in ("draft", "cancel")):
            raise UserError(_("Only draft or cancelled returns can be deleted."))

    @api.model
    def _prepare_line_vals(self, contracts):
        """{contract id: [return line values]} for the rented devices (one query)."""
        devices = self.env["waas.device"].search(
            [("contract_id", "in", contracts.ids), ("state", "=", "rented")]
        )
        result = defaultdict(list)
        for device in devices:
            result[device.contract_id.id].append({"device_id": device.id})
        return result

    # ------------------------------------------------------------------ helpers
    def _lock_rows(self):
        """Lock the returns' rows until the end of the transaction and re-read them, so
        that two confirmations (double click, two users) are serialized: the second one
        sees what the first one did."""
        if not self.ids:
            return
        self.flush_recordset()
        self.env.cr.execute(
            "SELECT id FROM waas_return WHERE id IN %s FOR UPDATE", [tuple(self.ids)]
        )
        self.invalidate_recordset()

    def _waas_responsible(self):
        """ALSO's user who gets the to-dos of this return: its responsible, else the
        contract's (salesperson of the deal, else the logistics user)."""
        self.ensure_one()
        user = self.user_id
        if user and user.active and not user.share and user.id != SUPERUSER_ID:
            return user
        return self.contract_id._waas_return_responsible()

    def _create_activities(self, summary, notes, logistics=False):
        """One to-do activity per return for its ALSO responsible (``logistics``: for the
        logistics user of the WaaS settings first); ``notes``: {return id: html}."""
        configured = self.env["waas.contract"]._waas_configured_logistics_user()
        for ret in self:
            user = (
                ret.contract_id._waas_logistics_user(configured=configured)
                if logistics
                else ret._waas_responsible()
            )
            # sudo: the activities follow a receipt validated by a warehouse user or the
            # reminder cron, who need not have write access on the returns.
            ret.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=fields.Date.context_today(ret),
                summary=summary,
                note=notes.get(ret.id, ""),
                user_id=user.id or self.env.uid,
            )

    def _waas_check_action(self):
        """The buttons of a return are ALSO's (internal WaaS users), over any client: a
        portal user books its return in the portal, where the controller checks it and
        then acts in superuser mode. Checked first, before anything is read or written."""
        if self.env.su:
            return
        if not self.env.user.has_group(WAAS_USER_GROUP):
            raise AccessError(
                _(
                    "Only ALSO's WaaS users manage returns (%(user)s is not one): book or "
                    "follow a return in the portal.",
                    user=self.env.user.name,
                )
            )
        # The records themselves: access rights and rules (e.g. the user's companies).
        self.check_access("write")

    # ------------------------------------------------------------------ actions
    def action_acknowledge_risk(self):
        """Button "Record Consent": ALSO staff record that the end customer accepted, in
        writing, that its self-return travels at its own risk (reference, and the document
        if any, set on the return first); who recorded it and when are kept."""
        self._waas_check_action()
        for ret in self:
            if ret.method != "self_return" or ret.state != "draft":
                raise UserError(
                    _(
                        "Return %(name)s: the risk is acknowledged only for a self-return "
                        "that is not confirmed yet.",
                        name=ret.name,
                    )
                )
            if not (ret.risk_consent_ref or "").strip():
                raise UserError(
                    _(
                        "Return %(name)s: enter the reference of the end customer's written "
                        "consent (and attach it) before acknowledging the risk on its behalf; "
                        "or let the end customer book the self-return in the portal.",
                        name=ret.name,
                    )
                )
        # sudo: the guarded fields are written by this action, after the group and state
        # checks above.
        self.filtered(lambda r: not r.risk_ack_date).sudo().write(
            {
                "risk_ack_by_id": self.env.user.id,
                "risk_ack_date": fields.Datetime.now(),
                "risk_ack_mode": "consent",
            }
        )
        return True

    def _waas_portal_acknowledge_risk(self):
        """The end customer accepts in the portal that its self-return travels at its own
        risk. Only the end customer's own portal users may (not the reseller's): called
        by the booking route, in superuser mode, for the user of the request."""
        user = self.env.user
        for ret in self:
            if not user.share or user.commercial_partner_id != ret.partner_id.commercial_partner_id:
                raise AccessError(
                    _(
                        "Only the end customer %(customer)s accepts the risk of a "
                        "self-return: book a secure pickup, or ask the end customer to book "
                        "the self-return in its portal.",
                        customer=ret.partner_id.commercial_partner_id.name,
                    )
                )
            if ret.method != "self_return" or ret.state != "draft":
                raise UserError(
                    _(
                        "Return %(name)s: the risk is acknowledged only for a self-return "
                        "that is not confirmed yet.",
                        name=ret.name,
                    )
                )
        # sudo: the guarded fields are written for the end customer's portal user, after
        # the checks above.
        self.filtered(lambda r: not r.risk_ack_date).sudo().write(
            {
                "risk_ack_by_id": user.id,
                "risk_ack_date": fields.Datetime.now(),
                "risk_ack_mode": "portal",
            }
        )
        return True

    def _check_ready_to_confirm(self):
        for ret in self:
            if not ret.line_ids:
                raise UserError(_("Return %(name)s has no device to return.", name=ret.name))
            if ret.method == "self_return" and not ret.risk_ack_date:
                raise UserError(
                    _(
                        "Return %(name)s: the end customer must acknowledge that a "
                        "self-return travels at its own risk before it is confirmed.",
                        name=ret.name,
                    )
                )
            if ret.method == "pickup":
                if not (ret.pickup_date and ret.pickup_time_to and ret.pickup_address_id):
                    raise UserError(
                        _(
                            "Return %(name)s: set the pickup date, time window and address "
                            "before confirming the pickup.",
                            name=ret.name,
                        )
                    )
                if not ret.pickup_contact_id:
                    raise UserError(
                        _(
                            "Return %(name)s: set the contact person who hands the devices over.",
                            name=ret.name,
                        )
                    )
                company = ret.company_id
                if not company.waas_pickup_fee_product_id or company.waas_pickup_fee_amount <= 0:
                    raise UserError(
                        _(
                            "Set the secure pickup fee product and price of %(company)s in the "
                            "WaaS settings before confirming a pickup.",
                            company=company.name,
                        )
                    )

    def action_confirm(self):
        """Button "Confirm": schedules the return. A pickup's fee is invoiced (exactly once)
        and the receipt of the expected serials is created. Returns already confirmed (a
        double click, another user) are left as they are."""
        self._waas_check_action()
        self._lock_rows()
        todo = self.filtered(lambda r: r.state == "draft")
        if not todo:
            return True
        todo._check_ready_to_confirm()
        # sudo: the guarded fields are written by this action, after the group and state
        # checks above.
        todo = todo.sudo()
        today = fields.Date.context_today(self)
        for ret in todo.filtered(lambda r: r.method == "self_return" and not r.expected_date):
            ret.expected_date = today + timedelta(days=ret.company_id.waas_self_return_days)
        todo.filtered(lambda r: r.method == "pickup")._invoice_pickup_fee()
        todo.write({"state": "scheduled"})
        todo._create_receipts()
        return True

    def _invoice_pickup_fee(self):
        """Invoice the secure pickup fee to the end customer, once per return (see
        ``_create_return_invoices``); the fee is posted at once."""
        todo = self.filtered(lambda r: r.method == "pickup")
        line_vals = {
            ret.id: [
                {
                    "product_id": ret.company_id.waas_pickup_fee_product_id.id,
                    "name": self.env._(
                        "Secure pickup of %(count)s device(s), return %(name)s "
                        "(contract %(contract)s)",
                        count=len(ret.line_ids),
                        name=ret.name,
                        contract=ret.contract_id.name,
                    ),
                    "quantity": 1.0,
                    "price_unit": ret.company_id.waas_pickup_fee_amount,
                }
            ]
            for ret in todo
        }
        moves = todo._create_return_invoices("fee_move_id", line_vals, post=True)
        for move in moves:
            move.waas_return_id.message_post(
                body=_("Secure pickup fee invoiced: %(invoice)s", invoice=move._get_html_link())
            )
        return moves

    def _create_return_invoices(self, move_field, line_vals, post=None):
        """One customer invoice per return of ``self`` with the lines ``line_vals``
        ({return id: [invoice line values]}), linked in ``move_field`` (a key of
        ``INVOICE_LINKS``), exactly once: the rows are locked and re-read first, an invoice
        already made is linked instead of repeated, and a unique index on the invoice's
        link to the return is the safety net. Made and posted by the builder of every WaaS
        invoice (``account.move._waas_create_and_post``: the company's WaaS journal; posted
        when the company posts WaaS invoices, or always with ``post=True``; one that cannot
        be posted stays in draft and is tried again daily). Returns the new invoices."""
        link = INVOICE_LINKS[move_field]
        # sudo: WaaS users and the daily job are no accountants; like a sales order's
        # invoice, these invoices are a consequence of the return's actions.
        Move = self.env["account.move"].sudo()
        self._lock_rows()
        todo = self.filtered(lambda r: not r[move_field] and line_vals.get(r.id))
        if not todo:
            return Move
        for move in Move.search([(link, "in", todo.ids)]):
            move[link].sudo()[move_field] = move
        todo = todo.filtered(lambda r: not r[move_field])
        moves = Move._waas_create_and_post(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": ret.partner_id.id,
                    "company_id": ret.company_id.id,
                    "currency_id": ret.company_id.currency_id.id,
                    "invoice_origin": ret.name,
                    "invoice_user_id": ret._waas_responsible().id,
                    link: ret.id,
                    "invoice_line_ids": [Command.create(vals) for vals in line_vals[ret.id]],
                }
                for ret in todo
            ],
            post=post,
        )
        for move in moves:
            move[link].sudo()[move_field] = move
        return moves

    # ------------------------------------------------------------------ stock
    def _prepare_procurement_group_vals(self):
        self.ensure_one()
        return {"name": self.name, "move_type": "direct", "partner_id": self._receipt_partner().id}

    def _receipt_partner(self):
        """Who hands the devices over: the pickup address, or the end customer."""
        self.ensure_one()
        return self.pickup_address_id if self.method == "pickup" else self.partner_id

    def _prepare_procurement(self, line, warehouse, location, date_planned):
        """The procurement of return line ``line``'s device into ``location`` along the
        WaaS Returns route of ``warehouse`` (one move per device, linked to its line)."""
        self.ensure_one()
        product = line.product_id
        return self.env["procurement.group"].Procurement(
            product,
            1.0,
            product.uom_id,
            location,
            product.display_name,
            self.name,
            self.company_id,
            {
                "group_id": self.procurement_group_id,
                "route_ids": warehouse.waas_return_route_id,
                "warehouse_id": warehouse,
                "date_planned": date_planned,
                "waas_return_line_id": line.id,
            },
        )

    def _run_procurements(self, procurements):
        """Run ``procurements`` (of these returns' devices, see ``_prepare_procurement``)
        and return the transfers they made."""
        # sudo: WaaS users have no Inventory rights; the transfers are the logistics
        # consequence of the return's actions, processed by the warehouse.
        rets = self.sudo()
        before = rets.picking_ids
        self.env["procurement.group"].sudo().run(procurements)
        rets.invalidate_recordset(["picking_ids"])
        return rets.picking_ids - before

    def _set_procurement_group(self):
        """Each return gets its procurement group (once): its transfers are grouped by it.
        The group's partner follows a rescheduled pickup's address for the next receipt."""
        for ret in self.filtered("procurement_group_id"):
            partner = ret._receipt_partner()
            if ret.procurement_group_id.partner_id != partner:
                ret.procurement_group_id.partner_id = partner
        new = self.filtered(lambda r: not r.procurement_group_id)
        groups = self.env["procurement.group"].create(
            [ret._prepare_procurement_group_vals() for ret in new]
        )
        # sudo: the group is a guarded field, set only here by the return's actions.
        for ret, group in zip(new.sudo(), groups, strict=True):
            ret.procurement_group_id = group

    def _create_receipts(self):
        """A receipt per return from the customer into the WaaS returns location, run
        along the WaaS Returns route: one move per device still expected, with the
        expected serial already filled in (stock.move)."""
        expected = self.line_ids.filtered(lambda line: not line.received and not line.lost)
        rets = expected.return_id
        rets._set_procurement_group()
        warehouses = {company: company._waas_return_warehouse() for company in rets.company_id}
        procurements = []
        for line in expected:
            ret = line.return_id
            warehouse = warehouses[ret.company_id]
            date = ret.pickup_date or ret.expected_date or fields.Date.today()
            procurements.append(
                ret._prepare_procurement(
                    line,
                    warehouse,
                    warehouse.waas_return_loc_id,
                    fields.Datetime.to_datetime(date),
                )
            )
        return rets._run_procurements(procurements)

    def _process_receipts(self):
        """Called when receipts of these returns are done or cancelled: mark the received
        devices, flag the missing ones once no receipt is open any more, move the state."""
        rets = self.filtered(lambda r: r.state in PROGRESS_STATES)
        if not rets:
            return
        receipts = rets.picking_ids.filtered(lambda p: p.picking_type_code == "incoming")
        received_lots = (
            receipts.filtered(lambda p: p.state == "done")
            .move_line_ids.filtered(lambda ml: ml.state == "done" and ml.quantity > 0)
            .lot_id
        )
        new_lines = rets.line_ids.filtered(
            lambda line: not line.received and line.lot_id and line.lot_id in received_lots
        )
        if new_lines:
            new_lines.write(
                {"received": True, "date_received": fields.Datetime.now(), "missing": False}
            )
            # sudo: the device state is guarded (waas.guard.mixin); receiving the device
            # on the return's own receipt is the action that moves it.
            new_lines.device_id.sudo().write({"state": "returned"})
            for ret, lines in new_lines.grouped("return_id").items():
                ret.message_post(
                    body=_(
                        "Devices received: %(serials)s",
                        serials=", ".join(lines.mapped("lot_id.name")),
                    )
                )
        closed = rets.filtered(
            lambda r: (
                not r.picking_ids.filtered(
                    lambda p: (
                        p.picking_type_code == "incoming" and p.state not in ("done", "cancel")
                    )
                )
            )
        )
        closed._flag_missing_devices()
        rets._update_progress_state()

    def _flag_missing_devices(self):
        """Flag the devices still expected as missing, with one activity per return."""
        lines = self.line_ids.filtered(lambda line: not line.received and not line.missing)
        if not lines:
            return
        lines.write({"missing": True})
        by_return = lines.grouped("return_id")
        notes = {}
        for ret, ret_lines in by_return.items():
            serials = ", ".join(
                line.lot_id.name or line.product_id.display_name for line in ret_lines
            )
            notes[ret.id] = _(
                "Devices not received: %(serials)s. Contact the end customer and create a new "
                "receipt when they are found.",
                serials=serials,
            )
            ret.message_post(body=notes[ret.id])
        self.browse([ret.id for ret in by_return])._create_activities(_("Missing devices"), notes)

    def _update_progress_state(self):
        """Set the state from the lines: partially received, received, wiped (lost devices,
        charged to the end customer, are no longer waited for)."""
        by_state = defaultdict(list)
        for ret in self.filtered(lambda r: r.state in PROGRESS_STATES):
            lines = ret.line_ids.filtered(lambda line: not line.lost)
            if ret.line_ids and all(line.received and line.wipe_id for line in lines):
                state = "wiped"
            elif lines and all(lines.mapped("received")):
                state = "received"
            elif any(lines.mapped("received")):
                state = "partial"
            else:
                state = "scheduled"
            if state != ret.state:
                by_state[state].append(ret.id)
        for state, ids in by_state.items():
            self.browse(ids).write({"state": state})

    def action_flag_missing(self):
        """Button "Flag Missing Devices": stop waiting: the open receipts are cancelled
        and the devices not received are flagged missing (with an activity)."""
        self._waas_check_action()
        rets = self.filtered(lambda r: r.state in PROGRESS_STATES)
        open_receipts = rets.picking_ids.filtered(
            lambda p: p.picking_type_code == "incoming" and p.state not in ("done", "cancel")
        )
        if open_receipts:
            # sudo: see _run_procurements.
            open_receipts.sudo().action_cancel()
        # sudo: the guarded fields (missing devices, state) are written by this action,
        # after the group and state checks above.
        rets.sudo()._process_receipts()
        return True

    def action_create_receipt(self):
        """Button "New Receipt": a new incoming transfer for the devices not received yet
        (e.g. missing devices found again)."""
        self._waas_check_action()
        for ret in self:
            open_receipts = ret.picking_ids.filtered(
                lambda p: p.picking_type_code == "incoming" and p.state not in ("done", "cancel")
            )
            if ret.state not in ("scheduled", "partial") or open_receipts:
                raise UserError(
                    _(
                        "Return %(name)s already has an open receipt or nothing left to receive.",
                        name=ret.name,
                    )
                )
        pickings = self._create_receipts()
        return pickings and self._action_view_pickings(pickings)

    def action_record_wipe(self):
        """Button "Record Wipe": opens the wizard recording the wiping of received devices."""
        self._waas_check_action()
        self.ensure_one()
        lines = self.line_ids.filtered(lambda line: line.received and not line.wipe_id)
        if not lines:
            raise UserError(
                _("Return %(name)s has no received device waiting to be wiped.", name=self.name)
            )
        return waas_wizard_action(
            self.env._("Record Data Wipe"),
            "waas.return.wipe.wizard",
            {"default_return_id": self.id, "default_line_ids": [Command.set(lines.ids)]},
        )

    def action_done(self):
        """Button "Close": every device received and wiped (or lost and charged); the
        devices move to the refurbish location and the return is done."""
        self._waas_check_action()
        self._lock_rows()
        todo = self.filtered(lambda r: r.state != "done")
        for ret in todo:
            if ret.state in ("draft", "cancel"):
                raise UserError(
                    _("Return %(name)s is not confirmed: it cannot be closed.", name=ret.name)
                )
            not_received = ret.line_ids.filtered(lambda line: not line.received and not line.lost)
            not_wiped = ret.line_ids.filtered(lambda line: line.received and not line.wipe_id)
            if not_received or not_wiped:
                raise UserError(
                    _(
                        "Return %(name)s cannot be closed until every device is received and "
                        "wiped. Not received: %(not_received)s. Not wiped: %(not_wiped)s.",
                        name=ret.name,
                        not_received=", ".join(not_received.mapped("display_name")) or "-",
                        not_wiped=", ".join(not_wiped.mapped("display_name")) or "-",
                    )
                )
        # sudo: the guarded fields are written by this action, after the group and state
        # checks above.
        todo.sudo()._close()
        return True

    def _close(self):
        """The returns are done: their devices move to the refurbish location."""
        self._move_to_refurbish()
        self.write({"state": "done", "date_done": fields.Datetime.now()})

    def _move_to_refurbish(self):
        """The wiped devices move from the WaaS returns location to the refurbish location
        along the WaaS Returns route of the warehouse that received them (the settings may
        have changed since): one internal transfer per return, validated at once."""
        lines = self.line_ids.filtered(lambda line: line.lot_id and not line.lost)
        rets = lines.return_id
        if not rets:
            return self.env["stock.picking"]
        rets._set_procurement_group()
        procurements = []
        now = fields.Datetime.now()
        for ret, ret_lines in lines.grouped("return_id").items():
            received = ret.picking_ids.filtered(
                lambda p: p.picking_type_code == "incoming" and p.state == "done"
            )
            warehouse = (
                received[-1:].picking_type_id.warehouse_id
                or ret.company_id._waas_return_warehouse()
            )
            procurements += [
                ret._prepare_procurement(line, warehouse, warehouse.waas_refurbish_loc_id, now)
                for line in ret_lines
            ]
        pickings = rets._run_procurements(procurements)
        moves = pickings.move_ids
        moves._action_assign()
        ready = moves.filtered(lambda m: m.state == "assigned")
        ready.picked = True
        # A device no longer in the WaaS returns location stays in an open transfer (a
        # backorder when others could go) for the warehouse, with a to-do for logistics.
        ready.picking_id._action_done()
        waiting = (moves - ready).grouped(lambda m: m.waas_return_line_id.return_id)
        notes = {}
        for ret, ret_moves in waiting.items():
            notes[ret.id] = _(
                "Devices %(serials)s are not in %(location)s: their move to refurbishing "
                "waits in an open transfer of the warehouse.",
                serials=", ".join(ret_moves.waas_return_line_id.lot_id.mapped("name")),
                location=", ".join(ret_moves.location_id.mapped("display_name")),
            )
            ret.message_post(body=notes[ret.id])
        self.browse([ret.id for ret in waiting])._create_activities(
            _("Devices not moved to refurbishing"), notes, logistics=True
        )
        return pickings

    def action_cancel(self):
        """Button "Cancel": stops the return; open transfers are cancelled. A pickup fee
        already invoiced stays (credit it by hand if it must be refunded)."""
        self._waas_check_action()
        self._lock_rows()
        for ret in self:
            if ret.state == "done" or ret.line_ids.filtered("received"):
                raise UserError(
                    _(
                        "Return %(name)s cannot be cancelled: devices were already received.",
                        name=ret.name,
                    )
                )
        # sudo: the guarded fields are written by this action, after the group and state
        # checks above.
        self.sudo().write({"state": "cancel"})
        open_pickings = self.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        if open_pickings:
            # sudo: see _run_procurements.
            open_pickings.sudo().action_cancel()
        for ret in self.filtered("fee_move_id"):
            ret.message_post(
                body=_(
                    "The return is cancelled; the pickup fee invoice %(invoice)s stays: "
                    "credit it if the fee must be refunded.",
                    invoice=ret.fee_move_id._get_html_link(),
                )
            )
        return True

    def action_draft(self):
        """Button "Reset to Draft": a cancelled return becomes a draft again; a new risk
        acknowledgement is needed for a self-return."""
        self._waas_check_action()
        if self.filtered(lambda r: r.state != "cancel"):
            raise UserError(_("Only cancelled returns can be reset to draft."))
        # sudo: the guarded fields are written by this action, after the group and state
        # checks above (the open-return check of write() still applies).
        self.sudo().write(
            {
                "state": "draft",
                "risk_ack_by_id": False,
                "risk_ack_date": False,
                "risk_ack_mode": False,
            }
        )
        return True

    # ------------------------------------------------------------------ missing devices
    def _missing_lines(self):
        """The devices of these returns neither received nor already charged as lost."""
        return self.line_ids.filtered(lambda line: not line.received and not line.lost)

    def _charge_problems(self):
        """{return id: message} of the returns whose missing devices cannot be charged
        (a device without replacement value)."""
        problems = {}
        for ret in self:
            no_value = ret._missing_lines().filtered(
                lambda line: line.product_id.waas_replacement_value <= 0
            )
            if no_value:
                problems[ret.id] = _(
                    "The missing devices of return %(name)s cannot be charged: %(products)s "
                    "(serials %(serials)s) have no replacement value. Set it on the product "
                    "(WaaS tab, shown on the WaaS price list), then charge the missing devices "
                    "again.",
                    name=ret.name,
                    products=", ".join(sorted(set(no_value.mapped("product_id.display_name")))),
                    serials=", ".join(no_value.lot_id.mapped("name")) or "-",
                )
        return problems

    def _charge_line_vals(self, line):
        """Invoice line values charging the lost device of return line ``line`` at its
        replacement value (converted to the company's currency)."""
        self.ensure_one()
        product = line.product_id
        company = self.company_id
        return {
            "product_id": product.id,
            "name": self.env._(
                "Lost device %(product)s, serial %(serial)s (return %(name)s, contract "
                "%(contract)s): replacement value",
                product=product.display_name,
                serial=line.lot_id.name or "-",
                name=self.name,
                contract=self.contract_id.name,
            ),
            "quantity": 1.0,
            "price_unit": product.currency_id._convert(
                product.waas_replacement_value,
                company.currency_id,
                company,
                fields.Date.context_today(self),
            ),
        }

    def _charge_missing_devices(self):
        """Charge the devices still missing from these self-returns (superuser mode, after
        the checks of the caller): the open receipts are cancelled, one invoice per return
        with one line per device at its replacement value, the devices are lost and the
        return no longer waits for them (closed when nothing else is left to wipe). Returns
        whose devices cannot all be charged are left as they are. Returns ``(charged
        returns, {return id: problem})``."""
        self._lock_rows()
        rets = self.filtered(
            lambda r: (
                r.method == "self_return"
                and r.state in ("scheduled", "partial")
                and r._missing_lines()
            )
        )
        problems = rets._charge_problems()
        rets = rets.filtered(lambda r: r.id not in problems)
        if not rets:
            return rets, problems
        lines = rets._missing_lines()
        line_vals = {
            ret.id: [ret._charge_line_vals(line) for line in ret._missing_lines()] for ret in rets
        }
        rets._create_return_invoices("charge_move_id", line_vals)
        lines.write({"missing": True, "lost": True})
        lines.device_id.write({"state": "lost"})
        # The receipts no longer wait for them (cancelled after the devices are lost: no
        # "Missing devices" to-do follows).
        open_receipts = rets.picking_ids.filtered(
            lambda p: p.picking_type_code == "incoming" and p.state not in ("done", "cancel")
        )
        if open_receipts:
            open_receipts.action_cancel()
        for ret, ret_lines in lines.grouped("return_id").items():
            ret.message_post(
                body=_(
                    "Devices still missing after the grace period, charged to the end "
                    "customer at their replacement value and marked lost: %(serials)s. "
                    "Invoice: %(invoice)s",
                    serials=", ".join(ret_lines.lot_id.mapped("name")) or "-",
                    invoice=ret.charge_move_id._get_html_link(),
                )
            )
        rets._update_progress_state()
        rets.filtered(lambda r: r.state == "wiped")._close()
        return rets, problems

    def action_charge_missing(self):
        """Button "Charge Missing Devices": the devices of a self-return still missing
        after its expected-by date are charged to the end customer at their replacement
        value and marked lost (what the daily job does after the grace period). A secure
        pickup travels at ALSO's risk: never charged."""
        self._waas_check_action()
        self._lock_rows()
        today = fields.Date.context_today(self)
        for ret in self:
            if ret.method != "self_return":
                raise UserError(
                    _(
                        "Return %(name)s is a secure pickup: its devices travel at ALSO's "
                        "risk and are never charged to the end customer.",
                        name=ret.name,
                    )
                )
            if ret.state not in ("scheduled", "partial") or not ret._missing_lines():
                raise UserError(
                    _(
                        "Return %(name)s has no device left to charge: only the devices still "
                        "missing from a confirmed self-return are.",
                        name=ret.name,
                    )
                )
            if not ret.expected_date or ret.expected_date >= today:
                raise UserError(
                    _(
                        "The devices of return %(name)s are expected back by %(date)s: they "
                        "can be charged only after that date.",
                        name=ret.name,
                        date=ret.expected_date or "-",
                    )
                )
        problems = self._charge_problems()
        if problems:
            raise UserError("\n".join(problems.values()))
        # sudo: the guarded fields (lost devices, state, the invoice) are written by this
        # action, after the group and state checks above.
        self.sudo()._charge_missing_devices()
        return True

    def _action_view_pickings(self, pickings):
        action = self.env["ir.actions.actions"]._for_xml_id("stock.action_picking_tree_all")
        if len(pickings) == 1:
            action.update(views=[(False, "form")], res_id=pickings.id)
        else:
            action["domain"] = [("id", "in", pickings.ids)]
        return action

    def action_view_pickings(self):
        """Smart button "Transfers"."""
        self.ensure_one()
        return self._action_view_pickings(self.picking_ids)

    # ------------------------------------------------------------------ cron
    @api.model
    def _cron_remind_overdue_self_returns(self, limit=CRON_CHUNK):
        """Daily: a reminder activity on each self-return whose expected-by date passed
        while devices are still expected (once per expected-by date). One batch per call:
        the scheduler commits it and calls again while some remain."""
        domain = [
            ("method", "=", "self_return"),
            ("state", "in", ("scheduled", "partial")),
            ("expected_date", "<", fields.Date.context_today(self)),
            ("reminder_date", "=", False),
        ]
        rets = self.search(domain, limit=limit, order="expected_date, id")
        notes = {
            ret.id: self.env._(
                "The end customer's self-return was expected by %(date)s and %(count)s "
                "device(s) are still not received: remind the customer.",
                date=ret.expected_date,
                count=ret.device_count - ret.received_count,
            )
            for ret in rets
        }
        rets._create_activities(_("Self-return overdue"), notes)
        rets.write({"reminder_date": fields.Date.context_today(self)})
        self.env["ir.cron"]._notify_progress(done=len(rets), remaining=self.search_count(domain))
        return True

    @api.model
    def _charge_due_domain(self):
        """Self-returns whose expected-by date plus the grace period of their company
        passed with devices still missing, not tried yet today."""
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].search([])
        return expression.AND(
            [
                [
                    ("method", "=", "self_return"),
                    ("state", "in", ("scheduled", "partial")),
                    ("charge_move_id", "=", False),
                    "|",
                    ("charge_checked_date", "=", False),
                    ("charge_checked_date", "<", today),
                ],
                expression.OR(
                    [
                        [
                            ("company_id", "=", company.id),
                            (
                                "expected_date",
                                "<",
                                today - timedelta(days=company.waas_missing_grace_days),
                            ),
                        ]
                        for company in companies
                    ]
                ),
            ]
        )

    @api.model
    def _cron_charge_missing_devices(self, limit=CRON_CHUNK):
        """Daily: the devices still missing from a self-return after its expected-by date
        plus the company's grace period are charged to the end customer and marked lost;
        a return that cannot be charged gets an activity for logistics (once) and is tried
        again the next day. One batch per call: the scheduler commits it and calls again
        while some remain."""
        domain = self._charge_due_domain()
        rets = self.search(domain, limit=limit, order="expected_date, id")
        first_try = rets.filtered(lambda r: not r.charge_checked_date)
        # sudo: the job writes the guarded fields (lost devices, state, the invoice) of the
        # returns its domain selected, whoever the scheduler runs it as.
        _charged, problems = rets.sudo()._charge_missing_devices()
        blocked = first_try.filtered(lambda r: r.id in problems)
        for ret in blocked:
            ret.message_post(body=problems[ret.id])
        blocked._create_activities(_("Missing devices not charged"), problems, logistics=True)
        rets.write({"charge_checked_date": fields.Date.context_today(self)})
        self.env["ir.cron"]._notify_progress(done=len(rets), remaining=self.search_count(domain))
        return True
