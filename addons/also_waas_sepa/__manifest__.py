# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "ALSO WaaS SEPA Direct Debit",
    "summary": "Collect WaaS invoices by SEPA direct debit with a mandate signed with the deal",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Accounting/Accounting",
    "website": "https://www.also.com",
    "author": "ALSO WaaS team",
    "license": "AGPL-3",
    "depends": ["also_waas", "account_banking_sepa_direct_debit", "account_payment_return"],
    "external_dependencies": {"python": ["python-stdnum>=1.19"]},
    "data": [
        "data/payment_return_reason_data.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/sale_order_views.xml",
        "views/waas_contract_views.xml",
        "views/waas_credit_check_views.xml",
        "views/waas_portal_templates.xml",
    ],
    "demo": ["demo/waas_sepa_demo.xml"],
    "installable": True,
}
