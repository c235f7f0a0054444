from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common_ops import WaasOpsCommon


@tagged("post_install", "-at_install")
class TestRenewal(WaasOpsCommon):
    def test_renew_up_to_36_months(self):
        contract = self._create_contract(term=12)
        renewed = self._count_hook("_on_renewed")
        renewal = contract._waas_renew(months=12)
        self.assertEqual(str(contract.date_end), "2027-12-31")
        self.assertEqual(
            (str(renewal.date_end_before), str(renewal.date_end_after), renewal.months),
            ("2026-12-31", "2027-12-31", 12),
        )
        self.assertEqual(renewal.reseller_id, self.reseller)
        self.assertEqual(contract.renewal_count, 1)
        self.assertEqual(len(renewed), 1)
        self.assertEqual(renewed[0][1][0], renewal)
        self.assertIn("now ends on 12/31/2027", contract.message_ids[0].body)
        contract._waas_renew(months=12)
        self.assertEqual(str(contract.date_end), "2028-12-31")
        self.assertEqual(contract.renewal_count, 2)
        self.assertEqual(contract.term_months, 12)
        with self.assertRaisesRegex(
            UserError, r"limited to 36 months, so it must end by 12/31/2028 at the latest"
        ):
            contract._waas_renew(months=12)
        self.assertEqual(str(contract.date_end), "2028-12-31")
        self.assertEqual(contract.renewal_count, 2)
        self.assertEqual(len(renewed), 2)

    def test_24_months_too_long(self):
        contract = self._create_contract(term=24)
        with self.assertRaisesRegex(UserError, r"cannot run until 12/31/2029.*36 months"):
            contract._waas_renew(months=24)
        self.assertFalse(contract.renewal_ids)
        contract._waas_renew(months=12)
        self.assertEqual(str(contract.date_end), "2028-12-31")

    def test_warranty_limit(self):
        contract = self._create_contract(term=12)
        self._create_device(contract, "2027-08-31")
        self._create_device(contract, "2029-01-15", serial="SN-TEST-2")
        self.assertEqual(str(contract.date_max_end), "2027-08-31")
        with self.assertRaisesRegex(UserError, r"warranty of its devices ends on 08/31/2027"):
            contract._waas_renew(months=12)
        renewal = contract._waas_renew(date_end="2027-08-31")
        self.assertEqual(str(contract.date_end), "2027-08-31")
        self.assertEqual(renewal.months, 8)

    def test_chosen_date_and_month_ends(self):
        contract = self._create_contract(term=12, date_start="2026-01-31")
        self.assertEqual(str(contract.date_end), "2027-01-30")
        contract._waas_renew(months=12)
        self.assertEqual(str(contract.date_end), "2028-01-30")
        renewal = contract._waas_renew(date_end="2028-06-15")
        self.assertEqual(renewal.months, 5)  # 31 Jan to 15 Jun: 4 months and a half
        with self.assertRaisesRegex(UserError, r"must be after its current end"):
            contract._waas_renew(date_end="2028-06-15")

    def test_errors(self):
        contract = self._create_contract(term=12, state="expired")
        with self.assertRaisesRegex(UserError, r"is Expired: only an active contract"):
            contract._waas_renew(months=12)
        with self.assertRaisesRegex(UserError, r"Choose an extension"):
            self._create_contract(term=12)._waas_renew()

    def test_wizard_batch_calls_hook_once(self):
        contracts = self._create_contract(term=12) | self._create_contract(term=24)
        too_long = self._create_contract(term=36)
        renewed = self._count_hook("_on_renewed")
        wizard = Form(
            self.env["waas.contract.renew"]
            .with_user(self.user_waas)
            .with_context(default_contract_ids=[Command.set(contracts.ids)])
        )
        wizard.extension = "12"
        wizard.save().action_confirm()
        self.assertEqual(contracts.mapped("renewal_count"), [1, 1])
        self.assertEqual(
            [str(d) for d in contracts.mapped("date_end")], ["2027-12-31", "2028-12-31"]
        )
        self.assertEqual(len(renewed), 1)
        self.assertEqual(renewed[0][0], contracts)
        self.assertEqual(len(renewed[0][1][0]), 2)
        # One contract that cannot be renewed: nothing is renewed.
        with self.assertRaisesRegex(UserError, r"36 months"):
            (contracts | too_long)._waas_renew(months=12)
        self.assertEqual(contracts.mapped("renewal_count"), [1, 1])
        self.assertEqual(len(renewed), 1)

    def test_wizard_preview(self):
        contract = self._create_contract(term=24)
        wizard = Form(
            self.env["waas.contract.renew"].with_context(
                default_contract_ids=[Command.set(contract.ids)]
            )
        )
        self.assertEqual(str(wizard.date_end_preview), "2028-12-31")
        self.assertEqual(str(wizard.date_max_end), "2028-12-31")
        wizard.extension = "date"
        wizard.date_end = "2028-06-30"
        wizard.save().action_confirm()
        self.assertEqual(contract.renewal_ids.months, 6)
