from odoo import fields, models


class WaasBundleLine(models.Model):
    _name = "waas.bundle.line"
    _description = "WaaS Bundle Component"
    _order = "bundle_tmpl_id, sequence, id"

    sequence = fields.Integer(default=10)
    bundle_tmpl_id = fields.Many2one(
        comodel_name="product.template",
        string="Bundle",
        required=True,
        ondelete="cascade",
        index=True,
    )
    product_id = fields.Many2one(
        comodel_name="product.product",
        string="Component",
        required=True,
        domain=[("waas_kind", "=", "component")],
    )
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure")
    manufacturer_id = fields.Many2one(related="product_id.waas_manufacturer_id")

    _sql_constraints = [
        (
            "quantity_positive",
            "CHECK(quantity > 0)",
            "A bundle component needs a positive quantity.",
        ),
    ]
