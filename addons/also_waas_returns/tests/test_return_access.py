from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import ReturnsCommon


@tagged("post_install", "-at_install")
class TestReturnAccess(ReturnsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ctx = {"no_reset_password": True}
        env = cls.env(context=dict(cls.env.context, **ctx))
        cls.portal_customer = new_test_user(
            env, login="ret_portal_customer", groups="base.group_portal"
        )
        cls.portal_customer.partner_id.parent_id = cls.customer
        cls.portal_reseller = new_test_user(
            env, login="ret_portal_reseller", groups="base.group_portal"
        )
        cls.portal_reseller.partner_id.parent_id = cls.reseller
        cls.portal_reseller_b = new_test_user(
            env, login="ret_portal_reseller_b", groups="base.group_portal"
        )
        cls.portal_reseller_b.partner_id.parent_id = cls.reseller_b
        cls.ret = cls._ended_contract().waas_return_ids
        cls.ret_be = cls._ended_contract(
            partner=cls.customer_be, reseller=cls.reseller_b
        ).waas_return_ids

    def _visible(self, user):
        Return = self.env["waas.return"].with_user(user)
        return Return.search([("id", "in", (self.ret | self.ret_be).ids)])

    def test_portal_end_customer_reads_own_returns_only(self):
        self.assertEqual(self._visible(self.portal_customer), self.ret)
        ret = self.ret.with_user(self.portal_customer)
        self.assertEqual(ret.line_ids.lot_id, self.ret.line_ids.lot_id)
        with self.assertRaises(AccessError):
            ret.write({"method": "pickup"})
        with self.assertRaises(AccessError):
            self.ret_be.with_user(self.portal_customer).read(["name"])

    def test_portal_resellers_see_their_sales_only(self):
        self.assertEqual(self._visible(self.portal_reseller), self.ret)
        self.assertEqual(self._visible(self.portal_reseller_b), self.ret_be)
        with self.assertRaises(AccessError):
            self.ret.with_user(self.portal_reseller_b).read(["name"])

    def test_internal_roles(self):
        with self.assertRaises(AccessError):
            self._visible(self.user_internal)
        ret = self.ret.with_user(self.user_waas)
        ret.write({"method": "pickup"})
        with self.assertRaises(AccessError):
            ret.unlink()
        self.assertEqual(self._visible(self.user_accountant), self.ret | self.ret_be)
        with self.assertRaises(AccessError):
            self.ret.with_user(self.user_accountant).write({"method": "pickup"})
        self.ret.with_user(self.user_manager).unlink()
        self.assertFalse(self.ret.exists())

    def test_multi_company(self):
        other = self.env["res.company"].create({"name": "Test WaaS Company 2"})
        user = new_test_user(
            self.env,
            login="ret_company_2",
            groups="also_waas.group_waas_user",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        self.assertFalse(self._visible(user))
        self.assertFalse(
            self.env["waas.return.line"].with_user(user).search([("return_id", "=", self.ret.id)])
        )
