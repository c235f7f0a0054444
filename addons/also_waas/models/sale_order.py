from odoo import fields, models


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
