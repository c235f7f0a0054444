from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    waas_credit_validity_days = fields.Integer(
        related="company_id.waas_credit_validity_days",
        readonly=False,
    )
    waas_dunning_grace_days = fields.Integer(
        related="company_id.waas_dunning_grace_days", readonly=False
    )
    waas_four_eyes = fields.Boolean(related="company_id.waas_four_eyes", readonly=False)
    waas_invoice_journal_id = fields.Many2one(
        related="company_id.waas_invoice_journal_id",
        readonly=False,
        domain="[('type', '=', 'sale'), ('company_id', '=', company_id)]",
    )
    waas_invoice_auto_post = fields.Boolean(
        related="company_id.waas_invoice_auto_post",
        readonly=False,
    )
    # Cloud Marketplace connection and contract operations (system parameters: one
    # marketplace account for the whole database; the API key is readable by admins only).
    waas_marketplace_url = fields.Char(
        string="Cloud Marketplace Endpoint",
        config_parameter="also_waas.marketplace_url",
        help="Base URL of the ALSO Cloud Marketplace API, e.g. https://marketplace.example/api/v1",
    )
    waas_marketplace_api_key = fields.Char(
        string="Cloud Marketplace API Key",
        config_parameter="also_waas.marketplace_api_key",
    )
    waas_marketplace_timeout = fields.Integer(
        string="Cloud Marketplace Timeout (seconds)",
        config_parameter="also_waas.marketplace_timeout",
        default=10,
    )
    waas_marketplace_manual = fields.Boolean(
        string="Provision Licences Manually",
        config_parameter="also_waas.marketplace_manual",
        help="Staff create the subscriptions at the marketplace and enter their id.",
    )
    waas_logistics_user_id = fields.Many2one(
        comodel_name="res.users",
        string="Logistics Responsible",
        config_parameter="also_waas.logistics_user_id",
        help="Gets an activity for each expired contract to collect its hardware "
        "(default: the salesperson of the deal).",
    )
