# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.exceptions import AccessError

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
    waas_debit_returned_date = fields.Date(
        string="WaaS Debit Returned On",
        readonly=True,
        copy=False,
        help="Date of the last WaaS payment of this end customer that its bank returned "
        "(set by confirming the payment return).",
    )

    def write(self, vals):
        if "waas_debit_returned_date" in vals and not self.env.su:
            raise AccessError(
                self.env._(
                    "A returned debit is recorded by confirming the bank's payment return, "
                    "not by editing the customer."
                )
            )
        return super().write(vals)

    def _waas_set_debit_returned(self, date):
        """Flag these end customers: one of their WaaS payments came back on ``date``."""
        # sudo: called by the confirmation of a payment return only (the guarded flag).
        self.sudo().write({"waas_debit_returned_date": date})
