# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).

from odoo.addons.also_waas.tools import waas_keep_records


def post_init_hook(env):
    """Every company gets its WaaS reminder policy, and the open WaaS invoices posted
    before the install are dunned by it."""
    env["res.company"]._waas_credit_policy_setup_all()
    env["account.move"].search(
        [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
    )._waas_einvoice_moves()._waas_set_credit_policy()


def uninstall_hook(env):
    """Keep what the reminders point at as plain records: the WaaS policies and their
    levels (sent reminder lines refer to them) now use OCA's base e-mail template, and the
    demo customer, contract and posted invoice stay (a posted invoice is not deleted)."""
    base = env.ref("account_credit_control.email_template_credit_control_base", False)
    ours = [
        env.ref(f"also_waas_credit_control.{xmlid}", False)
        for xmlid in ("mail_template_waas_reminder", "mail_template_waas_final_reminder")
    ]
    templates = env["mail.template"].union(*(template for template in ours if template))
    levels = env["credit.control.policy.level"].search([("email_template_id", "in", templates.ids)])
    if base and levels:
        levels.write({"email_template_id": base.id})
    waas_keep_records(
        env,
        "also_waas_credit_control",
        (
            "credit.control.policy",
            "credit.control.policy.level",
            "res.partner",
            "waas.contract",
            "account.move",
        ),
    )
