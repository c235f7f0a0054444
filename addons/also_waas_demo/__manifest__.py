# Copyright 2026 ALSO Holding AG
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "ALSO WaaS Demo Companies",
    "summary": "Demo: ALSO Nederland and ALSO Belgium in euros with their Dutch and Belgian "
    "localisation, Dutch users",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Hidden",
    "website": "https://www.also.com",
    "author": "ALSO WaaS team",
    "license": "LGPL-3",
    "depends": [
        "also_waas",
        "also_waas_commission",
        "also_waas_returns",
        "l10n_nl",
        "l10n_be",
    ],
    "data": [],
    "demo": [
        "demo/res_lang_demo.xml",
        "demo/res_company_demo.xml",
        "demo/res_users_demo.xml",
        "demo/waas_deal_be_demo.xml",
    ],
    "assets": {
        "web.assets_tests": ["also_waas_demo/static/tests/tours/**/*"],
    },
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "installable": True,
}
