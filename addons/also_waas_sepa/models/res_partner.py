# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

WAAS_MANDATE_SCHEMES = [("B2B", "Enterprise (B2B)"), ("CORE", "Basic (CORE)")]


class ResPartner(models.Model):
    _inherit = "res.partner"

    waas_mandate_scheme = fields.Selection(
        selection=WAAS_MANDATE_SCHEMES,
        string="WaaS Mandate Scheme",
        default="B2B",
        help="SEPA direct debit scheme of the mandate the end customer signs with its WaaS "
        "quotations: Enterprise (B2B, no refund right, for businesses) or Basic (CORE).",
    )
