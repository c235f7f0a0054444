"""Roles on the catalogue and the partners, finite prices and formula-free exports,
tried as the attacker would: over XML-RPC and HTTP, each refusal leaving nothing changed."""

import base64
import csv
import io

import openpyxl

from odoo.tests import HttpCase, tagged

from .common import WaasRpcMixin
from .common_portal import WaasPortalCommon

FORMULAS = ('=HYPERLINK("http://evil.example.com","Click")', "+1", "-1", "@SUM(A1:A9)")


@tagged("post_install", "-at_install")
class TestGuardRoles(WaasRpcMixin, HttpCase, WaasPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plain_product = cls.env["product.template"].create(
            {"name": "Office Chair (not WaaS)", "type": "consu", "list_price": 99.0}
        )
        cls.manufacturer.write(
            {"waas_sellout_email": "sellout@laptops.example.com", "phone": "+31 20 000 0000"}
        )

    # ------------------------------------------------------------------ helpers
    def _read(self, record, fnames):
        self.env.invalidate_all()
        return record.sudo().read(fnames)[0]

    # ------------------------------------------------------------------ partners
    def test_product_manager_cannot_flag_a_reseller(self):
        before = self._read(self.customer, ["waas_is_reseller", "name"])
        self._assert_fault(
            "Only a WaaS Manager can change WaaS Reseller",
            self.user_product,
            "res.partner",
            "write",
            [self.customer.id],
            {"waas_is_reseller": True},
        )
        self.assertEqual(self._read(self.customer, ["waas_is_reseller", "name"]), before)
        # Un-flagging a reseller is the same decision.
        self._assert_fault(
            "Only a WaaS Manager",
            self.user_product,
            "res.partner",
            "write",
            [self.reseller.id],
            {"waas_is_reseller": False},
        )
        self.assertTrue(self._read(self.reseller, ["waas_is_reseller"])["waas_is_reseller"])
        # Nor can a new partner be created as a reseller (not even as a manufacturer).
        self._assert_fault(
            "Only a WaaS Manager",
            self.user_product,
            "res.partner",
            "create",
            {"name": "Fake Reseller BV", "waas_is_manufacturer": True, "waas_is_reseller": True},
        )
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Fake Reseller BV")]))

    def test_product_manager_cannot_redirect_sellout(self):
        fields_ = ["waas_sellout_email", "waas_sellout_contact_id"]
        before = self._read(self.manufacturer, fields_)
        self._assert_fault(
            "Only a WaaS Manager can change Sell-out E-mail",
            self.user_product,
            "res.partner",
            "write",
            [self.manufacturer.id],
            {"waas_sellout_email": "attacker@example.com"},
        )
        self._assert_fault(
            "Only a WaaS Manager can change Sell-out Contact",
            self.user_product,
            "res.partner",
            "write",
            [self.manufacturer.id],
            {"waas_sellout_contact_id": self.portal_reseller_a.partner_id.id},
        )
        self.assertEqual(self._read(self.manufacturer, fields_), before)
        # Sending back the value it already has (a form saving the page) is no change.
        self._rpc(
            self.user_product,
            "res.partner",
            "write",
            [self.manufacturer.id],
            {"waas_sellout_email": "sellout@laptops.example.com", "waas_warranty_months": 48},
        )
        self.assertEqual(
            self._read(self.manufacturer, ["waas_warranty_months"])["waas_warranty_months"], 48
        )

    def test_product_manager_edits_only_the_catalogue(self):
        # A plain customer and a product outside the WaaS catalogue: refused.
        customer_before = self._read(self.customer, ["name", "phone", "waas_is_manufacturer"])
        self._assert_fault(
            "doesn't have 'write' access",
            self.user_product,
            "res.partner",
            "write",
            [self.customer.id],
            {"phone": "+31 6 66666666"},
        )
        self._assert_fault(
            "doesn't have 'write' access",
            self.user_product,
            "res.partner",
            "write",
            [self.customer.id],
            {"waas_is_manufacturer": True},
        )
        self.assertEqual(
            self._read(self.customer, ["name", "phone", "waas_is_manufacturer"]), customer_before
        )
        self._assert_fault(
            "doesn't have 'create' access",
            self.user_product,
            "res.partner",
            "create",
            {"name": "Plain Contact by PM"},
        )
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Plain Contact by PM")]))
        product_before = self._read(self.plain_product, ["name", "list_price", "waas_kind"])
        self._assert_fault(
            "doesn't have 'write' access",
            self.user_product,
            "product.template",
            "write",
            [self.plain_product.id],
            {"list_price": 1.0, "waas_kind": "bundle"},
        )
        self._assert_fault(
            "doesn't have 'write' access",
            self.user_product,
            "product.product",
            "write",
            self.plain_product.product_variant_ids.ids,
            {"list_price": 1.0},
        )
        self.assertEqual(
            self._read(self.plain_product, ["name", "list_price", "waas_kind"]), product_before
        )
        self._assert_fault(
            "doesn't have 'create' access",
            self.user_product,
            "product.template",
            "create",
            {"name": "Plain Desk by PM", "type": "consu"},
        )
        self.assertFalse(self.env["product.template"].search([("name", "=", "Plain Desk by PM")]))
        # The WaaS catalogue and the manufacturers: allowed, approvals included.
        self._rpc(
            self.user_product,
            "product.template",
            "write",
            [self.bundle.product_tmpl_id.id],
            {"name": "Test Laptop Bundle v2"},
        )
        new_id = self._rpc(
            self.user_product,
            "product.template",
            "create",
            {"name": "PM Option", "type": "service", "waas_kind": "option"},
        )
        self._rpc(
            self.user_product,
            "res.partner",
            "write",
            [self.manufacturer_pending.id],
            {"waas_warranty_months": 36, "phone": "+31 30 123 4567"},
        )
        self._rpc(
            self.user_product,
            "res.partner",
            "action_waas_approve_manufacturer",
            [self.manufacturer_pending.id],
        )
        self.env.invalidate_all()
        self.assertEqual(self.bundle.product_tmpl_id.name, "Test Laptop Bundle v2")
        self.assertEqual(self.env["product.template"].browse(new_id).waas_kind, "option")
        self.assertEqual(self.manufacturer_pending.waas_approval_state, "approved")
        self._rpc(
            self.user_product,
            "res.partner",
            "action_waas_reject_manufacturer",
            [self.manufacturer_pending.id],
        )
        self.env.invalidate_all()
        self.assertEqual(self.manufacturer_pending.waas_approval_state, "rejected")

    def test_waas_manager_may(self):
        contact = self.env["res.partner"].create(
            {"name": "Sell-out Desk", "parent_id": self.manufacturer.id, "email": "so@x.example"}
        )
        self._rpc(
            self.user_manager,
            "res.partner",
            "write",
            [self.customer.id],
            {"waas_is_reseller": True},
        )
        self._rpc(
            self.user_manager,
            "res.partner",
            "write",
            [self.manufacturer.id],
            {
                "waas_sellout_email": "new@laptops.example.com",
                "waas_sellout_contact_id": contact.id,
            },
        )
        self._rpc(
            self.user_manager, "res.partner", "write", [self.customer_be.id], {"phone": "+32 2 000"}
        )
        self._rpc(
            self.user_manager,
            "product.template",
            "write",
            [self.plain_product.id],
            {"list_price": 120.0},
        )
        self.env.invalidate_all()
        self.assertTrue(self.customer.waas_is_reseller)
        self.assertEqual(self.manufacturer.waas_sellout_email, "new@laptops.example.com")
        self.assertEqual(self.manufacturer.waas_sellout_contact_id, contact)
        self.assertEqual(self.customer_be.phone, "+32 2 000")
        self.assertEqual(self.plain_product.list_price, 120.0)

    def test_partner_form_fields_read_only_for_product_managers(self):
        self.assertFalse(self.customer.with_user(self.user_product).waas_user_is_manager)
        self.assertTrue(self.customer.with_user(self.user_manager).waas_user_is_manager)

    # ------------------------------------------------------------------ rule caches
    def test_reseller_flag_removed_hides_reseller_records_at_once(self):
        Item = self.env["waas.pricelist.item"]
        items = Item.search([("company_id", "=", self.company.id)])
        self.assertTrue(items)
        as_reseller = Item.with_user(self.portal_reseller_a)
        self.assertEqual(as_reseller.search([("id", "in", items.ids)]), items)
        bundle_tmpl = (
            self.env["product.template"]
            .with_user(self.portal_reseller_a)
            .search([("id", "=", self.bundle.product_tmpl_id.id)])
        )
        self.assertTrue(bundle_tmpl)

        def flag_reseller(flag):
            self._rpc(
                self.user_manager,
                "res.partner",
                "write",
                [self.reseller.id],
                {"waas_is_reseller": flag},
            )
            self.env.invalidate_all()
            return bundle_tmpl.search([("id", "=", self.bundle.product_tmpl_id.id)])

        self.assertFalse(flag_reseller(False))
        self.assertFalse(as_reseller.search([("id", "in", items.ids)]))
        # And back: flagged again, it sees the price list again.
        self.assertTrue(flag_reseller(True))
        self.assertEqual(as_reseller.search([("id", "in", items.ids)]), items)

    def test_contact_moved_to_another_company_follows_its_rules(self):
        Contract = self.env["waas.contract"].with_user(self.portal_reseller_a)
        self.assertEqual(Contract.search([]), self.contract_a)
        self._rpc(
            self.user_manager,
            "res.partner",
            "write",
            [self.portal_reseller_a.partner_id.id],
            {"parent_id": self.reseller_b.id},
        )
        self.env.invalidate_all()
        self.assertEqual(Contract.search([]), self.contract_b)

    # ------------------------------------------------------------------ finite prices
    def test_nan_service_price_over_http(self):
        self.authenticate("portal_ra", "portal_ra")
        token = self._csrf_token("/my/waas/quotes/new")
        orders_before = self.env["sale.order"].search_count([])
        for raw in ("nan", "NaN", "inf", "-inf", "1e999"):
            data = {
                "csrf_token": token,
                "customer_id": str(self.customer.id),
                "term": "24",
                "delivery_to": "end_customer",
                f"qty_{self.bundle.product_tmpl_id.id}": "1",
                f"service_{self.partner_service.id}": "on",
                f"service_price_{self.partner_service.id}": raw,
            }
            response = self.url_open("/my/waas/quotes/create", data=data)
            self.assertEqual(response.status_code, 200, raw)
            self.assertIn("must be a positive amount", response.text, raw)
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)

    def test_nan_prices_over_xmlrpc(self):
        item = self.env["waas.pricelist.item"].search(
            [
                ("product_tmpl_id", "=", self.bundle.product_tmpl_id.id),
                ("term_months", "=", 12),
                ("company_id", "=", self.company.id),
            ]
        )
        fields_ = ["monthly_price", "commission_new", "commission_renewal"]
        before = self._read(item, fields_)
        for fname in fields_:
            for value in (float("nan"), float("inf"), float("-inf"), "nan"):
                self._assert_fault(
                    "must be a finite amount",
                    self.user_product,
                    "waas.pricelist.item",
                    "write",
                    [item.id],
                    {fname: value},
                )
        self.assertEqual(self._read(item, fields_), before)
        self._assert_fault(
            "must be a finite amount",
            self.user_product,
            "waas.pricelist.item",
            "create",
            {
                "product_tmpl_id": self.option_monitor.product_tmpl_id.id,
                "term_months": 12,
                "company_id": self.env.ref("base.main_company").id,
                "monthly_price": float("nan"),
            },
        )
        line = self.order_a.order_line[:1]
        line_before = self._read(line, ["price_unit", "waas_partner_price"])
        for fname in ("price_unit", "waas_partner_price"):
            self._assert_fault(
                "must be a finite amount",
                self.user_waas,
                "sale.order.line",
                "write",
                [line.id],
                {fname: float("nan")},
            )
        self._assert_fault(
            "must be a finite amount",
            self.user_waas,
            "sale.order",
            "write",
            [self.order_a.id],
            {"order_line": [(1, line.id, {"price_unit": float("inf")})]},
        )
        self.assertEqual(self._read(line, ["price_unit", "waas_partner_price"]), line_before)

    # ------------------------------------------------------------------ exports
    def test_pricelist_export_never_evaluates_formulas(self):
        self.bundle.product_tmpl_id.name = FORMULAS[0]
        self.upgrade_premium.product_tmpl_id.write({"name": FORMULAS[1], "default_code": "-1"})
        self.option_monitor.product_tmpl_id.name = FORMULAS[3]
        wizard = self.env["waas.pricelist.export"].with_user(self.user_waas).create({})
        action = wizard.action_export_xlsx()
        attachment_id = int(action["url"].split("/web/content/")[1].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        cells = {
            cell.value: cell.data_type
            for row in book.active.iter_rows()
            for cell in row
            if isinstance(cell.value, str)
        }
        for text in (FORMULAS[0], FORMULAS[1], "-1", FORMULAS[3]):
            self.assertEqual(cells.get(text), "s", text)
        self.assertNotIn("f", cells.values())

    def test_sellout_exports_never_evaluate_formulas(self):
        company = self.env["res.company"].create(
            {"name": "WaaS Formula Test Co", "currency_id": self.env.ref("base.EUR").id}
        )
        customer = self.env["res.partner"].create(
            {"name": FORMULAS[0], "is_company": True, "zip": "-1", "vat": False}
        )
        reseller = self.env["res.partner"].create(
            {"name": FORMULAS[1], "is_company": True, "waas_is_reseller": True}
        )
        self.env["waas.manufacturer.reseller.ref"].create(
            {
                "manufacturer_id": self.manufacturer.id,
                "reseller_id": reseller.id,
                "external_ref": FORMULAS[3],
            }
        )
        self._create_contract(
            partner=customer,
            reseller=reseller,
            name="\tTAB-1",
            date_start="2026-03-01",
            company_id=company.id,
            currency_id=company.currency_id.id,
        )
        report = self.env["waas.sellout.report"].create(
            {
                "company_id": company.id,
                "manufacturer_id": self.manufacturer.id,
                "date_from": "2026-03-01",
                "date_to": "2026-03-31",
            }
        )
        report.action_generate()
        self.assertEqual(report.row_count, 1)
        # xlsx: every text is a text cell, none a formula.
        book = openpyxl.load_workbook(io.BytesIO(report.xlsx_attachment_id.raw))
        row = [cell for cell in book.active[2]]
        by_value = {cell.value: cell.data_type for cell in row if cell.value is not None}
        for text in (FORMULAS[0], FORMULAS[1], FORMULAS[3], "-1", "\tTAB-1"):
            self.assertEqual(by_value.get(text), "s", text)
        self.assertNotIn("f", by_value.values())
        # CSV: a cell starting with = + - @ tab or CR gets a leading quote.
        rows = list(csv.reader(io.StringIO(report.csv_attachment_id.raw.decode("utf-8"))))
        header, values = rows[0], dict(zip(rows[0], rows[1], strict=True))
        self.assertIn("customer", header)
        self.assertEqual(values["customer"], "'" + FORMULAS[0])
        self.assertEqual(values["reseller"], "'+1")
        self.assertEqual(values["reseller_ref"], "'" + FORMULAS[3])
        self.assertEqual(values["customer_zip"], "'-1")
        self.assertEqual(values["contract"], "'\tTAB-1")
        self.assertEqual(values["term"], "36")
        self.assertEqual(values["start_date"], "2026-03-01")
        for value in rows[1]:
            self.assertFalse(value.startswith(("=", "+", "-", "@", "\t", "\r")), value)
