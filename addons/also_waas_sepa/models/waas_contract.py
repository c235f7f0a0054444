# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError

from odoo.addons.also_waas.models.waas_contract import INVOICE_RUN_CHUNK_SIZE


class WaasContract(models.Model):
    _inherit = "waas.contract"

    # Set at activation from the signed quotation (see write).
    waas_mandate_id = fields.Many2one(
        comodel_name="account.banking.mandate",
        string="Direct Debit Mandate",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        tracking=True,
    )
    waas_mandate_reference = fields.Char(
        related="waas_mandate_id.unique_mandate_reference", string="Mandate Reference"
    )
    waas_mandate_date = fields.Date(
        related="waas_mandate_id.signature_date", string="Mandate Signed On"
    )
    waas_payment_method = fields.Selection(
        selection=[("direct_debit", "SEPA Direct Debit"), ("transfer", "Bank Transfer")],
        string="Collected By",
        compute="_compute_waas_payment_method",
        help="Direct debit when the contract has a valid mandate and the company a WaaS "
        "direct debit payment mode; otherwise the end customer pays by bank transfer.",
    )

    # ------------------------------------------------------------------ computes
    @api.depends("waas_mandate_id.state", "company_id.waas_sdd_payment_mode_id")
    def _compute_waas_payment_method(self):
        for contract in self:
            contract.waas_payment_method = (
                "direct_debit" if contract._waas_sdd_payment_mode() else "transfer"
            )

    # ------------------------------------------------------------------ ORM
    def _waas_guard_check_write(self, vals):
        """The mandate link is guarded like ``_waas_guarded_fields``: set only by the
        activation of the signed quotation."""
        res = super()._waas_guard_check_write(vals)
        if "waas_mandate_id" in vals and not self.env.su:
            raise AccessError(
                self.env._(
                    "The direct debit mandate of a WaaS contract comes from the quotation "
                    "the end customer signed, not from editing the contract."
                )
            )
        return res

    # ------------------------------------------------------------------ direct debit
    def _waas_sdd_payment_mode(self):
        """The direct debit payment mode the invoices of this contract are collected with
        (a valid mandate and the company's mode), else an empty recordset."""
        self.ensure_one()
        if self.waas_mandate_id.state != "valid":
            return self.env["account.payment.mode"]
        return self.company_id.waas_sdd_payment_mode_id

    def _waas_prepare_invoice_vals(self, period_start, period_end, full_days=None):
        vals = super()._waas_prepare_invoice_vals(period_start, period_end, full_days)
        if vals is None:
            return vals
        mode = self._waas_sdd_payment_mode()
        vals.update(
            {
                "payment_mode_id": mode.id or False,
                "mandate_id": mode and self.waas_mandate_id.id or False,
            }
        )
        return vals

    @api.model
    def _waas_after_invoice_batch(self, invoices):
        res = super()._waas_after_invoice_batch(invoices)
        invoices._waas_sdd_add_to_payment_orders()
        return res

    @api.model
    def _waas_retry_posting(self, companies=None, limit=INVOICE_RUN_CHUNK_SIZE, domain=None):
        """Invoices a run could not post go into the direct debit order once posted."""
        moves = super()._waas_retry_posting(companies=companies, limit=limit, domain=domain)
        moves._waas_sdd_add_to_payment_orders()
        return moves
