from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

WAAS_MANAGER_GROUP = "also_waas.group_waas_manager"
# A wiping company's certification decides whose wipes ALSO accepts: WaaS Managers only.
WIPER_FIELDS = (
    "waas_is_wiper",
    "waas_wiper_certificate",
    "waas_wiper_valid_from",
    "waas_wiper_valid_to",
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    waas_is_wiper = fields.Boolean(
        string="Certified Wiping Company",
        help="Company certified to wipe the data of returned WaaS devices. Only WaaS "
        "Managers change the certification.",
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

    @api.model_create_multi
    def create(self, vals_list):
        given = {name for vals in vals_list for name in WIPER_FIELDS if vals.get(name)}
        if given:
            self._waas_check_wiper_manager(given)
        return super().create(vals_list)

    def write(self, vals):
        changed = {
            name
            for name in WIPER_FIELDS
            if name in vals
            and any(
                (partner[name] or False)
                != (self._fields[name].convert_to_cache(vals[name], partner) or False)
                for partner in self
            )
        }
        if changed:
            self._waas_check_wiper_manager(changed)
        return super().write(vals)

    def _waas_check_wiper_manager(self, fnames):
        """Only WaaS Managers certify wiping companies (form, import or XML-RPC alike);
        a value sent back unchanged by a form is no change."""
        if self.env.su or self.env.user.has_group(WAAS_MANAGER_GROUP):
            return
        raise AccessError(
            _(
                "Only a WaaS Manager can change %(fields)s of a wiping company (%(user)s is "
                "not one).",
                fields=", ".join(
                    sorted(self._fields[name]._description_string(self.env) for name in fnames)
                ),
                user=self.env.user.name,
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
