from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models


class WaasDashboard(models.TransientModel):
    """The WaaS management dashboard: key figures of the current company, each with a
    button opening the records behind it. Figures are computed when the screen opens."""

    _name = "waas.dashboard"
    _description = "WaaS Dashboard"
    _check_company_auto = True

    company_id = fields.Many2one(
        comodel_name="res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(string="As Of", required=True, default=fields.Date.context_today)
    month_start = fields.Date(compute="_compute_figures")
    active_count = fields.Integer(string="Active Contracts", compute="_compute_figures")
    mrr = fields.Monetary(
        string="Monthly Recurring Revenue",
        compute="_compute_figures",
        help="Monthly amount of the active contracts in the company's currency: each "
        "contract's amount converted from its own currency at the rate of the As Of date.",
    )
    mrr_label = fields.Char(compute="_compute_figures")
    ending_30 = fields.Integer(string="Ending in 30 Days", compute="_compute_figures")
    ending_60 = fields.Integer(string="Ending in 60 Days", compute="_compute_figures")
    ending_90 = fields.Integer(string="Ending in 90 Days", compute="_compute_figures")
    month_new = fields.Integer(string="New This Month", compute="_compute_figures")
    month_renewals = fields.Integer(string="Renewals This Month", compute="_compute_figures")
    month_terminations = fields.Integer(
        string="Early Terminations This Month", compute="_compute_figures"
    )
    month_expiries = fields.Integer(string="Expiries This Month", compute="_compute_figures")
    month_churn_rate = fields.Float(
        string="Churn Rate This Month (%)",
        compute="_compute_figures",
        digits=(16, 1),
        help="Contracts ended this month (early terminations and expiries) divided by the "
        "contracts active at the start of the month.",
    )
    sellout_failed_count = fields.Integer(
        string="Sell-out Reports Not Sent", compute="_compute_figures"
    )

    def _compute_display_name(self):
        # The breadcrumb's title, not "waas.dashboard,1".
        for board in self:
            board.display_name = _("WaaS Key Figures")

    def _ending_domain(self, days):
        self.ensure_one()
        return [
            ("company_id", "=", self.company_id.id),
            ("state", "=", "active"),
            ("date_end", ">=", self.date),
            ("date_end", "<=", self.date + relativedelta(days=days)),
        ]

    @api.depends("company_id", "date")
    def _compute_figures(self):
        Contract = self.env["waas.contract"]
        Event = self.env["waas.contract.event.report"]
        for board in self:
            company = board.company_id
            month_start = board.date + relativedelta(day=1)
            board.month_start = month_start
            # One group per contract currency, each converted to the company's currency
            # at the rate of the dashboard's date (today by default).
            per_currency = Contract._read_group(
                [("company_id", "=", company.id), ("state", "in", ("active", "ending"))],
                groupby=["currency_id"],
                aggregates=["__count", "monthly_amount:sum"],
            )
            count = sum(group_count for _currency, group_count, _amount in per_currency)
            board.active_count = count
            board.mrr = sum(
                currency._convert(amount or 0.0, company.currency_id, company, board.date)
                for currency, _count, amount in per_currency
            )
            board.mrr_label = _(
                "Monthly Recurring Revenue (%(currency)s)", currency=company.currency_id.name
            )
            for days in (30, 60, 90):
                board[f"ending_{days}"] = Contract.search_count(board._ending_domain(days))
            events = dict(
                Event._read_group(
                    [
                        ("company_id", "=", company.id),
                        ("date", ">=", month_start),
                        ("date", "<=", board.date),
                    ],
                    groupby=["event"],
                    aggregates=["__count"],
                )
            )
            board.month_new = events.get("new", 0)
            board.month_renewals = events.get("renewal", 0)
            board.month_terminations = events.get("termination", 0)
            board.month_expiries = events.get("expiry", 0)
            churned = board.month_terminations + board.month_expiries
            # Active at the start of the month = active now + ended since - started since.
            at_start = count + churned - board.month_new
            board.month_churn_rate = 100.0 * churned / at_start if at_start > 0 else 0.0
            board.sellout_failed_count = self.env["waas.sellout.report"].search_count(
                [("company_id", "=", company.id), ("state", "=", "failed")]
            )

    @api.model
    def action_open_dashboard(self):
        """Menu "Dashboard": a fresh dashboard of the current company."""
        board = self.create({})
        return {
            "type": "ir.actions.act_window",
            "name": _("WaaS Key Figures"),
            "res_model": self._name,
            "res_id": board.id,
            "view_mode": "form",
            "views": [(self.env.ref("also_waas.waas_dashboard_view_form").id, "form")],
            "target": "current",
        }

    def _open(self, xmlid, domain, context=None):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("company_id", "=", self.company_id.id), *domain]
        action["context"] = context or {}
        return action

    def action_open_active(self):
        """Button "Active Contracts" / "MRR": active contracts in the analysis."""
        return self._open(
            "also_waas.waas_contract_report_action",
            [("state", "in", ("active", "ending"))],
            {"pivot_measures": ["contract_count", "monthly_amount"]},
        )

    def action_open_ending_30(self):
        """Button "Ending in 30 Days"."""
        return self._open("also_waas.waas_contract_report_action", self._ending_domain(30))

    def action_open_ending_60(self):
        """Button "Ending in 60 Days"."""
        return self._open("also_waas.waas_contract_report_action", self._ending_domain(60))

    def action_open_ending_90(self):
        """Button "Ending in 90 Days"."""
        return self._open("also_waas.waas_contract_report_action", self._ending_domain(90))

    def action_open_month_events(self):
        """Buttons of this month's figures: the contract events since the 1st."""
        return self._open(
            "also_waas.waas_contract_event_report_action",
            [("date", ">=", self.month_start), ("date", "<=", self.date)],
        )

    def action_open_events(self):
        """Button "Renewals and Churn per Month": event analysis."""
        return self._open("also_waas.waas_contract_event_report_action", [])

    def action_open_sellout_failed(self):
        """Button "Sell-out Reports Not Sent"."""
        return self._open("also_waas.waas_sellout_report_action", [("state", "=", "failed")])
