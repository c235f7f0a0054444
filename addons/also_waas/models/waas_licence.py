import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .waas_contract import waas_check_group
from .waas_marketplace import MarketplaceError

_logger = logging.getLogger(__name__)

# Retry back-off after a failed marketplace call: 5, 10, 20, ... minutes, at most a day.
BACKOFF_FIRST_MINUTES = 5
BACKOFF_MAX_MINUTES = 24 * 60


def backoff_minutes(attempts):
    """Minutes to wait before the next attempt after ``attempts`` failed ones."""
    return min(BACKOFF_FIRST_MINUTES * 2 ** max(attempts - 1, 0), BACKOFF_MAX_MINUTES)


class WaasLicence(models.Model):
    _name = "waas.licence"
    _description = "WaaS Licence Subscription"
    _inherit = ["mail.thread", "waas.guard.mixin"]
    _order = "contract_id, id"

    # What the Cloud Marketplace is told (with ALSO's API key) and what it answered: changed
    # by the WaaS flow (activation, upgrade, end of contract), the synchronisation and the
    # buttons below only. In manual mode a WaaS User may type the subscription id of a
    # licence still to create (see ``_waas_guard_check_write``).
    _waas_guarded_fields = frozenset(
        {
            "contract_id",
            "product_id",
            "seats",
            "marketplace_ref",
            "state",
            "pending_action",
            "last_error",
            "attempt_count",
            "last_attempt_at",
            "next_attempt_at",
        }
    )
    _waas_guarded_create = True
    _waas_guarded_unlink = True

    contract_id = fields.Many2one(
        comodel_name="waas.contract", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", string="End Customer")
    reseller_id = fields.Many2one(related="contract_id.reseller_id")
    contract_state = fields.Selection(related="contract_id.state", string="Contract Status")
    product_id = fields.Many2one(
        comodel_name="product.product",
        string="Licence",
        required=True,
        domain=[("waas_kind", "=", "licence")],
    )
    sku = fields.Char(related="product_id.waas_manufacturer_sku", string="SKU")
    seats = fields.Integer(default=1, required=True, tracking=True)
    marketplace_ref = fields.Char(string="Marketplace Subscription", tracking=True, copy=False)
    state = fields.Selection(
        selection=[
            ("to_provision", "To Provision"),
            ("provisioned", "Provisioned"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="to_provision",
        required=True,
        tracking=True,
        index=True,
    )
    pending_action = fields.Selection(
        selection=[
            ("create", "Create subscription"),
            ("update", "Change seats"),
            ("cancel", "Cancel subscription"),
        ],
        default="create",
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="What the Cloud Marketplace still has to be told. Empty once it is in sync.",
    )
    # The marketplace's answers (endpoint, message) are for ALSO's staff, not the portal.
    last_error = fields.Text(readonly=True, copy=False, groups="base.group_user")
    attempt_count = fields.Integer(
        string="Failed Attempts",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="Failed marketplace calls since the last success.",
    )
    last_attempt_at = fields.Datetime(
        string="Last Attempt", readonly=True, copy=False, groups="base.group_user"
    )
    next_attempt_at = fields.Datetime(
        string="Next Attempt",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="After a failure the scheduled action retries from this moment on, waiting "
        "twice as long after each failure (5 minutes up to one day).",
    )
    manual_mode = fields.Boolean(compute="_compute_manual_mode")

    _sql_constraints = [
        ("seats_positive", "CHECK(seats > 0)", "A licence needs at least one seat."),
        (
            "attempts_not_negative",
            "CHECK(attempt_count >= 0)",
            "The number of failed attempts cannot be negative.",
        ),
    ]

    @api.depends("company_id.waas_marketplace_manual")
    def _compute_manual_mode(self):
        for licence in self:
            licence.manual_mode = licence.company_id.waas_marketplace_manual

    @api.depends("product_id", "contract_id")
    def _compute_display_name(self):
        for licence in self:
            licence.display_name = (
                f"{licence.contract_id.name or ''} - {licence.product_id.display_name or ''}"
            )

    # ------------------------------------------------------------------ guard

    def _waas_guard_check_write(self, vals):
        """In manual mode a WaaS User types the subscription id that staff created at the
        marketplace, on a licence still to create, before *Mark Provisioned*; nothing is
        sent to the marketplace in that mode. Every other guarded field stays refused."""
        if (
            "marketplace_ref" in vals
            and not self.env.su
            and self.env.user.has_group("also_waas.group_waas_user")
            and all(licence.manual_mode and licence.pending_action == "create" for licence in self)
        ):
            vals = {key: value for key, value in vals.items() if key != "marketplace_ref"}
        return super()._waas_guard_check_write(vals)

    # ------------------------------------------------------------------ queue

    def _waas_is_live(self):
        """Whether the licence still runs (not cancelled, no cancellation pending)."""
        self.ensure_one()
        return self.state != "cancelled" and self.pending_action != "cancel"

    def _waas_request_cancel(self):
        """Queue the cancellation at the marketplace; a licence never provisioned there is
        cancelled at once."""
        reset = {"attempt_count": 0, "next_attempt_at": False, "last_error": False}
        # sudo: called by the WaaS flow (end of contract, licence sync) after its checks.
        licences = self.sudo()
        known = licences.filtered("marketplace_ref")
        known.write({"pending_action": "cancel", **reset})
        (licences - known).write({"state": "cancelled", "pending_action": False, **reset})

    def _waas_request_seats(self, seats):
        """Queue a change of the number of seats."""
        reset = {"attempt_count": 0, "next_attempt_at": False, "last_error": False}
        # sudo: called by the licence sync of the WaaS flow (upgrade) after its checks.
        licences = self.sudo()
        known = licences.filtered("marketplace_ref")
        known.write({"seats": seats, "pending_action": "update", **reset})
        (licences - known).write(
            {"seats": seats, "state": "to_provision", "pending_action": "create", **reset}
        )

    def _waas_trigger_sync(self):
        """Run the marketplace synchronisation of these licences soon, after the current
        transaction (the scheduled action only sees committed licences: nothing is sent
        for a transaction that is rolled back). Nothing to do in manual mode."""
        if all(licence.manual_mode for licence in self):
            return
        cron = self.env.ref("also_waas.waas_licence_cron_sync", raise_if_not_found=False)
        if cron:
            # Scheduling a cron run needs system rights; it only asks for an earlier run.
            cron.sudo()._trigger()

    def _waas_process(self):
        """Tell the Cloud Marketplace what it still has to know about these licences (one
        call each). A failure never raises: the licence is failed with the reason and is
        retried later with exponential back-off. Licences of a company whose marketplace
        is in manual mode are left alone. Returns the number of successes."""
        Marketplace = self.env["waas.marketplace"]
        successes = 0
        for licence in self.filtered(lambda lic: lic.pending_action and not lic.manual_mode):
            now = fields.Datetime.now()
            action = licence.pending_action
            try:
                if action == "create":
                    ref = Marketplace._create_subscription(licence)
                    vals = {"state": "provisioned", "marketplace_ref": ref}
                elif action == "update":
                    Marketplace._update_subscription(licence)
                    vals = {"state": "provisioned"}
                else:
                    Marketplace._cancel_subscription(licence)
                    vals = {"state": "cancelled"}
            except MarketplaceError as error:
                attempts = licence.attempt_count + 1
                _logger.info(
                    "Cloud Marketplace call for licence %s failed (attempt %s): %s",
                    licence.id,
                    attempts,
                    error,
                )
                licence.write(
                    {
                        "state": "failed",
                        "last_error": str(error),
                        "attempt_count": attempts,
                        "last_attempt_at": now,
                        "next_attempt_at": now + timedelta(minutes=backoff_minutes(attempts)),
                    }
                )
                continue
            vals.update(
                {
                    "pending_action": False,
                    "last_error": False,
                    "attempt_count": 0,
                    "last_attempt_at": now,
                    "next_attempt_at": False,
                }
            )
            licence.write(vals)
            successes += 1
        return successes

    @api.model
    def _cron_waas_marketplace_sync(self, batch_size=50):
        """Scheduled action: send the pending licence changes whose (next) attempt is due.
        One batch per call: it reports its progress, and the scheduler commits it (what the
        marketplace confirmed is kept; the calls cannot be rolled back) and calls again
        while some remain. Rows are locked with SKIP LOCKED so several workers never send
        the same licence twice at once. Each licence goes to the marketplace of its
        contract's company; companies in manual mode send nothing."""
        self.env["waas.licence"].flush_model()
        self.env["res.company"].flush_model(["waas_marketplace_manual"])
        now = fields.Datetime.now()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT licence.id
                  FROM waas_licence licence
                  JOIN res_company company ON company.id = licence.company_id
                 WHERE licence.pending_action IS NOT NULL
                   AND company.waas_marketplace_manual IS NOT TRUE
                   AND (licence.next_attempt_at IS NULL OR licence.next_attempt_at <= %(now)s)
                 ORDER BY licence.next_attempt_at NULLS FIRST, licence.id
                 LIMIT %(limit)s
                   FOR UPDATE OF licence SKIP LOCKED
                """,
                now=now,
                limit=batch_size,
            )
        )
        licences = self.browse([row[0] for row in rows])
        licences._waas_process()
        licences.flush_recordset()
        remaining = self.search_count(
            [
                ("pending_action", "!=", False),
                ("company_id.waas_marketplace_manual", "=", False),
                "|",
                ("next_attempt_at", "=", False),
                ("next_attempt_at", "<=", now),
            ]
        )
        self.env["ir.cron"]._notify_progress(done=len(licences), remaining=remaining)
        return len(licences)

    # ------------------------------------------------------------------ buttons

    def action_waas_sync_now(self):
        """Button "Send now": call the Cloud Marketplace for these licences right away,
        without waiting for the next attempt time (WaaS Managers: ALSO's API key acts)."""
        waas_check_group(self.env, "also_waas.group_waas_manager")
        if any(licence.manual_mode for licence in self):
            raise UserError(
                self.env._(
                    "The Cloud Marketplace connection is in manual mode: enter the "
                    "subscription id and use Mark Provisioned."
                )
            )
        pending = self.filtered("pending_action")
        if not pending:
            raise UserError(self.env._("The marketplace already knows these licences."))
        # sudo: the marketplace's answer is written on the guarded fields, after the group
        # and state checks above.
        pending.sudo()._waas_process()
        return True

    def action_waas_mark_provisioned(self):
        """Button "Mark Provisioned" (manual mode): staff created or changed the
        subscription at the marketplace themselves and entered its id."""
        self._waas_check_manual()
        for licence in self:
            if licence.pending_action not in ("create", "update"):
                raise UserError(
                    self.env._(
                        "Licence %(licence)s has nothing to provision.",
                        licence=licence.display_name,
                    )
                )
            if not (licence.marketplace_ref or "").strip():
                raise UserError(
                    self.env._(
                        "Enter the marketplace subscription id of licence %(licence)s first.",
                        licence=licence.display_name,
                    )
                )
        # sudo: the guarded fields are written by this action, after the group, mode and
        # state checks above.
        self.sudo().write(
            {
                "state": "provisioned",
                "pending_action": False,
                "last_error": False,
                "attempt_count": 0,
                "next_attempt_at": False,
            }
        )
        return True

    def action_waas_mark_cancelled(self):
        """Button "Mark Cancelled" (manual mode): staff cancelled the subscription at the
        marketplace themselves."""
        self._waas_check_manual()
        if self.filtered(lambda lic: lic.pending_action != "cancel"):
            raise UserError(
                self.env._("Only a licence waiting for its cancellation can be marked cancelled.")
            )
        # sudo: the guarded fields are written by this action, after the group, mode and
        # state checks above.
        self.sudo().write(
            {
                "state": "cancelled",
                "pending_action": False,
                "last_error": False,
                "attempt_count": 0,
                "next_attempt_at": False,
            }
        )
        return True

    def _waas_check_manual(self):
        """*Mark Provisioned* and *Mark Cancelled* are for WaaS Users, in manual mode: with
        the connection on, only the marketplace's own answer changes a licence."""
        waas_check_group(self.env, "also_waas.group_waas_user")
        if not all(licence.manual_mode for licence in self):
            raise UserError(
                self.env._(
                    "The Cloud Marketplace connection is on: the licence follows the "
                    "marketplace's answer (use Send Now to retry), it is not marked by hand."
                )
            )
