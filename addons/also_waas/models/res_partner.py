from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

MIN_WARRANTY_MONTHS = 36


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------------ manufacturer
    waas_is_manufacturer = fields.Boolean(
        string="WaaS Manufacturer",
        help="Hardware or licence vendor whose products may go into WaaS bundles.",
    )
    waas_approval_state = fields.Selection(
        selection=[
            ("pending", "Pending"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
        ],
        string="WaaS Approval",
        default="pending",
        tracking=True,
    )
    waas_warranty_months = fields.Integer(
        string="Warranty (months)",
        tracking=True,
        help="Manufacturer warranty on its hardware. Approval needs at least 36 months.",
    )
    # ------------------------------------------------------------------ reseller
    waas_is_reseller = fields.Boolean(
        string="WaaS Reseller",
        help="Partner allowed to sell WaaS bundles to its end customers and earn commission.",
    )

    @api.constrains("waas_approval_state", "waas_warranty_months", "waas_is_manufacturer")
    def _check_waas_manufacturer_warranty(self):
        for partner in self:
            if (
                partner.waas_is_manufacturer
                and partner.waas_approval_state == "approved"
                and partner.waas_warranty_months < MIN_WARRANTY_MONTHS
            ):
                raise ValidationError(
                    _(
                        "Manufacturer %(name)s cannot be approved for WaaS: it gives %(months)s "
                        "months of warranty and at least %(min)s are required.",
                        name=partner.display_name,
                        months=partner.waas_warranty_months,
                        min=MIN_WARRANTY_MONTHS,
                    )
                )
