from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    waas_commission_count = fields.Integer(
        string="Commission Lines",
        compute="_compute_waas_commission",
        groups="also_waas.group_waas_user",
    )
    waas_commission_total = fields.Monetary(
        string="Commission Earned",
        compute="_compute_waas_commission",
        currency_field="waas_commission_currency_id",
        groups="also_waas.group_waas_user",
    )
    waas_commission_currency_id = fields.Many2one(
        comodel_name="res.currency",
        compute="_compute_waas_commission",
        groups="also_waas.group_waas_user",
    )

    @api.depends_context("company")
    def _compute_waas_commission(self):
        data = {
            reseller.id: (count, total)
            for reseller, count, total in self.env["waas.commission.line"]._read_group(
                [("reseller_id", "in", self.ids), ("state", "!=", "cancelled")],
                ["reseller_id"],
                ["__count", "amount:sum"],
            )
        }
        for partner in self:
            count, total = data.get(partner.id, (0, 0.0))
            partner.waas_commission_count = count
            partner.waas_commission_total = total
            partner.waas_commission_currency_id = self.env.company.currency_id

    def action_view_waas_commissions(self):
        """Smart button "Commissions" of the reseller form."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "also_waas_commission.waas_commission_line_action"
        )
        action["domain"] = [("reseller_id", "=", self.id)]
        action["context"] = {"default_reseller_id": self.id, "search_default_group_period": 1}
        return action
