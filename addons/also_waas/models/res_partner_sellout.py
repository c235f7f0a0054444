from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import email_normalize


# A concern file of res.partner (team convention), kept apart from the catalogue's one.
class ResPartner(models.Model):
    """Sell-out reporting settings of a manufacturer (concern file of res.partner)."""

    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    waas_sellout_email = fields.Char(
        string="Sell-out E-mail",
        help="Address the monthly sell-out report goes to. Empty: the e-mail of the "
        "sell-out contact.",
    )
    waas_sellout_contact_id = fields.Many2one(
        comodel_name="res.partner",
        string="Sell-out Contact",
        help="Person at the manufacturer who receives the monthly sell-out report.",
    )
    waas_reseller_ref_ids = fields.One2many(
        comodel_name="waas.manufacturer.reseller.ref",
        inverse_name="manufacturer_id",
        string="Reseller IDs",
        help="The id each reseller has in this manufacturer's partner programme.",
    )

    @api.constrains("waas_sellout_email")
    def _check_waas_sellout_email(self):
        for partner in self:
            if partner.waas_sellout_email and not email_normalize(partner.waas_sellout_email):
                raise ValidationError(
                    _(
                        "The sell-out e-mail %(email)s of %(partner)s is not a valid address.",
                        email=partner.waas_sellout_email,
                        partner=partner.display_name,
                    )
                )

    def _waas_sellout_recipient(self):
        """The address the sell-out report of this manufacturer is sent to, or False."""
        self.ensure_one()
        return self.waas_sellout_email or self.waas_sellout_contact_id.email or False
