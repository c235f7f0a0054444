from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .waas_return import WAAS_USER_GROUP


class WaasReturnLine(models.Model):
    _name = "waas.return.line"
    _description = "WaaS Return Line (one device)"
    _inherit = ["waas.guard.mixin"]
    _order = "return_id, id"
    _rec_name = "lot_id"

    # A return's devices are its contract's rented devices (added when the return is
    # created); received and missing change only by the receipts, the wipe only by the
    # Record Wipe wizard (waas.guard.mixin), lost only by the charge of missing devices. A
    # device may still be taken off a draft return.
    _waas_guarded_fields = frozenset(
        {
            "return_id",
            "device_id",
            "product_id",
            "lot_id",
            "company_id",
            "state",
            "received",
            "date_received",
            "missing",
            "lost",
            "wipe_ids",
            "wipe_id",
        }
    )
    _waas_guarded_create = True

    return_id = fields.Many2one(
        comodel_name="waas.return", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="return_id.company_id", store=True, index=True)
    state = fields.Selection(related="return_id.state", string="Return Status")
    device_id = fields.Many2one(
        comodel_name="waas.device", required=True, ondelete="restrict", index=True
    )
    product_id = fields.Many2one(related="device_id.product_id", store=True)
    lot_id = fields.Many2one(
        related="device_id.lot_id", string="Serial Number", store=True, index=True
    )
    received = fields.Boolean(readonly=True, copy=False)
    date_received = fields.Datetime(string="Received On", readonly=True, copy=False)
    missing = fields.Boolean(
        readonly=True,
        copy=False,
        help="Not in the parcel or pickup although every receipt of the return was processed.",
    )
    lost = fields.Boolean(
        readonly=True,
        copy=False,
        help="Missing after the grace period of a self-return: charged to the end customer "
        "at its replacement value; the return no longer waits for it.",
    )
    wipe_ids = fields.One2many(
        comodel_name="waas.wipe", inverse_name="return_line_id", string="Wipes"
    )
    wipe_id = fields.Many2one(comodel_name="waas.wipe", compute="_compute_wipe_id", store=True)
    wiper_id = fields.Many2one(related="wipe_id.wiper_id")
    wipe_method = fields.Selection(related="wipe_id.method")
    wipe_date = fields.Date(related="wipe_id.date")
    wipe_certificate_ref = fields.Char(related="wipe_id.certificate_ref")

    _sql_constraints = [
        (
            "device_return_unique",
            "UNIQUE(return_id, device_id)",
            "A device is on a return only once.",
        ),
    ]

    @api.depends("wipe_ids")
    def _compute_wipe_id(self):
        for line in self:
            line.wipe_id = line.wipe_ids[:1]

    @api.constrains("device_id", "return_id")
    def _check_device_of_contract(self):
        for line in self:
            if line.device_id.contract_id != line.return_id.contract_id:
                raise ValidationError(
                    _(
                        "Device %(serial)s is not on contract %(contract)s.",
                        serial=line.device_id.display_name,
                        contract=line.return_id.contract_id.name,
                    )
                )

    def _record_wipe(self, wiper_id, method, date, certificate_ref, file=False, filename=False):
        """One wipe record per device of ``self`` not wiped yet; with several devices the
        certificate reference gets the serial number appended. Returns the wipes.

        The one way wipes are recorded (the Record Wipe wizard, the demo data): WaaS users
        only, on received devices of a confirmed return."""
        if not self.env.su and not self.env.user.has_group(WAAS_USER_GROUP):
            raise AccessError(_("Only ALSO's WaaS users record the data wipe of returned devices."))
        self.check_access("read")
        self.return_id.check_access("write")
        lines = self.filtered(lambda line: not line.wipe_id)
        if not lines:
            raise UserError(_("Select at least one received device that is not wiped yet."))
        for line in lines:
            if line.return_id.state not in ("partial", "received") or not line.received:
                raise UserError(
                    _(
                        "Device %(serial)s of return %(name)s is not received on a confirmed "
                        "return: it cannot be wiped.",
                        serial=line.lot_id.name or line.product_id.display_name,
                        name=line.return_id.name,
                    )
                )
        # sudo: wipes are created only here (waas.wipe is guarded), after the group and
        # state checks above; the constraints of waas.wipe (certified wiping company,
        # received device) still apply.
        return (
            self.env["waas.wipe"]
            .sudo()
            .create(
                [
                    {
                        "return_line_id": line.id,
                        "wiper_id": wiper_id,
                        "method": method,
                        "date": date,
                        "certificate_ref": certificate_ref
                        if len(lines) == 1
                        else f"{certificate_ref}-{line.lot_id.name or line.id}",
                        "certificate_file": file,
                        "certificate_filename": filename,
                    }
                    for line in lines
                ]
            )
            .sudo(self.env.su)
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        if self.filtered(lambda line: line.return_id.state != "draft"):
            raise UserError(_("Devices can only be removed from a draft return."))
