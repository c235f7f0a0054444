from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

WAAS_TERMS = [("12", "12 months"), ("24", "24 months"), ("36", "36 months")]
TERM_MONTHS = (12, 24, 36)


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
    )
    product_tmpl_id = fields.Many2one(
        comodel_name="product.template",
        string="Product",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
        domain=[("waas_kind", "in", ("bundle", "option", "upgrade"))],
    )
    waas_kind = fields.Selection(related="product_tmpl_id.waas_kind", store=True)
    term_months = fields.Integer(string="Term (months)", required=True)
    monthly_price = fields.Monetary(required=True)
    commission_new = fields.Monetary(string="Commission (new)")
    commission_renewal = fields.Monetary(string="Commission (renewal)")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "term_allowed",
            "CHECK(term_months IN (12, 24, 36))",
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

    # ------------------------------------------------------------------ constraints
    @api.constrains("term_months")
    def _check_term_months(self):
        for item in self:
            if item.term_months not in TERM_MONTHS:
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
                if item[fname] < 0:
                    raise ValidationError(
                        _(
                            "%(product)s (%(term)s months): the %(what)s cannot be negative "
                            "(%(amount)s).",
                            product=item.product_tmpl_id.display_name,
                            term=item.term_months,
                            what=label,
                            amount=item[fname],
                        )
                    )

    @api.constrains("product_tmpl_id")
    def _check_priced_kind(self):
        for item in self:
            if item.product_tmpl_id.waas_kind not in ("bundle", "option", "upgrade"):
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
        for vals in vals_list:
            draft = self.new(vals)
            draft._check_term_months()
            draft._check_amounts_not_negative()
            draft._check_priced_kind()
        return super().create(vals_list)

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
