# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "ALSO WaaS Dunning",
    "summary": "Payment reminders per end customer for overdue WaaS invoices, on OCA "
    "account_credit_control; customers in the reminders get no new WaaS business",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Accounting/Accounting",
    "website": "https://www.also.com",
    "author": "ALSO WaaS team",
    "license": "AGPL-3",
    "depends": ["also_waas", "account_credit_control"],
    "data": [
        "security/also_waas_credit_control_security.xml",
        "report/waas_reminder_letter_report.xml",
        "report/waas_reminder_letter_templates.xml",
        "data/mail_template_data.xml",
        "data/credit_control_policy_data.xml",
        "data/credit_control_cron.xml",
        "views/credit_control_policy_views.xml",
        "views/res_partner_views.xml",
        "views/waas_reseller_notice_templates.xml",
        "views/also_waas_credit_control_menus.xml",
    ],
    "demo": ["demo/waas_credit_control_demo.xml"],
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "installable": True,
}
