from odoo import _, api, fields, models
from odoo.exceptions import UserError


class WaasSelloutWizard(models.TransientModel):
    _name = "waas.sellout.wizard"
    _description = "Produce WaaS Sell-out Reports"

    company_id = fields.Many2one(
        comodel_name="res.company", required=True, default=lambda self: self.env.company
    )
    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: self.env["waas.sellout.report"]._previous_month()[0],
    )
    date_to = fields.Date(
        string="To",
        required=True,
        default=lambda self: self.env["waas.sellout.report"]._previous_month()[1],
    )
    manufacturer_ids = fields.Many2many(
        comodel_name="res.partner",
        string="Manufacturers",
        domain=[("waas_is_manufacturer", "=", True)],
        help="Empty: every manufacturer and vendor with sales in the period (approved "
        "manufacturers, manufacturers of exception hardware, licence vendors).",
    )
    send = fields.Boolean(
        string="Send by E-mail",
        help="E-mail each report to the manufacturer's sell-out contact right away.",
    )

    def action_generate(self):
        """Button "Generate": create (or refresh) the report of each manufacturer for
        the period, build its files and, when asked, send it."""
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(
                _(
                    "The period cannot end (%(to)s) before it starts (%(from)s).",
                    to=self.date_to,
                    **{"from": self.date_from},
                )
            )
        Report = self.env["waas.sellout.report"]
        manufacturers = self.manufacturer_ids
        if not manufacturers:
            manufacturers = Report._manufacturers_with_rows(
                self.company_id, self.date_from, self.date_to
            )
        if not manufacturers:
            raise UserError(_("Nothing of any manufacturer or vendor was sold in the period."))
        if self.send:
            no_address = manufacturers.filtered(lambda p: not p._waas_sellout_recipient())
            if no_address:
                raise UserError(
                    _(
                        "Manufacturer %(manufacturer)s has no sell-out e-mail address or "
                        "contact: set it on the manufacturer first.",
                        manufacturer=no_address[0].display_name,
                    )
                )
        existing = Report.search(
            [
                ("company_id", "=", self.company_id.id),
                ("date_from", "=", self.date_from),
                ("date_to", "=", self.date_to),
                ("manufacturer_id", "in", manufacturers.ids),
            ]
        )
        queued = existing.filtered(lambda r: r.state == "queued")
        if queued:
            raise UserError(
                _(
                    "The report %(name)s is being sent; wait until it went out.",
                    name=queued[0].display_name,
                )
            )
        reports = existing | Report.create(
            [
                {
                    "company_id": self.company_id.id,
                    "manufacturer_id": manufacturer.id,
                    "date_from": self.date_from,
                    "date_to": self.date_to,
                }
                for manufacturer in manufacturers - existing.manufacturer_id
            ]
        )
        reports.action_generate()
        if self.send:
            reports.action_send()
        return {
            "type": "ir.actions.act_window",
            "name": _("Sell-out Reports"),
            "res_model": "waas.sellout.report",
            "view_mode": "list,form",
            "domain": [("id", "in", reports.ids)],
        }

    @api.onchange("date_from")
    def _onchange_date_from(self):
        if self.date_from and (not self.date_to or self.date_to < self.date_from):
            self.date_to = self.date_from
