from odoo import api, fields, models


class WaasContractRenew(models.TransientModel):
    _name = "waas.contract.renew"
    _description = "Renew WaaS Contracts"

    contract_ids = fields.Many2many(
        comodel_name="waas.contract",
        string="Contracts",
        required=True,
        domain=[("state", "=", "active")],
    )
    contract_count = fields.Integer(compute="_compute_preview")
    extension = fields.Selection(
        selection=[("12", "12 more months"), ("24", "24 more months"), ("date", "Until a date")],
        required=True,
        default="12",
    )
    date_end = fields.Date(string="New End")
    date_end_current = fields.Date(string="Current End", compute="_compute_preview")
    date_end_preview = fields.Date(string="Ends After Renewal", compute="_compute_preview")
    date_max_end = fields.Date(string="Latest Possible End", compute="_compute_preview")

    @api.depends("contract_ids", "extension", "date_end")
    def _compute_preview(self):
        for wizard in self:
            contracts = wizard.contract_ids
            wizard.contract_count = len(contracts)
            single = contracts if len(contracts) == 1 else contracts.browse()
            wizard.date_end_current = single.date_end
            wizard.date_max_end = single.date_max_end
            if not single:
                wizard.date_end_preview = False
            elif wizard.extension == "date":
                wizard.date_end_preview = wizard.date_end
            else:
                wizard.date_end_preview = single._waas_extended_end(int(wizard.extension))

    def action_confirm(self):
        """Button "Renew": extend the contracts and record the renewals."""
        self.ensure_one()
        if self.extension == "date":
            renewals = self.contract_ids._waas_renew(date_end=self.date_end)
        else:
            renewals = self.contract_ids._waas_renew(months=int(self.extension))
        if len(self.contract_ids) == 1:
            return {"type": "ir.actions.act_window_close"}
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Renewals"),
            "res_model": "waas.contract.renewal",
            "view_mode": "list,form",
            "domain": [("id", "in", renewals.ids)],
        }
