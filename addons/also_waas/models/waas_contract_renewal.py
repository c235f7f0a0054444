from odoo import fields, models


class WaasContractRenewal(models.Model):
    _name = "waas.contract.renewal"
    _description = "WaaS Contract Renewal"
    _inherit = ["waas.guard.mixin"]
    _order = "contract_id, date desc, id desc"

    # A renewal earns the reseller a commission: renewals are recorded only by the renewal
    # flow (superuser mode, after its checks), never created, edited or removed by hand.
    _waas_guarded_fields = frozenset(
        {
            "contract_id",
            "date",
            "date_end_before",
            "date_end_after",
            "months",
            "user_id",
            "sale_order_id",
        }
    )
    _waas_guarded_create = True
    _waas_guarded_unlink = True

    contract_id = fields.Many2one(
        comodel_name="waas.contract", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    reseller_id = fields.Many2one(related="contract_id.reseller_id", store=True)
    date = fields.Date(string="Renewed On", required=True, default=fields.Date.context_today)
    date_end_before = fields.Date(string="End Before", required=True)
    date_end_after = fields.Date(string="New End", required=True)
    months = fields.Integer(string="Extension (months)", required=True)
    user_id = fields.Many2one(comodel_name="res.users", default=lambda self: self.env.user)
    sale_order_id = fields.Many2one(
        comodel_name="sale.order",
        string="Renewal Quotation",
        readonly=True,
        index="btree_not_null",
        help="The renewal quotation (credit approved, signed by the end customer and "
        "countersigned by ALSO) whose activation made this renewal.",
    )

    _sql_constraints = [
        (
            "extends_end",
            "CHECK(date_end_after > date_end_before)",
            "A renewal must move the contract end later.",
        ),
    ]
