"""Connector to the ALSO Cloud Marketplace (Microsoft 365 subscriptions).

JSON over HTTPS, authenticated with ``Authorization: Bearer <API key>``:

- ``POST   {endpoint}/subscriptions`` with ``{"sku", "product", "seats", "customer": {"name",
  "vat", "country"}, "reseller": {"name", "vat"}, "contract", "reference"}`` and an
  ``Idempotency-Key`` header (the same key for every attempt of the same licence, so a retry
  after a lost answer never creates a second subscription) -> ``{"id": "<subscription id>"}``;
- ``PATCH  {endpoint}/subscriptions/<id>`` with ``{"sku", "seats"}`` -> a JSON object or no
  content;
- ``DELETE {endpoint}/subscriptions/<id>`` -> no content (404: already gone, fine).

Every failure (unreachable, timeout, HTTP error status, an answer that is not the expected
JSON) raises :class:`MarketplaceError` with a readable reason; nothing else escapes.
"""

import requests

from odoo import api, models

DEFAULT_TIMEOUT = 10  # seconds
PARAM_PREFIX = "also_waas.marketplace_"


class MarketplaceError(Exception):
    """A call to the Cloud Marketplace failed; ``str(error)`` is the reason for users."""


class WaasMarketplace(models.AbstractModel):
    _name = "waas.marketplace"
    _description = "ALSO Cloud Marketplace Connector"

    @api.model
    def _get_config(self):
        # The connection settings are system parameters (readable by administrators only):
        # the connector reads them for whichever user triggers a synchronisation.
        params = self.env["ir.config_parameter"].sudo()
        try:
            timeout = float(params.get_param(PARAM_PREFIX + "timeout") or DEFAULT_TIMEOUT)
        except ValueError:
            timeout = DEFAULT_TIMEOUT
        return {
            "url": (params.get_param(PARAM_PREFIX + "url") or "").strip().rstrip("/"),
            "api_key": (params.get_param(PARAM_PREFIX + "api_key") or "").strip(),
            "timeout": timeout if timeout > 0 else DEFAULT_TIMEOUT,
            "manual": params.get_param(PARAM_PREFIX + "manual") in ("True", "1", "true"),
            "dbuuid": params.get_param("database.uuid") or "",
        }

    @api.model
    def _is_manual(self):
        """Manual mode: staff create the subscriptions and enter their id themselves."""
        return self._get_config()["manual"]

    @api.model
    def _request(self, method, path, payload=None, headers=None, accept_404=False):
        """One call; returns the decoded JSON object ({} for an empty answer)."""
        config = self._get_config()
        _ = self.env._
        if not config["url"]:
            raise MarketplaceError(
                _("The Cloud Marketplace endpoint is not configured (WaaS settings).")
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
        dbuuid = self._get_config()["dbuuid"]
        data = self._request(
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
            "PATCH",
            f"/subscriptions/{requests.utils.quote(licence.marketplace_ref, safe='')}",
            {"sku": payload["sku"], "seats": payload["seats"]},
        )

    @api.model
    def _cancel_subscription(self, licence):
        """Cancel the subscription (an unknown one counts as cancelled)."""
        self._request(
            "DELETE",
            f"/subscriptions/{requests.utils.quote(licence.marketplace_ref, safe='')}",
            accept_404=True,
        )
