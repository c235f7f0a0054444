from odoo import fields, models


class WaasExceptionWizard(models.TransientModel):
    _name = "waas.exception.wizard"
    _description = "WaaS Exception Request or Rejection"

    mode = fields.Selection(
        selection=[("request", "Request"), ("reject", "Reject")],
        required=True,
        default="request",
    )
    product_tmpl_ids = fields.Many2many(
        comodel_name="product.template",
        string="Hardware",
        required=True,
    )
    reason = fields.Text(
        help="Request: why this hardware is needed. Rejection: why it is refused (required).",
    )

    def action_confirm(self):
        """Button "Confirm" of the wizard: requests or rejects the exception."""
        self.ensure_one()
        if self.mode == "reject":
            self.product_tmpl_ids.action_waas_reject_exception(self.reason)
        else:
            self.product_tmpl_ids.action_waas_request_exception(self.reason)
        return {"type": "ir.actions.act_window_close"}
