from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

WIPE_METHODS = [
    ("nist_clear", "NIST 800-88 Clear"),
    ("nist_purge", "NIST 800-88 Purge"),
    ("nist_destroy", "NIST 800-88 Destroy"),
]


class WaasWipe(models.Model):
    _name = "waas.wipe"
    _description = "WaaS Data Wipe (one device)"
    _inherit = ["waas.guard.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    # A wipe is the evidence behind the certificate: recorded only by the Record Wipe
    # wizard (waas.return.line._record_wipe), never edited nor deleted by hand.
    _waas_guarded_fields = frozenset(
        {
            "return_line_id",
            "return_id",
            "company_id",
            "device_id",
            "lot_id",
            "wiper_id",
            "wiper_certificate",
            "method",
            "date",
            "certificate_ref",
            "certificate_file",
            "certificate_filename",
        }
    )
    _waas_guarded_create = True
    _waas_guarded_unlink = True

    return_line_id = fields.Many2one(
        comodel_name="waas.return.line",
        string="Returned Device",
        required=True,
        ondelete="cascade",
        index=True,
    )
    return_id = fields.Many2one(related="return_line_id.return_id", store=True, index=True)
    company_id = fields.Many2one(related="return_line_id.company_id", store=True, index=True)
    device_id = fields.Many2one(related="return_line_id.device_id", store=True)
    product_id = fields.Many2one(related="return_line_id.product_id")
    lot_id = fields.Many2one(related="return_line_id.lot_id", string="Serial Number", store=True)
    wiper_id = fields.Many2one(
        comodel_name="res.partner",
        string="Wiping Company",
        required=True,
        domain="[('waas_is_wiper', '=', True)]",
        index=True,
    )
    wiper_certificate = fields.Char(
        string="Wiper Certification",
        readonly=True,
        help="Certificate number of the wiping company on the wipe date (kept as it was).",
    )
    method = fields.Selection(selection=WIPE_METHODS, required=True, default="nist_purge")
    date = fields.Date(required=True, default=fields.Date.context_today)
    certificate_ref = fields.Char(
        string="Wipe Certificate",
        required=True,
        help="Reference of the wiping company's certificate for this device.",
    )
    certificate_file = fields.Binary(attachment=True)
    certificate_filename = fields.Char()

    _sql_constraints = [
        (
            "return_line_unique",
            "UNIQUE(return_line_id)",
            "A returned device is wiped (and certified) once.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        wipes = super().create(vals_list)
        for wipe in wipes:
            wipe.wiper_certificate = wipe.wiper_id.waas_wiper_certificate
        # sudo: a wipe recorded by a WaaS user moves its return forward (state only).
        wipes.return_id.sudo()._update_progress_state()
        return wipes

    @api.constrains("wiper_id", "date")
    def _check_wiper_certified(self):
        for wipe in self:
            if not wipe.wiper_id._waas_wiper_certified_on(wipe.date):
                raise ValidationError(
                    _(
                        "%(wiper)s is not a wiping company certified on %(date)s "
                        "(certified from %(start)s to %(end)s): it cannot wipe device "
                        "%(serial)s.",
                        wiper=wipe.wiper_id.display_name,
                        date=wipe.date,
                        start=wipe.wiper_id.waas_wiper_valid_from or "-",
                        end=wipe.wiper_id.waas_wiper_valid_to or "-",
                        serial=wipe.lot_id.name or wipe.product_id.display_name,
                    )
                )

    @api.constrains("return_line_id")
    def _check_device_received(self):
        for wipe in self:
            if not wipe.return_line_id.received:
                raise ValidationError(
                    _(
                        "Device %(serial)s of return %(return_name)s is not received yet: it "
                        "cannot be wiped.",
                        serial=wipe.lot_id.name or wipe.product_id.display_name,
                        return_name=wipe.return_id.name,
                    )
                )
