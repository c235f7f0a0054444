from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools import waas_wizard_action
from .res_partner import PRODUCT_MANAGER_GROUP

WAAS_KINDS = [
    ("bundle", "WaaS Bundle"),
    ("component", "Hardware Component"),
    ("licence", "Licence"),
    ("option", "Option"),
    ("upgrade", "Upgrade"),
    ("partner_service", "Partner Service"),
]
# Kinds priced per month from the WaaS price list, invoiced and commissioned.
WAAS_PRICED_KINDS = ("bundle", "option", "upgrade")
WAAS_USER_GROUP = "also_waas.group_waas_user"
# What the published WaaS catalogue shows of a product (its own or as a bundle's licence or
# component): a change marks the catalogues that offer it To Publish.
WAAS_CATALOGUE_FIELDS = frozenset(
    {
        "name",
        "active",
        "default_code",
        "description_sale",
        "waas_kind",
        "waas_manufacturer_id",
        "waas_manufacturer_sku",
        "waas_included_licence_id",
        "waas_licence_seats",
        "waas_licence_id",
        "waas_replaces_licence_id",
        "waas_exception_state",
    }
)
BLOCKED_ACTIVITY_TYPE = "also_waas.mail_activity_type_waas_product_blocked"


class ProductTemplate(models.Model):
    _inherit = "product.template"

    waas_kind = fields.Selection(
        selection=WAAS_KINDS,
        string="WaaS Kind",
        help="Bundle: what is rented out. Component: hardware inside a bundle. Licence: "
        "Microsoft 365 and other subscriptions. Option/Upgrade: extras priced per month. "
        "Partner service: work the reseller bills itself, never invoiced by ALSO.",
    )
    waas_manufacturer_id = fields.Many2one(
        comodel_name="res.partner",
        string="Manufacturer",
        domain=[("waas_is_manufacturer", "=", True)],
    )
    waas_manufacturer_sku = fields.Char(string="Manufacturer SKU")
    waas_bundle_line_ids = fields.One2many(
        comodel_name="waas.bundle.line",
        inverse_name="bundle_tmpl_id",
        string="Composition",
    )
    waas_included_licence_id = fields.Many2one(
        comodel_name="product.product",
        string="Included Licence",
        domain=[("waas_kind", "=", "licence")],
    )
    waas_licence_seats = fields.Integer(string="Licence Seats", default=1)
    waas_licence_id = fields.Many2one(
        comodel_name="product.product",
        string="Provides Licence",
        domain=[("waas_kind", "=", "licence")],
        help="For an upgrade or option: the licence it provides.",
    )
    waas_replaces_licence_id = fields.Many2one(
        comodel_name="product.product",
        string="Replaces Licence",
        domain=[("waas_kind", "=", "licence")],
        help="For an upgrade: the included licence it replaces (e.g. Business Essentials).",
    )
    # ------------------------------------------------------------------ exceptions
    waas_manufacturer_approved = fields.Boolean(
        string="Manufacturer Approved",
        compute="_compute_waas_manufacturer_approved",
        help="The manufacturer of this hardware is approved for WaaS.",
    )
    waas_exception_state = fields.Selection(
        selection=[
            ("none", "No Exception"),
            ("requested", "Requested"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
        ],
        string="WaaS Exception",
        default="none",
        required=True,
        copy=False,
        tracking=True,
        help="Hardware of a manufacturer that is not approved may only go into a bundle "
        "when a product manager approved an exception for it.",
    )
    waas_exception_reason = fields.Text(
        string="Exception Reason",
        copy=False,
        help="Why the exception is requested; after a rejection, why it was rejected.",
    )
    waas_pricelist_item_ids = fields.One2many(
        comodel_name="waas.pricelist.item",
        inverse_name="product_tmpl_id",
        string="WaaS Prices",
    )
    # ------------------------------------------------------------------ replacement
    waas_replacement_value = fields.Monetary(
        string="Replacement Value",
        help="What the end customer pays (untaxed) for one such device lost in a "
        "self-return (its risk). Shown on the WaaS price list of the bundles and options "
        "that contain it.",
    )

    _sql_constraints = [
        (
            "waas_replacement_value_not_negative",
            "CHECK(waas_replacement_value IS NULL OR waas_replacement_value >= 0)",
            "A replacement value cannot be negative.",
        ),
    ]
    # ------------------------------------------------------------------ quoting
    waas_quote_blocked = fields.Boolean(
        string="Blocked for Quoting",
        compute="_compute_waas_quote_blocked",
        store=True,
        help="A bundle, option or upgrade holding hardware of a manufacturer that is not (or "
        "no longer) approved for WaaS, without an approved exception: it cannot be quoted "
        "and is hidden from the portal. Running contracts keep it; re-approval lifts it.",
    )

    # ------------------------------------------------------------------ computes
    @api.depends("waas_manufacturer_id.waas_approval_state")
    def _compute_waas_manufacturer_approved(self):
        for tmpl in self:
            tmpl.waas_manufacturer_approved = (
                tmpl.waas_manufacturer_id.waas_approval_state == "approved"
            )

    @api.depends(
        "waas_kind",
        "waas_manufacturer_id.waas_approval_state",
        "waas_exception_state",
        "waas_bundle_line_ids.product_id.waas_manufacturer_id.waas_approval_state",
        "waas_bundle_line_ids.product_id.waas_exception_state",
    )
    def _compute_waas_quote_blocked(self):
        for tmpl in self:
            tmpl.waas_quote_blocked = bool(tmpl._waas_blocking_manufacturers())

    def _waas_blocking_manufacturers(self):
        """The manufacturers, not approved for WaaS, of the hardware of this priced product
        (itself or its composition) that has no approved exception."""
        self.ensure_one()
        if self.waas_kind not in WAAS_PRICED_KINDS:
            return self.env["res.partner"]
        hardware = self | self.waas_bundle_line_ids.product_id.product_tmpl_id
        return hardware.filtered(lambda t: not t._waas_allowed_in_bundle()).waas_manufacturer_id

    def _waas_quote_blocked_message(self):
        """Why this product cannot be quoted (for the quotation's error)."""
        self.ensure_one()
        return _(
            "%(product)s cannot be quoted any more: %(manufacturers)s is no longer approved "
            "for WaaS. Running contracts keep it; choose another product.",
            product=self.display_name,
            manufacturers=", ".join(self._waas_blocking_manufacturers().mapped("display_name")),
        )

    def _waas_allowed_in_bundle(self):
        """True when this hardware may be a bundle or option component."""
        self.ensure_one()
        return (
            not self.waas_manufacturer_id
            or self.waas_manufacturer_id.waas_approval_state == "approved"
            or self.waas_exception_state == "approved"
        )

    # ------------------------------------------------------------------ constraints
    @api.constrains("waas_manufacturer_id", "waas_exception_state")
    def _check_waas_component_in_bundles(self):
        """A component already in bundles cannot move to a non-approved manufacturer."""
        lines = self.env["waas.bundle.line"].search(
            [("product_id.product_tmpl_id", "in", self.ids)]
        )
        lines._check_waas_component_manufacturer()

    @api.constrains("waas_licence_seats")
    def _check_waas_licence_seats(self):
        for tmpl in self:
            if tmpl.waas_licence_seats < 0:
                raise ValidationError(
                    _(
                        "%(product)s cannot have a negative number of licence seats.",
                        product=tmpl.display_name,
                    )
                )

    # ------------------------------------------------------------------ exception actions
    def _waas_check_group(self, group, role):
        if self.env.su or self.env.user.has_group(group):
            return
        raise AccessError(
            _(
                "Only a %(role)s can do this on WaaS exception requests (%(user)s is not one).",
                role=role,
                user=self.env.user.name,
            )
        )

    def _waas_check_exception_state(self, allowed, action):
        wrong = self.filtered(lambda t: t.waas_exception_state not in allowed)
        if wrong:
            states = dict(self._fields["waas_exception_state"]._description_selection(self.env))
            raise UserError(
                _(
                    "Cannot %(action)s the WaaS exception of %(product)s: it is %(state)s.",
                    action=action,
                    product=wrong[0].display_name,
                    state=states[wrong[0].waas_exception_state],
                )
            )

    # ------------------------------------------------------------------ manufacturer approval
    @api.model
    def _waas_on_approval_withdrawn(self, manufacturers):
        """``manufacturers`` lost their WaaS approval: each product now blocked because of
        them gets a to-do for every product manager (one batched create per manager) and
        each manufacturer's chatter lists its blocked products."""
        if not manufacturers:
            return
        products = self.search(
            [
                ("waas_quote_blocked", "=", True),
                "|",
                ("waas_manufacturer_id", "in", manufacturers.ids),
                ("waas_bundle_line_ids.product_id.waas_manufacturer_id", "in", manufacturers.ids),
            ]
        )
        if not products:
            return
        # Blocked products leave the published catalogue.
        self.env["waas.catalogue.publication"]._waas_mark_products(products)
        activity_type = self.env.ref(BLOCKED_ACTIVITY_TYPE)
        existing = {
            (activity.res_id, activity.user_id.id)
            for activity in self.env["mail.activity"].search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", products.ids),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
        }
        note = self.env._(
            "%(manufacturers)s lost its WaaS approval: this product can no longer be quoted "
            "(running contracts keep it). Replace the hardware, ask for an exception or "
            "archive the product; approving the manufacturer again lifts the block.",
            manufacturers=", ".join(manufacturers.mapped("display_name")),
        )
        managers = self._waas_product_managers()
        for user in managers:
            todo = products.filtered(
                lambda p, u=user: (
                    (not p.company_id or p.company_id in u.company_ids)
                    and (p.id, u.id) not in existing
                )
            )
            todo.activity_schedule(
                act_type_xmlid=BLOCKED_ACTIVITY_TYPE,
                note=note,
                user_id=user.id,
            )
        for manufacturer in manufacturers:
            blocked = products.filtered(
                lambda p, m=manufacturer: m in p._waas_blocking_manufacturers()
            )
            if blocked:
                manufacturer.message_post(
                    body=self.env._(
                        "WaaS approval withdrawn: %(count)s products can no longer be quoted "
                        "(%(products)s). The product managers have a to-do on each.",
                        count=len(blocked),
                        products=", ".join(blocked.mapped("display_name")),
                    )
                )

    @api.model
    def _waas_on_approval_restored(self, manufacturers):
        """``manufacturers`` are approved again: the to-dos of the products they no longer
        block are done."""
        if not manufacturers:
            return
        # Their products may be quotable again: back in the published catalogue.
        self.env["waas.catalogue.publication"]._waas_mark_products(
            self.search(
                [
                    ("waas_kind", "in", WAAS_PRICED_KINDS),
                    "|",
                    ("waas_manufacturer_id", "in", manufacturers.ids),
                    (
                        "waas_bundle_line_ids.product_id.waas_manufacturer_id",
                        "in",
                        manufacturers.ids,
                    ),
                ]
            )
        )
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", self._name),
                ("activity_type_id", "=", self.env.ref(BLOCKED_ACTIVITY_TYPE).id),
            ]
        )
        products = self.browse(activities.mapped("res_id")).exists()
        lifted = products.filtered(lambda p: not p.waas_quote_blocked)
        activities.filtered(lambda a: a.res_id in lifted.ids).action_feedback(
            feedback=self.env._(
                "%(manufacturers)s is approved for WaaS again: the product can be quoted.",
                manufacturers=", ".join(manufacturers.mapped("display_name")),
            )
        )

    def _waas_product_managers(self):
        """Internal users of the WaaS Product Manager group (else the current user)."""
        managers = self.env.ref(PRODUCT_MANAGER_GROUP).users.filtered(
            lambda u: u.active and not u.share
        )
        return managers or self.env.user.filtered(lambda u: not u.share)

    # ------------------------------------------------------------------ CRUD
    def write(self, vals):
        if "waas_quote_blocked" in vals:
            raise UserError(
                _(
                    "Blocked for Quoting follows the approval of the manufacturers: approve the "
                    "manufacturer, an exception or other hardware instead of setting it."
                )
            )
        if vals.get("waas_exception_state") in ("approved", "rejected"):
            self._waas_check_group(PRODUCT_MANAGER_GROUP, _("WaaS Product Manager"))
        result = super().write(vals)
        if WAAS_CATALOGUE_FIELDS.intersection(vals):
            self._waas_mark_catalogue()
        return result

    def _waas_mark_catalogue(self):
        """These products changed: the catalogues offering them, or a bundle, option or
        upgrade that holds them (licence, component), are to publish again."""
        waas = self.with_context(active_test=False).filtered("waas_kind")
        if not waas:
            return
        variants = waas.with_context(active_test=False).product_variant_ids
        # sudo + archived: whichever priced product shows them, whoever changed them.
        holders = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("waas_kind", "in", WAAS_PRICED_KINDS),
                    "|",
                    "|",
                    "|",
                    ("waas_included_licence_id", "in", variants.ids),
                    ("waas_licence_id", "in", variants.ids),
                    ("waas_replaces_licence_id", "in", variants.ids),
                    ("waas_bundle_line_ids.product_id", "in", variants.ids),
                ]
            )
        )
        self.env["waas.catalogue.publication"]._waas_mark_products(waas | holders)

    def action_waas_request_exception(self, reason=None):
        """Confirm button of the "Request Exception" wizard (WaaS User).

        For hardware of a manufacturer that is not approved.

        :param reason: why this hardware is needed in a bundle (optional).
        """
        self._waas_check_group(WAAS_USER_GROUP, _("WaaS User"))
        for tmpl in self:
            if tmpl.waas_kind != "component":
                raise UserError(
                    _(
                        "%(product)s is not a hardware component: exceptions are only for "
                        "hardware of manufacturers that are not approved.",
                        product=tmpl.display_name,
                    )
                )
            if not tmpl.waas_manufacturer_id or tmpl.waas_manufacturer_approved:
                raise UserError(
                    _(
                        "%(product)s needs no exception: its manufacturer is approved or not set.",
                        product=tmpl.display_name,
                    )
                )
        self._waas_check_exception_state(("none", "rejected"), _("request"))
        # sudo: WaaS users may not edit products; the request only moves the exception
        # state (group checked above) and logs it in the chatter.
        vals = {"waas_exception_state": "requested"}
        if (reason or "").strip():
            vals["waas_exception_reason"] = reason.strip()
        self.sudo().write(vals)
        for tmpl in self.sudo():
            tmpl.message_post(
                body=_(
                    "WaaS exception requested by %(user)s for hardware of %(manufacturer)s "
                    "(not approved). Reason: %(reason)s",
                    user=self.env.user.name,
                    manufacturer=tmpl.waas_manufacturer_id.display_name,
                    reason=tmpl.waas_exception_reason or _("none given"),
                )
            )
        return True

    def action_waas_approve_exception(self):
        """Button "Approve Exception" (Product Manager)."""
        self._waas_check_group(PRODUCT_MANAGER_GROUP, _("WaaS Product Manager"))
        self._waas_check_exception_state(("requested",), _("approve"))
        self.write({"waas_exception_state": "approved"})
        for tmpl in self:
            tmpl.message_post(
                body=_(
                    "WaaS exception approved by %(user)s: this hardware may go into bundles.",
                    user=self.env.user.name,
                )
            )
        return True

    def action_waas_reject_exception(self, reason=None):
        """Confirm button of the "Reject Exception" wizard (Product Manager).

        :param reason: why the exception is rejected; required.
        """
        self._waas_check_group(PRODUCT_MANAGER_GROUP, _("WaaS Product Manager"))
        if not (reason or "").strip():
            raise UserError(_("Please give a reason to reject a WaaS exception request."))
        self._waas_check_exception_state(("requested",), _("reject"))
        self.write({"waas_exception_state": "rejected", "waas_exception_reason": reason.strip()})
        for tmpl in self:
            tmpl.message_post(
                body=_(
                    "WaaS exception rejected by %(user)s. Reason: %(reason)s",
                    user=self.env.user.name,
                    reason=reason.strip(),
                )
            )
        return True

    def _waas_exception_wizard_action(self, mode, name):
        return waas_wizard_action(
            name,
            "waas.exception.wizard",
            {"default_product_tmpl_ids": self.ids, "default_mode": mode},
        )

    def action_waas_open_request_exception(self):
        """Button "Request Exception" (WaaS User): asks for the reason in a wizard."""
        self._waas_check_group(WAAS_USER_GROUP, _("WaaS User"))
        self._waas_check_exception_state(("none", "rejected"), _("request"))
        return self._waas_exception_wizard_action("request", _("Request WaaS Exception"))

    def action_waas_open_reject_exception(self):
        """Button "Reject Exception" (Product Manager): asks for the reason in a wizard."""
        self._waas_check_group(PRODUCT_MANAGER_GROUP, _("WaaS Product Manager"))
        self._waas_check_exception_state(("requested",), _("reject"))
        return self._waas_exception_wizard_action("reject", _("Reject WaaS Exception"))
