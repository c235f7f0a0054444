from odoo import fields, models

WAAS_KINDS = [
    ("bundle", "WaaS Bundle"),
    ("component", "Hardware Component"),
    ("licence", "Licence"),
    ("option", "Option"),
    ("upgrade", "Upgrade"),
    ("partner_service", "Partner Service"),
]


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
