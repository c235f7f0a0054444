from odoo import fields
from odoo.tests import TransactionCase, tagged

from ..hooks import STORY_CUSTOMERS


@tagged("post_install", "-at_install")
class TestDemoStory(TransactionCase):
    """Every demo record follows the rules, as ``make run`` shows them: the running
    contracts of deals earn their commission, the ended ones have their return, rented
    devices have a warranty end, the story's customers paid their past invoices and are
    not blocked, and everything happens in the two ALSO companies, in euros. (When the
    tests run the database holds the demo data only: each test's records are rolled back.)"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.nl = cls.env.ref("base.main_company")
        cls.be = cls.env.ref("base.demo_company_be")
        cls.companies = cls.nl | cls.be
        cls.contracts = cls.env["waas.contract"].search([("company_id", "in", cls.companies.ids)])

    def setUp(self):
        super().setUp()
        if not self.env.ref("also_waas.waas_demo_customer_1", raise_if_not_found=False):
            self.skipTest("The demo data is not loaded (database made without demo data).")

    def test_running_contracts_of_deals_have_commission(self):
        running = self.contracts.filtered(
            lambda c: c.state in ("active", "ending") and c.origin == "deal"
        )
        self.assertGreaterEqual(len(running), 10)
        self.assertIn("ending", running.mapped("state"))
        missing = running.filtered(lambda c: not c.waas_commission_line_ids)
        self.assertFalse(
            missing, "Running contracts without commission: %s" % missing.mapped("name")
        )

    def test_ended_contracts_have_returns(self):
        ended = self.contracts.filtered(lambda c: c.state in ("terminated", "expired"))
        self.assertGreaterEqual(len(ended), 5)
        missing = ended.filtered(lambda c: not c.waas_return_ids)
        self.assertFalse(missing, "Ended contracts without return: %s" % missing.mapped("name"))

    def test_rented_devices_have_warranty_end(self):
        devices = self.env["waas.device"].search(
            [("company_id", "in", self.companies.ids), ("state", "=", "rented")]
        )
        self.assertTrue(devices)
        missing = devices.filtered(lambda d: not d.warranty_end)
        self.assertFalse(
            missing, "Rented devices without warranty end: %s" % missing.mapped("serial")
        )

    def test_story_customers_paid_and_not_blocked(self):
        customers = self.env["res.partner"]
        for xmlid in STORY_CUSTOMERS:
            customers |= self.env.ref(xmlid)
        overdue = self.env["account.move"].search(
            [
                ("commercial_partner_id", "in", customers.ids),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("invoice_date_due", "<", fields.Date.context_today(self.env.user)),
            ]
        )
        self.assertFalse(overdue, "Overdue invoices: %s" % overdue.mapped("name"))
        # Their WaaS invoices of the past months are posted and paid (a month's invoice is
        # dated on its first day; this month's wait in draft for accounting).
        month_start = fields.Date.context_today(self.env.user).replace(day=1)
        past = self.env["account.move"].search(
            [
                ("commercial_partner_id", "in", customers.ids),
                ("waas_contract_id", "!=", False),
                ("move_type", "=", "out_invoice"),
                ("invoice_date", "<", month_start),
            ]
        )
        self.assertTrue(past)
        unpaid = past.filtered(
            lambda m: m.state != "posted" or m.payment_state not in ("paid", "in_payment")
        )
        self.assertFalse(unpaid, "Past invoices not paid: %s" % unpaid.mapped("name"))
        for company in self.companies:
            blocked = customers.with_company(company).filtered("waas_blocked")
            self.assertFalse(blocked, f"Blocked in {company.name}: {blocked.mapped('name')}")
        # The Dutch reseller quotes for Bakkerij Van Dijk without a release.
        van_dijk = self.env.ref("also_waas.waas_demo_customer_1")
        self.assertFalse(van_dijk.waas_block_released_until)

    def test_belgium_has_its_own_deals(self):
        orders = self.env["sale.order"].search(
            [("company_id", "=", self.be.id), ("is_waas", "=", True)]
        )
        self.assertGreaterEqual(len(orders), 2)
        contracts = self.contracts.filtered(lambda c: c.company_id == self.be)
        self.assertTrue(contracts)
        self.assertEqual(contracts.sale_order_id.company_id, self.be)
        self.assertEqual(contracts.currency_id, self.env.ref("base.EUR"))
        self.assertTrue(contracts.waas_commission_line_ids)

    def test_only_the_also_companies(self):
        self.assertEqual(self.env["res.company"].search([]), self.companies)
        self.assertEqual(self.contracts, self.env["waas.contract"].search([]))
        self.assertEqual(self.companies.currency_id, self.env.ref("base.EUR"))
        chicago = self.env.ref("stock.res_company_1", raise_if_not_found=False)
        if chicago:
            self.assertFalse(chicago.active)
            # The users who log in (OdooBot keeps every company).
            users = self.env["res.users"].search([])
            self.assertNotIn(chicago, users.company_ids)
