"""The WaaS catalogue published to each company's ALSO Cloud Marketplace.

One record per company keeps its last publication (state, date, error, hash of what was
sent) and the retry schedule. A change of the price list, of a bundle's composition or of
a priced product marks the company's catalogue *To Publish*; the scheduled action sends it
(one call however many changes), with the licences' retry and back-off. The JSON document
is built by :meth:`_waas_catalogue_payload` (shape in the README, *Catalogue publishing*).
"""

import hashlib
import json
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .product_template import WAAS_PRICED_KINDS
from .waas_contract import waas_check_group
from .waas_licence import backoff_minutes
from .waas_marketplace import MarketplaceError
from .waas_pricelist_item import WAAS_TERMS

_logger = logging.getLogger(__name__)

CATALOGUE_STATES = [
    ("draft", "Not Published Yet"),
    ("to_publish", "To Publish"),
    ("published", "Published"),
    ("failed", "Failed"),
    ("manual", "Not Sent (Manual Mode)"),
]
# States the scheduled action sends.
PENDING_STATES = ("to_publish", "failed")
CATALOGUE_SCHEMA = "also-waas-catalogue/1"
# After this many failed publications in a row the product managers get a to-do.
FAILURES_BEFORE_ACTIVITY = 3
FAILED_ACTIVITY_TYPE = "also_waas.mail_activity_type_waas_catalogue_failed"
PRODUCT_MANAGER_GROUP = "also_waas.group_waas_product_manager"
# Changes made within this delay go out together.
PUBLISH_DELAY_MINUTES = 1
KIND_ORDER = {kind: index for index, kind in enumerate(WAAS_PRICED_KINDS)}


def payload_hash(payload):
    """SHA-256 of the catalogue document without its time stamp (canonical JSON)."""
    content = {key: value for key, value in payload.items() if key != "generated_at"}
    raw = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


