# Copyright 2026 ALSO Holding AG
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields

from odoo.addons.also_waas.tools import waas_keep_records

# The end customers of the demo story: they pay their WaaS invoices on time.
STORY_CUSTOMERS = (
    "also_waas.waas_demo_customer_1",
    "also_waas.waas_demo_customer_2",
    "also_waas.waas_demo_customer_3",
    "also_waas_demo.waas_demo_customer_be_1",
)


def post_init_hook(env):
    """Demo story: accounting posted the WaaS invoices of the past months (Post) and the
    end customers of the story paid them on their due date (Register Payment, the button
    of Odoo's wizard), so none of them is in dunning or blocked for new business; this
    month's invoices wait in draft for accounting. Only with the demo data."""
    customers = env["res.partner"]
    for xmlid in STORY_CUSTOMERS:
        customers |= env.ref(xmlid, raise_if_not_found=False) or customers
    if not customers:
        return
    month_start = fields.Date.context_today(env["account.move"]).replace(day=1)
    _post_past_invoices(env, customers, month_start)
    _pay_past_invoices(env, customers, month_start)


def _past_invoices(env, customers, month_start, domain):
    """The story customers' WaaS invoices of the months before ``month_start``."""
    return env["account.move"].search(
        [
            ("commercial_partner_id", "in", customers.ids),
            ("waas_contract_id", "!=", False),
            ("move_type", "=", "out_invoice"),
            ("invoice_date", "<", month_start),
            *domain,
        ]
    )


def _post_past_invoices(env, customers, month_start):
    _past_invoices(env, customers, month_start, [("state", "=", "draft")]).action_post()


def _pay_past_invoices(env, customers, month_start):
    invoices = _past_invoices(
        env,
        customers,
        month_start,
        [("state", "=", "posted"), ("payment_state", "in", ("not_paid", "partial"))],
    )
    # One payment per company, customer and due date, made on the due date (today at the
    # latest: the invoices of a run dated back are due on the day of the run).
    today = fields.Date.context_today(env["account.move"])
    groups = invoices.grouped(lambda m: (m.company_id, m.commercial_partner_id, m.invoice_date_due))
    for (company, _partner, due), moves in groups.items():
        env["account.payment.register"].with_company(company).with_context(
            active_model="account.move", active_ids=moves.ids
        ).create({"payment_date": min(due, today), "group_payment": True}).action_create_payments()


def uninstall_hook(env):
    """The demo partners and deals stay as plain records: the story's invoices, payments
    and contracts point to them (as also_waas keeps its own demo partners and orders)."""
    waas_keep_records(env, "also_waas_demo", ("res.partner", "sale.order"))
