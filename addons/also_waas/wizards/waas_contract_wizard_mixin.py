from odoo import fields, models

from ..models.waas_contract import waas_check_group


class WaasContractWizardMixin(models.AbstractModel):
    """What the wizards on one active contract share (*Terminate*, *Upgrade*): the
    contract, its company and currency, and the check before their confirm button."""

    _name = "waas.contract.wizard.mixin"
    _description = "Wizard on an Active WaaS Contract"

    contract_id = fields.Many2one(
        comodel_name="waas.contract",
        required=True,
        readonly=True,
        ondelete="cascade",
        domain=[("state", "=", "active")],
    )
    company_id = fields.Many2one(related="contract_id.company_id")
    currency_id = fields.Many2one(related="contract_id.currency_id")

    def _waas_check_confirm(self, group):
        """One wizard, confirmed by a user of ``group``. The contract then writes its
        guarded fields itself (superuser mode), so who may do this is checked here."""
        self.ensure_one()
        waas_check_group(self.env, group)
