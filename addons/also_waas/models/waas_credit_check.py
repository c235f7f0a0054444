import re
from datetime import timedelta

from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.util import clean, get_cc_module

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import formatLang

from ..tools import waas_wizard_action

CONTROLLER_GROUP = "also_waas.group_waas_credit_controller"
# Fields only the credit team (or the system) may set.
DECISION_FIELDS = {
    "decided_by_id",
    "decided_on",
    "valid_until",
    "rejection_reason",
    "approved_exposure",
}
# Fields fixed once a check is requested: a different amount or customer is a new check.
REQUEST_FIELDS = {"partner_id", "sale_order_id", "amount", "currency_id", "company_id"}


def _registry_nl(number):
    """Dutch KvK number: 8 digits (not in python-stdnum 1.19)."""
    number = re.sub(r"[\s.\-]", "", number or "")
    if not re.fullmatch(r"\d{8}", number):
        raise StdnumValidationError()
    return number


def _registry_stdnum(cc, name):
    def validate(number):
        module = get_cc_module(cc, name)
        return module.validate(number)

    return validate


# Company registry numbers per country: the python-stdnum module of each (where one exists).
REGISTRY_STDNUM = {
    "be": "vat",  # enterprise number = digits of the VAT number
    "fr": "siren",
    "ch": "uid",
    "at": "businessid",
    "dk": "cvr",
    "fi": "ytunnus",
    "no": "orgnr",
    "se": "orgnr",
    "pl": "regon",
    "ee": "registrikood",
}
# Company registry numbers checked per country (where one exists).
REGISTRY_VALIDATORS = {
    "nl": _registry_nl,
    **{cc: _registry_stdnum(cc, name) for cc, name in REGISTRY_STDNUM.items()},
}
# VAT prefixes that differ from the ISO country code.
VAT_PREFIX_TO_CC = {"el": "gr"}
CC_TO_VAT_PREFIX = {cc: prefix for prefix, cc in VAT_PREFIX_TO_CC.items()}


def _stdnum_compact(cc, name, number):
    """``number`` in python-stdnum's compact form for country ``cc``, or cleaned of
    separators when stdnum has no such module or cannot read it. Never raises."""
    cleaned = clean(number, " -./,").upper()
    module = get_cc_module(cc, name) if cc.isascii() and cc.isalpha() else None
    if not module:
        return cleaned
    try:
        return module.compact(number).upper()
    except (StdnumValidationError, ValueError):
        return cleaned  # a number stdnum cannot read


def waas_vat_key(vat, country_code):
    """The normalised VAT number used to match end customers: country prefix and the
    compact number (python-stdnum), e.g. "NL 0044.95445.B01" -> "NL004495445B01". A
    number without a prefix takes the one of ``country_code``. False without a number."""
    number = clean(vat or "", " -./,").upper()
    if not number:
        return False
    if number[:2].isalpha():
        prefix = number[:2]
    else:
        cc = (country_code or "").lower()
        prefix = CC_TO_VAT_PREFIX.get(cc, cc).upper()
        number = prefix + number
    if not prefix:
        return number
    compact = _stdnum_compact(VAT_PREFIX_TO_CC.get(prefix.lower(), prefix.lower()), "vat", number)
    return compact if compact.startswith(prefix) else prefix + compact


def waas_registry_key(registry, country_code):
    """The normalised company registry number used to match end customers: the country
    and the compact number (python-stdnum where it knows the register), e.g. "NL:24321773".
    A registry number is national, so without a country there is no key."""
    cc = (country_code or "").lower()
    number = clean(registry or "", " -./,").upper()
    if not number or not cc:
        return False
    if cc == "nl":
        number = re.sub(r"\D", "", number) or number
    elif cc in REGISTRY_STDNUM:
        number = _stdnum_compact(cc, REGISTRY_STDNUM[cc], number)
    return f"{cc.upper()}:{number}"


