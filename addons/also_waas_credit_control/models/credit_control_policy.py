# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

# End customers whose reminder e-mails one call of the daily job sends (each with all its
# overdue WaaS invoices of its level in one communication).
WAAS_DUNNING_SEND_BATCH = 100


class CreditControlPolicy(models.Model):
    _inherit = "credit.control.policy"

    waas_policy = fields.Boolean(
        string="WaaS Reminders",
        copy=True,
        help="The reminder policy of the company's WaaS invoices: set on each WaaS invoice "
        "when it is posted and run every day by the scheduled action 'WaaS: payment "
        "reminders'. A customer with a reminder on an open WaaS invoice gets no new WaaS "
        "business until a credit controller releases it.",
    )

    # ------------------------------------------------------------------ business methods
    def _waas_final_level(self):
        """The last (highest) level of this policy: the reseller is told when its
        customer reaches it."""
        self.ensure_one()
        return self.level_ids.sorted("level")[-1:]

    @api.model
    def _waas_send_domain(self):
        """The WaaS reminder lines the daily job sends by e-mail (those of customers
        without an e-mail address are letters, kept to print)."""
        return [
            ("policy_id.waas_policy", "=", True),
            ("state", "=", "to_be_sent"),
            ("channel", "=", "email"),
        ]

    def _waas_companies_to_run(self, date):
        """The WaaS policies (of ``self``) of companies without a credit control run of
        that policy on ``date`` yet."""
        done = self.env["credit.control.run"]._read_group(
            [("date", "=", date), ("policy_ids", "in", self.ids)],
            ["policy_ids"],
        )
        return self - self.browse([policy.id for (policy,) in done])

    def _waas_run(self, date):
        """One credit control run of this WaaS policy for its company on ``date``: the new
        reminder lines are To Do at once (nothing to triage), and the reseller and the
        credit controllers hear of each customer that reached the final level. A run that
        OCA refuses (a later run exists) is kept as a draft run with the reason, so that
        the daily job does not try it again that day."""
        self.ensure_one()
        company = self.company_id
        run = (
            self.env["credit.control.run"]
            .with_company(company)
            .create({"date": date, "company_id": company.id, "policy_ids": [(6, 0, self.ids)]})
        )
        try:
            with self.env.cr.savepoint():
                run.generate_credit_lines()
        except UserError as error:
            _logger.warning("WaaS reminders of %s not run: %s", company.name, error)
            run.report = str(error)
            return run
        run.set_to_ready_lines()
        final = self._waas_final_level()
        final_lines = run.line_ids.filtered(lambda line: line.policy_level_id == final)
        final_lines.commercial_partner_id._waas_final_reminder_reached(company)
        return run

    @api.model
    def _waas_send_reminders(self, limit=None):
        """E-mail the To Do reminders of up to ``limit`` end customers: one communication
        (one e-mail) per customer and level with all its overdue WaaS invoices (OCA's
        ``credit.control.communication``), queued for Odoo's mail queue. Returns the
        number of customers done."""
        Line = self.env["credit.control.line"]
        domain = self._waas_send_domain()
        groups = Line._read_group(
            domain, ["partner_id"], order="partner_id", limit=limit or WAAS_DUNNING_SEND_BATCH
        )
        partners = self.env["res.partner"].browse([partner.id for (partner,) in groups])
        if not partners:
            return 0
        lines = Line.search([*domain, ("partner_id", "in", partners.ids)])
        communications = self.env["credit.control.communication"]._generate_comm_from_credit_lines(
            lines
        )
        # Queued, not sent in this transaction: Odoo's mail queue sends them and OCA then
        # marks the lines Done (or Emailing Error).
        communications.with_context(mail_notify_force_send=False)._generate_emails()
        return len(partners)

    @api.model
    def _cron_waas_dunning(self):
        """Scheduled action "WaaS: payment reminders" (daily), one batch per call as
        Odoo 18's cron runner expects (it commits and calls again while work remains):
        first one credit control run per company with a WaaS policy (new companies get
        theirs), then the reminder e-mails, ``WAAS_DUNNING_SEND_BATCH`` customers a call."""
        today = fields.Date.context_today(self)
        self.env["res.company"].search([])._waas_credit_policy_setup()
        policies = self.search([("waas_policy", "=", True), ("do_nothing", "=", False)])
        to_run = policies._waas_companies_to_run(today)
        Line = self.env["credit.control.line"]
        if to_run:
            to_run[0]._waas_run(today)
            done = 1
        else:
            done = self._waas_send_reminders()
        remaining = len(to_run) - 1 if to_run else 0
        remaining += len(Line._read_group(self._waas_send_domain(), ["partner_id"]))
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
