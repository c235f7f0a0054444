# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    waas_sdd_payment_mode_id = fields.Many2one(
        comodel_name="account.payment.mode",
        string="WaaS Direct Debit Payment Mode",
        domain="[('payment_type', '=', 'inbound'), ('company_id', '=', id), "
        "('payment_method_id.code', '=', 'sepa_direct_debit')]",
        help="Payment mode of the monthly WaaS invoices of contracts with a valid SEPA "
        "mandate; the invoice run files them into a direct debit payment order. Contracts "
        "without a mandate are paid by bank transfer.",
    )

    @api.constrains("waas_sdd_payment_mode_id")
    def _check_waas_sdd_payment_mode(self):
        for company in self:
            mode = company.waas_sdd_payment_mode_id
            if mode and (
                mode.company_id != company
                or mode.payment_type != "inbound"
                or mode.payment_method_id.code != "sepa_direct_debit"
            ):
                raise ValidationError(
                    self.env._(
                        "The WaaS direct debit payment mode of %(company)s must be an inbound "
                        "SEPA Direct Debit payment mode of that company.",
                        company=company.name,
                    )
                )
