# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).


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
