"""Portal of ALSO WaaS: "My WaaS" for resellers and end customers.

Access model: every list is searched AS THE PORTAL USER, so the ``ir.rule`` of
``security/waas_portal_security.xml`` decide what is found (a reseller: records where its
commercial partner is the reseller; an end customer: its own). Only the records found that
way (or checked with ``_document_check_access``) are rendered with ``sudo()``, the portal
idiom of Odoo's own sale portal, so that related names (end customer, products) can be
shown without giving portal users read access to those models.
"""

import math

from odoo import _, fields, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.addons.sale.controllers.portal import CustomerPortal as SaleCustomerPortal

from ..models.product_template import WAAS_PRICED_KINDS
from ..models.waas_pricelist_item import WAAS_TERMS

MAX_QUANTITY = 999
# How the WaaS portal routes are served (``http.route`` keywords): pages of the logged-in
# portal user; a form (GET) and its submission (POST, CSRF-checked: Odoo's default for
# POST); a document's page, also opened with its access token.
WAAS_PORTAL_PAGE = {"type": "http", "auth": "user", "website": True}
WAAS_PORTAL_GET = {**WAAS_PORTAL_PAGE, "methods": ["GET"]}
WAAS_PORTAL_POST = {**WAAS_PORTAL_PAGE, "methods": ["POST"]}
WAAS_PORTAL_DOCUMENT = {"type": "http", "auth": "public", "website": True}


class WaasSaleCustomerPortal(SaleCustomerPortal):
    """Sale's own portal pages for WaaS quotations: only the end customer signs them, and
    the reseller follows its deals on "My WaaS" (sale's pages carry the signing link)."""

    @staticmethod
    def _waas_is_reseller_side(order_sudo):
        """Whether the request's user is the reseller of this WaaS deal (not its end
        customer)."""
        user = request.env.user
        if not order_sudo.is_waas or user._is_public():
            return False
        signer = user.commercial_partner_id
        return (
            signer == order_sudo.waas_reseller_id.commercial_partner_id
            and signer != order_sudo.partner_id.commercial_partner_id
        )

    def _waas_exclude_resold(self, domain, partner):
        return [
            *domain,
            "|",
            ("is_waas", "=", False),
            ("waas_reseller_id", "!=", partner.commercial_partner_id.id),
        ]

    def _prepare_quotations_domain(self, partner):
        return self._waas_exclude_resold(super()._prepare_quotations_domain(partner), partner)

    def _prepare_orders_domain(self, partner):
        return self._waas_exclude_resold(super()._prepare_orders_domain(partner), partner)

    @http.route()
    def portal_order_page(self, order_id, access_token=None, **kw):
        order_sudo = request.env["sale.order"].sudo().browse(order_id).exists()
        if order_sudo and self._waas_is_reseller_side(order_sudo):
            # The reseller's page of its deal, without the end customer's signing link.
            return request.redirect(f"/my/waas/quotes/{order_sudo.id}")
        return super().portal_order_page(order_id, access_token=access_token, **kw)

    @http.route()
    def portal_quote_accept(self, order_id, access_token=None, name=None, signature=None):
        """Only the end customer signs a WaaS quotation; its signer details are kept."""
        access_token = access_token or request.httprequest.args.get("access_token")
        try:
            order_sudo = self._document_check_access(
                "sale.order", order_id, access_token=access_token
            )
        except (AccessError, MissingError):
            order_sudo = None
        if not order_sudo or not order_sudo.is_waas:
            return super().portal_quote_accept(
                order_id, access_token=access_token, name=name, signature=signature
            )
        user = request.env.user
        refusal = order_sudo._waas_signer_refusal(user)
        if refusal:
            return {"error": refusal}
        result = super().portal_quote_accept(
            order_id, access_token=access_token, name=name, signature=signature
        )
        if isinstance(result, dict) and not result.get("error"):
            # sudo (order_sudo): the signer details are guarded, written with the
            # signature the end customer just gave.
            order_sudo.write(
                order_sudo._waas_prepare_signer_vals(user, request.httprequest.remote_addr)
            )
        return result


