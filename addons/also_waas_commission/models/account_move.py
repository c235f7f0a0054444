from odoo import _, fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    waas_is_commission_bill = fields.Boolean(
        string="WaaS Commission Bill",
        readonly=True,
        copy=False,
        help="Vendor bill of a WaaS commission settlement.",
    )
    waas_commission_line_ids = fields.One2many(
        comodel_name="waas.commission.line",
        inverse_name="move_id",
        string="Commission Lines",
        readonly=True,
        groups="also_waas.group_waas_user,account.group_account_invoice",
    )

    def _waas_release_commission_lines(self):
        """The bill no longer settles its commission lines: they are to settle again."""
        commission_bills = self.filtered("waas_is_commission_bill")
        if not commission_bills:
            return
        # sudo: the accountant cancelling or reversing the bill may not write commissions.
        lines = (
            self.env["waas.commission.line"]
            .sudo()
            .search([("move_id", "in", commission_bills.ids)])
        )
        if lines:
            lines.write({"move_id": False})

    def button_cancel(self):
        res = super().button_cancel()
        self._waas_release_commission_lines()
        return res

    def _reverse_moves(self, default_values_list=None, cancel=False):
        reverse_moves = super()._reverse_moves(
            default_values_list=default_values_list, cancel=cancel
        )
        self._waas_release_commission_lines()
        return reverse_moves

    def unlink(self):
        self._waas_release_commission_lines()
        return super().unlink()

    def button_draft(self):
        for move in self:
            if (
                move.waas_is_commission_bill
                and move.state != "draft"
                and not move.sudo().waas_commission_line_ids
            ):
                raise UserError(
                    _(
                        "Commission bill %(bill)s was cancelled or reversed and its commission "
                        "lines went back to settlement: settle them again instead.",
                        bill=move.display_name,
                    )
                )
        return super().button_draft()

    def action_view_waas_commission_lines(self):
        """Smart button "Commissions" of the vendor bill."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "also_waas_commission.waas_commission_line_action"
        )
        action["domain"] = [("move_id", "=", self.id)]
        action["context"] = {}
        return action
