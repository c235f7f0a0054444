from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class WaasManufacturerResellerRef(models.Model):
    """The id a manufacturer knows a reseller by (partner programme number).

    Printed on the sell-out reports so that the manufacturer credits the sale to the
    reseller. Without company the reference holds for every ALSO company.
    """

    _name = "waas.manufacturer.reseller.ref"
    _description = "Reseller ID at a Manufacturer"
    _order = "manufacturer_id, reseller_id, id"
    _rec_name = "external_ref"
    _check_company_auto = True

    manufacturer_id = fields.Many2one(
        comodel_name="res.partner",
        required=True,
        index=True,
        ondelete="cascade",
        domain=[("waas_is_manufacturer", "=", True)],
    )
    reseller_id = fields.Many2one(
        comodel_name="res.partner",
        required=True,
        index=True,
        ondelete="cascade",
        domain=[("waas_is_reseller", "=", True)],
    )
    external_ref = fields.Char(string="Reseller ID at Manufacturer", required=True)
    company_id = fields.Many2one(
        comodel_name="res.company",
        help="Leave empty when the reference holds for every company.",
    )

    _sql_constraints = [
        (
            "manufacturer_reseller_company_unique",
            "UNIQUE NULLS NOT DISTINCT (manufacturer_id, reseller_id, company_id)",
            "A reseller has one ID per manufacturer (and company).",
        ),
    ]

    @api.constrains("manufacturer_id", "reseller_id")
    def _check_partners(self):
        for ref in self:
            if not ref.manufacturer_id.waas_is_manufacturer:
                raise ValidationError(
                    _(
                        "%(partner)s is not a WaaS manufacturer.",
                        partner=ref.manufacturer_id.display_name,
                    )
                )
            if not ref.reseller_id.waas_is_reseller:
                raise ValidationError(
                    _("%(partner)s is not a WaaS reseller.", partner=ref.reseller_id.display_name)
                )
