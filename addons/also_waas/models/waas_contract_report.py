from odoo import fields, models
from odoo.tools import SQL

from .waas_contract import WAAS_CONTRACT_STATES


def currency_rate_sql(currency, company, date):
    """SQL expression: the rate of ``currency`` for ``company`` on ``date`` (SQL
    expressions), as ``res.currency._get_rates`` reads it: the latest rate on or before
    the date of the company's root company, else a shared one; else the first rate; else 1."""
    rates = SQL(
        """FROM res_currency_rate r
            WHERE r.currency_id = %(currency)s
              AND (r.company_id IS NULL OR r.company_id = (
                    SELECT split_part(rc.parent_path, '/', 1)::int
                      FROM res_company rc WHERE rc.id = %(company)s))""",
        currency=currency,
        company=company,
    )
    return SQL(
        """COALESCE(
            (SELECT r.rate %(rates)s AND r.name <= %(date)s
              ORDER BY r.company_id NULLS LAST, r.name DESC LIMIT 1),
            (SELECT r.rate %(rates)s ORDER BY r.company_id NULLS LAST, r.name LIMIT 1),
            1.0)""",
        rates=rates,
        date=date,
    )


class WaasContractReport(models.Model):
    """One row per contract with its reporting dimensions (SQL view).

    The bundle is the contract's first bundle line; the manufacturer the one of the
    first hardware component of that bundle. ``days_to_end`` is computed when read.
    Amounts are in the company's currency (``currency_id``), converted from the
    contract's currency at today's rate (like the dashboard's monthly recurring revenue);
    the contract's own currency and amount are kept beside them.
    """

    _name = "waas.contract.report"
    _inherit = ["waas.contract.report.mixin"]
    _description = "WaaS Contract Analysis"
    _auto = False
    _order = "date_end, id"

    contract_currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    term_months = fields.Integer(string="Term (months)", readonly=True, aggregator="avg")
    date_start = fields.Date(string="Start", readonly=True)
    date_end = fields.Date(string="End", readonly=True)
    date_terminated = fields.Date(string="Terminated On", readonly=True)
    state = fields.Selection(
        selection=WAAS_CONTRACT_STATES,
        readonly=True,
    )
    monthly_amount = fields.Monetary(
        readonly=True, help="In the company's currency, at today's rate."
    )
    contract_monthly_amount = fields.Monetary(
        string="Monthly Amount (Contract Currency)",
        currency_field="contract_currency_id",
        readonly=True,
        aggregator=False,
    )
    workplace_qty = fields.Float(string="Workplaces", readonly=True)
    renewal_count = fields.Integer(string="Renewals", readonly=True)
    contract_count = fields.Integer(string="Contracts", readonly=True)
    days_to_end = fields.Integer(string="Days to End", readonly=True, aggregator="min")

    def _view_query(self):
        return SQL(
            """
            SELECT c.id AS id, c.id AS contract_id, c.name, c.company_id,
                   co.currency_id, c.currency_id AS contract_currency_id,
                   c.reseller_id, c.partner_id, cu.country_id,
                   mb.tmpl_id AS bundle_tmpl_id, mm.manufacturer_id, c.term_months,
                   c.date_start, c.date_end, c.date_terminated, c.state,
                   CASE WHEN c.currency_id = co.currency_id
                        THEN COALESCE(c.monthly_amount, 0)
                        ELSE COALESCE(c.monthly_amount, 0) * %(company_rate)s / %(contract_rate)s
                   END AS monthly_amount,
                   COALESCE(c.monthly_amount, 0) AS contract_monthly_amount,
                   COALESCE(mb.qty, 0) AS workplace_qty,
                   (SELECT count(*) FROM waas_contract_renewal r
                     WHERE r.contract_id = c.id) AS renewal_count,
                   1 AS contract_count,
                   c.date_end - CURRENT_DATE AS days_to_end
              FROM waas_contract c
              JOIN res_company co ON co.id = c.company_id
              JOIN res_partner cu ON cu.id = c.partner_id
              LEFT JOIN LATERAL (
                    SELECT (array_agg(pt.id ORDER BY l.sequence, l.id))[1] AS tmpl_id,
                           sum(l.quantity) AS qty
                      FROM waas_contract_line l
                      JOIN product_product pp ON pp.id = l.product_id
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                     WHERE l.contract_id = c.id AND pt.waas_kind = 'bundle'
                   ) mb ON TRUE
              LEFT JOIN LATERAL (
                    SELECT it.waas_manufacturer_id AS manufacturer_id
                      FROM waas_bundle_line bl
                      JOIN product_product ip ON ip.id = bl.product_id
                      JOIN product_template it ON it.id = ip.product_tmpl_id
                     WHERE bl.bundle_tmpl_id = mb.tmpl_id
                       AND it.waas_manufacturer_id IS NOT NULL
                     ORDER BY bl.sequence, bl.id
                     LIMIT 1
                   ) mm ON TRUE
            """,
            company_rate=currency_rate_sql(
                SQL("co.currency_id"), SQL("c.company_id"), SQL("CURRENT_DATE")
            ),
            contract_rate=currency_rate_sql(
                SQL("c.currency_id"), SQL("c.company_id"), SQL("CURRENT_DATE")
            ),
        )
