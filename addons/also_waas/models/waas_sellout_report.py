import csv
import logging
import os
import tempfile

import xlsxwriter
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_date

_logger = logging.getLogger(__name__)

# Rows fetched from the server-side cursor at a time: memory stays flat whatever the size.
FETCH_SIZE = 2000
# A report whose e-mail failed is retried by the hourly cron this many times, then it
# stays "failed" until someone presses Resend.
MAX_SEND_ATTEMPTS = 48
# Reports whose files the monthly job makes per call (each file may hold many rows).
SELLOUT_BATCH = 10

# The file layout is an interface with the manufacturers' partner programmes: column
# names and order are fixed (never translated), new columns go at the end.
COLUMNS = [
    ("event", "Event"),
    ("event_date", "Event Date"),
    ("contract", "Contract"),
    ("start_date", "Start Date"),
    ("term", "Term (months)"),
    ("reseller", "Reseller"),
    ("reseller_vat", "Reseller VAT"),
    ("reseller_ref", "Reseller ID at Manufacturer"),
    ("customer", "End Customer"),
    ("customer_vat", "End Customer VAT"),
    ("customer_country", "End Customer Country"),
    ("customer_zip", "End Customer Postcode"),
    ("bundle", "Bundle"),
    ("product", "Product"),
    ("sku", "Manufacturer SKU"),
    ("quantity", "Quantity"),
    ("serials", "Serial Numbers"),
]

# A CSV cell starting with one of these is a formula to spreadsheet programs: such a text
# gets a leading single quote (OWASP "CSV injection"), so that it is shown, not evaluated.
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A CSV cell value that no spreadsheet evaluates as a formula."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


# Every item sold in the period, one row per event, per bundle/option/upgrade line of the
# event, per manufacturer or vendor item in it: the hardware of the composition, the licence
# a bundle includes (unless an upgrade of the contract replaces it) and the licence an
# upgrade or option provides. The events (the "Event" column):
# - new: a contract started in the period, with its lines from the start;
# - renewal: a renewal dated in the period, with the lines the contract has then;
# - upgrade / option: an upgrade or option added during the term (``waas.contract.line``
#   invoiced from a day after the contract's start), on the day it is invoiced from, with
#   its own items only.
# Every partner that is the manufacturer of an item (``product.template.waas_manufacturer_id``:
# the approved manufacturer, the manufacturer of exception hardware, the licence vendor) gets
# the rows of its items, approved or not. Period bounds are inclusive.
_ITEMS_CTE = """
WITH events AS (
    SELECT c.id AS contract_id, 'new' AS event, 0 AS renewal_id, 0 AS event_line_id,
           c.date_start AS event_date, c.date_start AS start_date, c.term_months AS term
      FROM waas_contract c
     WHERE c.company_id = %(company_id)s
       AND c.date_start BETWEEN %(date_from)s AND %(date_to)s
    UNION ALL
    SELECT r.contract_id, 'renewal', r.id, 0, r.date, r.date_end_before + 1, r.months
      FROM waas_contract_renewal r
      JOIN waas_contract c ON c.id = r.contract_id
     WHERE c.company_id = %(company_id)s
       AND r.date BETWEEN %(date_from)s AND %(date_to)s
    UNION ALL
    SELECT c.id, l.waas_kind, 0, l.id, l.date_from, l.date_from, c.term_months
      FROM waas_contract_line l
      JOIN waas_contract c ON c.id = l.contract_id
     WHERE c.company_id = %(company_id)s
       AND l.waas_kind IN ('upgrade', 'option')
       AND l.date_from > c.date_start
       AND l.date_from BETWEEN %(date_from)s AND %(date_to)s
),
lines AS (
    SELECT e.*, l.id AS line_id, l.sequence AS line_sequence, l.quantity AS line_qty,
           pt.id AS tmpl_id, pt.waas_kind AS kind, pt.waas_included_licence_id,
           pt.waas_licence_id, GREATEST(COALESCE(pt.waas_licence_seats, 1), 1) AS seats
      FROM events e
      JOIN waas_contract_line l ON l.contract_id = e.contract_id
      JOIN product_product pp ON pp.id = l.product_id
      JOIN product_template pt ON pt.id = pp.product_tmpl_id
     WHERE pt.waas_kind IN ('bundle', 'option', 'upgrade')
       AND CASE WHEN e.event_line_id = 0
                THEN l.date_from IS NULL OR l.date_from <= e.event_date
                ELSE l.id = e.event_line_id
           END
),
items AS (
    -- Each of the three kinds of item keeps the columns of its line (``li.*``).
    SELECT li.*, 1 AS item_order, bl.sequence AS item_sequence, bl.product_id AS item_id,
           li.line_qty * bl.quantity AS quantity, it.waas_manufacturer_id AS manufacturer_id,
           TRUE AS hardware
      FROM lines li
      JOIN waas_bundle_line bl ON bl.bundle_tmpl_id = li.tmpl_id
      JOIN product_product ip ON ip.id = bl.product_id
      JOIN product_template it ON it.id = ip.product_tmpl_id
    UNION ALL
    SELECT li.*, 2, 0, li.waas_included_licence_id, li.line_qty * li.seats,
           it.waas_manufacturer_id, FALSE
      FROM lines li
      JOIN product_product ip ON ip.id = li.waas_included_licence_id
      JOIN product_template it ON it.id = ip.product_tmpl_id
     WHERE NOT EXISTS (
            SELECT 1
              FROM lines up
              JOIN product_template upt ON upt.id = up.tmpl_id
             WHERE up.contract_id = li.contract_id
               AND up.renewal_id = li.renewal_id
               AND up.event_line_id = li.event_line_id
               AND upt.waas_replaces_licence_id = li.waas_included_licence_id
           )
    UNION ALL
    SELECT li.*, 3, 0, li.waas_licence_id, li.line_qty * li.seats,
           it.waas_manufacturer_id, FALSE
      FROM lines li
      JOIN product_product ip ON ip.id = li.waas_licence_id
      JOIN product_template it ON it.id = ip.product_tmpl_id
)
"""

