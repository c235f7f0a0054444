import re
from datetime import timedelta

from stdnum.exceptions import ValidationError as StdnumValidationError

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, email_normalize, formatLang

from ..tools import waas_wizard_action
from .waas_credit_check import REGISTRY_VALIDATORS, waas_registry_key, waas_vat_key

MIN_WARRANTY_MONTHS = 36
PRODUCT_MANAGER_GROUP = "also_waas.group_waas_product_manager"
WAAS_MANAGER_GROUP = "also_waas.group_waas_manager"
# Peppol endpoint schemes (EAS) of the end customers' company registry numbers, per country
# (ISO 6523 ICD): Belgian enterprise number (KBO/BCE), Dutch KvK number.
WAAS_PEPPOL_REGISTRY_EAS = {"BE": "0208", "NL": "0106"}
# python-stdnum checks of the endpoint per scheme (the same as the registry number checks of
# the credit check); the Dutch OIN is 20 digits.
WAAS_PEPPOL_ENDPOINT_VALIDATORS = {
    "0208": REGISTRY_VALIDATORS["be"],
    "0106": REGISTRY_VALIDATORS["nl"],
    "0190": lambda number: re.fullmatch(r"\d{20}", number) or _raise_stdnum(),
}
# Partner fields that only WaaS Managers change: who is a reseller (commission price
# list, portal quoting) and where a manufacturer's sell-out report goes.
WAAS_MANAGER_PARTNER_FIELDS = ("waas_is_reseller", "waas_sellout_email", "waas_sellout_contact_id")
CREDIT_CONTROLLER_GROUP = "also_waas.group_waas_credit_controller"


def _raise_stdnum():
    raise StdnumValidationError()


