"""One step of a fault check (tests/harness/faults.py) in its own Odoo process.

Usage: python3 fault_worker.py ACTION DB BATCH N -- <odoo config arguments>

ACTION is ``prepare`` (N committed active contracts of the reseller "Fault Reseller BATCH",
started last month, so two monthly periods are due each), ``invoice`` (the invoice run
of that reseller's contracts in batches of N contracts, as Odoo's cron runner drives the
scheduled action: a commit per batch), ``prepare_commission`` (N such contracts with a
commission line each) or ``settle`` (the settlement wizard of that reseller, confirmed as one
user does it), ``prepare_pickup`` (N such contracts ended, their returns set up as secure
pickups) or ``confirm_pickup`` (those pickups confirmed, as one user does it),
``prepare_send`` (N such contracts invoiced and posted, their customers with an e-mail
address, nothing else left to send) or ``send`` (the scheduled sending in batches of N, a
commit per batch as Odoo's cron runner does). Prints
one JSON line with what it did, so the parent can tell which process did the work.
"""

import json
import sys
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_worker import _bench_partners, _create_contracts  # noqa: E402

MONTHS_DUE = 2


def first_start():
    return date.today().replace(day=1) - relativedelta(months=MONTHS_DUE - 1)


def reseller(env, batch):
    return _bench_partners(env, f"Fault Reseller {batch}", 1, waas_is_reseller=True)


def prepare(env, batch, n):
    customers = _bench_partners(env, "Fault End Customer", 20, country_id=env.ref("base.nl").id)
    start = first_start()
    contracts = _create_contracts(env, n, reseller(env, batch), customers, lambda _i: start)
    return {"contracts": len(contracts)}


def invoice(env, batch, chunk):
    """The invoice run as Odoo's cron runner drives the scheduled action: one batch per
    transaction, committed, called again while contracts remain; a serialization conflict
    with the other run rolls the batch back and calls again (the action re-triggers)."""
    from psycopg2.errors import SerializationFailure  # noqa: PLC0415

    res = reseller(env, batch)
    contracts = env["waas.contract"]
    domain = [("reseller_id", "=", res.id)]
    today = date.today()
    invoices = 0
    while True:
        try:
            ids, moves, _remaining = contracts._waas_invoice_batch(
                today, limit=chunk, domain=domain
            )
        except SerializationFailure:
            env.cr.rollback()
            env.invalidate_all(flush=False)
            continue
        if not ids:
            break
        invoices += len(moves)
        env.cr.commit()
        env.invalidate_all()
    env.cr.commit()
    return {"invoices": invoices}


def prepare_commission(env, batch, n):
    """``n`` contracts of the batch's reseller, each with a commission line to settle."""
    prepare(env, batch, n)
    res = reseller(env, batch)
    contracts = env["waas.contract"].search([("reseller_id", "=", res.id)])
    env["waas.commission.line"].with_context(tracking_disable=True).create(
        [
            {
                "contract_id": contract.id,
                "reseller_id": res.id,
                "event": "new",
                "name": f"Fault commission {contract.name}",
                "amount": 150.0,
                "date": date.today(),
            }
            for contract in contracts
        ]
    )
    env.cr.commit()
    return {"lines": len(contracts)}


def settle(env, batch, n):
    """The settlement wizard of the batch's reseller, confirmed as a user's click is: a
    concurrency failure is retried like Odoo retries an RPC call."""
    from odoo.service.model import retrying  # noqa: PLC0415

    def confirm():
        wizard = env["waas.commission.settle"].create(
            {"date_to": date.today(), "reseller_ids": [(6, 0, reseller(env, batch).ids)]}
        )
        try:
            wizard.action_settle()
        except UserError:
            return 0  # "nothing to settle": the other click settled everything
        return len(wizard.move_ids)

    from odoo.exceptions import UserError  # noqa: PLC0415

    bills = retrying(confirm, env)
    env.cr.commit()
    return {"bills": bills}


