import math

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .product_template import WAAS_PRICED_KINDS

# The terms of a WaaS deal or contract, in months.
WAAS_TERMS = (12, 24, 36)
AMOUNT_FIELDS = ("monthly_price", "commission_new", "commission_renewal")


def _is_finite(value):
    """False for NaN and infinities (also given as text: "nan", "inf"), True otherwise;
    what is not a number at all is left to the field's own conversion."""
    try:
        return math.isfinite(float(value or 0.0))
    except (TypeError, ValueError):
        return True


def check_finite_vals(model, vals_list, fnames):
    """Refuse NaN and infinite amounts before they reach a field.

    Odoo rounds an amount when it is assigned, and rounding NaN or an infinity fails
    with a bare ``ValueError`` (a server error): check the values first.

    :param model: the model (any recordset of it) the values are for
    :param vals_list: list of ``create``/``write`` values
    :param fnames: the number fields to check
    :raise ValidationError: naming the field and the value
    """
    for vals in vals_list:
        for fname in fnames:
            if fname in vals and not _is_finite(vals[fname]):
                raise ValidationError(
                    model.env._(
                        "%(field)s must be a finite amount, not %(value)s.",
                        field=model._fields[fname]._description_string(model.env),
                        value=vals[fname],
                    )
                )


class WaasPricelistItem(models.Model):
    _name = "waas.pricelist.item"
    _description = "WaaS Price List Item"
    _order = "product_tmpl_id, term_months"
    _check_company_auto = True

    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    currency_id = fields.Many2one(
        comodel_name="res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        compute="_compute_currency_id",
        store=True,
        readonly=False,
        precompute=True,
        help="Currency of the prices and commissions; by default the company's currency.",
    )
    product_tmpl_id = fields.Many2one(
        comodel_name="product.template",
        string="Product",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
        domain=[("waas_kind", "in", WAAS_PRICED_KINDS)],
    )
    waas_kind = fields.Selection(related="product_tmpl_id.waas_kind", store=True)
    term_months = fields.Integer(string="Term (months)", required=True)
    monthly_price = fields.Monetary(required=True)
    commission_new = fields.Monetary(string="Commission (new)")
    commission_renewal = fields.Monetary(string="Commission (renewal)")
    replacement_value = fields.Monetary(
        compute="_compute_replacement_value",
        help="Replacement value of the hardware of one unit (its components' replacement "
        "values, in this item's currency): what the end customer pays when these devices are "
        "lost in a self-return.",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "term_allowed",
            f"CHECK(term_months IN {WAAS_TERMS})",
            "A WaaS term is 12, 24 or 36 months.",
        ),
        (
            "amounts_not_negative",
            "CHECK(monthly_price >= 0 AND commission_new >= 0 AND commission_renewal >= 0)",
            "Prices and commissions cannot be negative.",
        ),
        (
            "product_term_unique",
            "UNIQUE(company_id, product_tmpl_id, term_months)",
            "There is already a price for this product and term in this company.",
        ),
    ]

    # ------------------------------------------------------------------ computes
    @api.depends("company_id")
    def _compute_currency_id(self):
        for item in self:
            item.currency_id = item.company_id.currency_id or self.env.company.currency_id

    @api.depends(
        "currency_id",
        "company_id",
        "product_tmpl_id.waas_bundle_line_ids.quantity",
        "product_tmpl_id.waas_bundle_line_ids.product_id.waas_replacement_value",
    )
    def _compute_replacement_value(self):
        today = fields.Date.context_today(self)
        for item in self:
            company = item.company_id or self.env.company
            currency = item.currency_id or company.currency_id
            item.replacement_value = sum(
                line.quantity
                * line.product_id.currency_id._convert(
                    line.product_id.waas_replacement_value, currency, company, today
                )
                for line in item.product_tmpl_id.waas_bundle_line_ids
            )

    # ------------------------------------------------------------------ constraints
    @api.constrains("term_months")
    def _check_term_months(self):
        for item in self:
            if item.term_months not in WAAS_TERMS:
                raise ValidationError(
                    _(
                        "%(product)s: a WaaS term is 12, 24 or 36 months, not %(term)s.",
                        product=item.product_tmpl_id.display_name,
                        term=item.term_months,
                    )
                )

    @api.constrains("monthly_price", "commission_new", "commission_renewal")
    def _check_amounts_not_negative(self):
        labels = {
            "monthly_price": _("monthly price"),
            "commission_new": _("commission for a new contract"),
            "commission_renewal": _("commission for a renewal"),
        }
        for item in self:
            for fname, label in labels.items():
                amount = item[fname]
                if math.isfinite(amount) and amount >= 0:
                    continue
                params = {
                    "product": item.product_tmpl_id.display_name,
                    "term": item.term_months,
                    "what": label,
                    "amount": amount,
                }
                if not math.isfinite(amount):
                    raise ValidationError(
                        _(
                            "%(product)s (%(term)s months): the %(what)s must be a finite "
                            "amount, not %(amount)s.",
                            **params,
                        )
                    )
                raise ValidationError(
                    _(
                        "%(product)s (%(term)s months): the %(what)s cannot be negative "
                        "(%(amount)s).",
                        **params,
                    )
                )

    def _check_unique_product_term(self, exclude_ids=()):
        """One price per company, product and term (called before writing, because a
        search in a constraint would flush the duplicate into the SQL UNIQUE check first).
        """
        domain = [
            ("id", "not in", list(exclude_ids)),
            ("product_tmpl_id", "in", self.product_tmpl_id.ids),
            ("company_id", "in", self.company_id.ids),
        ]
        # sudo + archived: a duplicate is one whoever can see it.
        others = self.sudo().with_context(active_test=False).search(domain)
        existing = {(o.company_id.id, o.product_tmpl_id.id, o.term_months) for o in others}
        seen = set()
        for item in self:
            key = (item.company_id.id, item.product_tmpl_id.id, item.term_months)
            if key in existing or key in seen:
                raise ValidationError(
                    _(
                        "%(product)s already has a price for %(term)s months in %(company)s.",
                        product=item.product_tmpl_id.display_name,
                        term=item.term_months,
                        company=item.company_id.name,
                    )
                )
            seen.add(key)

    @api.constrains("product_tmpl_id")
    def _check_priced_kind(self):
        for item in self:
            if item.product_tmpl_id.waas_kind not in WAAS_PRICED_KINDS:
                raise ValidationError(
                    _(
                        "%(product)s is not a WaaS bundle, option or upgrade: only those "
                        "have a WaaS price.",
                        product=item.product_tmpl_id.display_name,
                    )
                )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        # The SQL checks fire on INSERT, before the Python constraints: validate the
        # values first so that bad input gets the clear, translated message.
        check_finite_vals(self, vals_list, AMOUNT_FIELDS)
        drafts = self.browse()
        companies = self.env["res.company"].browse(
            {vals["company_id"] for vals in vals_list if vals.get("company_id")}
        )
        for vals in vals_list:
            if vals.get("company_id") and not vals.get("currency_id"):
                # The default is the current company's currency: use the item's company's.
                vals["currency_id"] = companies.browse(vals["company_id"]).currency_id.id
            draft = self.new(vals)
            draft._check_term_months()
            draft._check_amounts_not_negative()
            draft._check_priced_kind()
            drafts |= draft
        drafts._check_unique_product_term()
        items = super().create(vals_list)
        self.env["waas.catalogue.publication"]._waas_mark_to_publish(items.company_id)
        return items

    def write(self, vals):
        check_finite_vals(self, [vals], AMOUNT_FIELDS)
        if {"company_id", "product_tmpl_id", "term_months"} & set(vals):
            drafts = self.browse()
            for item in self:
                draft_vals = {
                    "company_id": item.company_id.id,
                    "product_tmpl_id": item.product_tmpl_id.id,
                    "term_months": item.term_months,
                }
                draft_vals.update(
                    {k: v for k, v in vals.items() if k in draft_vals and not isinstance(v, list)}
                )
                drafts |= self.new(draft_vals)
            drafts._check_unique_product_term(exclude_ids=self.ids)
        companies = self.company_id
        result = super().write(vals)
        # Any change of a price list item changes the published catalogue.
        self.env["waas.catalogue.publication"]._waas_mark_to_publish(companies | self.company_id)
        return result

    def unlink(self):
        companies = self.company_id
        result = super().unlink()
        self.env["waas.catalogue.publication"]._waas_mark_to_publish(companies)
        return result

    # ------------------------------------------------------------------ lookup API

    @api.model
    def _get_price_items(self, product_tmpls, term_months, company):
        """Price list items of ``product_tmpls`` for a term, in one query.

        :return: dict {product.template id: waas.pricelist.item}; products without a
            price for that term and company are missing from it.
        """
        items = self.search(
            [
                ("product_tmpl_id", "in", product_tmpls.ids),
                ("term_months", "=", term_months),
                ("company_id", "=", company.id),
            ]
        )
        return {item.product_tmpl_id.id: item for item in items}

    def _get_monthly_price(self, currency, company, date):
        """The monthly end-customer price of this item in ``currency`` (a quotation's or a
        contract's), converted at the rate of ``date`` like every WaaS price."""
        self.ensure_one()
        return self.currency_id._convert(self.monthly_price, currency, company, date)

    # ------------------------------------------------------------------ price list output
    def _get_pricelist_rows(self):
        """The items grouped for the partner price list (PDF and xlsx).

        :return: list of dicts per company (sorted by name)
            ``{"company": res.company, "products": [{"product": product.template,
            "kind": label, "items": waas.pricelist.item sorted by term}]}``.
        """
        kinds = dict(self._fields["waas_kind"]._description_selection(self.env))
        kind_order = {"bundle": 0, "option": 1, "upgrade": 2}
        by_company = {}
        for item in self:
            products = by_company.setdefault(item.company_id, {})
            products.setdefault(item.product_tmpl_id, self.browse())
            products[item.product_tmpl_id] |= item
        result = []
        for company in sorted(by_company, key=lambda c: c.name or ""):
            products = by_company[company]
            ordered = sorted(
                products,
                key=lambda p: (kind_order.get(p.waas_kind, 9), p.name or "", p.id),
            )
            result.append(
                {
                    "company": company,
                    "products": [
                        {
                            "product": product,
                            "kind": kinds.get(product.waas_kind, ""),
                            "items": products[product].sorted("term_months"),
                        }
                        for product in ordered
                    ],
                }
            )
        return result
