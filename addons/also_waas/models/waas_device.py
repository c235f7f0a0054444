from odoo import fields, models


class WaasDevice(models.Model):
    _name = "waas.device"
    _description = "WaaS Device (rented)"
    _order = "contract_id, id"
    _rec_name = "serial"

    contract_id = fields.Many2one(
        comodel_name="waas.contract", required=True, ondelete="restrict", index=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", store=True)
    reseller_id = fields.Many2one(related="contract_id.reseller_id", store=True)
    product_id = fields.Many2one(comodel_name="product.product", required=True)
    manufacturer_id = fields.Many2one(related="product_id.waas_manufacturer_id", store=True)
    lot_id = fields.Many2one(comodel_name="stock.lot", string="Serial Number", index=True)
    serial = fields.Char(related="lot_id.name", store=True)
    date_delivered = fields.Date(string="Delivered On")
    warranty_end = fields.Date()
    state = fields.Selection(
        selection=[("rented", "Rented"), ("returned", "Returned")],
        default="rented",
        required=True,
    )

    _sql_constraints = [
        (
            "lot_contract_unique",
            "UNIQUE(contract_id, lot_id)",
            "A serial is on a contract only once.",
        ),
    ]