_ROWS_QUERY = (
    _ITEMS_CTE
    + """
SELECT i.event, i.event_date, c.name, i.start_date, i.term,
       rs.name, rsc.vat, ref.external_ref,
       cu.name, cuc.vat, co.code, cu.zip,
       COALESCE(bn.name ->> %(lang)s, bn.name ->> 'en_US'),
       COALESCE(it.name ->> %(lang)s, it.name ->> 'en_US'),
       COALESCE(it.waas_manufacturer_sku, ip.default_code),
       i.quantity,
       sn.serials
  FROM items i
  JOIN waas_contract c ON c.id = i.contract_id
  JOIN res_partner rs ON rs.id = c.reseller_id
  LEFT JOIN res_partner rsc ON rsc.id = COALESCE(rs.commercial_partner_id, rs.id)
  JOIN res_partner cu ON cu.id = c.partner_id
  LEFT JOIN res_partner cuc ON cuc.id = COALESCE(cu.commercial_partner_id, cu.id)
  LEFT JOIN res_country co ON co.id = COALESCE(cu.country_id, cuc.country_id)
  JOIN product_product ip ON ip.id = i.item_id
  JOIN product_template it ON it.id = ip.product_tmpl_id
  JOIN product_template lt ON lt.id = i.tmpl_id
  CROSS JOIN LATERAL (
        SELECT CASE WHEN i.kind = 'bundle' THEN lt.name ELSE COALESCE((
            SELECT bt.name
              FROM waas_contract_line bl
              JOIN product_product bp ON bp.id = bl.product_id
              JOIN product_template bt ON bt.id = bp.product_tmpl_id
             WHERE bl.contract_id = i.contract_id AND bt.waas_kind = 'bundle'
             ORDER BY bl.sequence, bl.id
             LIMIT 1
        ), lt.name) END AS name
       ) bn
  LEFT JOIN LATERAL (
        SELECT r.external_ref
          FROM waas_manufacturer_reseller_ref r
         WHERE r.manufacturer_id = %(manufacturer_id)s
           AND r.reseller_id IN (rs.id, rsc.id)
           AND (r.company_id IS NULL OR r.company_id = c.company_id)
         ORDER BY r.reseller_id = rs.id DESC, r.company_id IS NULL, r.id
         LIMIT 1
       ) ref ON TRUE
  LEFT JOIN LATERAL (
        SELECT string_agg(d.serial, ', ' ORDER BY d.serial) AS serials
          FROM waas_device d
         WHERE d.contract_id = i.contract_id AND d.product_id = i.item_id
       ) sn ON i.hardware
 WHERE i.manufacturer_id = %(manufacturer_id)s
 ORDER BY i.event_date, c.name, c.id, i.renewal_id, i.event_line_id, i.line_sequence,
          i.line_id, i.item_order, i.item_sequence, i.item_id
"""
)

