from odoo import api, fields, models


class WaasContractTerminate(models.TransientModel):
    _name = "waas.contract.terminate"
    _inherit = ["waas.contract.wizard.mixin"]
    _description = "Terminate a WaaS Contract Early"

    date = fields.Date(string="Termination Date", required=True, default=fields.Date.context_today)
    reason = fields.Text(required=True)
    fee_months = fields.Integer(
        string="Whole Months in the Fee", compute="_compute_fee", compute_sudo=True
    )
    fee_amount = fields.Monetary(
        string="Termination Fee (untaxed)",
        compute="_compute_fee",
        compute_sudo=True,
        help="The contract value the monthly invoices do not bill: every month from the "
        "termination date to the original end, the month the date cuts pro rata by days.",
    )
    takes_effect_later = fields.Boolean(
        compute="_compute_fee",
        compute_sudo=True,
        help="The termination date is in the future: the contract runs and is invoiced "
        "monthly until then; the licences are cancelled and the return starts on that day.",
    )

    @api.depends("contract_id", "date")
    def _compute_fee(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            contract = wizard.contract_id
            wizard.takes_effect_later = bool(wizard.date and wizard.date > today)
            if not contract or contract.state != "active" or not wizard.date:
                wizard.fee_months = 0
                wizard.fee_amount = 0.0
                continue
            lines = contract._waas_termination_fee_lines(wizard.date)[contract.id]
            wizard.fee_months = max((line["quantity"] for line in lines), default=0)
            wizard.fee_amount = sum(line["quantity"] * line["price_unit"] for line in lines)

    def action_confirm(self):
        """Button "Terminate": end the contract, invoice the fee, trigger the return."""
        self._waas_check_confirm("also_waas.group_waas_manager")
        moves = self.contract_id._waas_terminate(self.date, self.reason)
        if not moves:
            return {"type": "ir.actions.act_window_close"}
        return self.contract_id.action_view_termination_invoice()
