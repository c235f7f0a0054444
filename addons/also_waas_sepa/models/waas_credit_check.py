# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class WaasCreditCheck(models.Model):
    _inherit = "waas.credit.check"

    waas_iban = fields.Char(related="sale_order_id.waas_iban", string="Direct Debit IBAN")
    waas_mandate_scheme = fields.Selection(
        related="sale_order_id.waas_mandate_scheme", string="Mandate Scheme"
    )
    waas_mandate_reference = fields.Char(
        related="sale_order_id.waas_mandate_reference", string="Mandate Reference"
    )
    waas_mandate_date = fields.Date(
        related="sale_order_id.waas_mandate_date", string="Mandate Signed On"
    )
