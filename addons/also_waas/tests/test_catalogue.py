import base64
import io
from contextlib import contextmanager

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import WaasCommon


@tagged("post_install", "-at_install")
class TestCatalogue(WaasCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Item = cls.env["waas.pricelist.item"]
        cls.unvetted_laptop = cls.env["product.product"].create(
            {
                "name": "Unvetted Laptop 13",
                "type": "consu",
                "is_storable": True,
                "tracking": "serial",
                "waas_kind": "component",
                "waas_manufacturer_id": cls.manufacturer_pending.id,
                "waas_manufacturer_sku": "UV-13",
            }
        )

    @contextmanager
    def _refused(self, exception, regex):
        """The operation fails with ``exception`` matching ``regex`` and writes nothing.

        Odoo's ``assertRaises`` (unlike ``assertRaisesRegex``) runs the block in a
        savepoint and rolls it back on error, as a failed request would be.
        """
        with self.assertRaises(exception) as cm:
            yield cm
        self.assertRegex(str(cm.exception), regex)

    def _item_vals(self, **values):
        vals = {
            "company_id": self.company.id,
            "currency_id": self.currency.id,
            "product_tmpl_id": self.bundle.product_tmpl_id.id,
            "term_months": 36,
            "monthly_price": 41.0,
            "commission_new": 100.0,
            "commission_renewal": 50.0,
        }
        vals.update(values)
        return vals

    # ------------------------------------------------------------------ price list rules
    def test_price_term_must_be_12_24_36(self):
        self.Item.search([("product_tmpl_id", "=", self.bundle.product_tmpl_id.id)]).unlink()
        count = self.Item.search_count([])
        for term in (0, 6, 18, 48):
            with self._refused(ValidationError, r"12, 24 or 36 months, not %s" % term):
                self.Item.create(self._item_vals(term_months=term))
        self.assertEqual(self.Item.search_count([]), count, "nothing may be written")
        item = self.Item.create(self._item_vals(term_months=24))
        with self._refused(ValidationError, "12, 24 or 36 months, not 18"):
            item.write({"term_months": 18})
        item.invalidate_recordset()
        self.assertEqual(item.term_months, 24)

    def test_price_amounts_not_negative(self):
        item = self.Item.search(
            [("product_tmpl_id", "=", self.bundle.product_tmpl_id.id), ("term_months", "=", 12)]
        )
        count = self.Item.search_count([])
        cases = {
            "monthly_price": "monthly price cannot be negative",
            "commission_new": "commission for a new contract cannot be negative",
            "commission_renewal": "commission for a renewal cannot be negative",
        }
        for fname, message in cases.items():
            with self._refused(ValidationError, message):
                self.Item.create(
                    self._item_vals(product_tmpl_id=self.option_monitor.product_tmpl_id.id)
                    | {"term_months": 12, fname: -1.0}
                )
            with self._refused(ValidationError, message):
                item.write({fname: -0.01})
        self.assertEqual(self.Item.search_count([]), count)
        item.invalidate_recordset()
        self.assertRecordValues(
            item, [{"monthly_price": 60.0, "commission_new": 120.0, "commission_renewal": 60.0}]
        )

    def test_price_only_for_priced_kinds(self):
        with self._refused(ValidationError, "not a WaaS bundle, option or upgrade"):
            self.Item.create(self._item_vals(product_tmpl_id=self.laptop.product_tmpl_id.id))
        self.assertFalse(
            self.Item.search([("product_tmpl_id", "=", self.laptop.product_tmpl_id.id)])
        )

    def test_price_unique_per_company_product_term(self):
        count = self.Item.search_count([])
        with self._refused(ValidationError, "already has a price for 36 months"):
            self.Item.create(self._item_vals(term_months=36))
        with self._refused(ValidationError, "already has a price for 12 months"):
            # Twice the same product and term within one batch.
            dock = self.env["product.template"].create({"name": "Dock", "waas_kind": "option"})
            self.Item.create([self._item_vals(product_tmpl_id=dock.id, term_months=12)] * 2)
        with self._refused(ValidationError, "already has a price for 24 months"):
            self.Item.search(
                [("product_tmpl_id", "=", self.bundle.product_tmpl_id.id), ("term_months", "=", 12)]
            ).write({"term_months": 24})
        self.assertEqual(self.Item.search_count([]), count)

    def test_price_currency_follows_company(self):
        company_b = self._other_company()
        vals = self._item_vals(
            company_id=company_b.id, product_tmpl_id=self.option_monitor.product_tmpl_id.id
        )
        del vals["currency_id"]
        self.assertEqual(self.Item.create(vals).currency_id.name, "EUR")
        vals = self._item_vals(term_months=36)
        del vals["currency_id"]
        self.Item.search(
            [("product_tmpl_id", "=", self.bundle.product_tmpl_id.id), ("term_months", "=", 36)]
        ).unlink()
        self.assertEqual(self.Item.create(vals).currency_id, self.company.currency_id)

    def test_price_multi_company_rule(self):
        company_b = self._other_company()
        Item = self.Item.with_user(self.user_waas)
        self.assertEqual(Item.search([]).company_id, self.company)
        self.assertFalse(Item.search([("company_id", "=", company_b.id)]))
        self.user_waas.company_ids = [Command.link(company_b.id)]
        Item = Item.with_context(allowed_company_ids=[self.company.id, company_b.id])
        self.assertEqual(Item.search([("company_id", "=", company_b.id)]).monthly_price, 65.5)

    def test_get_price_items(self):
        tmpls = (self.bundle | self.upgrade_premium | self.option_monitor).product_tmpl_id
        # The number of queries does not grow with the number of products.
        queries = []
        for products in (self.bundle.product_tmpl_id, tmpls | self.laptop.product_tmpl_id):
            self.env.invalidate_all()
            count = self.env.cr.sql_log_count
            prices = self.Item._get_price_items(products, 24, self.company)
            queries.append(self.env.cr.sql_log_count - count)
        self.assertEqual(queries[0], queries[1])
        self.assertEqual(set(prices), set(tmpls.ids), "no price for the component")
        self.assertEqual(prices[self.bundle.product_tmpl_id.id].monthly_price, 50.0)
        self.assertEqual(prices[self.bundle.product_tmpl_id.id].commission_new, 150.0)
        self.assertEqual(prices[self.upgrade_premium.product_tmpl_id.id].commission_renewal, 12.0)
        self.assertEqual(prices[self.option_monitor.product_tmpl_id.id].monthly_price, 8.0)
        other = self.env["res.company"].create({"name": "Other WaaS Company"})
        self.assertEqual(self.Item._get_price_items(tmpls, 24, other), {})

    # ------------------------------------------------------------------ bundles
    def test_bundle_with_unapproved_component_refused(self):
        Product = self.env["product.product"]
        with self._refused(ValidationError, "Unvetted Hardware Ltd. is not approved for WaaS"):
            Product.create(
                {
                    "name": "Bad Bundle",
                    "waas_kind": "bundle",
                    "waas_bundle_line_ids": [
                        Command.create({"product_id": self.unvetted_laptop.id, "quantity": 1})
                    ],
                }
            )
        self.assertFalse(Product.search([("name", "=", "Bad Bundle")]))
        # Adding it to an existing bundle or option is refused as well.
        for product in (self.bundle, self.option_monitor):
            with self._refused(ValidationError, "no approved exception"):
                product.write(
                    {
                        "waas_bundle_line_ids": [
                            Command.create({"product_id": self.unvetted_laptop.id})
                        ]
                    }
                )
        self.assertEqual(self.bundle.waas_bundle_line_ids.product_id, self.laptop)
        self.assertEqual(self.option_monitor.waas_bundle_line_ids.product_id, self.monitor)

    def test_component_cannot_move_to_unapproved_manufacturer(self):
        with self._refused(ValidationError, "cannot be part of Test Laptop Bundle"):
            self.laptop.write({"waas_manufacturer_id": self.manufacturer_pending.id})
        self.assertEqual(self.laptop.waas_manufacturer_id, self.manufacturer)

    def test_bundle_line_quantity_positive(self):
        line = self.bundle.waas_bundle_line_ids
        with self._refused(ValidationError, "needs a positive quantity"):
            line.write({"quantity": 0})
        line.invalidate_recordset()
        self.assertEqual(line.quantity, 1)

    # ------------------------------------------------------------------ exceptions
    def test_exception_request_flow(self):
        tmpl = self.unvetted_laptop.product_tmpl_id
        self.assertEqual(tmpl.waas_exception_state, "none")
        # Product managers only decide on requested exceptions.
        with self._refused(UserError, "it is No Exception"):
            tmpl.with_user(self.user_product).action_waas_approve_exception()
        # An internal user outside WaaS cannot request.
        with self._refused(AccessError, "Only a WaaS User"):
            tmpl.with_user(self.user_internal).action_waas_request_exception("need it")
        # A WaaS user requests, with a reason, in the chatter.
        tmpl.with_user(self.user_waas).action_waas_request_exception("Customer insists on it")
        self.assertEqual(tmpl.waas_exception_state, "requested")
        self.assertEqual(tmpl.waas_exception_reason, "Customer insists on it")
        self.assertIn("WaaS exception requested", tmpl.message_ids[0].body)
        self.assertIn("Customer insists on it", tmpl.message_ids[0].body)
        # A plain WaaS user cannot approve nor reject, not even by writing the state.
        with self._refused(AccessError, "Only a WaaS Product Manager"):
            tmpl.with_user(self.user_waas).action_waas_approve_exception()
        with self._refused(AccessError, "Only a WaaS Product Manager"):
            tmpl.with_user(self.user_waas).action_waas_reject_exception("no")
        with self._refused(AccessError, "not allowed|Only a WaaS"):
            tmpl.with_user(self.user_waas).write({"waas_exception_state": "approved"})
        self.assertEqual(tmpl.waas_exception_state, "requested")
        # Rejecting needs a reason.
        with self._refused(UserError, "give a reason"):
            tmpl.with_user(self.user_product).action_waas_reject_exception("  ")
        self.assertEqual(tmpl.waas_exception_state, "requested")
        tmpl.with_user(self.user_product).action_waas_reject_exception("Only 24 months warranty")
        self.assertEqual(tmpl.waas_exception_state, "rejected")
        self.assertEqual(tmpl.waas_exception_reason, "Only 24 months warranty")
        self.assertIn("rejected", tmpl.message_ids[0].body)
        self.assertIn("Only 24 months warranty", tmpl.message_ids[0].body)
        # Requested again, then approved: the hardware may now go into a bundle.
        tmpl.with_user(self.user_waas).action_waas_request_exception("Second try")
        tmpl.with_user(self.user_product).action_waas_approve_exception()
        self.assertEqual(tmpl.waas_exception_state, "approved")
        self.assertIn("WaaS exception approved", tmpl.message_ids[0].body)
        bundle = self.env["product.product"].create(
            {
                "name": "Exception Bundle",
                "waas_kind": "bundle",
                "waas_bundle_line_ids": [Command.create({"product_id": self.unvetted_laptop.id})],
            }
        )
        self.assertEqual(bundle.waas_bundle_line_ids.manufacturer_id, self.manufacturer_pending)

    def test_exception_only_for_unapproved_hardware(self):
        with self._refused(UserError, "needs no exception"):
            self.laptop.product_tmpl_id.with_user(self.user_waas).action_waas_request_exception()
        with self._refused(UserError, "not a hardware component"):
            self.bundle.product_tmpl_id.with_user(self.user_waas).action_waas_request_exception()
        self.assertEqual(self.laptop.waas_exception_state, "none")

    def test_exception_wizard(self):
        tmpl = self.unvetted_laptop.product_tmpl_id.with_user(self.user_waas)
        action = tmpl.action_waas_open_request_exception()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.user_waas)
            .with_context(**action["context"])
        )
        wizard.reason = "Needed for a pilot"
        wizard.save().action_confirm()
        self.assertEqual(tmpl.waas_exception_state, "requested")
        action = tmpl.with_user(self.user_product).action_waas_open_reject_exception()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.user_product)
            .with_context(**action["context"])
        )
        wizard.reason = "Not for pilots"
        wizard.save().action_confirm()
        self.assertEqual(tmpl.waas_exception_state, "rejected")
        self.assertEqual(tmpl.waas_exception_reason, "Not for pilots")

    # ------------------------------------------------------------------ manufacturers
    def test_approve_manufacturer_needs_36_months(self):
        with self._refused(ValidationError, "gives 24 months of warranty"):
            self.manufacturer_pending.with_user(
                self.user_product
            ).action_waas_approve_manufacturer()
        self.assertEqual(self.manufacturer_pending.waas_approval_state, "pending")
        Partner = self.env["res.partner"]
        with self._refused(ValidationError, "at least 36 are required"):
            Partner.create(
                {
                    "name": "Short Warranty BV",
                    "waas_is_manufacturer": True,
                    "waas_warranty_months": 24,
                    "waas_approval_state": "approved",
                }
            )
        self.assertFalse(Partner.search([("name", "=", "Short Warranty BV")]))
        # Lowering the warranty of an approved manufacturer is refused too.
        with self._refused(ValidationError, "gives 12 months"):
            self.manufacturer.write({"waas_warranty_months": 12})
        self.assertEqual(self.manufacturer.waas_warranty_months, 36)

    def test_approve_manufacturer_only_product_manager(self):
        pending = self.manufacturer_pending
        pending.waas_warranty_months = 36
        for user in (self.user_waas, self.user_credit, self.user_countersign):
            with self._refused(AccessError, "Only a WaaS Product Manager"):
                pending.with_user(user).action_waas_approve_manufacturer()
            with self._refused(AccessError, "Only a WaaS Product Manager"):
                pending.with_user(user).write({"waas_approval_state": "approved"})
        self.assertEqual(pending.waas_approval_state, "pending")
        # The decision is tracked in the partner's chatter.
        pending.with_user(self.user_product).with_context(
            tracking_disable=False, mail_notrack=False
        ).action_waas_approve_manufacturer()
        self.env.flush_all()
        self.env.cr.flush()  # tracking values are written on flush
        self.assertEqual(pending.waas_approval_state, "approved")
        tracked = pending.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "waas_approval_state"
        )
        self.assertEqual(tracked[:1].new_value_char, "Approved")
        pending.with_user(self.user_product).action_waas_reject_manufacturer()
        self.assertEqual(pending.waas_approval_state, "rejected")
        pending.with_user(self.user_manager).action_waas_reset_manufacturer()
        self.assertEqual(pending.waas_approval_state, "pending")
        with self._refused(UserError, "not flagged as a WaaS manufacturer"):
            self.reseller.with_user(self.user_product).action_waas_approve_manufacturer()

    # ------------------------------------------------------------------ price list output
    def _export(self, user, companies, kind="all"):
        wizard = (
            self.env["waas.pricelist.export"]
            .with_user(user)
            .with_context(allowed_company_ids=companies.ids)
            .create({"company_ids": [Command.set(companies.ids)], "waas_kind": kind})
        )
        action = wizard.action_export_xlsx()
        self.assertEqual(action["type"], "ir.actions.act_url")
        attachment_id = int(action["url"].split("/web/content/")[1].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        self.assertTrue(attachment.name.endswith(".xlsx"))
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        return [list(row) for row in book.active.iter_rows(values_only=True)]

    def _other_company(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        company_b = self.env["res.company"].create(
            {"name": "ALSO Belgium (test)", "currency_id": eur.id}
        )
        self.env["waas.pricelist.item"].create(
            {
                "company_id": company_b.id,
                "currency_id": eur.id,
                "product_tmpl_id": self.bundle.product_tmpl_id.id,
                "term_months": 12,
                "monthly_price": 65.5,
                "commission_new": 130.0,
                "commission_renewal": 65.0,
            }
        )
        return company_b

    def test_export_xlsx(self):
        self.laptop.waas_replacement_value = 1100.0
        rows = self._export(self.user_waas, self.company)
        self.assertEqual(
            rows[0],
            [
                "Company",
                "Kind",
                "Product",
                "Internal Reference",
                "Term (months)",
                "Monthly Price",
                "Commission (new)",
                "Commission (renewal)",
                "Replacement Value",
                "Currency",
            ],
        )
        ours = [r for r in rows[1:] if r[2] and r[2].startswith("Test ")]
        self.assertEqual(len(ours), 9)
        bundle_rows = [r for r in ours if r[2] == "Test Laptop Bundle"]
        self.assertEqual(
            [r[4:] for r in bundle_rows],
            [
                [12, 60.0, 120.0, 60.0, 1100.0, self.currency.name],
                [24, 50.0, 150.0, 75.0, 1100.0, self.currency.name],
                [36, 40.0, 180.0, 90.0, 1100.0, self.currency.name],
            ],
        )
        self.assertEqual(bundle_rows[0][:2], [self.company.name, "WaaS Bundle"])
        # Bundles come first, then options, then upgrades.
        self.assertEqual(
            [r[1] for r in ours], ["WaaS Bundle"] * 3 + ["Option"] * 3 + ["Upgrade"] * 3
        )
        extras = self._export(self.user_waas, self.company, kind="extra")
        self.assertNotIn("WaaS Bundle", [r[1] for r in extras[1:]])

    def test_export_xlsx_multi_company(self):
        company_b = self._other_company()
        self.user_waas.company_ids = [Command.link(company_b.id)]
        only_b = self._export(self.user_waas, company_b)
        self.assertEqual(
            only_b[1:],
            [
                [
                    "ALSO Belgium (test)",
                    "WaaS Bundle",
                    "Test Laptop Bundle",
                    None,
                    12,
                    65.5,
                    130.0,
                    65.0,
                    0.0,
                    "EUR",
                ]
            ],
        )
        both = self._export(self.user_waas, self.company | company_b)
        self.assertIn("EUR", [r[9] for r in both[1:]])
        self.assertIn(self.currency.name, [r[9] for r in both[1:]])

    def test_export_nothing_to_export(self):
        empty = self.env["res.company"].create({"name": "Empty WaaS Company"})
        wizard = self.env["waas.pricelist.export"].create({"company_ids": [Command.set(empty.ids)]})
        with self._refused(UserError, "no WaaS price"):
            wizard.action_export_xlsx()

    def test_pdf_report_renders(self):
        company_b = self._other_company()
        items = self.Item.search(
            [("product_tmpl_id", "in", (self.bundle | self.option_monitor).product_tmpl_id.ids)]
        )
        html, report_type = self.env["ir.actions.report"]._render_qweb_pdf(
            "also_waas.waas_pricelist_item_report", items.ids
        )
        self.assertEqual(report_type, "html")  # test mode renders HTML instead of a PDF
        html = html.decode()
        for text in (
            "WaaS Price List",
            "Test Laptop Bundle",
            "Test Extra Monitor",
            company_b.name,
            "40.00",
            "180.00",
            "65.50",
            "130.00",
        ):
            self.assertIn(text, html)
        self.assertNotIn("Test Upgrade to Business Premium", html)

    def test_print_from_wizard(self):
        wizard = self.env["waas.pricelist.export"].with_user(self.user_waas).create({})
        action = wizard.action_print_pdf()
        self.assertEqual(action["report_name"], "also_waas.waas_pricelist_item_report_document")
        self.assertTrue(action["context"]["active_ids"])

    # ------------------------------------------------------------------ views
    def test_views_load_for_each_role(self):
        actions = [
            "also_waas.res_partner_action_waas_manufacturer",
            "also_waas.res_partner_action_waas_reseller",
            "also_waas.product_template_action_waas_bundle",
            "also_waas.product_template_action_waas_component",
            "also_waas.product_template_action_waas_licence",
            "also_waas.product_template_action_waas_extra",
            "also_waas.waas_pricelist_item_action",
            "also_waas.waas_pricelist_export_action",
        ]
        for user in (self.user_waas, self.user_product, self.user_manager):
            for xmlid in actions:
                action = self.env.ref(xmlid)
                views = [(v.view_id.id, v.view_mode) for v in action.view_ids] or [
                    (False, mode) for mode in action.view_mode.split(",")
                ]
                result = (
                    self.env[action.res_model]
                    .with_user(user)
                    .get_views(views + [(False, "search")])
                )
                self.assertTrue(result["views"], f"{xmlid} for {user.login}")
        # Settings are for administrators (the menu needs base.group_system).
        settings = self.env["res.config.settings"].get_views([(False, "form")])
        self.assertIn('name="also_waas"', settings["views"]["form"]["arch"])
        self.assertIn("waas_credit_validity_days", settings["views"]["form"]["arch"])

    def test_product_manager_builds_bundle_in_form(self):
        Product = self.env["product.template"].with_user(self.user_product)
        form = Form(
            Product.with_context(default_waas_kind="bundle", default_type="consu"),
            view="product.product_template_only_form_view",
        )
        form.name = "Form Bundle"
        form.waas_included_licence_id = self.essentials
        with form.waas_bundle_line_ids.new() as line:
            line.product_id = self.laptop
            line.quantity = 2
        with form.waas_pricelist_item_ids.new() as price:
            price.term_months = 24
            price.monthly_price = 55.0
            price.commission_new = 140.0
            price.commission_renewal = 70.0
        bundle = form.save()
        self.assertEqual(bundle.waas_bundle_line_ids.quantity, 2)
        self.assertRecordValues(
            bundle.waas_pricelist_item_ids,
            [{"term_months": 24, "monthly_price": 55.0, "currency_id": self.currency.id}],
        )
        form = Form(bundle, view="product.product_template_only_form_view")
        with form.waas_bundle_line_ids.new() as line:
            line.product_id = self.unvetted_laptop
        with self._refused(ValidationError, "no approved exception"):
            form.save()
