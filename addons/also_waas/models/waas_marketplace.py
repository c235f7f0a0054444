"""Connector to the ALSO Cloud Marketplace (Microsoft 365 subscriptions).

JSON over HTTPS, authenticated with ``Authorization: Bearer <API key>``:

- ``POST   {endpoint}/subscriptions`` with ``{"sku", "product", "seats", "customer": {"name",
  "vat", "country"}, "reseller": {"name", "vat"}, "contract", "reference"}`` and an
  ``Idempotency-Key`` header (the same key for every attempt of the same licence, so a retry
  after a lost answer never creates a second subscription) -> ``{"id": "<subscription id>"}``;
- ``PATCH  {endpoint}/subscriptions/<id>`` with ``{"sku", "seats"}`` -> a JSON object or no
  content;
- ``DELETE {endpoint}/subscriptions/<id>`` -> no content (404: already gone, fine);
- ``PUT    {endpoint}/catalogue`` with the company's WaaS catalogue (one JSON document, see
  ``waas.catalogue.publication._waas_catalogue_payload``) -> a JSON object or no content.

Each company has its own marketplace account (endpoint, API key, timeout, manual mode on
``res.company``): a licence uses its contract's company's, a catalogue its company's.

Every failure (unreachable, timeout, HTTP error status, an answer that is not the expected
JSON) raises :class:`MarketplaceError` with a readable reason; nothing else escapes.
"""

import requests

from odoo import api, models

DEFAULT_TIMEOUT = 10  # seconds


class MarketplaceError(Exception):
    """A call to the Cloud Marketplace failed; ``str(error)`` is the reason for users."""


class WaasMarketplace(models.AbstractModel):
    _name = "waas.marketplace"
    _description = "ALSO Cloud Marketplace Connector"

    @api.model
    def _get_config(self, company):
        """The marketplace account of ``company`` (each ALSO country has its own)."""
        company.ensure_one()
        # sudo: the API key is readable by WaaS Managers and administrators only; the
        # connector uses it for whichever user triggers a synchronisation.
        company = company.sudo()
        timeout = company.waas_marketplace_timeout
        return {
            "url": (company.waas_marketplace_url or "").strip().rstrip("/"),
            "api_key": (company.waas_marketplace_api_key or "").strip(),
            "timeout": timeout if timeout and timeout > 0 else DEFAULT_TIMEOUT,
            "manual": company.waas_marketplace_manual,
            "dbuuid": self.env["ir.config_parameter"].sudo().get_param("database.uuid") or "",
        }

    @api.model
    def _request(self, company, method, path, payload=None, headers=None, accept_404=False):
        """One call to the marketplace of ``company``; returns the decoded JSON object
        ({} for an empty answer)."""
        config = self._get_config(company)
        _ = self.env._
        if not config["url"]:
            raise MarketplaceError(
                _(
                    "The Cloud Marketplace endpoint of %(company)s is not configured "
                    "(Settings > WaaS).",
                    company=company.name,
                )
            )
        all_headers = {"Accept": "application/json", "User-Agent": "ALSO-WaaS-Odoo/18.0"}
        if config["api_key"]:
            all_headers["Authorization"] = f"Bearer {config['api_key']}"
        all_headers.update(headers or {})
        url = config["url"] + path
        try:
            response = requests.request(
                method, url, json=payload, headers=all_headers, timeout=config["timeout"]
            )
        except requests.exceptions.Timeout as error:
            raise MarketplaceError(
                _(
                    "The Cloud Marketplace did not answer within %(timeout)s seconds.",
                    timeout=config["timeout"],
                )
            ) from error
        except requests.exceptions.RequestException as error:
            raise MarketplaceError(
                _("The Cloud Marketplace cannot be reached: %(error)s", error=error)
            ) from error
        if accept_404 and response.status_code == 404:
            return {}
        if response.status_code >= 400:
            raise MarketplaceError(
                _(
                    "The Cloud Marketplace answered HTTP %(status)s: %(body)s",
                    status=response.status_code,
                    body=(response.text or "")[:300],
                )
            )
        if response.status_code == 204 or not response.content.strip():
            return {}
        try:
            data = response.json()
        except ValueError as error:
            raise MarketplaceError(
                _(
                    "The Cloud Marketplace answered something that is not JSON: %(body)s",
                    body=(response.text or "")[:300],
                )
            ) from error
        if not isinstance(data, dict):
            raise MarketplaceError(
                _(
                    "The Cloud Marketplace answered unexpected JSON: %(body)s",
                    body=(response.text or "")[:300],
                )
            )
        return data

    @api.model
    def _subscription_payload(self, licence):
        product = licence.product_id
        sku = product.waas_manufacturer_sku or product.default_code
        if not sku:
            raise MarketplaceError(
                self.env._(
                    "Licence product %(product)s has no manufacturer SKU: the marketplace "
                    "cannot identify it.",
                    product=product.display_name,
                )
            )
        contract = licence.contract_id
        return {
            "sku": sku,
            "product": product.display_name,
            "seats": licence.seats,
            "customer": {
                "name": contract.partner_id.commercial_partner_id.name,
                "vat": contract.partner_id.commercial_partner_id.vat or None,
                "country": contract.partner_id.country_id.code or None,
            },
            "reseller": {
                "name": contract.reseller_id.name,
                "vat": contract.reseller_id.vat or None,
            },
            "contract": contract.name,
            "reference": f"waas.licence/{licence.id}",
        }

    @api.model
    def _create_subscription(self, licence):
        """Create the subscription; returns the marketplace's subscription id."""
        payload = self._subscription_payload(licence)
        dbuuid = self._get_config(licence.company_id)["dbuuid"]
        data = self._request(
            licence.company_id,
            "POST",
            "/subscriptions",
            payload,
            headers={"Idempotency-Key": f"{dbuuid}-waas-licence-{licence.id}"},
        )
        ref = data.get("id")
        if not isinstance(ref, str | int) or isinstance(ref, bool) or not str(ref).strip():
            raise MarketplaceError(
                self.env._(
                    "The Cloud Marketplace answer has no subscription id: %(answer)s",
                    answer=str(data)[:300],
                )
            )
        return str(ref).strip()

    @api.model
    def _update_subscription(self, licence):
        """Change the seats (or the product) of an existing subscription."""
        payload = self._subscription_payload(licence)
        self._request(
            licence.company_id,
            "PATCH",
            f"/subscriptions/{requests.utils.quote(licence.marketplace_ref, safe='')}",
            {"sku": payload["sku"], "seats": payload["seats"]},
        )

    @api.model
    def _cancel_subscription(self, licence):
        """Cancel the subscription (an unknown one counts as cancelled)."""
        self._request(
            licence.company_id,
            "DELETE",
            f"/subscriptions/{requests.utils.quote(licence.marketplace_ref, safe='')}",
            accept_404=True,
        )

    @api.model
    def _publish_catalogue(self, company, payload):
        """Replace the WaaS catalogue of ``company`` at its marketplace by ``payload``."""
        self._request(company, "PUT", "/catalogue", payload)
