from odoo.tests import HttpCase, tagged

from odoo.addons.also_waas.tests.common_portal import WaasPortalCommon

from .common import PICKUP_POST, ReturnsCommon


@tagged("post_install", "-at_install")
class TestPortalReturns(HttpCase, WaasPortalCommon, ReturnsCommon):
    """Booking, following and certificates of returns through the portal; A never
    reaches B's returns."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # B's contract ended: its return exists (draft), made by the contract's end hook.
        cls.return_b = cls.env["waas.return"].create({"contract_id": cls.contract_b.id})

    def _book_url(self, contract):
        return f"/my/waas/contracts/{contract.id}/return"

    def _pickup_post(self, token, **values):
        return {"csrf_token": token, **PICKUP_POST, **values}

    def test_reseller_books_pickup(self):
        self.authenticate("portal_ra", "portal_ra")
        page = self.url_open(f"/my/waas/contracts/{self.contract_a.id}").text
        self.assertIn("Book the Return", page)
        token = self._csrf_token(self._book_url(self.contract_a))
        response = self.url_open(
            f"{self._book_url(self.contract_a)}/book", data=self._pickup_post(token)
        )
        self.assertEqual(response.status_code, 200)
        ret = self.contract_a.waas_return_ids
        self.assertEqual(len(ret), 1)
        self.assertEqual(ret.method, "pickup")
        self.assertEqual(ret.state, "scheduled")
        self.assertEqual(str(ret.pickup_date), "2099-01-15")
        self.assertEqual((ret.pickup_time_from, ret.pickup_time_to), (9.0, 12.5))
        self.assertEqual(ret.pickup_address_id, self.customer)
        self.assertEqual(ret.pickup_contact_id.name, "Piet Balie")
        self.assertEqual(ret.pickup_contact_id.parent_id, self.customer)
        self.assertEqual(ret.fee_move_id.amount_untaxed, 95.0)
        self.assertEqual(ret.fee_move_id.partner_id, self.customer)
        self.assertEqual(ret.line_ids.lot_id.name, "SN-ALPHA-1")
        self.assertIn("secure pickup is booked", response.text)
        # Booked once: the form now leads to the return.
        response = self.url_open(self._book_url(self.contract_a), allow_redirects=False)
        self.assertIn(f"/my/waas/returns/{ret.id}", response.headers.get("Location", ""))

    def test_end_customer_self_return_needs_risk_accepted(self):
        self.authenticate("portal_ca", "portal_ca")
        token = self._csrf_token(self._book_url(self.contract_a))
        url = f"{self._book_url(self.contract_a)}/book"
        response = self.url_open(url, data={"csrf_token": token, "method": "self_return"})
        self.assertIn("at your own risk", response.text)
        self.assertFalse(self.contract_a.waas_return_ids)
        self.url_open(url, data={"csrf_token": token, "method": "self_return", "accept_risk": "on"})
        ret = self.contract_a.waas_return_ids
        self.assertEqual(ret.method, "self_return")
        self.assertEqual(ret.state, "scheduled")
        self.assertEqual(ret.risk_ack_by_id, self.portal_customer_a)
        self.assertTrue(ret.expected_date)
        self.assertFalse(ret.fee_move_id)

    def test_bad_pickup_input(self):
        self.authenticate("portal_ra", "portal_ra")
        token = self._csrf_token(self._book_url(self.contract_a))
        url = f"{self._book_url(self.contract_a)}/book"
        cases = [
            ({"pickup_date": "2000-01-01"}, "Choose a pickup date after today."),
            ({"pickup_date": "tomorrow"}, "Choose a pickup date after today."),
            ({"time_from": "25:00"}, "as hours and minutes"),
            ({"time_from": "14:00", "time_to": "10:00"}, "must end after it starts"),
            ({"contact_phone": ""}, "name and phone number"),
            ({"street": ""}, "pickup address"),
            ({"method": "drone"}, "Choose a self-return or a secure pickup."),
        ]
        for values, message in cases:
            response = self.url_open(url, data=self._pickup_post(token, **values))
            self.assertIn(message, response.text, values)
        self.assertFalse(self.contract_a.waas_return_ids)
        # Without the CSRF token: refused.
        data = self._pickup_post(token)
        del data["csrf_token"]
        self.assertEqual(self.url_open(url, data=data).status_code, 400)
        self.assertFalse(self.contract_a.waas_return_ids)

    def test_reseller_a_never_reaches_b_returns(self):
        self.authenticate("portal_ra", "portal_ra")
        token = self._csrf_token(self._book_url(self.contract_a))
        self.assertEqual(self.url_open(self._book_url(self.contract_b)).status_code, 404)
        response = self.url_open(
            f"{self._book_url(self.contract_b)}/book", data=self._pickup_post(token)
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.return_b.state, "draft")
        for url in (
            f"/my/waas/returns/{self.return_b.id}",
            f"/my/waas/returns/{self.return_b.id}/certificate",
        ):
            response = self.url_open(url, allow_redirects=False)
            self.assertIn(response.status_code, (303, 302, 404), url)
            self.assertNotIn("SN-BRAVO-1", response.text)
        listing = self.url_open("/my/waas/returns").text
        self.assertNotIn(self.return_b.name, listing)
        self.assertFalse(
            self.env(user=self.portal_reseller_a)["waas.return"].search(
                [("id", "=", self.return_b.id)]
            )
        )
        # B's reseller and end customer do see it.
        self.assertEqual(
            self.env(user=self.portal_reseller_b)["waas.return"].search([]), self.return_b
        )
        self.assertEqual(
            self.env(user=self.portal_customer_b)["waas.return"].search([]), self.return_b
        )

    def test_wipe_certificate_download(self):
        ret = self.env["waas.return"].create({"contract_id": self.contract_a.id})
        self.authenticate("portal_ca", "portal_ca")
        url = f"/my/waas/returns/{ret.id}/certificate"
        self.assertEqual(self.url_open(url).status_code, 404)  # not wiped yet
        ret.write({"state": "wiped"})
        page = self.url_open(f"/my/waas/returns/{ret.id}").text
        self.assertIn("Data-Wipe Certificate", page)
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn("SN-ALPHA-1", response.text)
        # The shared link with its token works without a login; another token does not.
        self.authenticate(None, None)
        token = ret._portal_ensure_token()
        self.assertEqual(self.url_open(f"{url}?access_token={token}").status_code, 200)
        wrong = self.return_b._portal_ensure_token()
        response = self.url_open(f"{url}?access_token={wrong}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))

    def test_tour_reseller_books_secure_pickup(self):
        self.start_tour(
            f"/my/waas/contracts/{self.contract_a.id}",
            "waas_portal_reseller_pickup",
            login="portal_ra",
        )
        ret = self.contract_a.waas_return_ids
        self.assertEqual(ret.method, "pickup")
        self.assertEqual(ret.state, "scheduled")
        self.assertEqual((ret.pickup_time_from, ret.pickup_time_to), (13.0, 17.0))
        self.assertEqual(ret.pickup_contact_id.phone, "+31 10 555 0101")
        self.assertEqual(ret.fee_move_id.amount_untaxed, 95.0)