_MANUFACTURERS_QUERY = (
    _ITEMS_CTE
    + """
SELECT DISTINCT i.manufacturer_id FROM items i WHERE i.manufacturer_id IS NOT NULL
"""
)


class WaasSelloutReport(models.Model):
    _name = "waas.sellout.report"
    _description = "WaaS Sell-out Report"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_from desc, manufacturer_id, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
        readonly=True,
    )
    manufacturer_id = fields.Many2one(
        comodel_name="res.partner",
        required=True,
        index=True,
        readonly=True,
        tracking=True,
        domain=[("waas_is_manufacturer", "=", True)],
    )
    date_from = fields.Date(string="From", required=True, readonly=True, tracking=True)
    date_to = fields.Date(string="To", required=True, readonly=True, tracking=True)
    state = fields.Selection(
        selection=[
            ("draft", "Draft"),
            ("queued", "Queued"),
            ("sent", "Sent"),
            ("failed", "Failed"),
        ],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
        copy=False,
    )
    row_count = fields.Integer(string="Rows", readonly=True, copy=False)
    generated_on = fields.Datetime(readonly=True, copy=False)
    xlsx_attachment_id = fields.Many2one(
        comodel_name="ir.attachment", string="Excel File", readonly=True, copy=False
    )
    csv_attachment_id = fields.Many2one(
        comodel_name="ir.attachment", string="CSV File", readonly=True, copy=False
    )
    xlsx_file = fields.Binary(related="xlsx_attachment_id.datas", string="Excel")
    xlsx_filename = fields.Char(related="xlsx_attachment_id.name", string="Excel File Name")
    csv_file = fields.Binary(related="csv_attachment_id.datas", string="CSV")
    csv_filename = fields.Char(related="csv_attachment_id.name", string="CSV File Name")
    email_to = fields.Char(string="Sent To", readonly=True, copy=False)
    sent_on = fields.Datetime(readonly=True, copy=False, tracking=True)
    sent_by_id = fields.Many2one(
        comodel_name="res.users", string="Sender", readonly=True, copy=False
    )
    mail_id = fields.Many2one(
        comodel_name="mail.mail",
        string="Last E-mail",
        readonly=True,
        copy=False,
        ondelete="set null",
    )
    mail_message_ids = fields.Many2many(
        comodel_name="mail.message",
        string="E-mails Sent",
        compute="_compute_mail_message_ids",
    )
    send_attempts = fields.Integer(readonly=True, copy=False)
    failure_reason = fields.Text(readonly=True, copy=False)

    _sql_constraints = [
        (
            "manufacturer_period_unique",
            "UNIQUE(manufacturer_id, date_from, date_to, company_id)",
            "There is already a sell-out report for this manufacturer and period.",
        ),
        ("period_ordered", "CHECK(date_from <= date_to)", "A period must end after it starts."),
    ]

    @api.depends("manufacturer_id.name", "date_from", "date_to")
    def _compute_name(self):
        for report in self:
            report.name = _(
                "Sell-out %(manufacturer)s %(period)s",
                manufacturer=report.manufacturer_id.name or "",
                period=report._period_label(),
            )

    @api.depends("message_ids")
    def _compute_mail_message_ids(self):
        for report in self:
            report.mail_message_ids = report.message_ids.filtered(
                lambda m: m.message_type == "email_outgoing"
            )

    @api.constrains("date_from", "date_to", "manufacturer_id")
    def _check_period(self):
        for report in self:
            if report.date_from > report.date_to:
                raise ValidationError(
                    _(
                        "The sell-out period cannot end (%(to)s) before it starts (%(from)s).",
                        to=report.date_to,
                        **{"from": report.date_from},
                    )
                )
            if not report.manufacturer_id.waas_is_manufacturer:
                raise ValidationError(
                    _(
                        "%(partner)s is not a WaaS manufacturer.",
                        partner=report.manufacturer_id.display_name,
                    )
                )

    def _period_label(self):
        self.ensure_one()
        if not (self.date_from and self.date_to):
            return ""
        first = self.date_from
        if first.day == 1 and self.date_to == first + relativedelta(day=31):
            return first.strftime("%Y-%m")
        return f"{self.date_from} - {self.date_to}"

    def _file_basename(self):
        self.ensure_one()
        manufacturer = "".join(
            ch if ch.isalnum() else "_" for ch in (self.manufacturer_id.name or "")
        ).strip("_")
        return f"sellout_{manufacturer}_{self.date_from}_{self.date_to}"

    # ------------------------------------------------------------------ rows
    @api.model
    def _query_params(self, company, date_from, date_to, manufacturer=None):
        return {
            "company_id": company.id,
            "date_from": date_from,
            "date_to": date_to,
            "manufacturer_id": manufacturer.id if manufacturer else None,
            "lang": (manufacturer and manufacturer.lang) or "en_US",
        }

    @api.model
    def _manufacturers_with_rows(self, company, date_from, date_to):
        """Manufacturers and vendors (res.partner) with at least one row in the period:
        approved manufacturers, manufacturers of exception hardware, licence vendors."""
        self.env.flush_all()
        params = self._query_params(company, date_from, date_to)
        self.env.cr.execute(SQL(_MANUFACTURERS_QUERY, **params))
        partners = self.env["res.partner"].browse(row[0] for row in self.env.cr.fetchall())
        # A report is for a partner flagged as WaaS manufacturer (where its sell-out
        # address is kept): a product pointing elsewhere (an import) must not stop the
        # monthly job for everyone.
        return partners.filtered("waas_is_manufacturer")

    def _iter_rows(self):
        """Yield the report's rows (tuples in ``COLUMNS`` order) in file order.

        Streamed from a server-side cursor in chunks of ``FETCH_SIZE``: no ORM
        records are built, so memory does not grow with the number of rows.
        """
        self.ensure_one()
        self.env.flush_all()
        params = self._query_params(
            self.company_id, self.date_from, self.date_to, self.manufacturer_id
        )
        cr = self.env.cr
        cr.execute(
            SQL("DECLARE waas_sellout_rows NO SCROLL CURSOR FOR %s", SQL(_ROWS_QUERY, **params))
        )
        try:
            while True:
                cr.execute(SQL("FETCH FORWARD %s FROM waas_sellout_rows", FETCH_SIZE))
                rows = cr.fetchall()
                if not rows:
                    break
                yield from rows
        finally:
            cr.execute(SQL("CLOSE waas_sellout_rows"))

    def _write_files(self, xlsx_path, csv_path):
        """Write the rows to an xlsx (constant memory) and a CSV file; return the count."""
        self.ensure_one()
        workbook = xlsxwriter.Workbook(
            xlsx_path,
            {
                "constant_memory": True,
                "tmpdir": os.path.dirname(xlsx_path),
                "default_date_format": "yyyy-mm-dd",
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        count = 0
        try:
            sheet = workbook.add_worksheet(_("Sell-out"))
            bold = workbook.add_format({"bold": True})
            sheet.write_row(0, 0, [header for _key, header in COLUMNS], bold)
            sheet.freeze_panes(1, 0)
            with open(csv_path, "w", encoding="utf-8", newline="") as csv_file:
                writer = csv.writer(csv_file)
                writer.writerow([key for key, _header in COLUMNS])
                for row in self._iter_rows():
                    row = list(row)
                    qty = row[15]
                    if qty is not None:
                        qty = float(qty)
                        row[15] = int(qty) if qty.is_integer() else qty
                    count += 1
                    sheet.write_row(count, 0, row)
                    writer.writerow([csv_safe(value) for value in row])
        finally:
            workbook.close()
        return count

    def _generate_files(self):
        """Build the xlsx and CSV files of the reports as attachments; return rows."""
        Attachment = self.env["ir.attachment"]
        total = 0
        for report in self:
            with tempfile.TemporaryDirectory(prefix="waas_sellout_") as tmpdir:
                xlsx_path = os.path.join(tmpdir, "report.xlsx")
                csv_path = os.path.join(tmpdir, "report.csv")
                count = report._write_files(xlsx_path, csv_path)
                basename = report._file_basename()
                files = []
                for path, ext, mimetype in (
                    (
                        xlsx_path,
                        "xlsx",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    ),
                    (csv_path, "csv", "text/csv"),
                ):
                    with open(path, "rb") as handle:
                        files.append(
                            {
                                "name": f"{basename}.{ext}",
                                "raw": handle.read(),
                                "mimetype": mimetype,
                                "res_model": report._name,
                                "res_id": report.id,
                                "company_id": report.company_id.id,
                            }
                        )
            old = report.xlsx_attachment_id | report.csv_attachment_id
            xlsx, csv_att = Attachment.create(files)
            report.write(
                {
                    "xlsx_attachment_id": xlsx.id,
                    "csv_attachment_id": csv_att.id,
                    "row_count": count,
                    "generated_on": fields.Datetime.now(),
                }
            )
            # Files that went out by e-mail stay (the history shows what was sent).
            sent = self.env["mail.message"].search_count(
                [("attachment_ids", "in", old.ids)] if old else [("id", "=", 0)]
            )
            if old and not sent:
                old.unlink()
            total += count
        return total

    # ------------------------------------------------------------------ actions
    def action_generate(self):
        """Button "Generate": (re)build the files of the report from the contracts."""
        queued = self.filtered(lambda r: r.state == "queued")
        if queued:
            raise UserError(
                _(
                    "The report %(name)s is being sent; wait until it went out.",
                    name=queued[0].display_name,
                )
            )
        self._generate_files()
        self.write({"state": "draft"})
        return True

    def action_send(self):
        """Button "Send" / "Resend": e-mail the files to the manufacturer's sell-out
        contact; the report is queued until the e-mail went out."""
        missing = self.filtered(lambda r: not r.manufacturer_id._waas_sellout_recipient())
        if missing:
            raise UserError(
                _(
                    "Manufacturer %(manufacturer)s has no sell-out e-mail address or "
                    "contact: set it on the manufacturer first.",
                    manufacturer=missing[0].manufacturer_id.display_name,
                )
            )
        queued = self.filtered(lambda r: r.state == "queued")
        if queued:
            raise UserError(
                _(
                    "The report %(name)s is already queued for sending.",
                    name=queued[0].display_name,
                )
            )
        self.filtered(lambda r: not r.xlsx_attachment_id)._generate_files()
        self.write({"send_attempts": 0, "sent_by_id": self.env.user.id})
        self._queue_mail()
        return True

    action_resend = action_send

    def _queue_mail(self):
        """Create the e-mail of each report (mail queue) and mark the reports queued."""
        template = self.env.ref("also_waas.waas_sellout_mail_template")
        for report in self:
            report.email_to = report.manufacturer_id._waas_sellout_recipient()
            mail_id = template.send_mail(
                report.id,
                email_values={
                    "attachment_ids": [
                        (4, att.id) for att in report.xlsx_attachment_id | report.csv_attachment_id
                    ],
                    "auto_delete": False,
                },
            )
            report.write(
                {
                    "state": "queued",
                    "mail_id": mail_id,
                    "send_attempts": report.send_attempts + 1,
                    "failure_reason": False,
                }
            )

    # ------------------------------------------------------------------ crons
    @api.model
    def _previous_month(self, today=None):
        today = today or fields.Date.context_today(self)
        date_from = today + relativedelta(months=-1, day=1)
        return date_from, date_from + relativedelta(day=31)

    @api.model
    def _cron_monthly_sellout(self, today=None, companies=None, batch_size=SELLOUT_BATCH):
        """Scheduled action: last month's report of every manufacturer and vendor with
        rows (approved or not: see ``_ITEMS_CTE``), per company, generated and sent. The
        missing reports are created at once; their files are made ``batch_size`` reports
        per call: the scheduler commits each batch and calls again while some remain.
        Reports already generated are left alone."""
        date_from, date_to = self._previous_month(today)
        companies = companies or self.env["res.company"].search([])
        todo = []
        for company in companies:
            manufacturers = self._manufacturers_with_rows(company, date_from, date_to)
            existing = self.search(
                [
                    ("company_id", "=", company.id),
                    ("date_from", "=", date_from),
                    ("date_to", "=", date_to),
                    ("manufacturer_id", "in", manufacturers.ids),
                ]
            )
            todo += [
                {
                    "company_id": company.id,
                    "manufacturer_id": manufacturer.id,
                    "date_from": date_from,
                    "date_to": date_to,
                }
                for manufacturer in manufacturers - existing.manufacturer_id
            ]
        self.create(todo)
        to_generate = [
            ("company_id", "in", companies.ids),
            ("date_from", "=", date_from),
            ("date_to", "=", date_to),
            ("generated_on", "=", False),
        ]
        reports = self.search(to_generate, limit=batch_size, order="id")
        for report in reports:
            report._generate_files()
            if report.manufacturer_id._waas_sellout_recipient():
                report.sent_by_id = self.env.user
                report._queue_mail()
            else:
                report.message_post(
                    body=_(
                        "Not sent: manufacturer %(manufacturer)s has no sell-out e-mail "
                        "address or contact.",
                        manufacturer=report.manufacturer_id.display_name,
                    )
                )
        self.env["ir.cron"]._notify_progress(
            done=len(reports), remaining=self.search_count(to_generate)
        )
        return reports

    @api.model
    def _cron_check_sending(self):
        """Scheduled action: follow the e-mails of queued reports. Sent -> the report is
        sent; failed (mail server down, ...) -> failed with the reason, and re-queued
        until ``MAX_SEND_ATTEMPTS``. Nothing is lost: files and report stay."""
        queued = self.search([("state", "=", "queued")])
        for report in queued:
            mail = report.mail_id
            if mail.state == "sent":
                report.write({"state": "sent", "sent_on": mail.write_date or fields.Datetime.now()})
            elif not mail or mail.state in ("exception", "cancel"):
                reason = mail.failure_reason or _("The e-mail was deleted before it went out.")
                report.write({"state": "failed", "failure_reason": reason})
                report.message_post(
                    body=_(
                        "Sending to %(email)s failed (attempt %(attempt)s): %(reason)s",
                        email=report.email_to,
                        attempt=report.send_attempts,
                        reason=reason,
                    )
                )
        retry = self.search([("state", "=", "failed"), ("send_attempts", "<", MAX_SEND_ATTEMPTS)])
        for report in retry:
            report._retry_mail()
        self.env["ir.cron"]._notify_progress(done=len(queued) + len(retry), remaining=0)
        return True

    def _retry_mail(self):
        self.ensure_one()
        mail = self.mail_id
        if (
            mail
            and mail.state == "exception"
            and self.email_to == (self.manufacturer_id._waas_sellout_recipient())
        ):
            mail.mark_outgoing()
            self.write({"state": "queued", "send_attempts": self.send_attempts + 1})
        elif self.manufacturer_id._waas_sellout_recipient():
            self._queue_mail()

    def _mail_period(self):
        """The period as shown in the e-mail, in the recipient's language."""
        self.ensure_one()
        lang = self.manufacturer_id.lang or "en_US"
        return _(
            "%(from)s to %(to)s",
            **{
                "from": format_date(self.env, self.date_from, lang_code=lang),
                "to": format_date(self.env, self.date_to, lang_code=lang),
            },
        )
