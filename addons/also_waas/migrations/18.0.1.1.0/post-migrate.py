# Copyright 2026 ALSO Holding AG
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Cloud Marketplace account moves from the database to each company.

Before 18.0.1.1.0 one endpoint, API key, timeout and manual mode (system parameters
``also_waas.marketplace_*``) served every company. Each company without an account of its
own (no endpoint and no key) gets those values; the parameters are then removed.
"""

PARAMS = {
    "url": "also_waas.marketplace_url",
    "api_key": "also_waas.marketplace_api_key",
    "timeout": "also_waas.marketplace_timeout",
    "manual": "also_waas.marketplace_manual",
}


def _old_values(cr):
    cr.execute(
        "SELECT key, value FROM ir_config_parameter WHERE key IN %s",
        [tuple(PARAMS.values())],
    )
    found = dict(cr.fetchall())
    if not found:
        return None
    values = {name: found.get(key) for name, key in PARAMS.items()}
    try:
        timeout = int(float(values["timeout"] or 0))
    except ValueError:
        timeout = 0
    return {
        "url": (values["url"] or "").strip() or None,
        "api_key": (values["api_key"] or "").strip() or None,
        "timeout": timeout if timeout > 0 else 10,
        "manual": (values["manual"] or "").strip() in ("True", "true", "1"),
    }


def migrate(cr, version):
    if not version:
        return
    values = _old_values(cr)
    if values is None:
        return
    cr.execute(
        """
        UPDATE res_company
           SET waas_marketplace_url = %(url)s,
               waas_marketplace_api_key = %(api_key)s,
               waas_marketplace_timeout = %(timeout)s,
               waas_marketplace_manual = %(manual)s
         WHERE COALESCE(waas_marketplace_url, '') = ''
           AND COALESCE(waas_marketplace_api_key, '') = ''
        """,
        values,
    )
    cr.execute("DELETE FROM ir_config_parameter WHERE key IN %s", [tuple(PARAMS.values())])
