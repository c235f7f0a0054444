{
    "name": "ALSO WaaS cross-addon scenarios (tests only)",
    "summary": "End-to-end scenarios across the three WaaS addons (test command only)",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "website": "https://www.also.com",
    "author": "ALSO WaaS team",
    "license": "LGPL-3",
    "depends": ["also_waas", "also_waas_commission", "also_waas_returns"],
    "data": [],
    "installable": True,
}
