from odoo import api, fields, models

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
