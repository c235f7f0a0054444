from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    waas_commission_product_id = fields.Many2one(
        comodel_name="product.product",
        string="Commission Product",
        domain=[("type", "=", "service")],
        help="Product of the lines of the reseller commission vendor bills (taxes, accounts).",
    )
    waas_commission_account_id = fields.Many2one(
        comodel_name="account.account",
        string="Commission Expense Account",
        check_company=True,
        help="Expense account of the commission bills; empty: the product's expense account.",
    )
    waas_commission_journal_id = fields.Many2one(
        comodel_name="account.journal",
        string="Commission Journal",
        check_company=True,
        domain=[("type", "=", "purchase")],
        help="Purchase journal of the commission bills; empty: the first purchase journal.",
    )
    waas_commission_clawback = fields.Boolean(
        string="Claw Back Commission on Early End",
        help="When a contract is terminated within the claw-back window, a negative "
        "commission line takes back what was earned on it.",
    )
    waas_commission_clawback_months = fields.Integer(
        string="Claw-back Window (months)",
        default=6,
    )

    def _get_waas_commission_product(self):
        self.ensure_one()
        return self.waas_commission_product_id or self.env.ref(
            "also_waas_commission.product_waas_commission", raise_if_not_found=False
        )
