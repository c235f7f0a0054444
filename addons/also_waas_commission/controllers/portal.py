"""Portal of the commissions: a reseller follows its commission lines and statements.

Lines are searched AS THE PORTAL USER (rule ``waas_commission_line_rule_portal``: its own
company's lines only); only the lines found that way are rendered or printed with
``sudo()``, to show the names of contracts, end customers and products.
"""

from datetime import date

from odoo import _, http
from odoo.http import content_disposition, request

from odoo.addons.also_waas.controllers.portal import (
    WAAS_PORTAL_PAGE,
    WaasCustomerPortal,
)


class WaasCommissionPortal(WaasCustomerPortal):
    def _waas_commission_domain(self):
        return [("reseller_id", "=", self._waas_partner().id)]

    def _waas_commission_allowed(self):
        return self._waas_is_reseller() and request.env["waas.commission.line"].has_access("read")

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "waas_commission_count" in counters:
            values["waas_commission_count"] = self._waas_count(
                "waas.commission.line", self._waas_commission_domain(), self._waas_is_reseller()
            )
        return values

    def _waas_statement_rows(self):
        """One row per period: total and amount per state (one grouped query)."""
        groups = request.env["waas.commission.line"]._read_group(
            self._waas_commission_domain() + [("state", "!=", "cancelled")],
            groupby=["period:month", "state"],
            aggregates=["amount:sum"],
            order="period:month desc",
        )
        states = dict(
            request.env["waas.commission.line"]._fields["state"]._description_selection(request.env)
        )
        rows = {}
        for period, state, amount in groups:
            row = rows.setdefault(period, {"period": period, "total": 0.0, "states": []})
            row["total"] += amount
            row["states"].append((states.get(state, state), amount))
        return list(rows.values())

    @http.route(
        ["/my/waas/commissions", "/my/waas/commissions/page/<int:page>"], **WAAS_PORTAL_PAGE
    )
    def portal_my_waas_commissions(self, page=1, **kw):
        if not self._waas_commission_allowed():
            raise request.not_found()
        lines, pager = self._waas_page(
            "waas.commission.line", self._waas_commission_domain(), "/my/waas/commissions", page
        )
        values = self._waas_prepare_layout(
            "waas_commissions",
            # sudo: only the lines found above under the portal rule, to show names.
            lines=lines.sudo(),
            statements=self._waas_statement_rows(),
            currency=request.env.company.currency_id,
            pager=pager,
            default_url="/my/waas/commissions",
        )
        return request.render("also_waas_commission.portal_my_waas_commissions", values)

    @http.route("/my/waas/commissions/statement/<int:year>/<int:month>", **WAAS_PORTAL_PAGE)
    def portal_my_waas_commission_statement(self, year, month, download=None, **kw):
        """The PDF commission statement of a period (the reseller's own lines only); an
        impossible period (month 0 or 13, year 10000, ...) is not found."""
        if not self._waas_commission_allowed():
            raise request.not_found()
        try:
            period = date(year, month, 1)
        except ValueError:
            raise request.not_found() from None
        if year < 2000:
            raise request.not_found()
        lines = request.env["waas.commission.line"].search(
            self._waas_commission_domain() + [("period", "=", period), ("state", "!=", "cancelled")]
        )
        if not lines:
            raise request.not_found()
        # sudo: only the lines found above under the portal rule are printed (with the
        # names of their contracts and end customers).
        pdf, _type = (
            request.env["ir.actions.report"]
            .sudo()
            ._render_qweb_pdf(
                "also_waas_commission.waas_commission_statement_report", res_ids=lines.ids
            )
        )
        headers = [("Content-Type", "application/pdf"), ("Content-Length", len(pdf))]
        if download == "true":
            period = f"{year}-{month:02d}"
            filename = _("Commission Statement %(period)s.pdf", period=period)
            headers.append(("Content-Disposition", content_disposition(filename)))
        return request.make_response(pdf, headers=headers)
