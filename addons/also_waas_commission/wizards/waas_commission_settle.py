from dateutil.relativedelta import relativedelta

from odoo import _, fields, models
from odoo.exceptions import UserError


def _default_date_to(wizard):
    return fields.Date.context_today(wizard).replace(day=1) - relativedelta(days=1)


class WaasCommissionSettle(models.TransientModel):
    _name = "waas.commission.settle"
    _description = "Settle WaaS Commissions"

    date_to = fields.Date(
        string="Up To",
        required=True,
        default=_default_date_to,
        help="Commission lines dated up to this day are settled (default: end of last month).",
    )
    reseller_ids = fields.Many2many(
        comodel_name="res.partner",
        string="Resellers",
        domain=[("waas_is_reseller", "=", True)],
        help="Leave empty to settle every reseller.",
    )
    move_ids = fields.Many2many(comodel_name="account.move", string="Vendor Bills", readonly=True)

    def action_settle(self):
        """Button "Settle": one vendor bill per reseller and period.

        Clicked twice (double click, or the same wizard confirmed again), the second call
        waits for the first, then shows the bills it made instead of settling again.
        """
        self.ensure_one()
        self.env["waas.commission.line"]._check_manager()
        self.env.cr.execute(
            "SELECT id FROM waas_commission_settle WHERE id = %s FOR UPDATE", [self.id]
        )
        self.invalidate_recordset(["move_ids"])
        # sudo: a commission manager need not read vendor bills to know whether this
        # wizard already made them.
        if not self.sudo().move_ids:
            moves = self.env["waas.commission.line"]._settle(
                self.date_to, resellers=self.reseller_ids or None
            )
            if not moves:
                raise UserError(
                    _(
                        "There is no commission to settle up to %(date)s.",
                        date=fields.Date.to_string(self.date_to),
                    )
                )
            self.sudo().move_ids = moves
        return self._action_view_result()

    def _action_view_result(self):
        moves = self.sudo().move_ids
        if self.env["account.move"].has_access("read"):
            return {
                "type": "ir.actions.act_window",
                "name": _("Commission Bills"),
                "res_model": "account.move",
                "view_mode": "list,form",
                "domain": [("id", "in", moves.ids)],
                "context": {"default_move_type": "in_invoice"},
            }
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "also_waas_commission.waas_commission_line_action"
        )
        action["domain"] = [("move_id", "in", moves.ids)]
        return action
