from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    waas_company_currency_id = fields.Many2one(
        related="company_id.currency_id",
        string="WaaS Company Currency",
    )
    waas_pickup_fee_product_id = fields.Many2one(
        related="company_id.waas_pickup_fee_product_id",
        readonly=False,
    )
    waas_pickup_fee_amount = fields.Monetary(
        related="company_id.waas_pickup_fee_amount",
        readonly=False,
        currency_field="waas_company_currency_id",
    )
    waas_self_return_days = fields.Integer(
        related="company_id.waas_self_return_days",
        readonly=False,
    )
    waas_missing_grace_days = fields.Integer(
        related="company_id.waas_missing_grace_days",
        readonly=False,
    )
    waas_return_warehouse_id = fields.Many2one(
        related="company_id.waas_return_warehouse_id",
        readonly=False,
    )
