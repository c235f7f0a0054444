from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import UserError

from .waas_return import OPEN_STATES


class WaasContract(models.Model):
    _inherit = "waas.contract"

    waas_return_ids = fields.One2many(
        comodel_name="waas.return", inverse_name="contract_id", string="Returns"
    )
    waas_return_count = fields.Integer(compute="_compute_waas_return_count", string="Return Count")

    @api.depends("waas_return_ids")
    def _compute_waas_return_count(self):
        groups = self.env["waas.return"]._read_group(
            [("contract_id", "in", self.ids)], groupby=["contract_id"], aggregates=["__count"]
        )
        counts = {contract.id: count for contract, count in groups}
        for contract in self:
            contract.waas_return_count = counts.get(contract.id, 0)

    def _waas_return_responsible(self):
        """ALSO's responsible for the return of this contract: the salesperson of its deal
        when that is an (active) internal user, else the logistics user of the WaaS
        settings, else a WaaS manager; never a portal user nor OdooBot (empty if none)."""
        self.ensure_one()

        def internal(user):
            return bool(user) and user.active and not user.share and user.id != SUPERUSER_ID

        # sudo: the deal's salesperson and the settings are read whoever creates the
        # return (the expiry job, a portal booking); only a user id is taken.
        salesperson = self.sudo().sale_order_id.user_id
        if internal(salesperson):
            return self.env["res.users"].browse(salesperson.id)
        for user in (
            self._waas_configured_logistics_user(),
            self._waas_fallback_logistics_user(),
            self.env.user,
        ):
            if internal(user):
                return user
        return self.env["res.users"]

    def _on_ended(self):
        res = super()._on_ended()
        self._create_waas_returns()
        return res

    def _create_waas_returns(self):
        """Create the return of the contracts that still have rented devices and no open
        return (batched: a few queries whatever the number of contracts)."""
        Return = self.env["waas.return"]
        if not self:
            return Return
        with_open = {
            contract.id
            for [contract] in Return._read_group(
                [("contract_id", "in", self.ids), ("state", "in", OPEN_STATES)],
                groupby=["contract_id"],
            )
        }
        rented = {
            contract.id
            for [contract] in self.env["waas.device"]._read_group(
                [("contract_id", "in", self.ids), ("state", "=", "rented")],
                groupby=["contract_id"],
            )
        }
        todo = self.filtered(lambda c: c.id not in with_open and c.id in rented)
        if not todo:
            return Return
        # sudo: the return is a consequence of the contract's end, whoever ends it (a
        # contract operator, the expiry cron); the records stay in the contract's company.
        returns = (
            Return.sudo()
            .with_context(mail_create_nolog=True)
            .create([{"contract_id": contract.id} for contract in todo])
        )
        for ret in returns:
            ret.message_post(
                body=_(
                    "Return created because contract %(contract)s ended (%(state)s).",
                    contract=ret.contract_id._get_html_link(),
                    state=ret.contract_id.state,
                )
            )
        return returns.sudo(False)

    def action_create_waas_return(self):
        """Button "Create Return": the return of the devices, made by hand."""
        self.env["waas.return"]._waas_check_action()
        self.ensure_one()
        if self.waas_return_ids.filtered(lambda r: r.state in OPEN_STATES):
            raise UserError(
                _("Contract %(contract)s already has an open return.", contract=self.name)
            )
        ret = self.env["waas.return"].create({"contract_id": self.id})
        return {
            "type": "ir.actions.act_window",
            "res_model": "waas.return",
            "views": [(False, "form")],
            "res_id": ret.id,
        }

    def action_view_waas_returns(self):
        """Smart button "Returns"."""
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("also_waas_returns.waas_return_action")
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {"default_contract_id": self.id}
        if len(self.waas_return_ids) == 1:
            action.update(views=[(False, "form")], res_id=self.waas_return_ids.id)
        return action
