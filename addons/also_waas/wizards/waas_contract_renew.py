from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..models.waas_contract import waas_check_group


class WaasContractRenew(models.TransientModel):
    """Renew: prepare renewal quotations (a renewal is a new agreement). Nothing is
    extended here: each quotation goes through the credit check, the end customer's
    signature and ALSO's countersignature; its activation extends the contract."""

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
    date_end = fields.Date(
        string="Until",
        help="The renewal ends on the contract's monthly anchor on or before this date (the "
        "day before the start's day of the month), or on the latest possible end when the "
        "date is at or after it.",
    )
    date_end_current = fields.Date(string="Current End", compute="_compute_preview")
    date_end_preview = fields.Date(string="Ends After Renewal", compute="_compute_preview")
    date_max_end = fields.Date(string="Latest Possible End", compute="_compute_preview")
    preview = fields.Text(string="Result", compute="_compute_preview")

    @api.model_create_multi
    def create(self, vals_list):
        # An unknown extension (e.g. "36" over RPC) gets a clear message, not a type error.
        allowed = {key for key, _label in self._fields["extension"].selection}
        for vals in vals_list:
            if vals.get("extension") and vals["extension"] not in allowed:
                raise UserError(
                    self.env._("Choose an extension: 12 or 24 more months, or until a date.")
                )
        return super().create(vals_list)

    @api.depends("contract_ids", "extension", "date_end")
    def _compute_preview(self):
        for wizard in self:
            contracts = wizard.contract_ids._origin
            wizard.contract_count = len(contracts)
            single = contracts if len(contracts) == 1 else contracts.browse()
            wizard.date_end_current = single.date_end
            wizard.date_max_end = single.date_max_end
            wizard.date_end_preview = False
            lines = []
            for contract in contracts:
                try:
                    new_end, months = wizard._renewal_end(contract)
                except UserError as error:
                    lines.append(str(error))
                    continue
                if not new_end:
                    continue
                if contract == single:
                    wizard.date_end_preview = new_end
                lines.append(
                    self.env._(
                        "%(contract)s: ends on %(new_end)s instead of %(end)s (%(months)s "
                        "month(s) more).",
                        contract=contract.name,
                        new_end=format_date(self.env, new_end),
                        end=format_date(self.env, contract.date_end),
                        months=months,
                    )
                )
            wizard.preview = "\n".join(lines)

    def _renewal_end(self, contract):
        """(new end, months added) of ``contract`` for the chosen extension, or
        (False, 0) while the date is not chosen yet."""
        self.ensure_one()
        if not contract.id or contract.state != "active":
            return False, 0
        if self.extension == "date":
            if not self.date_end:
                return False, 0
            return contract._waas_renewal_end(date_end=self.date_end)
        if self.extension in ("12", "24"):
            return contract._waas_renewal_end(months=int(self.extension))
        return False, 0

    def _renewal_kwargs(self):
        self.ensure_one()
        if self.extension == "date":
            if not self.date_end:
                raise UserError(self.env._("Choose the date the renewal runs until."))
            return {"date_end": self.date_end}
        if self.extension in ("12", "24"):
            return {"months": int(self.extension)}
        raise UserError(self.env._("Choose an extension (12 or 24 months) or a new end date."))

    def action_confirm(self):
        """Button "Prepare Renewal": one renewal quotation per contract (opened next)."""
        self.ensure_one()
        waas_check_group(self.env, "also_waas.group_waas_user")
        orders = self.contract_ids._waas_create_renewal_orders(**self._renewal_kwargs())
        action = self.env["ir.actions.act_window"]._for_xml_id("also_waas.sale_order_action_waas")
        if len(orders) == 1:
            action.update({"views": [(False, "form")], "view_mode": "form", "res_id": orders.id})
        else:
            action.update({"domain": [("id", "in", orders.ids)], "name": self.env._("Renewals")})
        action["context"] = {"create": False}
        return action
