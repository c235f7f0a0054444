from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import formatLang

from .sale_order_line import WAAS_PRICED_KINDS
from .waas_pricelist_item import TERM_MONTHS

CREDIT_STATES = [
    ("none", "Not Requested"),
    ("requested", "Awaiting Decision"),
    ("approved", "Approved"),
    ("insufficient", "Approved Amount Too Low"),
    ("expired", "Approval Expired"),
    ("rejected", "Rejected"),
]


class SaleOrder(models.Model):
    _inherit = "sale.order"

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
            if order.waas_term_months not in TERM_MONTHS:
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
            order.waas_contract_value = monthly * order.waas_term_months
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

    def write(self, vals):
        protected = {"is_waas", "waas_reseller_id", "waas_term_months"} & set(vals)
        if protected and any(o.is_waas and o.state == "sale" for o in self):
            raise UserError(
                _(
                    "A confirmed WaaS deal cannot change its reseller or term: its contract "
                    "is running (renew or terminate the contract instead)."
                )
            )
        return super().write(vals)

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
        # The countersignature fields are read-only for everybody: written on purpose here,
        # after the group check above.
        self.write(
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
        if self.waas_term_months in TERM_MONTHS:
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
        if not priced:
            problems.append(_("The WaaS deal %(order)s has no WaaS bundle.", order=self.name))
        return problems

    def _waas_activation_problems(self):
        """What is still missing before this WaaS quotation can be activated."""
        self.ensure_one()
        problems = self._waas_price_problems()
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
        return super().action_confirm()

    def _action_confirm(self):
        res = super()._action_confirm()
        self.filtered("is_waas")._waas_create_contracts()
        return res

    def _waas_create_contracts(self):
        """Create the contracts of confirmed WaaS orders (one create) and announce their
        activation once (``waas.contract._on_activated``)."""
        if not self:
            return self.env["waas.contract"]
        contracts = self.env["waas.contract"].create(
            [order._waas_prepare_contract_vals() for order in self]
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
        ``waas_term_months`` months (end = start + term - 1 day).
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
            "name": self.env["ir.sequence"]
            .with_company(self.company_id)
            .next_by_code("waas.contract", sequence_date=date_start)
            or "/",
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "partner_id": self.partner_id.commercial_partner_id.id,
            "reseller_id": self.waas_reseller_id.id,
            "sale_order_id": self.id,
            "term_months": self.waas_term_months,
            "date_start": date_start,
            "date_end": date_start + relativedelta(months=self.waas_term_months, days=-1),
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