def prepare_pickup(env, batch, n):
    """``n`` such contracts ended with a rented serial each: their returns, set up as secure
    pickups ready to confirm (fee product and price from the company's settings)."""
    prepare(env, batch, n)
    contracts = env["waas.contract"].search([("reseller_id", "=", reseller(env, batch).id)])
    laptop = env.ref("also_waas.waas_demo_bundle_basic").waas_bundle_line_ids[:1].product_id
    lots = env["stock.lot"].create(
        [
            {
                "name": f"FAULT-{batch}-{c.id}",
                "product_id": laptop.id,
                "company_id": c.company_id.id,
            }
            for c in contracts
        ]
    )
    env["waas.device"].create(
        [
            {
                "contract_id": c.id,
                "product_id": laptop.id,
                "lot_id": lot.id,
                "date_delivered": c.date_start,
                "warranty_end": c.date_start + relativedelta(months=36),
            }
            for c, lot in zip(contracts, lots, strict=True)
        ]
    )
    company = env.company
    if company.waas_pickup_fee_amount <= 0 or not company.waas_pickup_fee_product_id:
        company.write(
            {
                "waas_pickup_fee_product_id": env.ref(
                    "also_waas_returns.product_waas_pickup_fee"
                ).id,
                "waas_pickup_fee_amount": 95.0,
            }
        )
    contracts.write({"state": "expired"})
    contracts._on_ended()
    returns = contracts.waas_return_ids
    for ret in returns:
        contact = env["res.partner"].create(
            {"name": f"Fault contact {ret.id}", "parent_id": ret.partner_id.id}
        )
        ret.write(
            {
                "method": "pickup",
                "pickup_date": date.today() + relativedelta(days=3),
                "pickup_time_from": 9.0,
                "pickup_time_to": 12.5,
                "pickup_contact_id": contact.id,
            }
        )
    env.cr.commit()
    return {"returns": len(returns)}


def confirm_pickup(env, batch, n):
    """Button "Confirm" of the batch's pickups, as a user's click is (a concurrency failure
    is retried like Odoo retries an RPC call)."""
    from odoo.service.model import retrying  # noqa: PLC0415

    def confirm():
        returns = env["waas.return"].search(
            [("contract_id.reseller_id", "=", reseller(env, batch).id)]
        )
        returns.action_confirm()
        return len(returns.fee_move_id)

    fees = retrying(confirm, env)
    env.cr.commit()
    return {"fees": fees}


def prepare_send(env, batch, n):
    """``n`` such contracts invoiced and posted (two periods each) for customers with an
    e-mail address; whatever else was queued for sending (demo invoices) is set aside so
    that the check sends exactly these."""
    prepare(env, batch, n)
    customers = _bench_partners(env, "Fault End Customer", 20)
    # An e-mail address, and the address the e-invoice (UBL) requires.
    customers.write(
        {
            "email": "accounts@customer.example.com",
            "street": "Klantweg 5",
            "zip": "3011 AB",
            "city": "Rotterdam",
        }
    )
    Move = env["account.move"]
    Move.search([("waas_send_state", "=", "to_send")]).write({"waas_send_state": False})
    contracts = env["waas.contract"].search([("reseller_id", "=", reseller(env, batch).id)])
    moves = env["waas.contract"]._waas_invoice_run(
        date=date.today(), domain=[("id", "in", contracts.ids)]
    )
    moves.filtered(lambda m: m.state == "draft").action_post()
    env.cr.commit()
    return {"invoices": len(moves.filtered(lambda m: m.waas_send_state == "to_send"))}


def send(env, batch, chunk):
    """The scheduled sending as Odoo's cron runner drives it: one batch per transaction,
    committed, called again while invoices remain (a serialization conflict with the other
    process rolls the batch back and calls again)."""
    from psycopg2.errors import SerializationFailure  # noqa: PLC0415

    Move = env["account.move"]
    handled = 0
    while True:
        try:
            done = Move._cron_waas_send_invoices(chunk_size=chunk)
        except SerializationFailure:
            env.cr.rollback()
            env.invalidate_all(flush=False)
            continue
        if not done:
            break
        handled += done
        env.cr.commit()
        env.invalidate_all()
    env.cr.commit()
    return {"sent": handled}


ACTIONS = {
    "prepare": prepare,
    "invoice": invoice,
    "prepare_commission": prepare_commission,
    "settle": settle,
    "prepare_pickup": prepare_pickup,
    "confirm_pickup": confirm_pickup,
    "prepare_send": prepare_send,
    "send": send,
}


def main():
    action, db, batch, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    odoo_args = sys.argv[sys.argv.index("--") + 1 :]
    import odoo  # noqa: PLC0415 - Odoo is configured from the arguments first
    from odoo.modules.registry import Registry  # noqa: PLC0415

    odoo.tools.config.parse_config([*odoo_args, "-d", db])
    registry = Registry(db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        result = ACTIONS[action](env, batch, n)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
