"""The Cloud Marketplace per company and the WaaS catalogue published to it, against real
HTTP servers on 127.0.0.1 started by the test (see common_ops.FakeMarketplace)."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..models.waas_catalogue_publication import FAILED_ACTIVITY_TYPE, payload_hash
from .common_ops import FakeMarketplace, WaasOpsCommon


@tagged("post_install", "-at_install")
class TestCataloguePublication(WaasOpsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marketplace = FakeMarketplace.start(cls)
        cls.Publication = cls.env["waas.catalogue.publication"]
        cls.Item = cls.env["waas.pricelist.item"]
        cls.cron = cls.env.ref("also_waas.waas_catalogue_cron_publish")
        # Licences already in the database (demo data) stay out of these tests' calls.
        cls.env["waas.licence"].search([("pending_action", "!=", False)]).pending_action = False
        cls.publication = cls.Publication._waas_for_company(cls.company)
        # Other companies' catalogues (demo data) stay out of these tests' calls.
        cls.Publication.search([("company_id", "!=", cls.company.id)]).write({"state": "published"})

    def setUp(self):
        super().setUp()
        self.marketplace.set_mode("ok")
        self.marketplace.requests.clear()

    # ------------------------------------------------------------------ helpers
    def _run_cron(self):
        return self._run_cron_batches(
            "also_waas.waas_catalogue_cron_publish", "_cron_waas_publish_catalogue"
        )

    def _catalogue_calls(self, marketplace=None):
        return [
            r
            for r in (marketplace or self.marketplace).requests
            if (r["method"], r["path"]) == ("PUT", "/api/v1/catalogue")
        ]

    def _item(self, product, term, company=None):
        return self.Item.search(
            [
                ("product_tmpl_id", "=", product.product_tmpl_id.id),
                ("term_months", "=", term),
                ("company_id", "=", (company or self.company).id),
            ]
        )

    def _product(self, body, product):
        ref = f"product.template/{product.product_tmpl_id.id}"
        [found] = [p for p in body["products"] if p["reference"] == ref]
        return found

    def _published(self):
        """Publish the current catalogue, then forget the calls."""
        self.publication.sudo().write({"state": "to_publish", "next_attempt_at": False})
        self._run_cron()
        self.assertEqual(self.publication.state, "published")
        self.marketplace.requests.clear()

    def _make_due(self, publication):
        """Time passes: the next attempt is due."""
        publication.sudo().write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})

    def _triggers(self):
        return self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", self.cron.id)])

    # ------------------------------------------------------------------ the document
    def test_payload_terms_prices_commissions(self):
        blocked = self.env["product.product"].create(
            {
                "name": "Test Option of an Unvetted Maker",
                "type": "consu",
                "waas_kind": "option",
                "waas_manufacturer_id": self.manufacturer_pending.id,
            }
        )
        self.Item.create(
            {
                "company_id": self.company.id,
                "product_tmpl_id": blocked.product_tmpl_id.id,
                "term_months": 12,
                "monthly_price": 5.0,
            }
        )
        self._item(self.option_monitor, 36).active = False
        self.assertEqual(self.publication.state, "to_publish")

        result = self.publication.with_user(self.user_manager).action_waas_publish_now()
        self.assertEqual(result["params"]["type"], "success")

        [call] = self._catalogue_calls()
        self.assertEqual(call["headers"]["Authorization"], "Bearer test-key-123")
        body = call["body"]
        self.assertEqual(body["schema"], "also-waas-catalogue/1")
        self.assertEqual(body["company"]["name"], self.company.name)
        self.assertEqual(body["currency"], self.currency.name)
        self.assertEqual(body["terms"], [12, 24, 36])
        bundle = self._product(body, self.bundle)
        self.assertEqual(bundle["kind"], "bundle")
        self.assertEqual(bundle["name"], "Test Laptop Bundle")
        self.assertEqual(
            bundle["licence"], {"sku": "M365-BE", "name": self.essentials.name, "seats": 1}
        )
        self.assertEqual(
            bundle["components"],
            [
                {
                    "name": "Test Laptop 14",
                    "sku": "TL-14-G1",
                    "manufacturer": "Test Laptops Inc.",
                    "quantity": 1.0,
                }
            ],
        )
        self.assertEqual(
            bundle["terms"],
            [
                {
                    "months": term,
                    "currency": self.currency.name,
                    "monthly_price": price,
                    "reseller_commission": {"new": new, "renewal": renewal},
                }
                for term, (price, new, renewal) in sorted(self.prices[self.bundle].items())
            ],
        )
        upgrade = self._product(body, self.upgrade_premium)
        self.assertEqual((upgrade["kind"], upgrade["replaces_licence"]), ("upgrade", "M365-BE"))
        self.assertEqual(upgrade["licence"]["sku"], "M365-BP")
        self.assertEqual(
            [(t["months"], t["monthly_price"]) for t in upgrade["terms"]],
            [(12, 12.0), (24, 11.0), (36, 10.0)],
        )
        # An archived price is not offered; a product blocked for quoting is not at all.
        option = self._product(body, self.option_monitor)
        self.assertEqual([t["months"] for t in option["terms"]], [12, 24])
        refs = {p["reference"] for p in body["products"]}
        self.assertNotIn(f"product.template/{blocked.product_tmpl_id.id}", refs)
        # Bundles first, then options, then upgrades.
        kinds = [p["kind"] for p in body["products"]]
        self.assertEqual(kinds, sorted(kinds, key=["bundle", "option", "upgrade"].index))
        # The last publication is kept: date, state, hash of what was sent, no error.
        self.assertRecordValues(
            self.publication,
            [
                {
                    "state": "published",
                    "payload_hash": payload_hash(body),
                    "product_count": len(body["products"]),
                    "last_error": False,
                    "attempt_count": 0,
                }
            ],
        )
        self.assertTrue(self.publication.last_published_at)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.waas_catalogue_state, "published")
        self.assertEqual(settings.waas_catalogue_published_at, self.publication.last_published_at)

    def test_many_edits_one_call(self):
        self._published()
        triggers = self._triggers()
        items = self.Item.search([("company_id", "=", self.company.id)])
        for step in range(100):
            item = items[step % len(items)]
            item.monthly_price = item.monthly_price + 1
        self.assertEqual(self.publication.state, "to_publish")
        self.assertFalse(self._catalogue_calls(), "nothing is sent while editing")
        self.assertEqual(self._triggers(), triggers + 1, "one scheduled run asked for")
        self._run_cron()
        [call] = self._catalogue_calls()
        bundle = self._product(call["body"], self.bundle)
        self.assertEqual(
            bundle["terms"][0]["monthly_price"], self._item(self.bundle, 12).monthly_price
        )
        # Published: the next run sends nothing.
        self._run_cron()
        self.assertEqual(len(self._catalogue_calls()), 1)

    def test_composition_and_product_changes_mark_to_publish(self):
        self._published()
        self.bundle.product_tmpl_id.waas_bundle_line_ids[0].quantity = 2
        self.assertEqual(self.publication.state, "to_publish")
        self._published()
        self.essentials.product_tmpl_id.name = "Test Microsoft 365 Business Basic"
        self.assertEqual(self.publication.state, "to_publish")
        self._run_cron()
        [call] = self._catalogue_calls()
        bundle = self._product(call["body"], self.bundle)
        self.assertEqual(bundle["components"][0]["quantity"], 2.0)
        self.assertEqual(bundle["licence"]["name"], "Test Microsoft 365 Business Basic")
        # A product outside WaaS changes nothing.
        self.env["product.template"].create({"name": "Coffee"}).name = "Tea"
        self.assertEqual(self.publication.state, "published")

    def test_unchanged_catalogue_not_sent_again(self):
        self._published()
        item = self._item(self.bundle, 12)
        item.monthly_price += 1
        item.monthly_price -= 1
        self.assertEqual(self.publication.state, "to_publish")
        self._run_cron()
        self.assertFalse(self._catalogue_calls(), "the marketplace has this catalogue")
        self.assertEqual(self.publication.state, "published")
        # The button sends it all the same.
        self.publication.with_user(self.user_manager).action_waas_publish_now()
        self.assertEqual(len(self._catalogue_calls()), 1)

    # ------------------------------------------------------------------ failures
    def test_retry_with_backoff_then_activity(self):
        self._published()
        self.marketplace.set_mode("error500")
        self._item(self.bundle, 24).monthly_price = 49.0
        before = fields.Datetime.now()
        self._run_cron()
        self.assertEqual(self.publication.state, "failed")
        self.assertRegex(self.publication.last_error, r"answered HTTP 500")
        self.assertEqual(self.publication.attempt_count, 1)
        wait = self.publication.next_attempt_at - before
        self.assertTrue(timedelta(minutes=5) <= wait < timedelta(minutes=6), wait)
        # Not due yet: the scheduled action leaves it alone, even after another edit.
        self._item(self.bundle, 36).monthly_price = 39.0
        self._run_cron()
        self.assertEqual(len(self._catalogue_calls()), 1)
        self.assertEqual(self.publication.attempt_count, 1)
        # Due, still failing: twice the wait; no to-do yet.
        self._make_due(self.publication)
        before = fields.Datetime.now()
        self._run_cron()
        self.assertEqual(self.publication.attempt_count, 2)
        wait = self.publication.next_attempt_at - before
        self.assertTrue(timedelta(minutes=10) <= wait < timedelta(minutes=11), wait)
        activity_type = self.env.ref(FAILED_ACTIVITY_TYPE)
        self.assertFalse(self.publication.activity_ids)
        # The third failure: each product manager of the company gets one to-do.
        self.marketplace.set_mode("garbage")
        self._make_due(self.publication)
        self._run_cron()
        self.assertEqual(self.publication.attempt_count, 3)
        self.assertRegex(self.publication.last_error, r"not JSON")
        activities = self.publication.activity_ids
        self.assertEqual(activities.activity_type_id, activity_type)
        self.assertIn(self.user_product, activities.user_id)
        self.assertIn(self.user_manager, activities.user_id)
        self.assertNotIn(self.user_waas, activities.user_id)
        self.assertEqual(len(activities), len(activities.user_id))
        # A fourth failure adds no second to-do.
        self._make_due(self.publication)
        self._run_cron()
        self.assertEqual(self.publication.activity_ids, activities)
        # The marketplace is back: published with the newest prices, to-dos done.
        self.marketplace.set_mode("ok")
        self._make_due(self.publication)
        self._run_cron()
        self.assertRecordValues(
            self.publication,
            [{"state": "published", "attempt_count": 0, "last_error": False}],
        )
        self.assertFalse(self.publication.next_attempt_at)
        self.assertFalse(self.publication.activity_ids)
        body = self._catalogue_calls()[-1]["body"]
        prices = {
            t["months"]: t["monthly_price"] for t in self._product(body, self.bundle)["terms"]
        }
        self.assertEqual((prices[24], prices[36]), (49.0, 39.0))

    def test_publish_now_failure_is_shown(self):
        self.marketplace.set_mode("error500")
        result = self.publication.with_user(self.user_manager).action_waas_publish_now()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertRegex(result["params"]["message"], r"HTTP 500")
        self.assertEqual((self.publication.state, self.publication.attempt_count), ("failed", 1))

    def test_not_configured(self):
        self.company.waas_marketplace_url = False
        self.publication.with_user(self.user_manager).action_waas_publish_now()
        self.assertEqual(self.publication.state, "failed")
        self.assertRegex(self.publication.last_error, r"endpoint of .* is not configured")
        self.marketplace.connect(self.company)

    # ------------------------------------------------------------------ manual mode
    def test_manual_mode_sends_nothing(self):
        self._published()
        self.company.waas_marketplace_manual = True
        self._item(self.bundle, 12).monthly_price = 59.0
        self.assertEqual(self.publication.state, "manual")
        self.assertTrue(self.publication.manual_mode)
        self._run_cron()
        with self.assertRaisesRegex(UserError, r"manual mode: nothing is sent"):
            self.publication.with_user(self.user_manager).action_waas_publish_now()
        self.assertFalse(self.marketplace.requests)
        self.assertEqual(self.publication.state, "manual")
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.waas_catalogue_state, "manual")
        # Connected again: the catalogue goes out with the next run.
        self.company.waas_marketplace_manual = False
        self.assertEqual(self.publication.state, "to_publish")
        self._run_cron()
        self.assertEqual(len(self._catalogue_calls()), 1)

    # ------------------------------------------------------------------ two companies
    def test_two_companies_own_marketplaces(self):
        other_server = FakeMarketplace()
        self.addCleanup(other_server.stop)
        company_b = self.env["res.company"].create(
            {"name": "Test ALSO Belgium", "currency_id": self.currency.id}
        )
        other_server.connect(company_b, api_key="key-belgium")
        self.env["waas.pricelist.item"].create(
            [
                {
                    "company_id": company_b.id,
                    "product_tmpl_id": self.bundle.product_tmpl_id.id,
                    "term_months": term,
                    "monthly_price": price,
                    "commission_new": 10.0,
                    "commission_renewal": 5.0,
                }
                for term, price in ((12, 70.0), (24, 60.0), (36, 50.0))
            ]
        )
        self._item(self.bundle, 12).monthly_price = 61.0
        self._run_cron()
        [call_a] = self._catalogue_calls()
        [call_b] = self._catalogue_calls(other_server)
        self.assertEqual(call_a["headers"]["Authorization"], "Bearer test-key-123")
        self.assertEqual(call_b["headers"]["Authorization"], "Bearer key-belgium")
        self.assertEqual(call_a["body"]["company"]["name"], self.company.name)
        self.assertEqual(call_b["body"]["company"]["name"], "Test ALSO Belgium")
        self.assertEqual(
            [p["reference"] for p in call_b["body"]["products"]],
            [f"product.template/{self.bundle.product_tmpl_id.id}"],
        )
        self.assertEqual(
            [t["monthly_price"] for t in call_b["body"]["products"][0]["terms"]],
            [70.0, 60.0, 50.0],
        )
        self.assertEqual(
            self._product(call_a["body"], self.bundle)["terms"][0]["monthly_price"], 61.0
        )
        publication_b = self.Publication.search([("company_id", "=", company_b.id)])
        self.assertEqual(publication_b.state, "published")
        # A licence goes to the marketplace of its contract's company, with its key.
        contract = self._create_contract(
            company_id=company_b.id, currency_id=company_b.currency_id.id
        )
        contract._on_activated()
        self.env["waas.licence"]._cron_waas_marketplace_sync()
        self.assertEqual(contract.licence_ids.state, "provisioned")
        [post] = [r for r in other_server.requests if r["method"] == "POST"]
        self.assertEqual(post["headers"]["Authorization"], "Bearer key-belgium")
        self.assertEqual(post["body"]["contract"], contract.name)
        self.assertFalse([r for r in self.marketplace.requests if r["method"] == "POST"])
        # Manual mode of one company leaves the other's marketplace alone.
        company_b.waas_marketplace_manual = True
        licence_a = self._create_contract()
        licence_a._on_activated()
        self.assertFalse(licence_a.licence_ids.manual_mode)
        self.assertTrue(contract.licence_ids.manual_mode)
        self.env["waas.licence"]._cron_waas_marketplace_sync()
        self.assertEqual(licence_a.licence_ids.state, "provisioned")

    # ------------------------------------------------------------------ who may
    def test_non_manager_cannot_change_settings_or_publish(self):
        self._published()
        admin_rights = new_test_user(
            self.env(context=dict(self.env.context, no_reset_password=True)),
            login="waas_access_rights",
            groups="base.group_user,base.group_erp_manager,also_waas.group_waas_product_manager",
        )
        before = self.company.sudo().read(
            ["waas_marketplace_url", "waas_marketplace_api_key", "waas_marketplace_manual"]
        )
        for user in (self.user_waas, self.user_product, admin_rights):
            company = self.company.with_user(user)
            for vals in (
                {"waas_marketplace_url": "https://attacker.example/api"},
                {"waas_marketplace_manual": True},
                {"waas_marketplace_api_key": "stolen"},
            ):
                with self.assertRaises(AccessError):
                    company.write(vals)
            # The API key is not even readable.
            with self.assertRaises(AccessError):
                company.read(["waas_marketplace_api_key"])
            with self.assertRaises(AccessError):
                self.publication.with_user(user).action_waas_publish_now()
            with self.assertRaises(AccessError):
                self.publication.with_user(user).write({"state": "published"})
        # A user with the company's access rights still changes what is not the marketplace.
        self.company.with_user(admin_rights).write({"waas_credit_validity_days": 60})
        self.assertEqual(self.company.waas_credit_validity_days, 60)
        self.env.invalidate_all()
        self.assertEqual(
            self.company.sudo().read(
                ["waas_marketplace_url", "waas_marketplace_api_key", "waas_marketplace_manual"]
            ),
            before,
        )
        self.assertFalse(self.marketplace.requests)
        self.assertEqual(self.publication.state, "published")
        # A WaaS Manager may (here with the company's access rights, as in Settings).
        manager = new_test_user(
            self.env(context=dict(self.env.context, no_reset_password=True)),
            login="waas_manager_settings",
            groups="base.group_erp_manager,also_waas.group_waas_manager",
        )
        self.company.with_user(manager).write({"waas_marketplace_api_key": "new-key"})
        self.assertEqual(self.company.sudo().waas_marketplace_api_key, "new-key")
        self.assertEqual(self.publication.state, "to_publish", "a new key: publish again")
