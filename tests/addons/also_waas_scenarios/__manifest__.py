# Copyright 2026 ALSO Holding AG
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "ALSO WaaS cross-addon scenarios (tests only)",
    "summary": "End-to-end scenarios across the three WaaS addons (test command only)",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "website": "https://www.also.com",
    "author": "ALSO WaaS team",
    "license": "LGPL-3",
    "depends": ["also_waas", "also_waas_commission", "also_waas_returns"],
    # Only its tests import them (property-based tests, frozen clocks, .po files).
    "external_dependencies": {"python": ["freezegun", "hypothesis", "polib"]},
    "data": [],
    "installable": True,
}
