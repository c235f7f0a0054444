from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResPartner(models.Model):
    _inherit = "res.partner"

    waas_is_wiper = fields.Boolean(
        string="Certified Wiping Company",
        help="Company certified to wipe the data of returned WaaS devices.",
    )
    waas_wiper_certificate = fields.Char(
        string="Wiping Certificate Number",
        tracking=True,
    )
    waas_wiper_valid_from = fields.Date(string="Certified From", tracking=True)
    waas_wiper_valid_to = fields.Date(string="Certified Until", tracking=True)

    @api.constrains(
        "waas_is_wiper", "waas_wiper_certificate", "waas_wiper_valid_from", "waas_wiper_valid_to"
    )
    def _check_waas_wiper_certification(self):
        for partner in self.filtered("waas_is_wiper"):
            if not (
                partner.waas_wiper_certificate
                and partner.waas_wiper_valid_from
                and partner.waas_wiper_valid_to
            ):
                raise ValidationError(
                    _(
                        "Wiping company %(name)s needs a certificate number and its validity "
                        "dates.",
                        name=partner.display_name,
                    )
                )
            if partner.waas_wiper_valid_to < partner.waas_wiper_valid_from:
                raise ValidationError(
                    _(
                        "The certification of wiping company %(name)s cannot end before it starts.",
                        name=partner.display_name,
                    )
                )

    def _waas_wiper_certified_on(self, date):
        """True when this partner is a wiping company certified on ``date``."""
        self.ensure_one()
        return bool(
            self.waas_is_wiper
            and self.waas_wiper_valid_from
            and self.waas_wiper_valid_to
            and self.waas_wiper_valid_from <= date <= self.waas_wiper_valid_to
        )
