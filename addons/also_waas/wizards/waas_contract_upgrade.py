from odoo import api, fields, models


class WaasContractUpgrade(models.TransientModel):
    _name = "waas.contract.upgrade"
    _inherit = ["waas.contract.wizard.mixin"]
    _description = "Upgrade a WaaS Contract During Its Term"

    product_id = fields.Many2one(
        comodel_name="product.product",
        string="Upgrade or Option",
        required=True,
        domain=[("waas_kind", "in", ("upgrade", "option"))],
    )
    quantity = fields.Float(
        default=1.0,
        required=True,
        digits="Product Unit of Measure",
        compute="_compute_quantity",
        store=True,
        readonly=False,
    )
    price_unit = fields.Monetary(
        string="Monthly Unit Price", compute="_compute_price", compute_sudo=True
    )
    date_from = fields.Date(
        string="Invoiced From",
        compute="_compute_price",
        compute_sudo=True,
        help="The new price applies from the next invoice period.",
    )

    @api.depends("product_id", "contract_id")
    def _compute_quantity(self):
        for wizard in self:
            replaced = wizard.product_id.waas_replaces_licence_id
            if wizard.contract_id and replaced:
                seats = wizard.contract_id._waas_licence_targets()[wizard.contract_id.id]
                per_unit = wizard.product_id.waas_licence_seats or 1
                wizard.quantity = max(seats.get(replaced, 0) // per_unit, 1)
            elif not wizard.quantity:
                wizard.quantity = 1.0

    @api.depends("product_id", "contract_id")
    def _compute_price(self):
        for wizard in self:
            contract = wizard.contract_id
            wizard.date_from = contract and contract._waas_first_uninvoiced()[contract.id]
            item = False
            if contract and wizard.product_id:
                item = (
                    self.env["waas.pricelist.item"]
                    ._get_price_items(
                        wizard.product_id.product_tmpl_id, contract.term_months, contract.company_id
                    )
                    .get(wizard.product_id.product_tmpl_id.id)
                )
            wizard.price_unit = (
                item._get_monthly_price(
                    contract.currency_id, contract.company_id, fields.Date.context_today(wizard)
                )
                if item
                else 0.0
            )

    def action_confirm(self):
        """Button "Upgrade": add the line from the next invoice and switch the licences."""
        self._waas_check_confirm("also_waas.group_waas_user")
        self.contract_id._waas_upgrade([(self.product_id, self.quantity)])
        return {"type": "ir.actions.act_window_close"}
