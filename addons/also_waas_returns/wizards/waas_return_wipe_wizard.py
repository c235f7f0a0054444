from odoo import _, fields, models
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

    def action_confirm(self):
        """Button "Record": one wipe record per selected device (of this return only)."""
        self.ensure_one()
        if self.line_ids.return_id - self.return_id:
            raise UserError(
                _(
                    "Only devices of return %(name)s can be recorded here.",
                    name=self.return_id.name,
                )
            )
        self.line_ids._record_wipe(
            self.wiper_id.id,
            self.method,
            self.date,
            self.certificate_ref,
            self.certificate_file,
            self.certificate_filename,
        )
        return {"type": "ir.actions.act_window_close"}
