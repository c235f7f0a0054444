# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    waas_sdd_payment_mode_id = fields.Many2one(
        related="company_id.waas_sdd_payment_mode_id", readonly=False
    )
