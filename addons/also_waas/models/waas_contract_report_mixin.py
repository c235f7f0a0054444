from odoo import api, fields, models, tools
from odoo.tools import SQL

# The contract's reporting dimensions: fields of every contract analysis, and columns of
# the same names in the contract analysis's query.
WAAS_REPORT_DIMENSIONS = (
    "contract_id",
    "name",
    "company_id",
    "currency_id",
    "reseller_id",
    "partner_id",
    "country_id",
    "bundle_tmpl_id",
    "manufacturer_id",
)


class WaasContractReportMixin(models.AbstractModel):
    """The contract's reporting dimensions and the SQL view of the contract analyses
    (``waas.contract.report`` and the reports built on its query, ``waas.contract.event.report``
    and ``waas.mrr.report``): each report is the view of its ``_view_query()``, and reads
    the dimensions from the contract analysis's columns with ``_waas_dimensions_sql()``."""

    _name = "waas.contract.report.mixin"
    _description = "WaaS Contract Reporting Dimensions"
    _rec_name = "name"

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

    @api.model
    def _waas_dimensions_sql(self, alias):
        """The dimension columns of the contract analysis's rows ``alias``, for a SELECT."""
        return SQL(", ").join(SQL.identifier(alias, column) for column in WAAS_REPORT_DIMENSIONS)

    def _view_query(self):
        """The report's SELECT (an ``SQL``)."""
        raise NotImplementedError

    def init(self):
        # DROP ... CASCADE: dropping the contract analysis also drops the event view built
        # on it, which recreates itself in its own init.
        if self._abstract:
            return  # the mixin itself has no view
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), self._view_query())
        )
