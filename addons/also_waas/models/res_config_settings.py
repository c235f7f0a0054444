from odoo import api, fields, models

from .waas_catalogue_publication import CATALOGUE_STATES


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
    # The Cloud Marketplace account of the company (each ALSO country has its own); the
    # API key is readable by WaaS Managers and Settings administrators only.
    waas_marketplace_url = fields.Char(related="company_id.waas_marketplace_url", readonly=False)
    waas_marketplace_api_key = fields.Char(
        related="company_id.waas_marketplace_api_key",
        readonly=False,
        groups="also_waas.group_waas_manager,base.group_system",
    )
    waas_marketplace_timeout = fields.Integer(
        related="company_id.waas_marketplace_timeout", readonly=False
    )
    waas_marketplace_manual = fields.Boolean(
        related="company_id.waas_marketplace_manual", readonly=False
    )
    waas_catalogue_state = fields.Selection(
        selection=CATALOGUE_STATES,
        string="Catalogue Publication",
        compute="_compute_waas_catalogue_publication",
    )
    waas_catalogue_published_at = fields.Datetime(
        string="Catalogue Last Published",
        compute="_compute_waas_catalogue_publication",
    )
    # Contract operations.
    waas_logistics_user_id = fields.Many2one(
        comodel_name="res.users",
        string="Logistics Responsible",
        config_parameter="also_waas.logistics_user_id",
        help="Gets an activity for each expired contract to collect its hardware "
        "(default: the salesperson of the deal).",
    )

    @api.depends("company_id")
    def _compute_waas_catalogue_publication(self):
        Publication = self.env["waas.catalogue.publication"]
        for settings in self:
            publication = Publication.search([("company_id", "=", settings.company_id.id)])
            settings.waas_catalogue_state = publication.state or False
            settings.waas_catalogue_published_at = publication.last_published_at

    def action_waas_publish_catalogue(self):
        """Button "Publish Catalogue" (WaaS Managers): send the current company's WaaS
        catalogue to its Cloud Marketplace now."""
        self.ensure_one()
        return (
            self.env["waas.catalogue.publication"]
            ._waas_for_company(self.company_id)
            .action_waas_publish_now()
        )

    def action_waas_open_catalogue_publication(self):
        """Button "Catalogue Publication": the current company's last publication."""
        self.ensure_one()
        publication = self.env["waas.catalogue.publication"]._waas_for_company(self.company_id)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Catalogue Publication"),
            "res_model": "waas.catalogue.publication",
            "res_id": publication.id,
            "view_mode": "form",
            "target": "current",
        }
