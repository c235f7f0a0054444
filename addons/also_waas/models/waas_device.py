from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

# Warranty of a device whose manufacturer has none recorded (the minimum an approved
# manufacturer gives).
DEFAULT_WARRANTY_MONTHS = 36


class WaasDevice(models.Model):
    _name = "waas.device"
    _description = "WaaS Device (rented)"
    _inherit = ["waas.guard.mixin"]
    _order = "contract_id, id"
    _rec_name = "serial"

    # Devices come from the validation of the deliveries of a deal (superuser mode, after
    # the stock checks) and are returned by the returns flow; their warranty end limits
    # renewals.
    _waas_guarded_fields = frozenset(
        {"contract_id", "lot_id", "product_id", "state", "date_delivered", "warranty_end"}
    )
    _waas_guarded_create = True
    _waas_guarded_unlink = True

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
    warranty_end = fields.Date(
        compute="_compute_warranty_end",
        store=True,
        readonly=False,
        help="Delivery date + the manufacturer's warranty months (36 when the manufacturer "
        "has none recorded; the contract start when no delivery date is known). Kept as "
        "delivered: a later change of the manufacturer's warranty does not change it. A "
        "contract is never renewed past the earliest warranty end of its devices.",
    )
    state = fields.Selection(
        selection=[("rented", "Rented"), ("returned", "Returned"), ("lost", "Lost")],
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

    @api.depends("date_delivered", "product_id", "contract_id.date_start")
    def _compute_warranty_end(self):
        for device in self:
            start = device.date_delivered or device.contract_id.date_start
            months = (
                device.product_id.waas_manufacturer_id.waas_warranty_months
                or DEFAULT_WARRANTY_MONTHS
            )
            device.warranty_end = start + relativedelta(months=months) if start else False
