import base64
import io

import xlsxwriter

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class WaasPricelistExport(models.TransientModel):
    _name = "waas.pricelist.export"
    _description = "WaaS Price List Export"

    company_ids = fields.Many2many(
        comodel_name="res.company",
        string="Companies",
        required=True,
        default=lambda self: self.env.companies,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
        help="Export the WaaS price list of these companies.",
    )
    waas_kind = fields.Selection(
        selection=[
            ("all", "Bundles, options and upgrades"),
            ("bundle", "Bundles only"),
            ("extra", "Options and upgrades only"),
        ],
        string="Products",
        required=True,
        default="all",
    )

    # ------------------------------------------------------------------ data
    def _get_items_domain(self):
        self.ensure_one()
        domain = [
            ("company_id", "in", self.company_ids.ids),
            ("product_tmpl_id.active", "=", True),
        ]
        if self.waas_kind == "bundle":
            domain.append(("waas_kind", "=", "bundle"))
        elif self.waas_kind == "extra":
            domain.append(("waas_kind", "in", ("option", "upgrade")))
        return domain

    def _get_items(self):
        items = self.env["waas.pricelist.item"].search(self._get_items_domain())
        if not items:
            raise UserError(_("There is no WaaS price for the chosen companies and products."))
        return items

    @api.model
    def _xlsx_headers(self):
        return [
            _("Company"),
            _("Kind"),
            _("Product"),
            _("Internal Reference"),
            _("Term (months)"),
            _("Monthly Price"),
            _("Commission (new)"),
            _("Commission (renewal)"),
            _("Replacement Value"),
            _("Currency"),
        ]

    def _build_xlsx(self, items):
        """The price list as xlsx bytes: one row per product and term."""
        output = io.BytesIO()
        # Names are data, never formulas or links (a product named "=HYPERLINK(...)").
        workbook = xlsxwriter.Workbook(
            output,
            {
                "in_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        sheet = workbook.add_worksheet(_("WaaS Price List")[:31])
        bold = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
        money_formats = {}
        headers = self._xlsx_headers()
        for col, header in enumerate(headers):
            sheet.write_string(0, col, header, bold)
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, 1, 14)
        sheet.set_column(2, 2, 45)
        sheet.set_column(3, 3, 18)
        sheet.set_column(4, 9, 16)
        row = 1
        for group in items._get_pricelist_rows():
            for product_row in group["products"]:
                for item in product_row["items"]:
                    currency = item.currency_id
                    if currency not in money_formats:
                        decimals = "0" * currency.decimal_places
                        num_format = "#,##0" + ("." + decimals if decimals else "")
                        money_formats[currency] = workbook.add_format({"num_format": num_format})
                    money = money_formats[currency]
                    sheet.write_string(row, 0, group["company"].name or "")
                    sheet.write_string(row, 1, product_row["kind"] or "")
                    sheet.write_string(row, 2, product_row["product"].name or "")
                    if product_row["product"].default_code:
                        sheet.write_string(row, 3, product_row["product"].default_code)
                    sheet.write_number(row, 4, item.term_months)
                    sheet.write_number(row, 5, currency.round(item.monthly_price), money)
                    sheet.write_number(row, 6, currency.round(item.commission_new), money)
                    sheet.write_number(row, 7, currency.round(item.commission_renewal), money)
                    sheet.write_number(row, 8, currency.round(item.replacement_value), money)
                    sheet.write_string(row, 9, currency.name)
                    row += 1
        sheet.autofilter(0, 0, max(row - 1, 1), len(headers) - 1)
        sheet.freeze_panes(1, 0)
        workbook.close()
        return output.getvalue()

    # ------------------------------------------------------------------ actions
    def action_export_xlsx(self):
        """Button "Export to Excel": the price list as an xlsx download."""
        self.ensure_one()
        items = self._get_items()
        filename = "waas_pricelist_%s.xlsx" % fields.Date.context_today(self).strftime("%Y%m%d")
        attachment = self.env["ir.attachment"].create(
            {
                "name": filename,
                "datas": base64.b64encode(self._build_xlsx(items)),
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content/%s?download=true" % attachment.id,
            "target": "self",
        }

    def action_print_pdf(self):
        """Button "Print PDF": the partner price list of the chosen companies."""
        self.ensure_one()
        items = self._get_items()
        return self.env.ref("also_waas.waas_pricelist_item_report").report_action(items)
