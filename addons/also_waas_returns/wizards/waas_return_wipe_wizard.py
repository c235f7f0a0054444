from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.waas_wipe import WIPE_METHODS


class WaasReturnWipeWizard(models.TransientModel):
    _name = "waas.return.wipe.wizard"
    _description = "Record the data wipe of returned devices"

    return_id = fields.Many2one(comodel_name="waas.return", required=True)
    company_id = fields.Many2one(related="return_id.company_id")
    line_ids = fields.Many2many(
        comodel_name="waas.return.line",
        string="Devices",
        domain="[('return_id', '=', return_id), ('received', '=', True), ('wipe_id', '=', False)]",
    )
    wiper_id = fields.Many2one(
        comodel_name="res.partner",
        string="Wiping Company",
        required=True,
        domain="[('waas_is_wiper', '=', True)]",
    )
    method = fields.Selection(selection=WIPE_METHODS, required=True, default="nist_purge")
    date = fields.Date(required=True, default=fields.Date.context_today)
    certificate_ref = fields.Char(
        string="Wipe Certificate",
        required=True,
        help="Reference of the wiping company's certificate; with several devices, each "
        "gets this reference followed by its serial number.",
    )
    certificate_file = fields.Binary()
    certificate_filename = fields.Char()

    @api.model
    def _ref_for(self, ref, line, count):
        return ref if count == 1 else f"{ref}-{line.lot_id.name or line.id}"

    def action_confirm(self):
        """Button "Record": one wipe record per selected device."""
        self.ensure_one()
        lines = self.line_ids.filtered(lambda line: not line.wipe_id)
        if not lines:
            raise UserError(_("Select at least one received device that is not wiped yet."))
        self.env["waas.wipe"].create(
            [
                {
                    "return_line_id": line.id,
                    "wiper_id": self.wiper_id.id,
                    "method": self.method,
                    "date": self.date,
                    "certificate_ref": self._ref_for(self.certificate_ref, line, len(lines)),
                    "certificate_file": self.certificate_file,
                    "certificate_filename": self.certificate_filename,
                }
                for line in lines
            ]
        )
        return {"type": "ir.actions.act_window_close"}
