import json
import re

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import new_test_user

from .common import WaasCommon


class WaasPortalCommon(WaasCommon):
    """Two resellers and two end customers, each with a portal user, and one deal and
    one contract (with a device) per reseller: A (reseller A, customer NL) and B
    (reseller B, customer BE). Portal logins are their password too."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_waas_portal()

    @classmethod
    def _create_portal_user(cls, company, login, name):
        contact = cls.env["res.partner"].create(
            {"name": name, "parent_id": company.id, "email": f"{login}@example.com"}
        )
        return new_test_user(
            cls.env(context=dict(cls.env.context, no_reset_password=True)),
            login=login,
            name=name,
            groups="base.group_portal",
            partner_id=contact.id,
        )

    @classmethod
    def _setup_waas_portal(cls):
        cls.portal_reseller_a = cls._create_portal_user(cls.reseller, "portal_ra", "Anna Reseller")
        cls.portal_reseller_b = cls._create_portal_user(
            cls.reseller_b, "portal_rb", "Bert Reseller"
        )
        cls.portal_customer_a = cls._create_portal_user(cls.customer, "portal_ca", "Clara Klant")
        cls.portal_customer_b = cls._create_portal_user(cls.customer_be, "portal_cb", "Dirk Klant")
        cls.order_a = cls._create_waas_order(
            partner=cls.customer,
            reseller=cls.reseller,
            products=[(cls.bundle, 1), (cls.upgrade_premium, 1)],
            client_order_ref="REF-ALPHA",
        )
        cls.order_b = cls._create_waas_order(
            partner=cls.customer_be,
            reseller=cls.reseller_b,
            client_order_ref="REF-BRAVO",
        )
        (cls.order_a | cls.order_b).action_quotation_sent()
        today = fields.Date.today()
        start = today - relativedelta(months=35, days=20)
        cls.contract_a = cls._create_contract(
            partner=cls.customer, reseller=cls.reseller, date_start=start, name="CTR-ALPHA-1"
        )
        cls.contract_b = cls._create_contract(
            partner=cls.customer_be,
            reseller=cls.reseller_b,
            date_start=start,
            name="CTR-BRAVO-1",
        )
        cls.device_a = cls._create_portal_device(cls.contract_a, "SN-ALPHA-1")
        cls.device_b = cls._create_portal_device(cls.contract_b, "SN-BRAVO-1")

    @classmethod
    def _create_portal_device(cls, contract, serial, warranty_end=None):
        lot = cls.env["stock.lot"].create(
            {"name": serial, "product_id": cls.laptop.id, "company_id": cls.company.id}
        )
        return cls.env["waas.device"].create(
            {
                "contract_id": contract.id,
                "product_id": cls.laptop.id,
                "lot_id": lot.id,
                "date_delivered": contract.date_start,
                "warranty_end": warranty_end
                or contract.date_start + relativedelta(months=36, days=-1),
            }
        )

    # ------------------------------------------------------------------ http helpers
    def _csrf_token(self, url):
        """The csrf_token of the form on ``url`` (as the logged-in session)."""
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        self.assertTrue(match, f"no csrf_token on {url}")
        return match.group(1)

    def _json(self, url, params):
        """The JSON-RPC answer of ``url`` to ``params`` (as the logged-in session)."""
        return self.url_open(
            url,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}),
            headers={"Content-Type": "application/json"},
        ).json()

    def _post_form(self, form_url, post_url, **data):
        """Post ``data`` to ``post_url`` with the csrf_token of the form on ``form_url``."""
        return self.url_open(post_url, data={"csrf_token": self._csrf_token(form_url), **data})
