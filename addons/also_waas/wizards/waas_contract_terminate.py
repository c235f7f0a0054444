from odoo import api, fields, models

from ..models.waas_contract import waas_check_group


class WaasContractTerminate(models.TransientModel):
    _name = "waas.contract.terminate"
    _description = "Terminate a WaaS Contract Early"

    contract_id = fields.Many2one(
        comodel_name="waas.contract",
        required=True,
        readonly=True,
        ondelete="cascade",
        domain=[("state", "=", "active")],
    )
    company_id = fields.Many2one(related="contract_id.company_id")
    currency_id = fields.Many2one(related="contract_id.currency_id")
    date = fields.Date(string="Termination Date", required=True, default=fields.Date.context_today)
    reason = fields.Text(required=True)
    fee_months = fields.Integer(
        string="Months Not Invoiced Yet", compute="_compute_fee", compute_sudo=True
    )
    fee_amount = fields.Monetary(
        string="Termination Fee (untaxed)",
        compute="_compute_fee",
        compute_sudo=True,
        help="Every monthly amount not invoiced yet until the original end of the contract.",
    )

    @api.depends("contract_id")
    def _compute_fee(self):
        for wizard in self:
            contract = wizard.contract_id
            if not contract or contract.state != "active":
                wizard.fee_months = 0
                wizard.fee_amount = 0.0
                continue
            lines = contract._waas_termination_fee_lines()[contract.id]
            wizard.fee_months = max((line["quantity"] for line in lines), default=0)
            wizard.fee_amount = sum(line["quantity"] * line["price_unit"] for line in lines)

    def action_confirm(self):
        """Button "Terminate": end the contract, invoice the fee, trigger the return."""
        self.ensure_one()
        # The contract then writes its guarded fields itself (superuser mode), so who may
        # do this is checked here.
        waas_check_group(self.env, "also_waas.group_waas_manager")
        moves = self.contract_id._waas_terminate(self.date, self.reason)
        if not moves:
            return {"type": "ir.actions.act_window_close"}
        return self.contract_id.action_view_termination_invoice()
