from odoo import fields, models
from odoo.tools import SQL

from .waas_contract import WAAS_CONTRACT_STATES


class WaasMrrReport(models.Model):
    """Monthly recurring revenue over the last 12 months (SQL view): one row per contract
    and month (the current month and the 11 before) in which it was active, started or
    ended, with the contract's dimensions (those of the contract analysis).

    A month is seen on its last day, the current month today: ``contract_count`` and
    ``mrr`` count the contracts active then. ``mrr`` is the sum of the contract's lines
    invoiced by then (an upgrade added during the term counts from its *Invoiced From*
    date), in the company's currency at today's rate like the contract analysis.
    ``start_count`` (active at the month's start) and ``churn_count`` (ended early or
    expired in the month) give the churn rate: churned / active at start.
    """

    _name = "waas.mrr.report"
    _inherit = ["waas.contract.report.mixin"]
    _description = "WaaS Monthly Recurring Revenue"
    _auto = False
    _order = "month desc, id"

    month = fields.Date(readonly=True)
    state = fields.Selection(
        selection=WAAS_CONTRACT_STATES,
        string="Status Today",
        readonly=True,
    )
    mrr = fields.Monetary(
        string="Monthly Recurring Revenue",
        readonly=True,
        help="At the month's end (today for the current month), in the company's currency "
        "at today's rate.",
    )
    contract_count = fields.Integer(
        string="Active Contracts",
        readonly=True,
        help="Active at the month's end (today for the current month).",
    )
    start_count = fields.Integer(string="Active at Month Start", readonly=True)
    new_count = fields.Integer(string="New Contracts", readonly=True)
    churn_count = fields.Integer(
        string="Churned Contracts",
        readonly=True,
        help="Ended early or expired in the month. Churn rate: this divided by the "
        "contracts active at the month's start.",
    )

    def _view_query(self):
        # ``last_day``: the contract's last active day; ``ended``: the date of its end
        # event (the termination date, else the end), as in the event analysis.
        return SQL(
            """
            WITH cr AS (%(contracts)s),
            months AS (
                SELECT k, m::date AS month_start,
                       (m + interval '1 month - 1 day')::date AS month_end,
                       LEAST((m + interval '1 month - 1 day')::date, CURRENT_DATE) AS seen_on
                  FROM generate_series(0, 11) k,
                       LATERAL (SELECT date_trunc('month', CURRENT_DATE)
                                       - k * interval '1 month' AS m) ms
            ),
            c AS (
                SELECT cr.*,
                       CASE WHEN cr.date_terminated IS NOT NULL
                            THEN LEAST(cr.date_end, cr.date_terminated - 1)
                            ELSE cr.date_end END AS last_day,
                       COALESCE(cr.date_terminated, cr.date_end) AS ended
                  FROM cr
            )
            SELECT c.contract_id * 12 + m.k AS id, m.month_start AS month,
                   %(dimensions)s, c.state,
                   CASE WHEN c.last_day >= m.seen_on AND c.contract_monthly_amount <> 0
                        THEN c.monthly_amount * COALESCE(l.amount, 0)
                             / c.contract_monthly_amount
                        ELSE 0 END AS mrr,
                   (c.last_day >= m.seen_on)::int AS contract_count,
                   (c.date_start < m.month_start)::int AS start_count,
                   (c.date_start >= m.month_start)::int AS new_count,
                   (c.state IN ('terminated', 'expired')
                    AND c.ended <= m.month_end)::int AS churn_count
              FROM c
              JOIN months m ON c.date_start <= m.seen_on AND c.ended >= m.month_start
              LEFT JOIN LATERAL (
                    SELECT sum(cl.price_subtotal) AS amount
                      FROM waas_contract_line cl
                     WHERE cl.contract_id = c.contract_id
                       AND COALESCE(cl.date_from, c.date_start) <= m.seen_on
                   ) l ON TRUE
            """,
            # Built on the contract analysis's query (not its view, which its init drops).
            contracts=self.env["waas.contract.report"]._view_query(),
            dimensions=self._waas_dimensions_sql("c"),
        )
