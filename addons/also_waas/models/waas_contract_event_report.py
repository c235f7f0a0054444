from odoo import fields, models, tools
from odoo.tools import SQL


class WaasContractEventReport(models.Model):
    """One row per contract event (SQL view): new contract (its start), renewal (its
    date), early termination and expiry (churn), with the contract's dimensions. The
    monthly amount is the contract analysis's: in the company's currency at today's rate."""

    _name = "waas.contract.event.report"
    _description = "WaaS Contract Events"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "name"

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
    contract_id = fields.Many2one(comodel_name="waas.contract", readonly=True)
    name = fields.Char(string="Contract Number", readonly=True)
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    currency_id = fields.Many2one(
        comodel_name="res.currency", string="Company Currency", readonly=True
    )
    reseller_id = fields.Many2one(comodel_name="res.partner", readonly=True)
    partner_id = fields.Many2one(comodel_name="res.partner", string="End Customer", readonly=True)
    country_id = fields.Many2one(comodel_name="res.country", readonly=True)
    bundle_tmpl_id = fields.Many2one(
        comodel_name="product.template", string="Bundle", readonly=True
    )
    manufacturer_id = fields.Many2one(comodel_name="res.partner", readonly=True)
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
        tools.drop_view_if_exists(self.env.cr, self._table)
        # The contract's dimensions, the same in every event's row.
        contract = SQL(
            """cr.contract_id, cr.name, cr.company_id, cr.currency_id, cr.reseller_id,
               cr.partner_id, cr.country_id, cr.bundle_tmpl_id, cr.manufacturer_id,
               cr.term_months, cr.monthly_amount"""
        )
        query = SQL(
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
        self.env.cr.execute(SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), query))
