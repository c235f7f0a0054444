from odoo import api, fields, models


class StockLot(models.Model):
    _inherit = "stock.lot"

    waas_device_ids = fields.One2many(
        comodel_name="waas.device",
        inverse_name="lot_id",
        string="WaaS Devices",
        groups="also_waas.group_waas_user",
    )
    waas_contract_id = fields.Many2one(
        comodel_name="waas.contract",
        string="Rented On",
        compute="_compute_waas_rental",
        groups="also_waas.group_waas_user",
        help="The WaaS contract this serial is rented out on: ALSO remains the owner.",
    )
    waas_rented = fields.Boolean(
        string="Rented (WaaS)",
        compute="_compute_waas_rental",
        groups="also_waas.group_waas_user",
    )

    @api.depends("waas_device_ids.state", "waas_device_ids.contract_id")
    def _compute_waas_rental(self):
        for lot in self:
            rented = lot.waas_device_ids.filtered(lambda d: d.state == "rented")[-1:]
            lot.waas_contract_id = rented.contract_id
            lot.waas_rented = bool(rented)
