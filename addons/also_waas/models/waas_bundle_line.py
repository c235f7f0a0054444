from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


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

    # ------------------------------------------------------------------ CRUD
    # The composition is part of the published catalogue.
    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        self.env["waas.catalogue.publication"]._waas_mark_products(lines.bundle_tmpl_id)
        return lines

    def write(self, vals):
        bundles = self.bundle_tmpl_id
        result = super().write(vals)
        self.env["waas.catalogue.publication"]._waas_mark_products(bundles | self.bundle_tmpl_id)
        return result

    def unlink(self):
        bundles = self.bundle_tmpl_id
        result = super().unlink()
        self.env["waas.catalogue.publication"]._waas_mark_products(bundles)
        return result

    # ------------------------------------------------------------------ constraints
    @api.constrains("quantity")
    def _check_quantity(self):
        for line in self:
            if line.quantity <= 0:
                raise ValidationError(
                    _(
                        "Component %(component)s of %(bundle)s needs a positive quantity "
                        "(not %(quantity)s).",
                        component=line.product_id.display_name,
                        bundle=line.bundle_tmpl_id.display_name,
                        quantity=line.quantity,
                    )
                )

    @api.constrains("product_id", "bundle_tmpl_id")
    def _check_waas_component_manufacturer(self):
        """Only approved manufacturers' hardware (or approved exceptions) goes into bundles."""
        for line in self:
            component = line.product_id.product_tmpl_id
            if component._waas_allowed_in_bundle():
                continue
            raise ValidationError(
                _(
                    "%(component)s cannot be part of %(bundle)s: its manufacturer "
                    "%(manufacturer)s is not approved for WaaS and the component has no "
                    "approved exception. Ask a product manager for an exception or choose "
                    "hardware of an approved manufacturer.",
                    component=line.product_id.display_name,
                    bundle=line.bundle_tmpl_id.display_name,
                    manufacturer=line.product_id.waas_manufacturer_id.display_name,
                )
            )
