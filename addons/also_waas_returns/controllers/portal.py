"""Portal of the returns: the reseller or the end customer books the return of an ending
or ended contract (self-return at its own risk, or a paid secure pickup), follows it and
downloads the data-wipe certificate.

Contracts and returns are searched AS THE PORTAL USER (the portal rules of also_waas and
of this addon decide what is found) or checked with ``_document_check_access``; only those
records are read or written with ``sudo()``, after every input was validated. The return's
buttons (``action_*``) refuse portal users: the booking route calls them in superuser mode
after its own checks. Only the end customer's own users accept the risk of a self-return;
a reseller books a secure pickup.
"""

import re
from datetime import timedelta

from odoo import _, fields, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request

from odoo.addons.also_waas.controllers.portal import (
    WAAS_PORTAL_DOCUMENT,
    WAAS_PORTAL_GET,
    WAAS_PORTAL_PAGE,
    WAAS_PORTAL_POST,
    WaasCustomerPortal,
)

from ..models.waas_return import OPEN_STATES

TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
CERTIFICATE_STATES = ("wiped", "done")


class WaasReturnPortal(WaasCustomerPortal):
    def _waas_return_domain(self):
        """The returns of the contracts the user sees: as their reseller or end customer."""
        return self._waas_contract_domain()

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "waas_return_count" in counters:
            values["waas_return_count"] = self._waas_count(
                "waas.return", self._waas_return_domain()
            )
        return values

    # ------------------------------------------------------------------ list and detail
    @http.route(["/my/waas/returns", "/my/waas/returns/page/<int:page>"], **WAAS_PORTAL_PAGE)
    def portal_my_waas_returns(self, page=1, **kw):
        returns, pager = self._waas_page(
            "waas.return",
            self._waas_return_domain(),
            "/my/waas/returns",
            page,
            order="id desc",
            history="my_waas_returns_history",
        )
        values = self._waas_prepare_layout(
            "waas_returns",
            # sudo: only the returns found above under the portal rules, to show names.
            returns=returns.sudo(),
            pager=pager,
            default_url="/my/waas/returns",
        )
        return request.render("also_waas_returns.portal_my_waas_returns", values)

    @http.route("/my/waas/returns/<int:return_id>", **WAAS_PORTAL_DOCUMENT)
    def portal_my_waas_return(self, return_id, access_token=None, message=None, **kw):
        return_sudo = self._waas_document_sudo("waas.return", return_id, access_token)
        if not return_sudo:
            return request.redirect("/my")
        values = self._waas_prepare_layout(
            "waas_return",
            waas_return=return_sudo,
            message=message,
            certificate_ready=return_sudo.state in CERTIFICATE_STATES,
        )
        values = self._get_page_view_values(
            return_sudo, access_token, values, "my_waas_returns_history", False
        )
        return request.render("also_waas_returns.portal_my_waas_return", values)

    @http.route("/my/waas/returns/<int:return_id>/certificate", **WAAS_PORTAL_DOCUMENT)
    def portal_my_waas_return_certificate(self, return_id, access_token=None, download=None):
        """The data-wipe certificate (PDF), once the devices are wiped."""
        return_sudo = self._waas_document_sudo("waas.return", return_id, access_token)
        if not return_sudo:
            return request.redirect("/my")
        if return_sudo.state not in CERTIFICATE_STATES:
            raise request.not_found()
        return self._show_report(
            model=return_sudo,
            report_type="pdf",
            report_ref="also_waas_returns.waas_return_report_wipe_certificate",
            download=download == "true",
        )

    # ------------------------------------------------------------------ booking
    def _waas_bookable_contract(self, contract_id):
        """(contract (sudo), its draft return (sudo) or empty, open return already
        booked (sudo) or empty) for a contract the portal user may read; 404 otherwise
        or when the contract is neither ending nor ended."""
        contract = request.env["waas.contract"].search(
            [("id", "=", contract_id), *self._waas_contract_domain()]
        )
        if not contract:
            raise request.not_found()
        contract_sudo = contract.sudo()  # checked above under the portal rules
        open_returns = contract_sudo.waas_return_ids.filtered(lambda r: r.state in OPEN_STATES)
        draft = open_returns.filtered(lambda r: r.state == "draft")[:1]
        booked = (open_returns - draft)[:1]
        today = fields.Date.context_today(contract_sudo)
        ending = contract_sudo.state != "active" or contract_sudo._waas_portal_ending_soon(today)
        if not ending and not draft:
            raise request.not_found()
        return contract_sudo, draft, booked

    def _waas_is_end_customer(self, contract_sudo):
        """Whether the portal user belongs to the contract's end customer (and may accept
        the risk of a self-return), not to its reseller."""
        customer = contract_sudo.partner_id.commercial_partner_id
        return self._waas_partner() == customer

    def _waas_booking_values(self, contract_sudo, post=None, error=None, error_fields=()):
        post = post or {}
        customer = contract_sudo.partner_id.commercial_partner_id
        today = fields.Date.context_today(contract_sudo)
        user_partner = request.env.user.partner_id
        values = self._waas_prepare_layout(
            "waas_return_book",
            contract=contract_sudo,
            customer=customer,
            is_end_customer=self._waas_is_end_customer(contract_sudo),
            fee=contract_sudo.company_id.waas_pickup_fee_amount,
            fee_currency=contract_sudo.company_id.currency_id,
            min_date=today + timedelta(days=1),
            post={
                "method": "pickup",
                "pickup_date": (today + timedelta(days=3)).isoformat(),
                "time_from": "09:00",
                "time_to": "12:00",
                "street": customer.street or "",
                "zip": customer.zip or "",
                "city": customer.city or "",
                "contact_name": user_partner.name or "",
                "contact_phone": user_partner.phone or user_partner.mobile or "",
                "contact_email": user_partner.email or "",
                **post,
            },
            error=error,
            error_fields=set(error_fields),
        )
        return values

    @http.route("/my/waas/contracts/<int:contract_id>/return", **WAAS_PORTAL_GET)
    def portal_my_waas_return_form(self, contract_id, **kw):
        contract_sudo, _draft, booked = self._waas_bookable_contract(contract_id)
        if booked:
            return request.redirect(booked.access_url)
        return request.render(
            "also_waas_returns.portal_my_waas_return_book",
            self._waas_booking_values(contract_sudo),
        )

    @http.route("/my/waas/contracts/<int:contract_id>/return/book", **WAAS_PORTAL_POST)
    def portal_my_waas_return_book(self, contract_id, **post):
        """Book the return (CSRF-checked: Odoo's default for POST)."""
        contract_sudo, draft, booked = self._waas_bookable_contract(contract_id)
        if booked:
            return request.redirect(booked.access_url)
        post.pop("csrf_token", None)
        try:
            vals, contact_vals, address_vals = self._waas_validate_booking(contract_sudo, post)
        except ValidationError as error:
            values = self._waas_booking_values(
                contract_sudo, post, error.args[0], getattr(error, "waas_fields", ())
            )
            return request.render("also_waas_returns.portal_my_waas_return_book", values)
        # sudo: portal users cannot write returns nor partners, and the return's buttons
        # are for ALSO's users. The contract was checked under the portal rules above and
        # every input validated (a self-return only by the end customer's own users); only
        # this contract's return and contacts of its own end customer are written. The
        # return gets ALSO's responsible (salesperson of the deal, else logistics).
        try:
            with request.env.cr.savepoint():
                ret = draft or request.env["waas.return"].sudo().create(
                    {"contract_id": contract_sudo.id}
                )
                Partner = request.env["res.partner"].sudo()
                if contact_vals:
                    vals["pickup_contact_id"] = Partner.create(contact_vals).id
                if address_vals:
                    vals["pickup_address_id"] = Partner.create(address_vals).id
                responsible = ret._waas_responsible()
                if responsible != ret.user_id:
                    vals["user_id"] = responsible.id
                ret.write(vals)
                if ret.method == "self_return":
                    ret._waas_portal_acknowledge_risk()
                ret.action_confirm()
                if ret.method == "pickup":
                    ret._create_activities(
                        _("Secure pickup booked in the portal"),
                        {
                            ret.id: _(
                                "%(user)s booked the secure pickup of %(count)s device(s) on "
                                "%(date)s: arrange the courier.",
                                user=request.env.user.name,
                                count=len(ret.line_ids),
                                date=ret.pickup_date,
                            )
                        },
                    )
        except (AccessError, UserError, ValidationError) as error:
            values = self._waas_booking_values(contract_sudo, post, error.args[0])
            return request.render("also_waas_returns.portal_my_waas_return_book", values)
        return request.redirect(f"{ret.access_url}?message=booked")

    def _waas_error(self, message, fields_=()):
        error = ValidationError(message)
        error.waas_fields = fields_
        return error

    def _waas_validate_booking(self, contract_sudo, post):
        """Check the booking form.

        :return: (values of the return, values of a new pickup contact or None, values of
            a new pickup address or None)
        :raise ValidationError: with a message for the form; nothing is written.
        """
        method = post.get("method")
        if method == "self_return":
            if not self._waas_is_end_customer(contract_sudo):
                raise self._waas_error(
                    _(
                        "Only %(customer)s can accept the risk of a self-return: book a secure "
                        "pickup, or ask the end customer to book the self-return in its own "
                        "portal.",
                        customer=contract_sudo.partner_id.commercial_partner_id.name,
                    ),
                    ("method",),
                )
            if not post.get("accept_risk"):
                raise self._waas_error(
                    _(
                        "A self-return travels at your own risk: tick the box to accept it, "
                        "or book a secure pickup."
                    ),
                    ("accept_risk",),
                )
            return {"method": "self_return"}, None, None
        if method != "pickup":
            raise self._waas_error(_("Choose a self-return or a secure pickup."), ("method",))
        today = fields.Date.context_today(contract_sudo)
        try:
            pickup_date = fields.Date.to_date(post.get("pickup_date") or "")
        except ValueError:
            pickup_date = None
        if not pickup_date or pickup_date <= today:
            raise self._waas_error(_("Choose a pickup date after today."), ("pickup_date",))
        hours = []
        for key in ("time_from", "time_to"):
            match = TIME_RE.match((post.get(key) or "").strip())
            if not match:
                raise self._waas_error(
                    _("Enter the pickup window as hours and minutes, e.g. 09:00."), (key,)
                )
            hours.append(int(match.group(1)) + int(match.group(2)) / 60.0)
        # A booked window has an end: the rule of the return, without the "not set yet".
        if not hours[1] or not request.env["waas.return"]._waas_pickup_window_ok(*hours):
            raise self._waas_error(
                _("The pickup window must end after it starts."), ("time_from", "time_to")
            )
        contact_name = (post.get("contact_name") or "").strip()[:128]
        contact_phone = (post.get("contact_phone") or "").strip()[:64]
        if not contact_name or not contact_phone:
            raise self._waas_error(
                _("Enter the name and phone number of the person who hands the devices over."),
                ("contact_name", "contact_phone"),
            )
        street = (post.get("street") or "").strip()[:128]
        city = (post.get("city") or "").strip()[:128]
        zip_code = (post.get("zip") or "").strip()[:24]
        if not street or not city:
            raise self._waas_error(
                _("Enter the pickup address (street and city)."), ("street", "city")
            )
        customer = contract_sudo.partner_id.commercial_partner_id
        address_vals = None
        if (street, zip_code, city) != (
            customer.street or "",
            customer.zip or "",
            customer.city or "",
        ):
            address_vals = {
                "type": "delivery",
                "parent_id": customer.id,
                "name": _("Pickup address"),
                "street": street,
                "zip": zip_code,
                "city": city,
                "country_id": customer.country_id.id,
            }
        contact_vals = {
            "type": "contact",
            "parent_id": customer.id,
            "name": contact_name,
            "phone": contact_phone,
            "email": (post.get("contact_email") or "").strip()[:128] or False,
        }
        vals = {
            "method": "pickup",
            "pickup_date": pickup_date,
            "pickup_time_from": hours[0],
            "pickup_time_to": hours[1],
        }
        if not address_vals:
            vals["pickup_address_id"] = customer.id
        return vals, contact_vals, address_vals