class ResPartner(models.Model):
    _name = "res.partner"  # needed with two parents (else a new model would be made)
    _inherit = ["res.partner", "waas.guard.mixin"]
    # The approved exposure limit is set only by approving a credit check, the release of a
    # blocked customer only by a credit controller's Release (waas.guard.mixin).
    _waas_guarded_fields = frozenset(
        {"waas_credit_limit", "waas_block_released_until", "waas_block_release_reason"}
    )

    # ------------------------------------------------------------------ manufacturer
    waas_is_manufacturer = fields.Boolean(
        string="WaaS Manufacturer",
        help="Hardware or licence vendor whose products may go into WaaS bundles.",
    )
    waas_approval_state = fields.Selection(
        selection=[
            ("pending", "Pending"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
        ],
        string="WaaS Approval",
        default="pending",
        tracking=True,
    )
    waas_warranty_months = fields.Integer(
        string="Warranty (months)",
        tracking=True,
        help="Manufacturer warranty on its hardware. Approval needs at least 36 months.",
    )
    waas_product_count = fields.Integer(
        string="WaaS Products",
        compute="_compute_waas_product_count",
    )
    # ------------------------------------------------------------------ reseller
    waas_is_reseller = fields.Boolean(
        string="WaaS Reseller",
        help="Partner allowed to sell WaaS bundles to its end customers and earn commission. "
        "Only WaaS Managers change it.",
    )
    waas_user_is_manager = fields.Boolean(
        string="Current User Is WaaS Manager",
        compute="_compute_waas_user_is_manager",
        help="Technical: the reseller flag and the sell-out contact are editable only then.",
    )

    # ------------------------------------------------------------------ end customer matching
    # VAT and company registry numbers in one normalised form (python-stdnum), stored and
    # indexed: a new end customer from the portal is matched with one indexed search.
    waas_vat_key = fields.Char(
        string="Normalised VAT",
        compute="_compute_waas_identifier_keys",
        store=True,
        index="btree_not_null",
        help="Technical: the VAT number with its country prefix, compact (python-stdnum).",
    )
    waas_registry_key = fields.Char(
        string="Normalised Company Registry",
        compute="_compute_waas_identifier_keys",
        store=True,
        index="btree_not_null",
        help="Technical: country and compact company registry number (python-stdnum).",
    )

    # ------------------------------------------------------------------ credit exposure
    # The end customer's total exposure (open invoices + what its running contracts still
    # have to invoice), in the current company's currency; see _waas_exposure().
    waas_exposure_currency_id = fields.Many2one(
        comodel_name="res.currency",
        string="Exposure Currency",
        compute="_compute_waas_exposure_currency",
    )
    waas_open_receivable = fields.Monetary(
        string="Open Invoices",
        currency_field="waas_exposure_currency_id",
        compute="_compute_waas_exposure",
        help="What the customer still owes on its posted customer invoices, untaxed (the "
        "untaxed share of each open amount), like the contract values: the VAT of an unpaid "
        "invoice is reclaimed from the tax office, so the credit risk is the net amount.",
    )
    waas_contracts_remaining = fields.Monetary(
        string="Remaining Contract Value",
        currency_field="waas_exposure_currency_id",
        compute="_compute_waas_exposure",
        help="What its running WaaS contracts have still to invoice (untaxed).",
    )
    waas_exposure = fields.Monetary(
        string="Total Exposure",
        currency_field="waas_exposure_currency_id",
        compute="_compute_waas_exposure",
        help="Open invoices plus remaining contract value, both untaxed like the deal value "
        "the credit check approves.",
    )
    # Per company (stored as jsonb {company id: amount}): the exposure it bounds is computed
    # per company, in that company's currency, and each company's credit team approves its
    # own. Odoo 18 allows no company-dependent Monetary: a Float shown with the currency.
    waas_credit_limit = fields.Float(
        string="Approved Exposure",
        company_dependent=True,
        tracking=True,
        copy=False,
        readonly=True,
        digits="Account",
        help="The total exposure the credit team of the current company approved with the "
        "last credit check (set by Approve), in the company's currency. Above it, the "
        "customer gets no new WaaS business in this company until released.",
    )
    waas_block_released_until = fields.Date(
        string="Released Until",
        tracking=True,
        copy=False,
        readonly=True,
        help="A credit controller released the customer's block up to and including this date.",
    )
    waas_block_release_reason = fields.Text(
        string="Release Reason", tracking=True, copy=False, readonly=True
    )
    waas_blocked = fields.Boolean(
        string="WaaS Blocked",
        compute="_compute_waas_exposure",
        help="Over its approved exposure or in dunning, and not released: no new quotation "
        "is activated, no renewal and no upgrade.",
    )
    waas_block_reason = fields.Text(string="Why Blocked", compute="_compute_waas_exposure")

    # ------------------------------------------------------------------ sell-out reporting
    waas_sellout_email = fields.Char(
        string="Sell-out E-mail",
        help="Address the monthly sell-out report goes to. Empty: the e-mail of the "
        "sell-out contact.",
    )
    waas_sellout_contact_id = fields.Many2one(
        comodel_name="res.partner",
        string="Sell-out Contact",
        help="Person at the manufacturer who receives the monthly sell-out report.",
    )
    waas_reseller_ref_ids = fields.One2many(
        comodel_name="waas.manufacturer.reseller.ref",
        inverse_name="manufacturer_id",
        string="Reseller IDs",
        help="The id each reseller has in this manufacturer's partner programme.",
    )

    # ------------------------------------------------------------------ computes
    def _compute_waas_product_count(self):
        manufacturers = self.filtered("waas_is_manufacturer")
        counts = {}
        if manufacturers.ids:
            groups = self.env["product.template"]._read_group(
                [("waas_manufacturer_id", "in", manufacturers.ids)],
                groupby=["waas_manufacturer_id"],
                aggregates=["__count"],
            )
            counts = {partner.id: count for partner, count in groups}
        for partner in self:
            partner.waas_product_count = counts.get(partner.id, 0)

    @api.depends("vat", "company_registry", "country_id.code")
    def _compute_waas_identifier_keys(self):
        for partner in self:
            country_code = partner.country_id.code
            partner.waas_vat_key = waas_vat_key(partner.vat, country_code)
            partner.waas_registry_key = waas_registry_key(partner.company_registry, country_code)

    @api.depends_context("company")
    def _compute_waas_exposure_currency(self):
        self.waas_exposure_currency_id = self.env.company.currency_id

    @api.depends_context("company")
    def _compute_waas_exposure(self):
        company = self.env.company
        exposure = self._waas_exposure(company)
        blocks = self._waas_block_reasons(company, exposure=exposure)
        for partner in self:
            open_amount, remaining = exposure.get(partner.commercial_partner_id.id, (0.0, 0.0))
            partner.waas_open_receivable = open_amount
            partner.waas_contracts_remaining = remaining
            partner.waas_exposure = open_amount + remaining
            reasons = blocks.get(partner.commercial_partner_id.id)
            partner.waas_blocked = bool(reasons)
            partner.waas_block_reason = "\n".join(reasons or [])

    @api.depends_context("uid")
    def _compute_waas_user_is_manager(self):
        self.waas_user_is_manager = self.env.user.has_group(WAAS_MANAGER_GROUP)

    # ------------------------------------------------------------------ Peppol

    def _build_error_peppol_endpoint(self, eas, endpoint):
        """Odoo's format checks of the Peppol endpoint, then the check digits of the
        Belgian enterprise number and the form of the Dutch KvK and OIN (python-stdnum)."""
        error = super()._build_error_peppol_endpoint(eas, endpoint)
        validator = WAAS_PEPPOL_ENDPOINT_VALIDATORS.get(eas)
        if error or not validator:
            return error
        try:
            validator(endpoint)
        except StdnumValidationError:
            return _(
                "The Peppol endpoint %(scheme)s:%(endpoint)s is not valid.",
                scheme=eas,
                endpoint=endpoint,
            )
        return False

    @api.model
    def _waas_peppol_vals(self, peppol_id, country, registry):
        """The values ``peppol_eas`` and ``peppol_endpoint`` of an end customer from the
        Peppol ID ``scheme:number`` entered, or, when none is entered, from the country and
        the company registry number (Belgium 0208, the Netherlands 0106). Raise a
        ValidationError when the ID cannot be read or fails its check."""
        peppol_id = (peppol_id or "").replace(" ", "")
        if peppol_id:
            eas, sep, endpoint = peppol_id.partition(":")
            if not sep:
                eas, endpoint = WAAS_PEPPOL_REGISTRY_EAS.get(country.code), peppol_id
        else:
            eas = WAAS_PEPPOL_REGISTRY_EAS.get(country.code)
            endpoint = re.sub(r"\D", "", registry or "")
            if eas == "0208":
                endpoint = endpoint.zfill(10)
        if not eas or not endpoint or eas not in dict(self._fields["peppol_eas"].selection):
            raise ValidationError(
                _(
                    "Enter the Peppol ID as scheme:number (e.g. 0208:0477472701 or "
                    "0106:24321773), or a Belgian or Dutch company registry number."
                )
            )
        error = self._build_error_peppol_endpoint(eas, endpoint)
        if error:
            raise ValidationError(error)
        return {"peppol_eas": eas, "peppol_endpoint": endpoint}

    def _waas_has_peppol_endpoint(self):
        """Whether this customer receives its invoices as Peppol BIS Billing 3.0 UBL."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return bool(partner.peppol_eas and partner.peppol_endpoint)

    # ------------------------------------------------------------------ constraints
    @api.constrains("waas_approval_state", "waas_warranty_months", "waas_is_manufacturer")
    def _check_waas_manufacturer_warranty(self):
        for partner in self:
            if (
                partner.waas_is_manufacturer
                and partner.waas_approval_state == "approved"
                and partner.waas_warranty_months < MIN_WARRANTY_MONTHS
            ):
                raise ValidationError(
                    _(
                        "Manufacturer %(name)s cannot be approved for WaaS: it gives %(months)s "
                        "months of warranty and at least %(min)s are required.",
                        name=partner.display_name,
                        months=partner.waas_warranty_months,
                        min=MIN_WARRANTY_MONTHS,
                    )
                )

    @api.constrains("waas_warranty_months")
    def _check_waas_warranty_not_negative(self):
        for partner in self:
            if partner.waas_warranty_months < 0:
                raise ValidationError(
                    _(
                        "The warranty of %(name)s cannot be negative (%(months)s months).",
                        name=partner.display_name,
                        months=partner.waas_warranty_months,
                    )
                )

    @api.constrains("waas_sellout_email")
    def _check_waas_sellout_email(self):
        for partner in self:
            if partner.waas_sellout_email and not email_normalize(partner.waas_sellout_email):
                raise ValidationError(
                    _(
                        "The sell-out e-mail %(email)s of %(partner)s is not a valid address.",
                        email=partner.waas_sellout_email,
                        partner=partner.display_name,
                    )
                )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("waas_approval_state", "pending") != "pending" for vals in vals_list):
            self._waas_check_product_manager()
        manager_fields = {
            fname for vals in vals_list for fname in WAAS_MANAGER_PARTNER_FIELDS if vals.get(fname)
        }
        if manager_fields:
            self._waas_check_manager_fields(manager_fields)
        partners = super().create(vals_list)
        if any(vals.get("waas_is_reseller") for vals in vals_list):
            self._waas_clear_rule_caches()
        return partners

    def write(self, vals):
        if {"waas_vat_key", "waas_registry_key"}.intersection(vals):
            raise UserError(
                _(
                    "The normalised VAT and company registry numbers follow the VAT number, "
                    "company registry number and country of the partner: change those."
                )
            )
        withdrawn = restored = self.browse()
        if "waas_approval_state" in vals and any(
            partner.waas_approval_state != vals["waas_approval_state"] for partner in self
        ):
            self._waas_check_product_manager()
            was_approved = self.filtered(lambda p: p.waas_approval_state == "approved")
            if vals["waas_approval_state"] == "approved":
                restored = self - was_approved
            else:
                withdrawn = was_approved
        changed = self._waas_changed_manager_fields(vals)
        if changed:
            self._waas_check_manager_fields(changed)
        clear_rules = "waas_is_reseller" in changed or (
            "parent_id" in vals and self._waas_has_users_below()
        )
        res = super().write(vals)
        if clear_rules:
            self._waas_clear_rule_caches()
        # Their bundles: blocked for quoting (a stored compute), product managers told.
        self.env["product.template"]._waas_on_approval_withdrawn(withdrawn)
        self.env["product.template"]._waas_on_approval_restored(restored)
        return res

    # ------------------------------------------------------------------ WaaS Manager fields
    def _waas_changed_manager_fields(self, vals):
        """The WaaS Manager fields of ``vals`` whose value differs on a partner of self
        (a form that sends an unchanged value back is not a change)."""
        changed = set()
        for fname in WAAS_MANAGER_PARTNER_FIELDS:
            if fname not in vals:
                continue
            field = self._fields[fname]
            new = vals[fname]
            if field.type == "many2one":
                new = new.id if isinstance(new, models.BaseModel) else new
                if any(partner[fname].id != (new or False) for partner in self):
                    changed.add(fname)
            elif field.type == "boolean":
                if any(partner[fname] != bool(new) for partner in self):
                    changed.add(fname)
            elif any((partner[fname] or False) != (new or False) for partner in self):
                changed.add(fname)
        return changed

    def _waas_check_manager_fields(self, fnames):
        """Only WaaS Managers set the reseller flag and the sell-out recipients
        (whatever the client: form, import or XML-RPC)."""
        if self.env.su or self.env.user.has_group(WAAS_MANAGER_GROUP):
            return
        raise AccessError(
            _(
                "Only a WaaS Manager can change %(fields)s of a partner (%(user)s is not one).",
                fields=", ".join(
                    sorted(self._fields[fname]._description_string(self.env) for fname in fnames)
                ),
                user=self.env.user.name,
            )
        )

    def _waas_has_users_below(self):
        """Whether a user belongs to these partners or their contacts (their record
        rules read ``user.commercial_partner_id``, which a new parent changes)."""
        return bool(
            self.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .search_count([("partner_id", "child_of", self.ids)], limit=1)
        )

    def _waas_clear_rule_caches(self):
        """Record rules are cached per user with the values of ``user`` they read (the
        reseller flag and the commercial partner of the portal rules): clear them so
        that the next request sees the change."""
        self.env.registry.clear_cache()

    # ------------------------------------------------------------------ actions
    def _waas_check_product_manager(self):
        """Only WaaS product managers decide on manufacturers (also outside the buttons)."""
        if self.env.su or self.env.user.has_group(PRODUCT_MANAGER_GROUP):
            return
        raise AccessError(
            _(
                "Only a WaaS Product Manager can approve, reject or reset a manufacturer "
                "(%(user)s is not one).",
                user=self.env.user.name,
            )
        )

    def _waas_check_is_manufacturer(self):
        not_manufacturers = self.filtered(lambda p: not p.waas_is_manufacturer)
        if not_manufacturers:
            raise UserError(
                _(
                    "%(names)s is not flagged as a WaaS manufacturer.",
                    names=", ".join(not_manufacturers.mapped("display_name")),
                )
            )

    def action_waas_approve_manufacturer(self):
        """Button "Approve" on the WaaS page of a manufacturer (Product Manager)."""
        self._waas_check_product_manager()
        self._waas_check_is_manufacturer()
        self.write({"waas_approval_state": "approved"})
        return True

    def action_waas_reject_manufacturer(self):
        """Button "Reject" on the WaaS page of a manufacturer (Product Manager)."""
        self._waas_check_product_manager()
        self._waas_check_is_manufacturer()
        self.write({"waas_approval_state": "rejected"})
        return True

    def action_waas_reset_manufacturer(self):
        """Button "Reset to Pending" on the WaaS page of a manufacturer (Product Manager)."""
        self._waas_check_product_manager()
        self._waas_check_is_manufacturer()
        self.write({"waas_approval_state": "pending"})
        return True

    def action_waas_view_products(self):
        """Smart button "WaaS Products" on a manufacturer: its catalogue products."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "also_waas.product_template_action_waas_all"
        )
        action["domain"] = [("waas_manufacturer_id", "=", self.id)]
        action["context"] = {"default_waas_manufacturer_id": self.id}
        return action

    # ------------------------------------------------------------------ end customer matching
    @api.model
    def _waas_find_end_customer(self, company, vat, registry, country):
        """The existing customer of ``company`` with this VAT number, else with this
        company registry number (both normalised with python-stdnum), or no record.

        Only companies themselves (no contacts, no manufacturers, not the partner of a
        company of this database), shared or of ``company``; one indexed search each."""
        domain = [
            ("parent_id", "=", False),
            ("waas_is_manufacturer", "=", False),
            ("ref_company_ids", "=", False),
            ("company_id", "in", [False, company.id]),
        ]
        for fname, key in (
            ("waas_vat_key", waas_vat_key(vat, country.code)),
            ("waas_registry_key", waas_registry_key(registry, country.code)),
        ):
            if key:
                partner = self.search([*domain, (fname, "=", key)], order="id", limit=1)
                if partner:
                    return partner
        return self.browse()

    # ------------------------------------------------------------------ credit exposure
    def _waas_exposure(self, company):
        """{commercial partner id: (open invoices, remaining contract value)} of the
        commercial partners of ``self`` in ``company``, in its currency, untaxed: the
        untaxed share of what the posted customer invoices still owe and what the running
        contracts have still to invoice (contract value minus the live monthly invoices).
        Untaxed like the deal's contract value that the credit check approves: the VAT of
        an unpaid invoice comes back from the tax office, the credit risk is the net
        amount. Three queries for the whole recordset."""
        partners = self.commercial_partner_id
        result = {partner.id: (0.0, 0.0) for partner in partners}
        if not partners:
            return result
        currency = company.currency_id
        # sudo: the exposure is the credit team's figure; WaaS users see it without the
        # right to read every invoice and contract of the customer (only sums are read).
        query = (
            self.env["account.move"]
            .sudo()
            ._search(
                [
                    ("commercial_partner_id", "in", partners.ids),
                    ("company_id", "=", company.id),
                    ("move_type", "in", ("out_invoice", "out_refund")),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                ]
            )
        )
        # The untaxed share of what each invoice still owes (a payment pays taxes and
        # net pro rata), like the contract values and the deal: one query.
        table = query.table
        self.env.cr.execute(
            SQL(
                "SELECT partner, SUM(amount) FROM (%s) AS open_moves GROUP BY partner",
                query.select(
                    SQL("%s AS partner", SQL.identifier(table, "commercial_partner_id")),
                    SQL(
                        "CASE WHEN %(total)s = 0 THEN 0"
                        " ELSE %(residual)s * %(untaxed)s / %(total)s END AS amount",
                        total=SQL.identifier(table, "amount_total_signed"),
                        residual=SQL.identifier(table, "amount_residual_signed"),
                        untaxed=SQL.identifier(table, "amount_untaxed_signed"),
                    ),
                ),
            )
        )
        open_amounts = {partner_id: float(amount) for partner_id, amount in self.env.cr.fetchall()}
        contracts = (
            self.env["waas.contract"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", partners.ids),
                    ("company_id", "=", company.id),
                    ("state", "in", ("active", "ending")),
                ]
            )
        )
        values = contracts._waas_contract_value()
        billed = contracts._waas_monthly_billed()
        today = fields.Date.context_today(self)
        remaining = dict.fromkeys(partners.ids, 0.0)
        for contract in contracts:
            left = max(values[contract.id] - billed[contract.id], 0.0)
            remaining[contract.partner_id.id] += contract.currency_id._convert(
                left, currency, company, today
            )
        for partner in partners:
            result[partner.id] = (
                currency.round(open_amounts.get(partner.id, 0.0)),
                currency.round(remaining[partner.id]),
            )
        return result

    def _waas_approved_quotations(self, company, exclude=None):
        """{commercial partner id: value of its WaaS quotations in ``company`` whose credit
        is approved but which are not activated yet (but ``exclude``), in its currency}:
        approved exposure that is not in the figures of ``_waas_exposure`` yet."""
        partners = self.commercial_partner_id
        result = dict.fromkeys(partners.ids, 0.0)
        if not partners:
            return result
        # sudo: the credit team's figure, whoever asks; only amounts are read.
        orders = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("is_waas", "=", True),
                    ("state", "in", ("draft", "sent")),
                    ("company_id", "=", company.id),
                    ("partner_id.commercial_partner_id", "in", partners.ids),
                    ("waas_credit_check_ids.state", "=", "approved"),
                    ("id", "not in", (exclude or self.env["sale.order"]).ids),
                ]
            )
        )
        today = fields.Date.context_today(self)
        for order in orders.filtered(lambda o: o.waas_credit_state == "approved"):
            result[order.partner_id.commercial_partner_id.id] += order.currency_id._convert(
                order.waas_contract_value, company.currency_id, company, today
            )
        return result

    def _waas_in_dunning(self, company):
        """{commercial partner id: number of its WaaS invoices in ``company`` overdue by
        more than the company's grace days}, only for those in dunning. The dunning of a
        later module overrides this one decision."""
        partners = self.commercial_partner_id
        if not partners:
            return {}
        limit = fields.Date.context_today(self) - timedelta(days=company.waas_dunning_grace_days)
        # sudo: whether a customer is in dunning blocks its new business whoever asks.
        groups = (
            self.env["account.move"]
            .sudo()
            ._read_group(
                [
                    ("commercial_partner_id", "in", partners.ids),
                    ("company_id", "=", company.id),
                    ("waas_contract_id", "!=", False),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("invoice_date_due", "<", limit),
                ],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        return {partner.id: count for partner, count in groups}

    def _waas_block_reasons(self, company, added=None, exposure=None):
        """{commercial partner id: [why it is blocked]} of the commercial partners of
        ``self`` that are blocked for new WaaS business in ``company`` (over their approved
        exposure, in dunning) and not released today. ``added``: {commercial partner id:
        value of the new deal, in the company's currency}, counted with the exposure."""
        # The approved exposure of ``company`` (company-dependent).
        partners = self.commercial_partner_id.with_company(company)
        added = added or {}
        today = fields.Date.context_today(self)
        exposure = self._waas_exposure(company) if exposure is None else exposure
        dunning = partners._waas_in_dunning(company)
        currency = company.currency_id
        result = {}
        for partner in partners:
            if partner.waas_block_released_until and partner.waas_block_released_until >= today:
                continue
            reasons = []
            total = sum(exposure.get(partner.id, (0.0, 0.0))) + added.get(partner.id, 0.0)
            limit = partner.waas_credit_limit
            if limit and currency.compare_amounts(total, limit) > 0:
                reasons.append(
                    _(
                        "its exposure %(exposure)s is over its approved exposure %(limit)s",
                        exposure=formatLang(self.env, total, currency_obj=currency),
                        limit=formatLang(self.env, limit, currency_obj=currency),
                    )
                )
            if dunning.get(partner.id):
                reasons.append(
                    _(
                        "%(count)s WaaS invoice(s) overdue by more than %(days)s days",
                        count=dunning[partner.id],
                        days=company.waas_dunning_grace_days,
                    )
                )
            if reasons:
                result[partner.id] = reasons
        return result

    def _waas_blocked_ids(self, company):
        """The ids of the commercial partners of ``self`` blocked for new WaaS business in
        ``company`` (``_waas_block_reasons`` without its amounts, for the resellers'
        portal): the exposure is computed only for those with an approved exposure, so a
        page of customers costs the same few queries however long it is."""
        partners = self.commercial_partner_id.with_company(company)
        with_limit = partners.filtered("waas_credit_limit")
        exposure = with_limit._waas_exposure(company) if with_limit else {}
        return set(partners._waas_block_reasons(company, exposure=exposure))

    def _waas_check_not_blocked(self, company, what, added=None):
        """Raise a ``UserError`` naming the customer and why when one of ``self`` is
        blocked for new WaaS business in ``company`` (``what``: the refused action, e.g.
        "activated"; ``added`` as in ``_waas_block_reasons``)."""
        blocks = self._waas_block_reasons(company, added=added)
        if blocks:
            partner = self.browse(next(iter(blocks)))
            raise UserError(
                _(
                    "%(customer)s is blocked for new WaaS business: %(reasons)s. The %(what)s "
                    "waits until a credit controller releases the customer.",
                    customer=partner.display_name,
                    reasons="; ".join(blocks[partner.id]),
                    what=what,
                )
            )

    def _waas_set_credit_limit(self, limit, company):
        """The approved exposure in ``company``, written by the approval of a credit check
        of that company (the other companies' approvals stay as they are)."""
        if not self.env.su:
            raise AccessError(_("The approved exposure is set only by approving a credit check."))
        self.commercial_partner_id.with_company(company).write({"waas_credit_limit": limit})

    def action_waas_release(self):
        """Button "Release" on a blocked customer (Credit Controller): the wizard asks
        for the reason and the date up to which new business goes through."""
        self._waas_check_credit_controller()
        return waas_wizard_action(
            _("Release Customer"),
            "waas.partner.release",
            {"default_partner_ids": self.commercial_partner_id.ids},
        )

    def _waas_release(self, reason, date_until):
        """Release the customers' block up to and including ``date_until``, with the
        reason (tracked in the chatter)."""
        self._waas_check_credit_controller()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("A release needs a reason."))
        date_until = fields.Date.to_date(date_until)
        if not date_until or date_until < fields.Date.context_today(self):
            raise UserError(_("A release runs up to a date from today on."))
        partners = self.commercial_partner_id
        # sudo: the release fields are guarded; written here after the credit controller
        # check above.
        partners.sudo().write(
            {"waas_block_released_until": date_until, "waas_block_release_reason": reason}
        )
        for partner in partners.sudo():
            # sudo: credit controllers (checked above) note the release on the customer
            # without the right to edit contacts.
            partner.message_post(
                body=_(
                    "Released for new WaaS business until %(date)s by %(user)s: %(reason)s",
                    date=date_until,
                    user=self.env.user.name,
                    reason=reason,
                )
            )
        return True

    def _waas_check_credit_controller(self):
        if self.env.su or self.env.user.has_group(CREDIT_CONTROLLER_GROUP):
            return
        raise AccessError(
            _(
                "Only a Credit Controller can release a blocked customer (%(user)s is not one).",
                user=self.env.user.name,
            )
        )

    # ------------------------------------------------------------------ sell-out reporting
    def _waas_sellout_recipient(self):
        """The address the sell-out report of this manufacturer is sent to, or False."""
        self.ensure_one()
        return self.waas_sellout_email or self.waas_sellout_contact_id.email or False
