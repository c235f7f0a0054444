from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request
from odoo.tools import format_date, formatLang

from ..tools import create_partial_unique_index
from .product_template import WAAS_PRICED_KINDS
from .waas_contract import period_end
from .waas_pricelist_item import WAAS_TERMS

CREDIT_STATES = [
    ("none", "Not Requested"),
    ("requested", "Awaiting Decision"),
    ("approved", "Approved"),
    ("insufficient", "Approved Amount Too Low"),
    ("expired", "Approval Expired"),
    ("rejected", "Rejected"),
]


# Fields of a WaaS quotation that its signatures agree to: a change after a signature
# (or the countersignature) clears both (see _waas_clear_changed_signatures).
WAAS_SIGNED_TERMS = frozenset(
    {
        "is_waas",
        "partner_id",
        "partner_shipping_id",
        "waas_reseller_id",
        "waas_term_months",
        "waas_delivery_to",
        "order_line",
        "pricelist_id",
        "currency_id",
        "company_id",
    }
)
# The signatures and who signed: written only by the portal signature (sudo), the
# Countersign button and the clearing of signatures.
WAAS_SIGNATURE_FIELDS = frozenset(
    {
        "signature",
        "signed_by",
        "signed_on",
        "waas_signer_email",
        "waas_signer_ip",
        "waas_countersigned_by_id",
        "waas_countersigned_on",
    }
)


# The renewal of a running contract a renewal quotation agrees to: set only when the
# quotation is prepared (``waas.contract._waas_create_renewal_orders``, sudo).
WAAS_RENEWAL_FIELDS = frozenset(
    {
        "waas_renewal_contract_id",
        "waas_renewal_date_end_before",
        "waas_renewal_date_end",
        "waas_renewal_months",
    }
)