class WaasCustomerPortal(CustomerPortal):
    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _waas_partner():
        return request.env.user.commercial_partner_id

    def _waas_is_reseller(self):
        return bool(self._waas_partner().waas_is_reseller)

    def _waas_contract_domain(self):
        partner = self._waas_partner()
        return [
            "|",
            ("reseller_id", "=", partner.id),
            ("partner_id", "child_of", partner.id),
        ]

    def _waas_quote_domain(self):
        return [("is_waas", "=", True), ("waas_reseller_id", "=", self._waas_partner().id)]

    @staticmethod
    def _waas_count(model, domain, allowed=True):
        """A counter of the portal home: the records of ``model`` the portal user finds
        under ``domain`` (its portal rules apply); 0 unless ``allowed`` and readable."""
        Model = request.env[model]
        return Model.search_count(domain) if allowed and Model.has_access("read") else 0

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "waas_contract_count" in counters:
            values["waas_contract_count"] = self._waas_count(
                "waas.contract", self._waas_contract_domain()
            )
        if "waas_quote_count" in counters:
            values["waas_quote_count"] = self._waas_count(
                "sale.order", self._waas_quote_domain(), self._waas_is_reseller()
            )
        if "waas_price_count" in counters:
            values["waas_price_count"] = self._waas_count(
                "waas.pricelist.item", [], self._waas_is_reseller()
            )
        return values

    def _waas_prepare_layout(self, page_name, **extra):
        values = self._prepare_portal_layout_values()
        values.update(
            page_name=page_name,
            waas_partner=self._waas_partner(),
            waas_is_reseller=self._waas_is_reseller(),
            **extra,
        )
        return values

    def _waas_reseller_or_404(self):
        if not self._waas_is_reseller():
            raise request.not_found()

    def _waas_page(self, model, domain, url, page, order=None, history=None):
        """(records, pager): one page of the records of ``model`` under ``domain``,
        searched AS THE PORTAL USER (its portal rules apply). ``history`` names the session
        key that the detail pages read for their previous/next buttons."""
        Model = request.env[model]
        pager = portal_pager(
            url=url, total=Model.search_count(domain), page=page, step=self._items_per_page
        )
        records = Model.search(
            domain, order=order, limit=self._items_per_page, offset=pager["offset"]
        )
        if history:
            request.session[history] = records.ids[:100]
        return records, pager

    @staticmethod
    def _waas_blocked_customers(records):
        """The end customers (commercial partners) of ``records`` (quotations or
        contracts, sudo) that are blocked for new WaaS business in the record's company:
        a recordset, without amounts or reasons (the reseller sees only that a customer is
        blocked). One batch per company, whatever the number of records."""
        Partner = request.env["res.partner"].sudo()
        blocked = Partner
        for company, group in records.sudo().grouped("company_id").items():
            blocked |= Partner.browse(group.partner_id._waas_blocked_ids(company))
        return blocked

    def _waas_document_sudo(self, model, record_id, access_token):
        """The record (sudo) if the user may read it or brings its access token, else None
        (the detail page then goes back to /my)."""
        try:
            return self._document_check_access(model, record_id, access_token=access_token)
        except (AccessError, MissingError):
            return None

    # ------------------------------------------------------------------ price list
    @http.route("/my/waas/prices", **WAAS_PORTAL_PAGE)
    def portal_my_waas_prices(self, **kw):
        """End-customer monthly prices per term and the reseller's commission."""
        self._waas_reseller_or_404()
        items = request.env["waas.pricelist.item"].search(
            [("company_id", "=", request.env.company.id)]
        )
        rows = self._waas_price_rows(items)
        values = self._waas_prepare_layout("waas_prices", rows=rows, terms=WAAS_TERMS)
        return request.render("also_waas.portal_my_waas_prices", values)

    @staticmethod
    def _waas_price_rows(items):
        """[(product.template (sudo), {term: item (sudo)})], bundles first; products
        blocked for quoting are left out.

        ``items`` were searched as the portal user (price list rule: resellers only);
        sudo only to show the names of those products.
        """
        by_tmpl = {}
        for item in items.sudo():
            if item.product_tmpl_id.waas_quote_blocked:
                continue  # its manufacturer lost the WaaS approval: not quoted any more
            by_tmpl.setdefault(item.product_tmpl_id, {})[item.term_months] = item
        order = {kind: index for index, kind in enumerate(WAAS_PRICED_KINDS)}
        return sorted(
            by_tmpl.items(),
            key=lambda row: (order.get(row[0].waas_kind, 9), row[0].name or ""),
        )

    # ------------------------------------------------------------------ quotations
    @http.route(["/my/waas/quotes", "/my/waas/quotes/page/<int:page>"], **WAAS_PORTAL_PAGE)
    def portal_my_waas_quotes(self, page=1, **kw):
        self._waas_reseller_or_404()
        orders, pager = self._waas_page(
            "sale.order", self._waas_quote_domain(), "/my/waas/quotes", page, order="id desc"
        )
        values = self._waas_prepare_layout(
            "waas_quotes",
            # sudo: only the orders found above under the portal rules, to show names.
            orders=orders.sudo(),
            pager=pager,
            default_url="/my/waas/quotes",
            blocked_customers=self._waas_blocked_customers(orders),
        )
        return request.render("also_waas.portal_my_waas_quotes", values)

    def _waas_known_customers(self):
        """End customers of the reseller's own deals and contracts.

        Grouped queries under the portal rules (no per-record reads, whatever the number
        of deals); sudo only to read the names of those partners.
        """
        partner = self._waas_partner()
        ids = {
            customer.id
            for [customer] in request.env["sale.order"]._read_group(
                self._waas_quote_domain(), groupby=["partner_id"]
            )
        }
        ids |= {
            customer.id
            for [customer] in request.env["waas.contract"]._read_group(
                [("reseller_id", "=", partner.id)], groupby=["partner_id"]
            )
        }
        customers = request.env["res.partner"].browse(ids).sudo().commercial_partner_id
        return customers.sorted("name")

    def _waas_catalogue(self, term):
        """Price items of the term (as the user: resellers only) and partner services."""
        items = request.env["waas.pricelist.item"].search(
            [("company_id", "=", request.env.company.id), ("term_months", "=", term)]
        )
        services = request.env["product.product"].search(
            [("waas_kind", "=", "partner_service"), ("sale_ok", "=", True)]
        )
        return items, services

    def _waas_quote_form_values(self, post=None, error=None, error_fields=()):
        post = post or {}
        items = request.env["waas.pricelist.item"].search(
            [("company_id", "=", request.env.company.id)]
        )
        services = request.env["product.product"].search(
            [("waas_kind", "=", "partner_service"), ("sale_ok", "=", True)]
        )
        customers = self._waas_known_customers()
        return self._waas_prepare_layout(
            "waas_quote_new",
            customers=customers,
            blocked_customers=customers.browse(customers._waas_blocked_ids(request.env.company)),
            rows=self._waas_price_rows(items),
            services=services.sudo(),
            terms=WAAS_TERMS,
            countries=request.env["res.country"].search([]),
            post=post,
            error=error,
            error_fields=set(error_fields),
        )

    @http.route("/my/waas/quotes/new", **WAAS_PORTAL_GET)
    def portal_my_waas_quote_new(self, **kw):
        self._waas_reseller_or_404()
        return request.render("also_waas.portal_my_waas_quote_new", self._waas_quote_form_values())

    @http.route("/my/waas/quotes/create", **WAAS_PORTAL_POST)
    def portal_my_waas_quote_create(self, **post):
        """Create a WaaS quotation from the form (CSRF-checked: Odoo's default)."""
        self._waas_reseller_or_404()
        # A NUL character can be neither stored (PostgreSQL) nor shown again (XML): dropped.
        post = {
            key: value.replace("\x00", "") if isinstance(value, str) else value
            for key, value in post.items()
        }
        try:
            customer_vals, customer, order_vals = self._waas_validate_quote(post)
            existing = customer_vals and self._waas_existing_customer(customer_vals)
        except ValidationError as error:
            values = self._waas_quote_form_values(
                post, error=error.args[0], error_fields=getattr(error, "waas_fields", ())
            )
            return request.render("also_waas.portal_my_waas_quote_new", values)
        # sudo: portal users may not create partners or sale orders. Every input was
        # validated above against what this reseller may read (its customers, the price
        # list items its rule shows, the partner services); the order is bound to the
        # reseller's own commercial partner, and nothing is read back beyond it.
        if existing:
            # Already a customer of this ALSO company: reused as it is (its credit history
            # and portal access stay together); what the reseller typed is not written.
            customer, customer_vals = existing, None
        try:
            with request.env.cr.savepoint():
                if customer_vals:
                    customer = request.env["res.partner"].sudo().create(customer_vals)
                # Shipping address: computed from waas_delivery_to by the deal flow.
                order_vals["partner_id"] = customer.id
                order = request.env["sale.order"].sudo().create(order_vals)
                # The end customer follows its quotation and so finds it in its portal.
                order.message_subscribe(partner_ids=customer.ids)
        except (UserError, ValidationError) as error:
            values = self._waas_quote_form_values(
                post,
                error=error.args[0],
                error_fields=("new_vat",) if customer_vals else (),
            )
            return request.render("also_waas.portal_my_waas_quote_new", values)
        if existing:
            return self._waas_quote_redirect(order.id, "existing_customer")
        return self._waas_quote_redirect(order.id)

    def _waas_existing_customer(self, customer_vals):
        """The customer of this ALSO company with the new end customer's VAT number or
        company registry number (normalised), or no record.

        sudo: portal users read no other partner. Only the match itself is used (as the
        quotation's end customer); the reseller is shown its name, never its data.
        """
        return (
            request.env["res.partner"]
            .sudo()
            ._waas_find_end_customer(
                request.env.company,
                customer_vals["vat"],
                customer_vals["company_registry"],
                request.env["res.country"].browse(customer_vals["country_id"]),
            )
        )

    def _waas_validation_error(self, message, fields_=()):
        error = ValidationError(message)
        error.waas_fields = fields_
        return error

    def _waas_validate_quote(self, post):
        """Check every input of the quotation form.

        :return: (values of a new end customer or None, existing end customer or empty
            recordset, values of the sale.order without its partners)
        :raise ValidationError: with a message for the form; nothing is written.
        """
        reseller = self._waas_partner()
        try:
            term = int(post.get("term") or 0)
        except ValueError:
            term = 0
        if term not in WAAS_TERMS:
            raise self._waas_validation_error(_("Choose a term of 12, 24 or 36 months."), ("term",))
        delivery_to = post.get("delivery_to")
        if delivery_to not in ("reseller", "end_customer"):
            raise self._waas_validation_error(
                _("Choose where the hardware is delivered."), ("delivery_to",)
            )
        # Customer: one of the reseller's own end customers, or a new one.
        customer_vals = None
        customer = request.env["res.partner"]
        customer_key = post.get("customer_id") or "new"
        if customer_key == "new":
            customer_vals = self._waas_validate_new_customer(post)
        else:
            known = self._waas_known_customers()
            try:
                customer = known.filtered(lambda p: p.id == int(customer_key))
            except ValueError:
                customer = known.browse()
            if not customer:
                raise self._waas_validation_error(
                    _("Choose one of your end customers or enter a new one."),
                    ("customer_id",),
                )
        items, services = self._waas_catalogue(term)
        order_lines = self._waas_validate_catalogue_lines(post, items)
        order_lines += self._waas_validate_service_lines(post, services)
        salesperson = reseller.user_id
        order_vals = {
            "is_waas": True,
            "waas_reseller_id": reseller.id,
            "waas_term_months": term,
            "waas_delivery_to": delivery_to,
            "company_id": request.env.company.id,
            # Never the portal user as salesperson: the reseller's account manager.
            "user_id": salesperson.id if salesperson and not salesperson.share else False,
            "client_order_ref": (post.get("client_order_ref") or "").strip()[:64] or False,
            "order_line": order_lines,
        }
        return customer_vals, customer, order_vals

    def _waas_validate_catalogue_lines(self, post, items):
        """Order line commands of the catalogue quantities posted; only products of
        ``items`` (price list items of the term found under the reseller's rule)."""
        items = items.sudo()  # found under the reseller's rule; sudo to read products
        lines = []
        bundle_qty = 0
        for item in items:
            raw = (post.get(f"qty_{item.product_tmpl_id.id}") or "0").strip()
            try:
                qty = int(raw)
            except ValueError:
                raise self._waas_validation_error(
                    _(
                        "The quantity of %(product)s must be a whole number.",
                        product=item.product_tmpl_id.name,
                    ),
                    (f"qty_{item.product_tmpl_id.id}",),
                ) from None
            if qty < 0 or qty > MAX_QUANTITY:
                raise self._waas_validation_error(
                    _(
                        "The quantity of %(product)s must be between 0 and %(max)s.",
                        product=item.product_tmpl_id.name,
                        max=MAX_QUANTITY,
                    ),
                    (f"qty_{item.product_tmpl_id.id}",),
                )
            if not qty:
                continue
            if item.product_tmpl_id.waas_quote_blocked:
                raise self._waas_validation_error(
                    item.product_tmpl_id._waas_quote_blocked_message(),
                    (f"qty_{item.product_tmpl_id.id}",),
                )
            if item.waas_kind == "bundle":
                bundle_qty += qty
            lines.append((item, qty))
        if not bundle_qty:
            raise self._waas_validation_error(
                _("Add at least one workplace bundle to the quotation."), ("catalogue",)
            )
        kind_order = {kind: index for index, kind in enumerate(WAAS_PRICED_KINDS)}
        lines.sort(key=lambda line: kind_order[line[0].waas_kind])
        return [
            fields.Command.create(
                {
                    "product_id": item.product_tmpl_id.product_variant_id.id,
                    "product_uom_qty": qty,
                }
            )
            for item, qty in lines
        ]

    def _waas_validate_service_lines(self, post, services):
        """Order line commands of the reseller's own services (billed by the partner)."""
        order_lines = []
        for service in services.sudo():
            if not post.get(f"service_{service.id}"):
                continue
            note = (post.get(f"service_note_{service.id}") or "").strip()[:200]
            name = service.display_name + (f": {note}" if note else "")
            raw_price = (post.get(f"service_price_{service.id}") or "0").strip()
            try:
                partner_price = float(raw_price.replace(",", "."))
            except ValueError:
                partner_price = -1.0
            # NaN and infinities parse as floats ("nan", "inf"): refused like text.
            if not math.isfinite(partner_price) or partner_price < 0:
                raise self._waas_validation_error(
                    _(
                        "The price of your service %(service)s must be a positive amount.",
                        service=service.display_name,
                    ),
                    (f"service_price_{service.id}",),
                )
            order_lines.append(
                fields.Command.create(
                    {
                        "product_id": service.id,
                        "name": _("%(name)s (billed by the partner)", name=name),
                        "product_uom_qty": 1,
                        "waas_partner_price": partner_price,
                    }
                )
            )
        return order_lines

    def _waas_validate_new_customer(self, post):
        name = (post.get("new_name") or "").strip()
        if not name:
            raise self._waas_validation_error(
                _("Enter the name of the new end customer."), ("new_name",)
            )
        try:
            country = request.env["res.country"].browse(int(post.get("new_country_id") or 0))
        except ValueError:
            country = request.env["res.country"]
        if not country.exists():
            raise self._waas_validation_error(
                _("Choose the country of the new end customer."), ("new_country_id",)
            )
        vat = (post.get("new_vat") or "").replace(" ", "").replace(".", "").upper()
        if not vat:
            raise self._waas_validation_error(
                _("Enter the VAT number of the new end customer."), ("new_vat",)
            )
        registry = (post.get("new_company_registry") or "").strip()[:64]
        # The same checks (python-stdnum) the credit check applies later, at once, on a
        # record in memory only: nothing is written.
        draft = request.env["res.partner"].new(
            {
                "name": name,
                "is_company": True,
                "vat": vat,
                "country_id": country.id,
                "company_registry": registry,
            }
        )
        try:
            request.env["waas.credit.check"]._waas_validate_identifiers(draft)
        except UserError as error:
            raise self._waas_validation_error(
                error.args[0], ("new_vat", "new_company_registry")
            ) from None
        peppol_vals = {}
        if post.get("new_peppol") or (post.get("new_peppol_id") or "").strip():
            # The Peppol ID entered, or the one of the registry number (BE 0208, NL 0106).
            try:
                peppol_vals = request.env["res.partner"]._waas_peppol_vals(
                    (post.get("new_peppol_id") or "").strip()[:64], country, registry
                )
            except ValidationError as error:
                raise self._waas_validation_error(error.args[0], ("new_peppol_id",)) from None
        email = (post.get("new_email") or "").strip()
        if email and "@" not in email:
            raise self._waas_validation_error(
                _("The email address %(email)s is not valid.", email=email), ("new_email",)
            )
        # The signing link goes to this address: never one of the reseller's own.
        problem = request.env["sale.order"]._waas_reseller_email_problem(
            self._waas_partner(), email
        )
        if problem:
            raise self._waas_validation_error(problem, ("new_email",))
        return {
            "name": name[:128],
            "is_company": True,
            "vat": vat,
            "company_registry": registry or False,
            "country_id": country.id,
            "street": (post.get("new_street") or "").strip()[:128] or False,
            "zip": (post.get("new_zip") or "").strip()[:24] or False,
            "city": (post.get("new_city") or "").strip()[:128] or False,
            "email": email or False,
            **peppol_vals,
        }

    @http.route("/my/waas/quotes/<int:order_id>", **WAAS_PORTAL_PAGE)
    def portal_my_waas_quote(self, order_id, **kw):
        order_sudo = self._waas_reseller_quote_sudo(order_id)
        values = self._waas_prepare_layout(
            "waas_quote",
            order=order_sudo,
            customer_details=self._waas_shows_customer_details(order_sudo.partner_id),
            missing=order_sudo._waas_activation_problems()
            if order_sudo.state in ("draft", "sent")
            else [],
            message=kw.get("message"),
            error=request.session.pop("waas_portal_error", None),
            customer_blocked=bool(self._waas_blocked_customers(order_sudo)),
        )
        return request.render("also_waas.portal_my_waas_quote", values)

    def _waas_shows_customer_details(self, customer):
        """Whether the reseller is shown the address and e-mail of this end customer:
        only of one its own portal users entered. A customer ALSO already had (matched by
        VAT or registry number, or created by ALSO) stays a name to the reseller."""
        return customer.create_uid.commercial_partner_id == self._waas_partner()

    def _waas_reseller_quote_sudo(self, order_id):
        """The reseller's own WaaS quotation (checked under the portal rules), sudo."""
        self._waas_reseller_or_404()
        order = request.env["sale.order"].search(
            [("id", "=", order_id), *self._waas_quote_domain()]
        )
        if not order:
            raise request.not_found()
        return order.sudo()

    def _waas_quote_redirect(self, order_id, message=None, error=None):
        """Back to the reseller's quotation page: with a ``message`` key, or with the
        ``error`` shown there once (kept in the session, never echoed from the URL)."""
        if error:
            request.session["waas_portal_error"] = error.args[0]
        url = f"/my/waas/quotes/{order_id}"
        return request.redirect(f"{url}?message={message}" if message else url)

    def _waas_check_customer_not_blocked(self, order_sudo):
        """Refuse (``UserError``, shown on the quotation page) to send a quotation for
        signature when its end customer is blocked for new WaaS business: the message
        says so without amounts or reasons, which are ALSO's credit team's."""
        if self._waas_blocked_customers(order_sudo):
            raise UserError(
                _(
                    "%(customer)s is blocked for new WaaS business by ALSO's credit team: "
                    "the quotation cannot be sent for signature or activated until ALSO "
                    "releases the customer. Please contact your ALSO account manager.",
                    customer=order_sudo.partner_id.commercial_partner_id.name,
                )
            )

    @http.route("/my/waas/quotes/<int:order_id>/credit_check", **WAAS_PORTAL_POST)
    def portal_my_waas_quote_credit_check(self, order_id, **kw):
        """Button "Request Credit Check" of the reseller (CSRF-checked)."""
        order_sudo = self._waas_reseller_quote_sudo(order_id)
        # sudo: portal users cannot write credit checks; the order is the reseller's own
        # (checked above) and the deal flow validates the request itself.
        try:
            with request.env.cr.savepoint():
                order_sudo.action_waas_request_credit_check()
        except (UserError, ValidationError) as error:
            return self._waas_quote_redirect(order_id, error=error)
        return self._waas_quote_redirect(order_id, "credit_requested")

    @http.route("/my/waas/quotes/<int:order_id>/send", **WAAS_PORTAL_POST)
    def portal_my_waas_quote_send(self, order_id, **kw):
        """Button "Send to the End Customer": the quotation is marked sent and the end
        customer (follower) finds it in its portal to sign it (CSRF-checked)."""
        order_sudo = self._waas_reseller_quote_sudo(order_id)
        if order_sudo.state != "draft":
            return self._waas_quote_redirect(order_id)
        try:
            # The signing link goes to the end customer's own e-mail, never the reseller's.
            order_sudo._waas_check_signing_recipient()
            self._waas_check_customer_not_blocked(order_sudo)
        except UserError as error:
            return self._waas_quote_redirect(order_id, error=error)
        # sudo: the reseller's own quotation (checked above), portal users cannot write.
        order_sudo.action_quotation_sent()
        # The end customer gets sale's quotation email with its signing link (queued).
        template = request.env.ref("sale.email_template_edi_sale", raise_if_not_found=False)
        if template:
            order_sudo.message_post_with_source(template.sudo(), subtype_xmlid="mail.mt_comment")
        return self._waas_quote_redirect(order_id, "sent")

    # ------------------------------------------------------------------ contracts
    @http.route(["/my/waas/contracts", "/my/waas/contracts/page/<int:page>"], **WAAS_PORTAL_PAGE)
    def portal_my_waas_contracts(self, page=1, **kw):
        contracts, pager = self._waas_page(
            "waas.contract",
            self._waas_contract_domain(),
            "/my/waas/contracts",
            page,
            history="my_waas_contracts_history",
        )
        values = self._waas_prepare_layout(
            "waas_contracts",
            # sudo: only the contracts found above under the portal rules, for names.
            contracts=contracts.sudo(),
            pager=pager,
            default_url="/my/waas/contracts",
            today=fields.Date.context_today(contracts),
            blocked_customers=self._waas_blocked_customers(contracts)
            if self._waas_is_reseller()
            else request.env["res.partner"],
        )
        return request.render("also_waas.portal_my_waas_contracts", values)

    @http.route("/my/waas/contracts/<int:contract_id>", **WAAS_PORTAL_DOCUMENT)
    def portal_my_waas_contract(self, contract_id, access_token=None, **kw):
        contract_sudo = self._waas_document_sudo("waas.contract", contract_id, access_token)
        if not contract_sudo:
            return request.redirect("/my")
        values = self._waas_prepare_layout(
            "waas_contract",
            contract=contract_sudo,
            today=fields.Date.context_today(contract_sudo),
            renewal_error=kw.get("renewal_error"),
        )
        values = self._get_page_view_values(
            contract_sudo, access_token, values, "my_waas_contracts_history", False
        )
        return request.render("also_waas.portal_my_waas_contract", values)

    @http.route("/my/waas/contracts/<int:contract_id>/renew", **WAAS_PORTAL_POST)
    def portal_my_waas_contract_renew(self, contract_id, extension=None, **post):
        """The end customer's *Renew* (CSRF-checked: Odoo's default for POST): prepare the
        renewal quotation and open it for signing. Only the contract's own end customer
        renews (a reseller or anyone else gets 404); nothing is extended before the credit
        approval, its signature and ALSO's countersignature."""
        partner = self._waas_partner()
        # Searched as the portal user: the portal rules decide what it may see at all.
        contract = request.env["waas.contract"].search(
            [("id", "=", contract_id), ("partner_id", "child_of", partner.id)]
        )
        if not contract or contract.partner_id.commercial_partner_id != partner:
            raise request.not_found()
        # sudo: the user is this contract's end customer (checked above); the renewal
        # quotation is prepared by the contract's own renewal action, which checks the state
        # and the limits.
        contract_sudo = contract.sudo()
        try:
            with request.env.cr.savepoint():
                orders = contract_sudo._waas_portal_renew(extension or "")
        except (UserError, ValidationError) as error:
            return self.portal_my_waas_contract(contract_id, renewal_error=str(error))
        return request.redirect(orders[:1].access_url)