class WaasCreditCheck(models.Model):
    _name = "waas.credit.check"
    _description = "WaaS Credit Check"
    _inherit = ["mail.thread", "mail.activity.mixin", "waas.guard.mixin"]
    _order = "id desc"
    _check_company_auto = True
    # Decided only by Approve / Reject (credit controllers, four-eyes rule), cancelled by
    # Cancel, expired by the daily job; what was requested never changes.
    _waas_guarded_fields = frozenset(
        {"state", "requested_by_id"} | DECISION_FIELDS | REQUEST_FIELDS
    )

    name = fields.Char(required=True, readonly=True, default="/", copy=False)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    currency_id = fields.Many2one(comodel_name="res.currency", required=True)
    sale_order_id = fields.Many2one(
        comodel_name="sale.order",
        string="Quotation",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="End Customer",
        required=True,
        index=True,
        tracking=True,
    )
    reseller_id = fields.Many2one(related="sale_order_id.waas_reseller_id", store=True)
    amount = fields.Monetary(
        required=True,
        tracking=True,
        help="Total contract value the end customer's credit is checked for.",
    )
    state = fields.Selection(
        selection=[
            ("requested", "Requested"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("expired", "Expired"),
            ("cancelled", "Cancelled"),
        ],
        default="requested",
        required=True,
        tracking=True,
        index=True,
    )
    requested_by_id = fields.Many2one(
        comodel_name="res.users", default=lambda self: self.env.user, readonly=True
    )
    decided_by_id = fields.Many2one(comodel_name="res.users", readonly=True, tracking=True)
    decided_on = fields.Datetime(readonly=True)
    valid_until = fields.Date(readonly=True, tracking=True)
    rejection_reason = fields.Text(tracking=True)
    # For display.
    partner_vat = fields.Char(related="partner_id.vat", string="VAT")
    partner_company_registry = fields.Char(
        related="partner_id.company_registry", string="Company Registry"
    )
    # The end customer's Peppol endpoint (its e-invoices go out on Peppol): set by the
    # reseller on the portal or derived from the registry number, checked and corrected
    # here by the credit controller.
    partner_peppol_eas = fields.Selection(
        selection=lambda self: self.env["res.partner"]._fields["peppol_eas"].selection,
        string="Peppol Scheme",
        compute="_compute_partner_peppol",
        inverse="_inverse_partner_peppol",
    )
    partner_peppol_endpoint = fields.Char(
        string="Peppol Endpoint",
        compute="_compute_partner_peppol",
        inverse="_inverse_partner_peppol",
        help="The end customer's Peppol ID: Belgium 0208 with the enterprise number, "
        "the Netherlands 0106 with the KvK number or 0190 with the OIN. Its invoices go out "
        "as Peppol BIS Billing 3.0 e-invoices; without one, by e-mail.",
    )
    order_state = fields.Selection(related="sale_order_id.state", string="Quotation Status")
    contract_value = fields.Monetary(
        related="sale_order_id.waas_contract_value", string="Current Contract Value"
    )
    # The end customer's total exposure (res.partner._waas_exposure), in the company's
    # currency: what it owes and what its running contracts still invoice, plus this deal.
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    exposure_before = fields.Monetary(
        string="Exposure Before This Deal",
        currency_field="company_currency_id",
        compute="_compute_exposure",
        help="Open invoices of the end customer, what its running contracts still have to "
        "invoice, and its other approved quotations not activated yet; all untaxed, like "
        "the deal (the VAT of an unpaid invoice is reclaimed, the risk is the net amount).",
    )
    exposure_deal = fields.Monetary(
        string="This Deal",
        currency_field="company_currency_id",
        compute="_compute_exposure",
        help="The deal's contract value, untaxed.",
    )
    exposure_total = fields.Monetary(
        string="Total Exposure",
        currency_field="company_currency_id",
        compute="_compute_exposure",
        help="What the approval covers: the exposure before this deal plus this deal.",
    )
    approved_exposure = fields.Monetary(
        currency_field="company_currency_id",
        readonly=True,
        tracking=True,
        help="The total exposure approved: the end customer's approved exposure from then on.",
    )
    partner_blocked = fields.Boolean(
        string="Customer Blocked", related="partner_id.commercial_partner_id.waas_blocked"
    )
    partner_block_reason = fields.Text(
        string="Why Blocked", related="partner_id.commercial_partner_id.waas_block_reason"
    )
    is_valid = fields.Boolean(
        string="Valid Approval",
        compute="_compute_is_valid",
        help="Approved, not lapsed, and covering the quotation's current contract value.",
    )

    _sql_constraints = [
        ("amount_positive", "CHECK(amount > 0)", "A credit check needs a positive amount."),
        (
            "decision_complete",
            "CHECK(state != 'approved' OR valid_until IS NOT NULL)",
            "An approved credit check needs a validity date.",
        ),
    ]

    # ------------------------------------------------------------------ computes / checks

    @api.depends("state", "valid_until", "amount", "contract_value")
    def _compute_is_valid(self):
        for check in self:
            check.is_valid = (
                check.state == "approved"
                and not check._waas_is_expired()
                and check._waas_covers(check.contract_value)
            )

    @api.depends("partner_id", "company_id", "amount", "currency_id")
    def _compute_exposure(self):
        for check in self:
            before, deal = check._waas_exposure_figures() if check.company_id else (0.0, 0.0)
            check.exposure_before = before
            check.exposure_deal = deal
            check.exposure_total = before + deal

    def _waas_exposure_figures(self):
        """(exposure before this deal, this deal) in the company's currency: the end
        customer's open invoices and remaining contract value, with its other approved
        quotations not activated yet; and this check's amount."""
        self.ensure_one()
        company = self.company_id
        partner = self.partner_id.commercial_partner_id
        exposure = partner._waas_exposure(company)
        pending = partner._waas_approved_quotations(company, exclude=self.sale_order_id)
        before = sum(exposure[partner.id]) + pending[partner.id]
        deal = self.currency_id._convert(
            self.amount, company.currency_id, company, fields.Date.context_today(self)
        )
        return before, deal

    @api.depends("partner_id.peppol_eas", "partner_id.peppol_endpoint")
    def _compute_partner_peppol(self):
        for check in self:
            partner = check.partner_id.commercial_partner_id
            check.partner_peppol_eas = partner.peppol_eas
            check.partner_peppol_endpoint = partner.peppol_endpoint

    def _inverse_partner_peppol(self):
        self._waas_check_controller()
        for check in self:
            partner = check.partner_id.commercial_partner_id
            endpoint = (check.partner_peppol_endpoint or "").replace(" ", "") or False
            if (partner.peppol_eas, partner.peppol_endpoint) == (
                check.partner_peppol_eas,
                endpoint,
            ):
                continue
            # sudo: credit controllers (checked above) correct the end customer's Peppol
            # endpoint without the right to edit contacts; the partner's own constraint
            # checks it (python-stdnum).
            partner.sudo().write(
                {"peppol_eas": check.partner_peppol_eas, "peppol_endpoint": endpoint}
            )

    def _waas_is_expired(self, date=None):
        """Whether an approval has lapsed (valid up to and including ``valid_until``)."""
        self.ensure_one()
        date = date or fields.Date.context_today(self)
        return bool(self.valid_until and self.valid_until < date)

    def _waas_covers(self, amount):
        """Whether this check's amount covers ``amount`` (in the check's currency)."""
        self.ensure_one()
        return self.currency_id.compare_amounts(self.amount, amount) >= 0

    def _waas_format_amount(self):
        self.ensure_one()
        return formatLang(self.env, self.amount, currency_obj=self.currency_id)

    @api.constrains("partner_id", "sale_order_id")
    def _check_partner_is_end_customer(self):
        for check in self:
            order = check.sale_order_id
            if (
                check.partner_id.commercial_partner_id
                == order.waas_reseller_id.commercial_partner_id
            ):
                raise ValidationError(
                    _(
                        "A credit check is for the end customer, never for the reseller "
                        "%(reseller)s.",
                        reseller=order.waas_reseller_id.display_name,
                    )
                )
            if check.partner_id.commercial_partner_id != order.partner_id.commercial_partner_id:
                raise ValidationError(
                    _(
                        "The credit check %(check)s must be for %(customer)s, the end customer "
                        "of %(order)s.",
                        check=check.name,
                        customer=order.partner_id.commercial_partner_id.display_name,
                        order=order.name,
                    )
                )

    # ------------------------------------------------------------------ identifiers

    @api.model
    def _waas_validate_identifiers(self, partner):
        """Validate the VAT number and company registry number of an end customer with
        python-stdnum; raise a UserError naming every problem."""
        problems = []
        vat = (partner.vat or "").strip()
        country_code = (partner.country_id.code or "").lower()
        if not vat:
            problems.append(_("%(partner)s has no VAT number.", partner=partner.display_name))
        else:
            prefix = vat[:2].lower()
            cc = VAT_PREFIX_TO_CC.get(prefix, prefix) if prefix.isalpha() else country_code
            module = get_cc_module(cc, "vat") if cc else None
            if not module:
                problems.append(
                    _(
                        "The VAT number %(vat)s of %(partner)s cannot be validated: no known "
                        "country.",
                        vat=vat,
                        partner=partner.display_name,
                    )
                )
            else:
                try:
                    module.validate(vat)
                except StdnumValidationError:
                    problems.append(
                        _(
                            "The VAT number %(vat)s of %(partner)s is not valid.",
                            vat=vat,
                            partner=partner.display_name,
                        )
                    )
        validator = REGISTRY_VALIDATORS.get(country_code)
        if validator:
            registry = (partner.company_registry or "").strip()
            if not registry:
                problems.append(
                    _(
                        "%(partner)s has no company registry number (Company ID), required "
                        "in %(country)s.",
                        partner=partner.display_name,
                        country=partner.country_id.name,
                    )
                )
            else:
                try:
                    validator(registry)
                except StdnumValidationError:
                    problems.append(
                        _(
                            "The company registry number %(registry)s of %(partner)s is not "
                            "valid in %(country)s.",
                            registry=registry,
                            partner=partner.display_name,
                            country=partner.country_id.name,
                        )
                    )
        if problems:
            raise UserError(
                _(
                    "The credit check of %(partner)s cannot be requested:\n%(problems)s",
                    partner=partner.display_name,
                    problems="\n".join(problems),
                )
            )
        return True

    # ------------------------------------------------------------------ ORM

    def _waas_is_credit_controller(self):
        return self.env.su or self.env.user.has_group(CONTROLLER_GROUP)

    def _waas_check_controller(self):
        if not self._waas_is_credit_controller():
            raise AccessError(_("Only the Credit Controller group decides on credit checks."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("state", "requested") != "requested" or DECISION_FIELDS & set(vals):
                self._waas_check_controller()
                if not self.env.su:
                    raise AccessError(
                        _(
                            "A credit check is created as a request (Request Credit Check on "
                            "the quotation) and decided with Approve or Reject."
                        )
                    )
            if not self.env.su:
                # Who requested it: the user asking, whatever the client sends.
                vals["requested_by_id"] = self.env.user.id
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = (
                    self.env["ir.sequence"].with_company(company).next_by_code("waas.credit.check")
                    or "/"
                )
        checks = super().create(vals_list)
        checks.filtered(lambda c: c.state == "requested")._waas_schedule_activities()
        return checks

    def write(self, vals):
        if not self.env.su:
            if DECISION_FIELDS & set(vals) or vals.get("state") in ("approved", "rejected"):
                self._waas_check_controller()
            if vals.get("state") == "requested":
                raise UserError(_("A decided credit check cannot be reopened: request a new one."))
            if REQUEST_FIELDS & set(vals):
                raise UserError(
                    _(
                        "A requested credit check cannot change its end customer, quotation "
                        "or amount: request a new check."
                    )
                )
        return super().write(vals)

    # ------------------------------------------------------------------ actions

    def _waas_check_four_eyes(self):
        """Under the company's four-eyes rule, whoever requested a check or prepared its
        quotation does not decide it (the superuser and scheduled jobs are not concerned)."""
        if self.env.su:
            return
        user = self.env.user
        for check in self:
            if not check.company_id.waas_four_eyes:
                continue
            check_sudo = check.sudo()
            deciders_excluded = (
                check_sudo.requested_by_id
                | check_sudo.create_uid
                | check_sudo.sale_order_id._waas_four_eyes_users()
            )
            if user in deciders_excluded:
                raise UserError(
                    _(
                        "Four-eyes rule of %(company)s: %(user)s requested the credit check "
                        "%(check)s or prepared its quotation %(order)s and so cannot approve "
                        "or reject it. Another credit controller decides it.",
                        company=check.company_id.name,
                        user=user.name,
                        check=check.name,
                        order=check_sudo.sale_order_id.name,
                    )
                )

    def action_approve(self):
        """Button "Approve" (Credit Controller): the end customer's credit is approved for
        the amount, valid for the company's number of days."""
        self._waas_check_controller()
        self._waas_check_state("requested", _("approved"))
        self._waas_check_four_eyes()
        today = fields.Date.context_today(self)
        now = fields.Datetime.now()
        for company, checks in self.grouped("company_id").items():
            for check in checks:
                # Fresh figures: a check approved just before counts for the next one.
                total = sum(check._waas_exposure_figures())
                # sudo: the decision fields are guarded, written by this action after the
                # group, state and four-eyes checks above; approving sets the end customer's
                # approved exposure (guarded on the partner too).
                check.sudo().write(
                    {
                        "state": "approved",
                        "decided_by_id": self.env.user.id,
                        "decided_on": now,
                        "valid_until": today + timedelta(days=company.waas_credit_validity_days),
                        "approved_exposure": total,
                    }
                )
                check.partner_id.sudo()._waas_set_credit_limit(total, company)
        self._waas_close_activities(_("Approved"))
        for check in self:
            check.sale_order_id.message_post(
                body=_(
                    "Credit check %(check)s approved by %(user)s for %(amount)s (total "
                    "exposure of the end customer %(exposure)s), valid until %(date)s.",
                    check=check.name,
                    user=self.env.user.name,
                    amount=check._waas_format_amount(),
                    exposure=formatLang(
                        self.env, check.approved_exposure, currency_obj=check.company_currency_id
                    ),
                    date=check.valid_until,
                )
            )
        return True

    def action_reject(self, reason=None):
        """Button "Reject" (Credit Controller): opens the wizard asking for the reason;
        called with ``reason`` (e.g. over XML-RPC) it rejects at once."""
        self._waas_check_controller()
        self._waas_check_state("requested", _("rejected"))
        self._waas_check_four_eyes()
        if reason is not None:
            return self._waas_reject(reason)
        return waas_wizard_action(
            _("Reject Credit Check"), "waas.credit.check.reject", {"default_check_ids": self.ids}
        )

    def _waas_reject(self, reason):
        self._waas_check_controller()
        self._waas_check_state("requested", _("rejected"))
        self._waas_check_four_eyes()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("A rejected credit check needs a reason."))
        # sudo: the decision fields are guarded, written by this action after the group,
        # state and four-eyes checks above.
        self.sudo().write(
            {
                "state": "rejected",
                "decided_by_id": self.env.user.id,
                "decided_on": fields.Datetime.now(),
                "rejection_reason": reason,
            }
        )
        self._waas_close_activities(_("Rejected"))
        for check in self:
            check.sale_order_id.message_post(
                body=_(
                    "Credit check %(check)s rejected by %(user)s: %(reason)s",
                    check=check.name,
                    user=self.env.user.name,
                    reason=reason,
                )
            )
        return True

    def action_cancel(self):
        """Button "Cancel": withdraw an open (requested or approved) credit check."""
        self.check_access("write")
        self._waas_check_state(("requested", "approved"), _("cancelled"))
        self._waas_cancel()
        return True

    def _waas_cancel(self, reason=None):
        checks = self.filtered(lambda c: c.state in ("requested", "approved"))
        if not checks:
            return
        # sudo: the state is guarded; Cancel (write access checked there), a new request
        # or the quotation's cancellation withdraws an open check.
        checks.sudo().write({"state": "cancelled"})
        checks._waas_close_activities(_("Cancelled"))
        if reason:
            for check in checks:
                check.message_post(body=reason)

    def _waas_check_state(self, states, target):
        states = (states,) if isinstance(states, str) else states
        wrong = self.filtered(lambda c: c.state not in states)
        if wrong:
            raise UserError(
                _(
                    "The credit check %(check)s is %(state)s and cannot be %(target)s.",
                    check=wrong[0].name,
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        wrong[0].state
                    ],
                    target=target,
                )
            )

    # ------------------------------------------------------------------ activities

    def _waas_credit_team(self):
        group = self.env.ref(CONTROLLER_GROUP)
        return group.users.filtered(lambda u: u.active and not u.share)

    def _waas_schedule_activities(self):
        """Give every credit controller of the company a to-do on the new checks."""
        if not self:
            return
        team = self._waas_credit_team()
        activity_type = self.env.ref(
            "also_waas.mail_activity_type_waas_credit_check", raise_if_not_found=False
        ) or self.env.ref("mail.mail_activity_data_todo")
        deadline = fields.Date.context_today(self) + timedelta(days=activity_type.delay_count or 2)
        for check in self:
            summary = self.env._(
                "Credit check of %(partner)s for %(amount)s",
                partner=check.partner_id.display_name,
                amount=check._waas_format_amount(),
            )
            for user in team.filtered(lambda u, c=check: c.company_id in u.company_ids):
                check.activity_schedule(
                    activity_type_id=activity_type.id,
                    date_deadline=deadline,
                    summary=summary,
                    user_id=user.id,
                )

    def _waas_close_activities(self, feedback):
        activities = self.activity_ids  # the whole team's to-dos, not only mine
        activities.filtered(lambda a: a.user_id == self.env.user).action_feedback(feedback=feedback)
        (activities.exists()).unlink()

    # ------------------------------------------------------------------ cron

    @api.model
    def _cron_expire(self, batch_size=1000):
        """Daily: approvals whose validity lapsed become expired. One batch per call: it
        reports its progress and the scheduler commits and calls again while some remain."""
        domain = [
            ("state", "=", "approved"),
            ("valid_until", "<", fields.Date.context_today(self)),
        ]
        checks = self.search(domain, limit=batch_size)
        checks.write({"state": "expired"})
        checks._waas_close_activities(_("Expired"))
        self.env["ir.cron"]._notify_progress(done=len(checks), remaining=self.search_count(domain))
        return len(checks)
