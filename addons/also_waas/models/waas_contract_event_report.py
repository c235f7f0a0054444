from odoo import fields, models
from odoo.tools import SQL


class WaasContractEventReport(models.Model):
    """One row per contract event (SQL view): new contract (its start), renewal (its
    date), early termination and expiry (churn), with the contract's dimensions. The
    monthly amount is the contract analysis's: in the company's currency at today's rate."""

    _name = "waas.contract.event.report"
    _inherit = ["waas.contract.report.mixin"]
    _description = "WaaS Contract Events"
    _auto = False
    _order = "date desc, id desc"

    date = fields.Date(readonly=True)
    event = fields.Selection(
        selection=[
            ("new", "New"),
            ("renewal", "Renewal"),
            ("termination", "Early Termination"),
            ("expiry", "Expiry"),
        ],
        readonly=True,
    )
    term_months = fields.Integer(string="Term (months)", readonly=True, aggregator="avg")
    months = fields.Integer(string="Months Sold", readonly=True)
    monthly_amount = fields.Monetary(
        readonly=True, help="In the company's currency, at today's rate."
    )
    event_count = fields.Integer(string="Events", readonly=True)
    new_count = fields.Integer(string="New Contracts", readonly=True)
    renewal_count = fields.Integer(string="Renewals", readonly=True)
    termination_count = fields.Integer(string="Early Terminations", readonly=True)
    expiry_count = fields.Integer(string="Expiries", readonly=True)
    churn_count = fields.Integer(string="Churned Contracts", readonly=True)

    def init(self):
        # Built on the contract analysis view: make sure it is there and current.
        self.env["waas.contract.report"].init()
        return super().init()

    def _view_query(self):
        # The contract's dimensions, the same in every event's row.
        contract = SQL("%s, cr.term_months, cr.monthly_amount", self._waas_dimensions_sql("cr"))
        return SQL(
            """
            SELECT cr.contract_id * 4 AS id, 'new' AS event, cr.date_start AS date,
                   %(contract)s, cr.term_months AS months, 1 AS event_count, 1 AS new_count,
                   0 AS renewal_count, 0 AS termination_count, 0 AS expiry_count,
                   0 AS churn_count
              FROM waas_contract_report cr
            UNION ALL
            SELECT r.id * 4 + 1, 'renewal', r.date, %(contract)s, r.months, 1, 0, 1, 0, 0, 0
              FROM waas_contract_renewal r
              JOIN waas_contract_report cr ON cr.contract_id = r.contract_id
            UNION ALL
            SELECT cr.contract_id * 4 + 2, 'termination',
                   COALESCE(cr.date_terminated, cr.date_end), %(contract)s, 0, 1, 0, 0, 1, 0, 1
              FROM waas_contract_report cr
             WHERE cr.state = 'terminated'
            UNION ALL
            SELECT cr.contract_id * 4 + 3, 'expiry', cr.date_end, %(contract)s, 0, 1, 0, 0, 0, 1, 1
              FROM waas_contract_report cr
             WHERE cr.state = 'expired'
            """,
            contract=contract,
        )