class WaasCataloguePublication(models.Model):
    _name = "waas.catalogue.publication"
    _description = "WaaS Catalogue Publication"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "company_id"
    _rec_name = "company_id"
    _check_company_auto = True
    # Everyone reads, nobody writes by hand (see the access rights): the chatter is open to
    # the readers.
    _mail_post_access = "read"

    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    state = fields.Selection(
        selection=CATALOGUE_STATES,
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
        help="To Publish: the catalogue changed since the last publication and goes out "
        "with the next run of the scheduled action. Not Sent (Manual Mode): the company's "
        "marketplace is in manual mode, nothing is sent.",
    )
    manual_mode = fields.Boolean(related="company_id.waas_marketplace_manual")
    changed_at = fields.Datetime(
        string="Changed Since",
        readonly=True,
        help="First change of the catalogue not yet published.",
    )
    last_published_at = fields.Datetime(string="Last Published", readonly=True, tracking=True)
    payload_hash = fields.Char(
        string="Published Content (SHA-256)",
        readonly=True,
        tracking=True,
        help="Hash of the last catalogue document the marketplace accepted (without its "
        "time stamp): the same catalogue gives the same hash.",
    )
    product_count = fields.Integer(string="Published Products", readonly=True)
    last_error = fields.Text(readonly=True, tracking=True)
    attempt_count = fields.Integer(
        string="Failed Attempts",
        readonly=True,
        help="Failed publications since the last success.",
    )
    last_attempt_at = fields.Datetime(string="Last Attempt", readonly=True)
    next_attempt_at = fields.Datetime(
        string="Next Attempt",
        readonly=True,
        help="After a failure the scheduled action retries from this moment on, waiting "
        "twice as long after each failure (5 minutes up to one day).",
    )

    _sql_constraints = [
        ("company_unique", "UNIQUE(company_id)", "A company has one catalogue publication."),
        (
            "attempts_not_negative",
            "CHECK(attempt_count >= 0)",
            "The number of failed attempts cannot be negative.",
        ),
    ]

    # ------------------------------------------------------------------ marking

    @api.model
    def _waas_for_company(self, company):
        """The publication record of ``company``, made when missing."""
        company.ensure_one()
        # sudo: the record is bookkeeping of the publication, made on first use by
        # whoever opens it or changes the catalogue; nobody writes it by hand.
        publication = self.sudo().search([("company_id", "=", company.id)])
        if not publication:
            publication = self.sudo().create({"company_id": company.id})
        return publication.with_env(self.env)

    @api.model
    def _waas_mark_to_publish(self, companies):
        """The catalogue of ``companies`` changed: publish it with the next run of the
        scheduled action (nothing is sent in this transaction; many changes give one
        call). Companies in manual mode are shown as not sent."""
        if not companies:
            return
        # sudo: called by the writes of the price list, bundles and products (product
        # managers) and of the company's marketplace settings; it only records that the
        # catalogue changed, on records nobody may write by hand.
        Publication = self.sudo()
        publications = Publication.search([("company_id", "in", companies.ids)])
        missing = companies - publications.company_id
        if missing:
            publications |= Publication.create([{"company_id": c.id} for c in missing])
        now = fields.Datetime.now()
        manual = publications.filtered(lambda p: p.company_id.waas_marketplace_manual)
        manual.filtered(lambda p: p.state != "manual").write({"state": "manual", "changed_at": now})
        # A failed publication keeps its back-off: it sends the newest catalogue then.
        todo = (publications - manual).filtered(lambda p: p.state not in PENDING_STATES)
        if todo:
            todo.write({"state": "to_publish", "changed_at": now})
            cron = self.env.ref("also_waas.waas_catalogue_cron_publish", raise_if_not_found=False)
            if cron:
                # Scheduling a cron run needs system rights; it only asks for an earlier run.
                cron.sudo()._trigger(now + timedelta(minutes=PUBLISH_DELAY_MINUTES))

    @api.model
    def _waas_mark_products(self, product_tmpls):
        """Priced products changed: mark the catalogues that offer them."""
        if not product_tmpls:
            return
        # sudo + archived: every company whose price list holds them, whoever changed them.
        items = (
            self.env["waas.pricelist.item"]
            .sudo()
            .with_context(active_test=False)
            .search([("product_tmpl_id", "in", product_tmpls.ids)])
        )
        self._waas_mark_to_publish(items.company_id)

    # ------------------------------------------------------------------ the document

    def _waas_catalogue_items(self):
        """The price list items this company publishes: active items of active, quotable
        bundles, options and upgrades."""
        self.ensure_one()
        # sudo: the catalogue is the company's whole offer, whoever triggers the
        # publication (a product manager's price change, the scheduled action).
        return (
            self.env["waas.pricelist.item"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("term_months", "in", list(WAAS_TERMS)),
                    ("product_tmpl_id.waas_kind", "in", list(WAAS_PRICED_KINDS)),
                    ("product_tmpl_id.waas_quote_blocked", "=", False),
                ]
            )
        )

    @api.model
    def _waas_licence_vals(self, licence, seats):
        if not licence:
            return None
        return {
            "sku": licence.waas_manufacturer_sku or licence.default_code or None,
            "name": licence.name,
            "seats": seats or 1,
        }

    @api.model
    def _waas_term_vals(self, item):
        currency = item.currency_id
        return {
            "months": item.term_months,
            "currency": currency.name,
            "monthly_price": currency.round(item.monthly_price),
            "reseller_commission": {
                "new": currency.round(item.commission_new),
                "renewal": currency.round(item.commission_renewal),
            },
        }

    @api.model
    def _waas_product_vals(self, tmpl, items):
        """One product of the catalogue with its terms (``items``, sorted by term)."""
        licence = (
            tmpl.waas_included_licence_id if tmpl.waas_kind == "bundle" else tmpl.waas_licence_id
        )
        return {
            "reference": f"product.template/{tmpl.id}",
            "code": tmpl.default_code or None,
            "name": tmpl.name,
            "description": tmpl.description_sale or None,
            "kind": tmpl.waas_kind,
            "manufacturer": tmpl.waas_manufacturer_id.name or None,
            "sku": tmpl.waas_manufacturer_sku or None,
            "licence": self._waas_licence_vals(licence, tmpl.waas_licence_seats),
            "replaces_licence": (
                tmpl.waas_replaces_licence_id.waas_manufacturer_sku
                or tmpl.waas_replaces_licence_id.name
                or None
            ),
            "components": [
                {
                    "name": line.product_id.name,
                    "sku": line.product_id.waas_manufacturer_sku or None,
                    "manufacturer": line.product_id.waas_manufacturer_id.name or None,
                    "quantity": line.quantity,
                }
                for line in tmpl.waas_bundle_line_ids
            ],
            "terms": [self._waas_term_vals(item) for item in items],
        }

    def _waas_catalogue_payload(self):
        """The JSON document of this company's catalogue (see the README for its shape):
        bundles, then options, then upgrades, each with its monthly end-customer price
        and reseller commissions per term; names in the company's language."""
        self.ensure_one()
        company = self.company_id.sudo()
        lang = company.partner_id.lang or "en_US"
        items = self._waas_catalogue_items().with_context(lang=lang)
        by_product = {}
        for item in items:
            by_product.setdefault(item.product_tmpl_id, items.browse())
            by_product[item.product_tmpl_id] |= item
        products = sorted(
            by_product, key=lambda t: (KIND_ORDER.get(t.waas_kind, 9), t.name or "", t.id)
        )
        return {
            "schema": CATALOGUE_SCHEMA,
            "company": {
                "name": company.name,
                "vat": company.vat or None,
                "country": company.country_id.code or None,
            },
            "currency": company.currency_id.name,
            "language": lang,
            "terms": list(WAAS_TERMS),
            "generated_at": fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "products": [
                self._waas_product_vals(tmpl, by_product[tmpl].sorted("term_months"))
                for tmpl in products
            ],
        }

    # ------------------------------------------------------------------ publishing

    def _waas_publish(self, force=False):
        """Send the catalogue of these companies to their marketplaces (one call each).

        A failure never raises: the publication is failed with the reason and retried
        later with exponential back-off; after repeated failures the product managers get
        a to-do. Without ``force`` (the scheduled action) a catalogue identical to the one
        last published is not sent again. Companies in manual mode send nothing.
        Returns the number of successful publications."""
        Marketplace = self.env["waas.marketplace"]
        successes = 0
        for publication in self:
            company = publication.company_id
            if company.waas_marketplace_manual:
                if publication.state in PENDING_STATES:
                    publication.write({"state": "manual", "next_attempt_at": False})
                continue
            now = fields.Datetime.now()
            try:
                payload = publication._waas_catalogue_payload()
                digest = payload_hash(payload)
                if (
                    not force
                    and publication.last_published_at
                    and digest == (publication.payload_hash)
                ):
                    # Changed and changed back: the marketplace has this catalogue.
                    publication._waas_published(now, digest, len(payload["products"]))
                    continue
                Marketplace._publish_catalogue(company, payload)
            except MarketplaceError as error:
                publication._waas_failed(now, error)
                continue
            publication._waas_published(now, digest, len(payload["products"]))
            successes += 1
        return successes

    def _waas_published(self, now, digest, count):
        self.ensure_one()
        self.write(
            {
                "state": "published",
                "last_published_at": now,
                "last_attempt_at": now,
                "payload_hash": digest,
                "product_count": count,
                "changed_at": False,
                "last_error": False,
                "attempt_count": 0,
                "next_attempt_at": False,
            }
        )
        activities = self.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(FAILED_ACTIVITY_TYPE)
        )
        if activities:
            activities.action_feedback(
                feedback=self.env._("The catalogue was published to the Cloud Marketplace.")
            )

    def _waas_failed(self, now, error):
        self.ensure_one()
        attempts = self.attempt_count + 1
        _logger.info(
            "Catalogue publication of company %s failed (attempt %s): %s",
            self.company_id.id,
            attempts,
            error,
        )
        self.write(
            {
                "state": "failed",
                "last_error": str(error),
                "attempt_count": attempts,
                "last_attempt_at": now,
                "next_attempt_at": now + timedelta(minutes=backoff_minutes(attempts)),
            }
        )
        if attempts >= FAILURES_BEFORE_ACTIVITY:
            self._waas_schedule_failure_activities(error)

    def _waas_product_managers(self):
        """Internal product managers of this publication's company."""
        self.ensure_one()
        return self.env.ref(PRODUCT_MANAGER_GROUP).users.filtered(
            lambda u: u.active and not u.share and self.company_id in u.company_ids
        )

    def _waas_schedule_failure_activities(self, error):
        """One to-do per product manager of the company (none when they already have one)."""
        self.ensure_one()
        activity_type = self.env.ref(FAILED_ACTIVITY_TYPE)
        existing = self.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        note = self.env._(
            "The WaaS catalogue of %(company)s could not be published to the Cloud "
            "Marketplace (%(attempts)s attempts): %(error)s. Check the marketplace settings "
            "or ask ALSO's marketplace team; the scheduled action keeps retrying.",
            company=self.company_id.name,
            attempts=self.attempt_count,
            error=error,
        )
        for user in self._waas_product_managers() - existing.user_id:
            self.activity_schedule(act_type_xmlid=FAILED_ACTIVITY_TYPE, note=note, user_id=user.id)

    @api.model
    def _cron_waas_publish_catalogue(self, batch_size=10):
        """Scheduled action: publish the catalogues marked To Publish and the failed ones
        whose next attempt is due. One batch per call: it reports its progress, and the
        scheduler commits it and calls again while some remain. Rows are locked with SKIP
        LOCKED so two workers never publish the same catalogue at once."""
        self.flush_model()
        now = fields.Datetime.now()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT id FROM waas_catalogue_publication
                 WHERE state IN %(states)s
                   AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
                 ORDER BY next_attempt_at NULLS FIRST, id
                 LIMIT %(limit)s
                   FOR UPDATE SKIP LOCKED
                """,
                states=PENDING_STATES,
                now=now,
                limit=batch_size,
            )
        )
        # sudo: the scheduled action publishes every company's catalogue.
        publications = self.sudo().browse([row[0] for row in rows])
        publications._waas_publish()
        publications.flush_recordset()
        remaining = self.sudo().search_count(
            [
                ("state", "in", PENDING_STATES),
                "|",
                ("next_attempt_at", "=", False),
                ("next_attempt_at", "<=", now),
            ]
        )
        self.env["ir.cron"]._notify_progress(done=len(publications), remaining=remaining)
        return len(publications)

    # ------------------------------------------------------------------ buttons

    def action_waas_publish_now(self):
        """Button "Publish Catalogue" (WaaS Managers): send the catalogue to the
        company's Cloud Marketplace now, changed or not."""
        waas_check_group(self.env, "also_waas.group_waas_manager")
        manual = self.filtered("company_id.waas_marketplace_manual")
        if manual:
            raise UserError(
                self.env._(
                    "The Cloud Marketplace of %(company)s is in manual mode: nothing is sent. "
                    "Publish the catalogue at the marketplace yourself, or switch manual mode "
                    "off in Settings > WaaS.",
                    company=manual[0].company_id.name,
                )
            )
        # sudo: the publication's fields are written by this action only, after the group
        # and mode checks above.
        self.sudo()._waas_publish(force=True)
        failed = self.filtered(lambda p: p.state == "failed")
        if failed:
            title = self.env._("Catalogue not published")
            message = failed[0].last_error
            kind = "danger"
        else:
            title = self.env._("Catalogue published")
            message = self.env._(
                "The Cloud Marketplace accepted the catalogue (%(count)s products).",
                count=sum(self.mapped("product_count")),
            )
            kind = "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": bool(failed),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
