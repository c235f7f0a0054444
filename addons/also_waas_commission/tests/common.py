from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.also_waas.tests.common import WaasCommon


class WaasCommissionCommon(WaasCommon):
    """WaaS fixtures plus the commission settings and a commission manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["waas.commission.line"])
        cls.this_period = cls.today.replace(day=1)
        cls.expense_account = cls.env["account.account"].create(
            {
                "code": "619900",
                "name": "Test Reseller Commissions",
                "account_type": "expense",
                "company_ids": [Command.link(cls.company.id)],
            }
        )
        cls.commission_product = cls.env["product.product"].create(
            {
                "name": "Test Commission",
                "type": "service",
                "purchase_ok": True,
                "supplier_taxes_id": [Command.clear()],
            }
        )
        cls.company.write(
            {
                "waas_commission_product_id": cls.commission_product.id,
                "waas_commission_account_id": cls.expense_account.id,
                "waas_commission_clawback": False,
                "waas_commission_clawback_months": 6,
            }
        )
        cls.user_commission = new_test_user(
            cls.env(context=dict(cls.env.context, no_reset_password=True)),
            login="waas_commission",
            groups="also_waas_commission.group_waas_commission_manager",
        )
        cls.Line = cls.env["waas.commission.line"]

    _contract_prefix = "TEST-COM-"

    @classmethod
    def _activate(cls, **kwargs):
        contract = cls._new_contract(**kwargs)
        contract._on_activated()
        return contract

    @classmethod
    def _renew(cls, contract, months=12, date=None):
        renewal = cls.env["waas.contract.renewal"].create(
            {
                "contract_id": contract.id,
                "date": date or cls.today,
                "date_end_before": contract.date_end,
                "date_end_after": contract.date_end + relativedelta(months=months),
                "months": months,
            }
        )
        contract._on_renewed(renewal)
        return renewal

    def _lines(self, contracts, event=None):
        domain = [("contract_id", "in", contracts.ids)]
        if event:
            domain.append(("event", "=", event))
        return self.Line.search(domain, order="id")