class SaleOrder(models.Model):
    _name = "sale.order"  # needed with two parents (else a new model would be made)
    _inherit = ["sale.order", "waas.guard.mixin"]

    # The guard (waas.guard.mixin) applies to WaaS deals only.
    _waas_guarded_fields = WAAS_SIGNATURE_FIELDS | WAAS_RENEWAL_FIELDS

    is_waas = fields.Boolean(string="WaaS Deal", index=True, copy=True)
    waas_reseller_id = fields.Many2one(
        comodel_name="res.partner",
        string="Reseller",
        tracking=True,
        index=True,
        domain=[("waas_is_reseller", "=", True)],
    )
    waas_term_months = fields.Integer(string="Term (months)", default=36, tracking=True)
    waas_delivery_to = fields.Selection(
        selection=[("reseller", "Reseller"), ("end_customer", "End Customer")],
        string="Deliver To",
        default="end_customer",
        tracking=True,
    )
    waas_credit_check_ids = fields.One2many(
        comodel_name="waas.credit.check",
        inverse_name="sale_order_id",
        string="Credit Checks",
    )
    waas_contract_ids = fields.One2many(
        comodel_name="waas.contract",
        inverse_name="sale_order_id",
        string="WaaS Contracts",
    )
    waas_countersigned_by_id = fields.Many2one(
        comodel_name="res.users",
        string="Countersigned By",
        readonly=True,
        copy=False,
        tracking=True,
    )
    waas_countersigned_on = fields.Datetime(string="Countersigned On", readonly=True, copy=False)
    # Who signed for the end customer (besides signed_by and signed_on of sale).
    waas_signer_email = fields.Char(
        string="Signer E-mail",
        readonly=True,
        copy=False,
        help="E-mail of the portal user who signed, or the end customer's e-mail the "
        "signing link was sent to when signed through the link without logging in.",
    )
    waas_signer_ip = fields.Char(string="Signer IP Address", readonly=True, copy=False)
    # Renewal quotation: prepared from a running contract (its Renew button, or the end
    # customer's Renew in the portal); activating it extends that contract (no new one).
    waas_renewal_contract_id = fields.Many2one(
        comodel_name="waas.contract",
        string="Renews Contract",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        help="The running contract this renewal quotation extends once it is activated.",
    )
    waas_renewal_date_end_before = fields.Date(
        string="Contract End Before Renewal", readonly=True, copy=False
    )
    waas_renewal_date_end = fields.Date(
        string="New Contract End", readonly=True, copy=False, tracking=True
    )
    waas_renewal_months = fields.Integer(
        string="Months Added", readonly=True, copy=False, tracking=True
    )

    # Deal amounts (partner services are billed by the partner: never in ALSO's totals).
    waas_monthly_amount = fields.Monetary(
        string="Monthly Total",
        compute="_compute_waas_amounts",
        store=True,
        tracking=True,
        help="What ALSO invoices the end customer every month (untaxed).",
    )
    waas_contract_value = fields.Monetary(
        string="Total Contract Value",
        compute="_compute_waas_amounts",
        store=True,
        tracking=True,
        help="Monthly total x term: the amount the end customer's credit is checked for.",
    )
    waas_partner_services_amount = fields.Monetary(
        string="Partner Services",
        compute="_compute_waas_amounts",
        store=True,
        help="For information: services billed by the partner, not by ALSO.",
    )
    # Activation conditions at a glance.
    waas_credit_check_id = fields.Many2one(
        comodel_name="waas.credit.check",
        string="Current Credit Check",
        compute="_compute_waas_credit_state",
    )
    waas_credit_state = fields.Selection(
        selection=CREDIT_STATES,
        string="Credit",
        compute="_compute_waas_credit_state",
    )
    waas_credit_check_count = fields.Integer(compute="_compute_waas_credit_state")
    waas_customer_signed = fields.Boolean(
        string="Signed by the End Customer", compute="_compute_waas_signatures"
    )
    waas_countersigned = fields.Boolean(
        string="Countersigned by ALSO", compute="_compute_waas_signatures"
    )
    waas_ready_to_activate = fields.Boolean(compute="_compute_waas_ready_to_activate")
    waas_contract_count = fields.Integer(compute="_compute_waas_contract_count")

    # The signing token of a quotation: who holds it may sign in the customer's place.
    # Internal users only (share links, previews); portal pages read it as superuser
    # and mail it to the customer only, so no portal user reads it over RPC.
    access_token = fields.Char(groups="base.group_user")

    # ------------------------------------------------------------------ constraints

    @api.constrains("is_waas", "waas_reseller_id", "partner_id")
    def _check_waas_reseller(self):
        for order in self.filtered("is_waas"):
            reseller = order.waas_reseller_id
            if not reseller:
                raise ValidationError(
                    _("The WaaS deal %(order)s needs a reseller.", order=order.name)
                )
            if not reseller.waas_is_reseller:
                raise ValidationError(
                    _(
                        "%(partner)s is not a WaaS reseller and cannot sell the WaaS deal "
                        "%(order)s.",
                        partner=reseller.display_name,
                        order=order.name,
                    )
                )
            if (
                order.partner_id
                and reseller.commercial_partner_id == order.partner_id.commercial_partner_id
            ):
                raise ValidationError(
                    _(
                        "On the WaaS deal %(order)s the end customer cannot be the reseller "
                        "%(reseller)s itself.",
                        order=order.name,
                        reseller=reseller.display_name,
                    )
                )

    @api.constrains("is_waas", "waas_term_months")
    def _check_waas_term(self):
        for order in self.filtered("is_waas"):
            if order.waas_term_months not in WAAS_TERMS:
                raise ValidationError(
                    _(
                        "The term of a WaaS deal is 12, 24 or 36 months, not %(term)s months "
                        "(%(order)s).",
                        term=order.waas_term_months,
                        order=order.name,
                    )
                )

    # ------------------------------------------------------------------ computes

    @api.depends(
        "is_waas",
        "waas_term_months",
        "waas_renewal_contract_id",
        "waas_renewal_months",
        "order_line.price_subtotal",
        "order_line.waas_billed_by_partner",
        "order_line.waas_partner_price",
        "order_line.product_uom_qty",
    )
    def _compute_waas_amounts(self):
        for order in self:
            if not order.is_waas:
                order.waas_monthly_amount = 0.0
                order.waas_contract_value = 0.0
                order.waas_partner_services_amount = 0.0
                continue
            lines = order.order_line.filtered(lambda line: not line.display_type)
            partner_lines = lines.filtered("waas_billed_by_partner")
            monthly = sum((lines - partner_lines).mapped("price_subtotal"))
            order.waas_monthly_amount = monthly
            # A renewal quotation's value is what it adds: the monthly total x the months
            # added to the contract.
            months = (
                order.waas_renewal_months
                if order.waas_renewal_contract_id
                else order.waas_term_months
            )
            order.waas_contract_value = monthly * months
            order.waas_partner_services_amount = sum(
                line.waas_partner_price * line.product_uom_qty for line in partner_lines
            )

    @api.depends(
        "is_waas",
        "partner_id",
        "currency_id",
        "waas_contract_value",
        "waas_credit_check_ids.state",
        "waas_credit_check_ids.amount",
        "waas_credit_check_ids.valid_until",
    )
    def _compute_waas_credit_state(self):
        for order in self:
            # Only a check of the current end customer, in the deal's currency, counts.
            customer = order.partner_id.commercial_partner_id
            currency = order.currency_id
            checks = order.waas_credit_check_ids.filtered(
                lambda c, customer=customer, currency=currency: (
                    c.state != "cancelled"
                    and c.partner_id == customer
                    and c.currency_id == currency
                )
            )
            current = checks.sorted("id")[-1:]
            order.waas_credit_check_count = len(order.waas_credit_check_ids)
            order.waas_credit_check_id = current
            order.waas_credit_state = order._waas_credit_state_of(current)

    def _waas_credit_state_of(self, check):
        """The credit condition of this order given its current credit check."""
        self.ensure_one()
        if not check:
            return "none"
        if check.state == "approved":
            if check._waas_is_expired():
                return "expired"
            if not check._waas_covers(self.waas_contract_value):
                return "insufficient"
        return check.state

    @api.depends("signature", "waas_countersigned_by_id")
    def _compute_waas_signatures(self):
        for order in self:
            order.waas_customer_signed = bool(order.signature)
            order.waas_countersigned = bool(order.waas_countersigned_by_id)

    @api.depends("waas_credit_state", "waas_customer_signed", "waas_countersigned", "state")
    def _compute_waas_ready_to_activate(self):
        for order in self:
            order.waas_ready_to_activate = (
                order.is_waas
                and order.state in ("draft", "sent")
                and order.waas_credit_state == "approved"
                and order.waas_customer_signed
                and order.waas_countersigned
            )

    @api.depends("waas_contract_ids")
    def _compute_waas_contract_count(self):
        for order in self:
            order.waas_contract_count = len(order.waas_contract_ids)

    @api.depends("is_waas", "waas_delivery_to", "waas_reseller_id")
    def _compute_partner_shipping_id(self):
        """A WaaS deal ships (free) to the reseller or to the end customer, as chosen."""
        res = super()._compute_partner_shipping_id()
        for order in self.filtered(
            lambda o: o.is_waas and o.waas_delivery_to == "reseller" and o.waas_reseller_id
        ):
            order.partner_shipping_id = order.waas_reseller_id.address_get(["delivery"])["delivery"]
        return res

    @api.depends("is_waas")
    def _compute_require_signature(self):
        """The end customer always signs a WaaS quotation online."""
        res = super()._compute_require_signature()
        self.filtered("is_waas").require_signature = True
        return res

    @api.depends("is_waas")
    def _compute_require_payment(self):
        """WaaS is paid monthly on the contract's invoices, never online up front."""
        res = super()._compute_require_payment()
        self.filtered("is_waas").require_payment = False
        return res

    @api.depends("is_waas")
    def _compute_partner_credit_warning(self):
        """ALSO carries the credit risk of a WaaS deal (credit check of the end customer):
        it never counts against anyone's credit limit."""
        res = super()._compute_partner_credit_warning()
        self.filtered("is_waas").partner_credit_warning = ""
        return res

    @api.depends("is_waas")
    def _compute_invoice_status(self):
        res = super()._compute_invoice_status()
        self.filtered("is_waas").invoice_status = "no"
        return res

    # ------------------------------------------------------------------ ORM

    def _waas_guard_records(self):
        """The guard of the signatures and of the confirmation holds for WaaS deals."""
        return self.filtered("is_waas")

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(WAAS_RENEWAL_FIELDS.intersection(v) for v in vals_list):
            raise AccessError(
                _(
                    "A renewal quotation is prepared only with Renew on the contract (WaaS "
                    "users) or by the end customer in the portal."
                )
            )
        if not self.env.su:
            for vals in vals_list:
                if not vals.get("is_waas", self.env.context.get("default_is_waas")):
                    continue
                if WAAS_SIGNATURE_FIELDS.intersection(vals) or vals.get("state") == "sale":
                    raise AccessError(
                        _(
                            "A WaaS quotation is created unsigned and unconfirmed: the end "
                            "customer signs it in the portal, ALSO countersigns it with "
                            "Countersign and Confirm activates it."
                        )
                    )
        return super().create(vals_list)

    def write(self, vals):
        protected = {"is_waas", "waas_reseller_id", "waas_term_months"} & set(vals)
        if protected and any(o.is_waas and o.state == "sale" for o in self):
            raise UserError(
                _(
                    "A confirmed WaaS deal cannot change its reseller or term: its contract "
                    "is running (renew or terminate the contract instead)."
                )
            )
        if WAAS_RENEWAL_FIELDS.intersection(vals) and not self.env.su:
            # Also on orders that are not WaaS deals yet (the guard covers WaaS deals).
            raise AccessError(
                _(
                    "The contract, new end and months of a renewal quotation are set when it "
                    "is prepared (Renew on the contract) and never changed."
                )
            )
        if vals.get("state") == "sale" and not self.env.su and self._waas_guard_records():
            raise AccessError(
                _(
                    "A WaaS deal is confirmed only with Confirm, which checks the credit "
                    "approval and both signatures first."
                )
            )
        signed = self.browse()
        if WAAS_SIGNED_TERMS.intersection(vals):
            signed = self._waas_signed_quotations()
        terms = signed._waas_signed_terms()
        res = super().write(vals)
        signed._waas_clear_changed_signatures(terms)
        return res

    # ------------------------------------------------------------------ credit check

    def action_waas_request_credit_check(self):
        """Button "Request Credit Check": ask the credit team to check the end customer
        for the total contract value (VAT and registry number validated first)."""
        CreditCheck = self.env["waas.credit.check"]
        vals_list = []
        to_cancel = CreditCheck
        for order in self:
            order._waas_check_can_request_credit()
            open_checks = order.waas_credit_check_ids.filtered(
                lambda c: c.state in ("requested", "approved")
            )
            value = order.waas_contract_value
            waiting = open_checks.filtered(
                lambda c, value=value: c.state == "requested" and c._waas_covers(value)
            )
            if waiting:
                raise UserError(
                    _(
                        "The credit check %(check)s of %(order)s is still waiting for a "
                        "decision of the credit team.",
                        check=waiting[0].name,
                        order=order.name,
                    )
                )
            if order.waas_credit_state == "approved":
                raise UserError(
                    _(
                        "The credit of %(order)s is already approved until %(date)s.",
                        order=order.name,
                        date=order.waas_credit_check_id.valid_until,
                    )
                )
            to_cancel |= open_checks
            vals_list.append(order._waas_prepare_credit_check_vals())
        to_cancel._waas_cancel(reason=_("Replaced by a new credit check."))
        checks = CreditCheck.create(vals_list)
        for check in checks:
            check.sale_order_id.message_post(
                body=_(
                    "Credit check %(check)s requested for %(partner)s over %(amount)s.",
                    check=check.name,
                    partner=check.partner_id.display_name,
                    amount=check._waas_format_amount(),
                )
            )
        return True

    def _waas_check_can_request_credit(self):
        self.ensure_one()
        if not self.is_waas:
            raise UserError(_("%(order)s is not a WaaS deal.", order=self.name))
        if self.state not in ("draft", "sent"):
            raise UserError(
                _("A credit check is requested on a quotation, not on %(order)s.", order=self.name)
            )
        if not self.waas_reseller_id:
            raise UserError(_("The WaaS deal %(order)s needs a reseller.", order=self.name))
        problems = self._waas_price_problems()
        if problems:
            raise UserError("\n".join(problems))
        if self.currency_id.compare_amounts(self.waas_contract_value, 0.0) <= 0:
            raise UserError(
                _(
                    "%(order)s has no contract value yet: add WaaS bundles before requesting "
                    "a credit check.",
                    order=self.name,
                )
            )
        self.env["waas.credit.check"]._waas_validate_identifiers(
            self.partner_id.commercial_partner_id
        )

    def _waas_prepare_credit_check_vals(self):
        self.ensure_one()
        return {
            "sale_order_id": self.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "partner_id": self.partner_id.commercial_partner_id.id,
            "amount": self.waas_contract_value,
        }

    def action_waas_view_credit_checks(self):
        """Smart button "Credit Checks"."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("also_waas.waas_credit_check_action")
        action["domain"] = [("sale_order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------------ signatures

    def _waas_signed_quotations(self):
        """The quotations of ``self`` signed by the end customer or countersigned."""
        return self.sudo().filtered(
            lambda o: (
                o.state in ("draft", "sent")
                and (o.signed_on or o.signed_by or o.waas_countersigned_by_id or o.signature)
            )
        )

    def _waas_signed_terms(self):
        """{order id: what its signatures agreed to} (lines, term, delivery, amounts)."""
        terms = {}
        for order in self.sudo():
            lines = tuple(
                sorted(
                    (
                        line.id,
                        line.product_id.id,
                        line.product_uom.id,
                        line.product_uom_qty,
                        line.price_unit,
                        line.discount,
                        line.waas_partner_price,
                        tuple(line.tax_id.ids),
                    )
                    for line in order.order_line
                    if not line.display_type
                )
            )
            terms[order.id] = (
                order.is_waas,
                order.partner_id.id,
                order.partner_shipping_id.id,
                order.waas_reseller_id.id,
                order.waas_term_months,
                order.waas_delivery_to,
                order.currency_id.id,
                order.company_id.id,
                lines,
                order.amount_untaxed,
                order.amount_total,
                order.waas_monthly_amount,
                order.waas_contract_value,
            )
        return terms

    def _waas_clear_changed_signatures(self, terms):
        """Clear both signatures of the WaaS quotations of ``self`` whose signed terms
        (``terms``, from ``_waas_signed_terms`` before the change) changed, and say so."""
        if not self:
            return
        orders = self.exists()._waas_signed_quotations().filtered("is_waas")
        if not orders:
            return
        after = orders._waas_signed_terms()
        changed = orders.filtered(lambda o: terms.get(o.id) != after[o.id])
        if not changed:
            return
        # sudo: the signatures are guarded; cleared here, after the change, because the
        # deal they agreed to is no longer the same.
        changed.sudo().write(
            {
                "signature": False,
                "signed_by": False,
                "signed_on": False,
                "waas_signer_email": False,
                "waas_signer_ip": False,
                "waas_countersigned_by_id": False,
                "waas_countersigned_on": False,
            }
        )
        for order in changed:
            order.message_post(
                body=_(
                    "The quotation changed after it was signed (lines, term, delivery, end "
                    "customer or amount): the end customer's signature and ALSO's "
                    "countersignature were cleared. It must be signed and countersigned again."
                )
            )

    def _waas_four_eyes_users(self):
        """Who prepared this quotation or requested its credit check: under the company's
        four-eyes rule they neither decide that check nor countersign the quotation."""
        self.ensure_one()
        order = self.sudo()
        users = order.create_uid | order.user_id
        check = order.waas_credit_check_id
        users |= check.requested_by_id | check.create_uid
        return users - self.env.ref("base.user_root")

    def _waas_check_four_eyes_countersign(self):
        if self.env.su:
            return
        user = self.env.user
        for order in self:
            if order.company_id.waas_four_eyes and user in order._waas_four_eyes_users():
                raise UserError(
                    _(
                        "Four-eyes rule of %(company)s: %(user)s prepared the quotation "
                        "%(order)s or requested its credit check and so cannot countersign "
                        "it. Another countersigner signs on behalf of ALSO.",
                        company=order.company_id.name,
                        user=user.name,
                        order=order.name,
                    )
                )

    def action_waas_countersign(self):
        """Button "Countersign": ALSO signs the WaaS quotation (countersigners only)."""
        if not self.env.user.has_group("also_waas.group_waas_countersign"):
            raise AccessError(_("Only ALSO countersigners can countersign a WaaS deal."))
        for order in self:
            if not order.is_waas:
                raise UserError(_("%(order)s is not a WaaS deal.", order=order.name))
            if order.state not in ("draft", "sent"):
                raise UserError(
                    _(
                        "%(order)s is no longer a quotation: nothing to countersign.",
                        order=order.name,
                    )
                )
            if order.waas_countersigned_by_id:
                raise UserError(
                    _(
                        "%(order)s was already countersigned by %(user)s.",
                        order=order.name,
                        user=order.waas_countersigned_by_id.name,
                    )
                )
        self._waas_check_four_eyes_countersign()
        # sudo: the countersignature is a guarded field, written by this action after the
        # group, state and four-eyes checks above.
        self.sudo().write(
            {
                "waas_countersigned_by_id": self.env.user.id,
                "waas_countersigned_on": fields.Datetime.now(),
            }
        )
        for order in self:
            order.message_post(
                body=_("Countersigned on behalf of ALSO by %(user)s.", user=self.env.user.name)
            )
        return True

    def _validate_order(self):
        # The end customer signed on the portal: the WaaS deal is activated at once only
        # when the credit is approved and ALSO countersigned; otherwise it waits.
        waiting = self.filtered(lambda o: o.is_waas and o._waas_activation_problems())
        for order in waiting:
            order.message_post(
                body=_(
                    "Signed by the end customer. Still missing before activation: %(missing)s",
                    missing="; ".join(order._waas_activation_problems()),
                )
            )
        for order in self.filtered("is_waas") - waiting:
            try:
                order._waas_check_not_blocked()
            except UserError as error:
                waiting |= order
                order.message_post(
                    body=_(
                        "Signed by the end customer, not activated: %(reason)s",
                        reason=str(error),
                    )
                )
        if self - waiting:
            return super(SaleOrder, self - waiting)._validate_order()
        return None

    # ------------------------------------------------------------------ activation

    def _waas_price_problems(self):
        """Lines without a WaaS price for the term, or that cannot be on a WaaS deal."""
        self.ensure_one()
        problems = []
        lines = self.order_line.filtered(lambda line: not line.display_type)
        foreign = lines.filtered(
            lambda line: line.product_id.waas_kind not in WAAS_PRICED_KINDS + ("partner_service",)
        )
        if foreign:
            problems.append(
                _(
                    "Only WaaS bundles, options, upgrades and partner services can be on the "
                    "WaaS deal %(order)s: remove %(products)s.",
                    order=self.name,
                    products=", ".join(foreign.product_id.mapped("display_name")),
                )
            )
        priced = lines.filtered(lambda line: line.product_id.waas_kind in WAAS_PRICED_KINDS)
        # A renewal keeps the contract's own monthly prices (not the price list's).
        if self.waas_term_months in WAAS_TERMS and not self.waas_renewal_contract_id:
            items = self.env["waas.pricelist.item"]._get_price_items(
                priced.product_id.product_tmpl_id, self.waas_term_months, self.company_id
            )
            missing = priced.product_id.filtered(
                lambda product: product.product_tmpl_id.id not in items
            )
            if missing:
                problems.append(
                    _(
                        "No WaaS price for a %(term)s-month term of %(products)s (%(order)s).",
                        term=self.waas_term_months,
                        products=", ".join(missing.mapped("display_name")),
                        order=self.name,
                    )
                )
        if not self.waas_renewal_contract_id:
            # Quoted before its manufacturer lost the WaaS approval: not activated.
            blocked = priced.product_id.product_tmpl_id.filtered("waas_quote_blocked")
            problems += [product._waas_quote_blocked_message() for product in blocked]
        if not priced:
            problems.append(_("The WaaS deal %(order)s has no WaaS bundle.", order=self.name))
        return problems

    def _waas_activation_problems(self):
        """What is still missing before this WaaS quotation can be activated."""
        self.ensure_one()
        problems = self._waas_price_problems() + self._waas_renewal_problems()
        if not self.waas_reseller_id:
            problems.append(_("a reseller"))
        check = self.waas_credit_check_id
        credit_state = self.waas_credit_state
        if credit_state == "none":
            problems.append(_("an approved credit check (none requested yet)"))
        elif credit_state == "requested":
            problems.append(
                _(
                    "an approved credit check (%(check)s awaits the credit team's decision)",
                    check=check.name,
                )
            )
        elif credit_state == "rejected":
            problems.append(
                _(
                    "an approved credit check (%(check)s was rejected: %(reason)s)",
                    check=check.name,
                    reason=check.rejection_reason or "",
                )
            )
        elif credit_state == "expired":
            problems.append(
                _(
                    "a valid credit approval (%(check)s expired on %(date)s: request a new check)",
                    check=check.name,
                    date=check.valid_until,
                )
            )
        elif credit_state == "insufficient":
            problems.append(
                _(
                    "a credit approval covering the contract value %(value)s (%(check)s "
                    "approved %(amount)s: request a new check)",
                    value=self._waas_format_amount(self.waas_contract_value),
                    check=check.name,
                    amount=check._waas_format_amount(),
                )
            )
        if not self.waas_customer_signed:
            problems.append(_("the end customer's signature"))
        if not self.waas_countersigned:
            problems.append(_("ALSO's countersignature"))
        return problems

    def _waas_check_not_blocked(self):
        """Refuse (``UserError``) the activation of these WaaS quotations (new deals and
        renewals) when their end customer is blocked: over its approved exposure with
        them, or in dunning, and not released by a credit controller."""
        today = fields.Date.context_today(self)
        for company, orders in self.grouped("company_id").items():
            added = {}
            for order in orders:
                partner = order.partner_id.commercial_partner_id
                added[partner.id] = added.get(partner.id, 0.0) + order.currency_id._convert(
                    order.waas_contract_value, company.currency_id, company, today
                )
            names = ", ".join(orders.mapped("name"))
            what = (
                _("renewal %(orders)s", orders=names)
                if all(order.waas_renewal_contract_id for order in orders)
                else _("activation of %(orders)s", orders=names)
            )
            orders.partner_id._waas_check_not_blocked(company, what, added=added)

    def _waas_format_amount(self, amount):
        self.ensure_one()
        return formatLang(self.env, amount, currency_obj=self.currency_id)

    def action_confirm(self):
        waas_orders = self.filtered("is_waas")
        messages = []
        for order in waas_orders.filtered(lambda o: o.state in ("draft", "sent")):
            problems = order._waas_activation_problems()
            if problems:
                messages.append(
                    _(
                        "The WaaS deal %(order)s cannot be activated yet. Missing:\n- %(missing)s",
                        order=order.name,
                        missing="\n- ".join(problems),
                    )
                )
        if messages:
            raise UserError("\n\n".join(messages))
        waas_orders.filtered(lambda o: o.state in ("draft", "sent"))._waas_check_not_blocked()
        if not waas_orders:
            return super().action_confirm()
        # Only who may edit the deal confirms it (never a portal user over RPC).
        waas_orders.check_access("write")
        others = self - waas_orders
        res = super(SaleOrder, others).action_confirm() if others else True
        # sudo: the state "sale" of a WaaS deal is guarded; written here by Confirm, after
        # the write access and activation checks above (credit approval, both signatures).
        super(SaleOrder, waas_orders.sudo()).action_confirm()
        return res

    def _action_confirm(self):
        res = super()._action_confirm()
        waas = self.filtered("is_waas")
        renewals = waas.filtered("waas_renewal_contract_id")
        (waas - renewals)._waas_create_contracts()
        renewals._waas_activate_renewals()
        return res

    def _waas_create_contracts(self):
        """Create the contracts of confirmed WaaS orders (one create) and announce their
        activation once (``waas.contract._on_activated``)."""
        if not self:
            return self.env["waas.contract"]
        # sudo: a contract is created only here, by the activation of the deal after the
        # checks of action_confirm (credit approval, both signatures); not by a plain create.
        contracts = (
            self.env["waas.contract"]
            .sudo()
            .create([order._waas_prepare_contract_vals() for order in self])
            .sudo(False)
        )
        for contract in contracts:
            contract.sale_order_id.message_post(
                body=_("WaaS contract %(contract)s activated.", contract=contract.name)
            )
            contract.message_post(
                body=_(
                    "Activated from %(order)s: credit approved (%(check)s), signed by the end "
                    "customer (%(signed_by)s) and countersigned by ALSO (%(countersigned_by)s).",
                    order=contract.sale_order_id.name,
                    check=contract.sale_order_id.waas_credit_check_id.name or "",
                    signed_by=contract.sale_order_id.signed_by or "",
                    countersigned_by=contract.sale_order_id.waas_countersigned_by_id.name or "",
                )
            )
        contracts._on_activated()
        return contracts

    def _waas_contract_start_date(self):
        """The term starts at activation: the confirmation date of the order."""
        self.ensure_one()
        return fields.Date.context_today(self, self.date_order or fields.Datetime.now())

    def _waas_prepare_contract_vals(self):
        """Values of the ``waas.contract`` created when this WaaS order is confirmed.

        Override to add values; the term runs from the activation date for
        ``waas_term_months`` months (end = start + term - 1 day). The contract takes its
        number from the sequence when it is created (``waas.contract.create``).
        """
        self.ensure_one()
        date_start = self._waas_contract_start_date()
        lines = self.order_line.filtered(
            lambda line: (
                not line.display_type
                and line.product_id.waas_kind
                and not line.waas_billed_by_partner
            )
        )
        return {
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "partner_id": self.partner_id.commercial_partner_id.id,
            "reseller_id": self.waas_reseller_id.id,
            "sale_order_id": self.id,
            "term_months": self.waas_term_months,
            "date_start": date_start,
            "date_end": period_end(date_start, self.waas_term_months),
            "line_ids": [Command.create(line._waas_prepare_contract_line_vals()) for line in lines],
        }

    def action_waas_view_contracts(self):
        """Smart button "Contract"."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("also_waas.waas_contract_action")
        action["context"] = {"create": False}
        if len(self.waas_contract_ids) == 1:
            action.update(
                {
                    "views": [(False, "form")],
                    "view_mode": "form",
                    "res_id": self.waas_contract_ids.id,
                }
            )
        else:
            action["domain"] = [("id", "in", self.waas_contract_ids.ids)]
        return action

    # ------------------------------------------------------------------ renewal quotations
    # A renewal quotation (waas_renewal_contract_id) is a WaaS deal that renews a running
    # contract: the contract's lines at its monthly prices, the new end and the months added
    # (see waas.contract._waas_create_renewal_orders). Its credit is checked over the value
    # it adds; the end customer signs it and ALSO countersigns it; Confirm then extends the
    # contract instead of creating one. It ships nothing (see
    # sale.order.line._action_launch_stock_rule).

    def init(self):
        res = super().init()
        # Safety net of waas.contract._waas_check_renewable: one open renewal quotation per
        # contract, even when two transactions prepare one at the same time.
        create_partial_unique_index(
            self.env.cr,
            "sale_order_waas_renewal_open_unique",
            self._table,
            ["waas_renewal_contract_id"],
            where="waas_renewal_contract_id IS NOT NULL AND state IN ('draft', 'sent')",
        )
        return res

    def _waas_request_renewal_credit(self):
        """Request the credit check of new renewal quotations whose added value is not
        covered yet; when it cannot be requested (e.g. the end customer's VAT number is
        invalid) the quotation says why and staff request it later."""
        for order in self.filtered(lambda o: o.waas_credit_state != "approved"):
            try:
                with self.env.cr.savepoint():
                    order.action_waas_request_credit_check()
            except (UserError, ValidationError, AccessError) as error:
                order.message_post(
                    body=_(
                        "The credit check of this renewal could not be requested yet: %(reason)s",
                        reason=str(error),
                    )
                )

    def _waas_renewal_problems(self):
        """Why this renewal quotation cannot extend its contract (any more): the contract
        ended or was renewed meanwhile, its lines differ from the contract's, or its end is
        no longer possible."""
        self.ensure_one()
        contract = self.sudo().waas_renewal_contract_id
        if not contract:
            return []
        if contract.state != "active":
            states = dict(contract._fields["state"]._description_selection(self.env))
            return [
                _(
                    "an active contract to renew: %(contract)s is %(state)s (cancel this "
                    "renewal quotation)",
                    contract=contract.name,
                    state=states[contract.state],
                )
            ]
        if contract.date_end != self.waas_renewal_date_end_before:
            return [
                _(
                    "the contract end this renewal was prepared for: %(contract)s was renewed "
                    "meanwhile and now ends on %(end)s (cancel this renewal quotation and "
                    "prepare a new one)",
                    contract=contract.name,
                    end=format_date(self.env, contract.date_end),
                )
            ]
        problems = []
        wanted = sorted(
            (line.product_id.id, line.quantity, line.price_unit) for line in contract.line_ids
        )
        lines = self.order_line.filtered(
            lambda line: not line.display_type and not line.waas_billed_by_partner
        )
        current = sorted(
            (line.product_id.id, line.product_uom_qty, line.price_unit) for line in lines
        )
        if wanted != current or any(lines.mapped("discount")):
            problems.append(
                _(
                    "the lines of contract %(contract)s at its monthly prices (the renewal "
                    "quotation's lines were changed: cancel it and prepare a new one)",
                    contract=contract.name,
                )
            )
        try:
            contract._waas_renewal_end(date_end=self.waas_renewal_date_end)
        except UserError as error:
            problems.append(str(error))
        return problems

    def _waas_activate_renewals(self):
        """Confirmed renewal quotations extend their contracts (``_waas_renew``, which
        records the renewal and calls ``_on_renewed``: the renewal commission)."""
        Renewal = self.env["waas.contract.renewal"]
        renewals = Renewal
        for order in self:
            contract = order.waas_renewal_contract_id
            # sudo: the contract's end and its renewal records change only here, by the
            # activation of the renewal quotation after the checks of action_confirm (credit
            # approved, signed by the end customer, countersigned by ALSO).
            renewal = contract.sudo()._waas_renew(
                date_end=order.waas_renewal_date_end, sale_order=order
            )
            renewals |= renewal
            order.message_post(
                body=_(
                    "Renewal activated: contract %(contract)s now ends on %(end)s.",
                    contract=contract.name,
                    end=format_date(self.env, renewal.date_end_after),
                )
            )
            contract.message_post(
                body=_(
                    "Renewed from %(order)s: credit approved (%(check)s), signed by the end "
                    "customer (%(signed_by)s) and countersigned by ALSO (%(countersigned_by)s).",
                    order=order.name,
                    check=order.waas_credit_check_id.name or "",
                    signed_by=order.signed_by or "",
                    countersigned_by=order.waas_countersigned_by_id.name or "",
                )
            )
        return renewals

    def action_waas_view_renewed_contract(self):
        """Smart button "Renewed Contract" of a renewal quotation."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("also_waas.waas_contract_action")
        action.update(
            {
                "views": [(False, "form")],
                "view_mode": "form",
                "res_id": self.waas_renewal_contract_id.id,
                "context": {"create": False},
            }
        )
        return action

    # ------------------------------------------------------------------ cancel / invoicing

    def _action_cancel(self):
        active = self.waas_contract_ids.filtered(lambda c: c.state == "active")
        if active:
            raise UserError(
                _(
                    "The WaaS contract %(contracts)s is active: terminate it instead of "
                    "cancelling its order.",
                    contracts=", ".join(active.mapped("name")),
                )
            )
        res = super()._action_cancel()
        open_checks = self.waas_credit_check_ids.filtered(
            lambda c: c.state in ("requested", "approved")
        )
        open_checks._waas_cancel(reason=_("The quotation was cancelled."))
        return res

    def _create_invoices(self, grouped=False, final=False, date=None):
        waas = self.filtered("is_waas")
        if waas:
            raise UserError(
                _(
                    "WaaS deals are never invoiced from the sales order: their contract "
                    "invoices the end customer every month (%(orders)s).",
                    orders=", ".join(waas.mapped("name")),
                )
            )
        return super()._create_invoices(grouped=grouped, final=final, date=date)

    # ------------------------------------------------------------------ portal: signing

    def _waas_signer_refusal(self, user):
        """Why ``user`` may not sign this WaaS quotation for the end customer, or None.

        The end customer signs: its own portal users, or whoever holds the signing link
        without being a user of the reseller (the link is mailed to the end customer
        only). Neither the reseller's users nor ALSO's staff sign in its place.
        """
        self.ensure_one()
        if not self.is_waas or user._is_public():
            return None
        signer = user.commercial_partner_id
        customer = self.partner_id.commercial_partner_id
        if signer == customer:
            return None
        if signer == self.waas_reseller_id.commercial_partner_id:
            return _(
                "Only the end customer %(customer)s signs the WaaS quotation %(order)s: as "
                "the reseller you send it to the end customer (Send to the End Customer), "
                "you do not sign it in its place.",
                customer=customer.name,
                order=self.name,
            )
        if not user.share:
            return _(
                "Only the end customer %(customer)s signs the WaaS quotation %(order)s; ALSO "
                "countersigns it with Countersign.",
                customer=customer.name,
                order=self.name,
            )
        return None

    def _has_to_be_signed(self):
        """A reseller follows its WaaS quotation in the portal but never signs it in the
        end customer's place: sale's portal hides the button and refuses the signature.

        The portal reads the order as superuser (``_document_check_access``), so the
        person signing is the user of the HTTP request when there is one. ALSO's staff
        still see "Accept & Sign" in what they send; the accept route refuses them.
        """
        if not super()._has_to_be_signed():
            return False
        if not self.is_waas:
            return True
        user = request.env.user if request else self.env.user
        return not (user.share and self._waas_signer_refusal(user))

    def _waas_prepare_signer_vals(self, user, ip_address):
        """Signer details kept with the end customer's signature (besides signed_by and
        signed_on): the e-mail of the logged-in signer, else the end customer's e-mail the
        signing link was sent to, and the IP address of the request."""
        self.ensure_one()
        email = (user.email if not user._is_public() else False) or self.partner_id.email
        return {
            "waas_signer_email": email or False,
            "waas_signer_ip": ip_address or False,
        }

    # ------------------------------------------------------------------ portal: sending

    @api.model
    def _waas_reseller_email_problem(self, reseller, email):
        """Why ``email`` cannot be an end customer's address on a deal of ``reseller``
        (an address of the reseller itself), or None."""
        email = (email or "").strip().lower()
        if not email or not reseller:
            return None
        commercial = reseller.commercial_partner_id
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        contacts = Partner.search([("id", "child_of", commercial.id)])
        users = (
            self.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .search([("partner_id", "child_of", commercial.id)])
        )
        addresses = {
            address.strip().lower()
            for address in contacts.mapped("email") + users.mapped("email") + users.mapped("login")
            if address and "@" in address
        }
        domains = {
            address.rsplit("@", 1)[1].strip().lower()
            for address in users.mapped("email") + users.mapped("login")
            if address and "@" in address
        }
        domain = email.rsplit("@", 1)[1] if "@" in email else ""
        if email in addresses or (domain and domain in domains):
            return _(
                "%(email)s is an address of the reseller %(reseller)s: enter the end "
                "customer's own e-mail address. The signing link goes to the end customer, "
                "who signs the quotation itself.",
                email=email,
                reseller=commercial.name,
            )
        return None

    def _waas_check_signing_recipient(self):
        """The signing link of a WaaS quotation goes to the end customer's own e-mail:
        refuse to send it when there is none or when it is an address of the reseller."""
        for order in self.filtered("is_waas"):
            partner = order.partner_id
            if not partner.email:
                raise UserError(
                    _(
                        "The end customer %(customer)s has no e-mail address: the signing "
                        "link of %(order)s is sent to the end customer only.",
                        customer=partner.display_name,
                        order=order.name,
                    )
                )
            problem = self._waas_reseller_email_problem(order.waas_reseller_id, partner.email)
            if problem:
                raise UserError(problem)

    def action_quotation_send(self):
        """Send by e-mail: a WaaS quotation goes to the end customer's own e-mail."""
        self.filtered(lambda o: o.state in ("draft", "sent"))._waas_check_signing_recipient()
        return super().action_quotation_send()
