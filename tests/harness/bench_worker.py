"""One benchmark measurement in its own Odoo process (so that peak RSS is its own).

Usage: python3 bench_worker.py SCENARIO DB N OUT.json -- <odoo config arguments>

Prints nothing but Odoo's warnings; writes {"seconds", "queries", "peak_rss_mb", ...} to
OUT.json. Scenarios that prepare data commit it; measured scenarios commit their result
the way production does (the invoice run commits per chunk itself).
"""

import json
import os
import resource
import sys
import time
from collections import defaultdict
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Meter:
    def __init__(self, sql_db):
        self.sql_db = sql_db

    def __enter__(self):
        self.started = time.time()  # wall clock, to compare processes running together
        self.t0 = time.perf_counter()
        self.q0 = self.sql_db.sql_counter
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self.ended = time.time()
        self.queries = self.sql_db.sql_counter - self.q0


def period_start():
    return date.today().replace(day=1)


def contract_start(i):
    """Contracts start on every day of the month so far: each has one period due today,
    and the invoices differ in date (as in a real month), not only in customer."""
    return period_start() + timedelta(days=i % date.today().day)


def bench_customers(env):
    """100 end customers, half in the Netherlands and half in Belgium (other taxes)."""
    nl = _bench_partners(env, "Bench End Customer", 50, country_id=env.ref("base.nl").id)
    be = _bench_partners(env, "Bench EU Customer", 50, country_id=env.ref("base.be").id)
    return nl | be


# --------------------------------------------------------------------------- preparing


def _bench_partners(env, prefix, count, **extra):
    Partner = env["res.partner"]
    found = Partner.search([("name", "=like", f"{prefix} %")], order="id")
    if len(found) < count:
        found |= Partner.create(
            [
                {"name": f"{prefix} {i}", "is_company": True, **extra}
                for i in range(len(found), count)
            ]
        )
    return found[:count]


def prepare_waas(env, n, batch):
    """``n`` active contracts (bundle + Premium upgrade), one month due, reseller per batch.
    Whatever else is due (the demo contracts) is invoiced first: the measured runs invoice
    exactly these ``n`` contracts, as the floor and OCA ``contract`` do."""
    env["waas.contract"]._waas_invoice_run()
    reseller = _bench_partners(env, f"Bench Reseller {batch}", 1, waas_is_reseller=True)
    _create_contracts(env, n, reseller)
    return {"contracts": n}


def _create_contracts(env, n, reseller, customers=None, start_of=None):
    """``n`` 36-month contracts (Basic bundle + Premium upgrade) of ``reseller``, created and
    committed 1,000 at a time; contract ``i`` starts on ``start_of(i)``."""
    start_of = start_of or contract_start
    bundle = env.ref("also_waas.waas_demo_bundle_basic")
    upgrade = env.ref("also_waas.waas_demo_upgrade_premium")
    company = env.company
    items = env["waas.pricelist.item"]._get_price_items(
        (bundle | upgrade).product_tmpl_id, 36, company
    )
    price = {p: items[p.product_tmpl_id.id].monthly_price for p in (bundle, upgrade)}
    customers = customers or bench_customers(env)
    Contract = env["waas.contract"].with_context(tracking_disable=True, mail_create_nolog=True)
    contracts = Contract.browse()
    for offset in range(0, n, 1000):
        contracts |= Contract.create(
            [
                {
                    "partner_id": customers[i % len(customers)].id,
                    "reseller_id": reseller.id,
                    "company_id": company.id,
                    "currency_id": company.currency_id.id,
                    "term_months": 36,
                    "date_start": start_of(i),
                    "date_end": start_of(i) + relativedelta(months=36, days=-1),
                    "line_ids": [
                        (0, 0, {"product_id": p.id, "name": p.name, "price_unit": price[p]})
                        for p in (bundle, upgrade)
                    ],
                }
                for i in range(offset, min(n, offset + 1000))
            ]
        )
        env.cr.commit()
    return contracts


def prepare_post(env, n, batch):
    """``n`` contracts due for the run + post (and the sending) measures, of reseller batch
    ``batch``; the company and the customers get what an invoice needs to be sent (VAT
    number, address, e-mail: every invoice goes out by e-mail with PDF and UBL)."""
    company = env.company
    company.write(
        {
            "country_id": env.ref("base.nl").id,
            "vat": "NL004495445B01",
            "street": "Lange Kleiweg 52",
            "zip": "2288 GK",
            "city": "Rijswijk",
            "email": "billing@also.example.com",
        }
    )
    for i, customer in enumerate(bench_customers(env)):
        vals = {"email": f"accounts{i}@customer.example.com", "street": f"Klantweg {i + 1}"}
        if customer.country_id.code == "NL":
            vals.update(vat="NL123456782B01", zip="3011 AB", city="Rotterdam")
        else:  # no VAT or registry number: no Peppol endpoint, e-mail as the Dutch ones
            vals.update(zip="1000", city="Brussel")
        customer.write(vals)
    env.cr.commit()
    return prepare_waas(env, n, batch)


def prepare_portal(env, n):
    """Two reseller portal users: one with 10 contracts and commissions, one with 1,000."""
    for count in (10, 1000):
        reseller = _bench_partners(env, f"Bench Portal Reseller {count}", 1, waas_is_reseller=True)
        env["res.users"].with_context(no_reset_password=True).create(
            {
                "name": reseller.name,
                "login": f"bench{count}",
                "password": f"bench{count}",
                "partner_id": reseller.id,
                "groups_id": [(6, 0, [env.ref("base.group_portal").id])],
            }
        )
        contracts = _create_contracts(env, count, reseller)
        env["waas.commission.line"].create(
            [
                {
                    "contract_id": contract.id,
                    "reseller_id": reseller.id,
                    "event": "new",
                    "name": f"Bench commission {contract.name}",
                    "amount": 150.0,
                }
                for contract in contracts
            ]
        )
        env.cr.commit()
    return {"resellers": 2}


def prepare_oca(env, n):
    """The same ``n`` contracts in OCA ``contract``: two monthly pre-paid lines each."""
    bundle = env.ref("also_waas.waas_demo_bundle_basic")
    upgrade = env.ref("also_waas.waas_demo_upgrade_premium")
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", env.company.id)], limit=1
    )
    items = env["waas.pricelist.item"]._get_price_items(
        (bundle | upgrade).product_tmpl_id, 36, env.company
    )
    customers = bench_customers(env)
    Contract = env["contract.contract"].with_context(tracking_disable=True)
    for offset in range(0, n, 1000):
        Contract.create(
            [
                {
                    "name": f"OCA bench {i}",
                    "partner_id": customers[i % len(customers)].id,
                    "contract_type": "sale",
                    "journal_id": journal.id,
                    "line_recurrence": True,
                    "contract_line_ids": [
                        (
                            0,
                            0,
                            {
                                "product_id": p.id,
                                "name": p.name,
                                "quantity": 1,
                                "uom_id": p.uom_id.id,
                                "price_unit": items[p.product_tmpl_id.id].monthly_price,
                                "recurring_rule_type": "monthly",
                                "recurring_interval": 1,
                                "recurring_invoicing_type": "pre-paid",
                                "date_start": contract_start(i),
                                "recurring_next_date": contract_start(i),
                            },
                        )
                        for p in (bundle, upgrade)
                    ],
                }
                for i in range(offset, min(n, offset + 1000))
            ]
        )
        env.cr.commit()
        env.invalidate_all()
    return {"contracts": n}


def prepare_commission(env, n):
    """``n`` commission lines to settle, spread over 50 resellers (one per contract)."""
    contracts = env["waas.contract"].search(
        [("reseller_id.name", "=like", "Bench Reseller A%")], limit=n, order="id"
    )
    resellers = _bench_partners(env, "Bench Commission Reseller", 50, waas_is_reseller=True)
    Line = env["waas.commission.line"].with_context(tracking_disable=True)
    today = date.today()
    for offset in range(0, len(contracts), 1000):
        Line.create(
            [
                {
                    "contract_id": contract.id,
                    "reseller_id": resellers[i % 50].id,
                    "event": "new",
                    "name": f"Bench commission {contract.name}",
                    "amount": 150.0,
                    "date": today,
                }
                for i, contract in enumerate(contracts[offset : offset + 1000], start=offset)
            ]
        )
        env.cr.commit()
    return {"lines": len(contracts)}


def prepare_devices(env, n):
    """``n`` rented serials on the batch-A contracts, for the sell-out of this month."""
    laptop = env.ref("also_waas.waas_demo_bundle_basic").waas_bundle_line_ids[:1].product_id
    contracts = env["waas.contract"].search(
        [("reseller_id.name", "=like", "Bench Reseller A%")], order="id"
    )
    today = date.today()
    for offset in range(0, n, 5000):
        count = min(5000, n - offset)
        lots = env["stock.lot"].create(
            [{"name": f"BENCH-{offset + i:07d}", "product_id": laptop.id} for i in range(count)]
        )
        env["waas.device"].create(
            [
                {
                    "contract_id": contracts[(offset + i) % len(contracts)].id,
                    "product_id": laptop.id,
                    "lot_id": lot.id,
                    "date_delivered": today,
                }
                for i, lot in enumerate(lots)
            ]
        )
        env.cr.commit()
        env.invalidate_all()
    return {"devices": n}


def _columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = %s AND column_name != 'id'"
        " ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cr.fetchall()]


def _select_list(columns, alias, overrides):
    return ", ".join(overrides.get(col, f'{alias}."{col}"') for col in columns)


def prepare_sellout(env, n):
    """``n`` contracts started this month, each with one rented laptop: ``n`` sell-out rows
    for the laptop's manufacturer. One contract with its device is made by the ORM, the
    others are copied from it in SQL (the ORM would take half an hour for 100,000)."""
    laptop = env.ref("also_waas.waas_demo_bundle_basic").waas_bundle_line_ids[:1].product_id
    template = env["waas.contract"].search(
        [("reseller_id.name", "=like", "Bench Reseller A%")], order="id", limit=1
    )
    lot = env["stock.lot"].create({"name": "BENCH-SO-TEMPLATE", "product_id": laptop.id})
    device = env["waas.device"].create(
        {
            "contract_id": template.id,
            "product_id": laptop.id,
            "lot_id": lot.id,
            "date_delivered": date.today(),
        }
    )
    env.flush_all()
    cr = env.cr
    contract_cols = _columns(cr, "waas_contract")
    line_cols = _columns(cr, "waas_contract_line")
    lot_cols = _columns(cr, "stock_lot")
    device_cols = _columns(cr, "waas_device")
    quoted = lambda cols: ", ".join(f'"{c}"' for c in cols)  # noqa: E731
    for offset in range(0, n, 20000):
        count = min(20000, n - offset)
        cr.execute(
            f"""
            WITH new AS (
                INSERT INTO waas_contract ({quoted(contract_cols)})
                SELECT {_select_list(contract_cols, "c", {"name": "'BENCH-SO-' || g"})}
                  FROM waas_contract c, generate_series(%(first)s, %(last)s) g
                 WHERE c.id = %(contract)s
             RETURNING id, name
            ),
            lines AS (
                INSERT INTO waas_contract_line ({quoted(line_cols)})
                SELECT {_select_list(line_cols, "l", {"contract_id": "new.id"})}
                  FROM new, waas_contract_line l
                 WHERE l.contract_id = %(contract)s
            ),
            lots AS (
                INSERT INTO stock_lot ({quoted(lot_cols)})
                SELECT {_select_list(lot_cols, "t", {"name": "new.name"})}
                  FROM new, stock_lot t
                 WHERE t.id = %(lot)s
             RETURNING id, name
            )
            INSERT INTO waas_device ({quoted(device_cols)})
            SELECT {
                _select_list(
                    device_cols,
                    "d",
                    {"contract_id": "new.id", "lot_id": "lots.id", "serial": "lots.name"},
                )
            }
              FROM new JOIN lots ON lots.name = new.name, waas_device d
             WHERE d.id = %(device)s
            """,
            {
                "first": offset + 1,
                "last": offset + count,
                "contract": template.id,
                "lot": lot.id,
                "device": device.id,
            },
        )
        env.cr.commit()
    return {"devices": n}


# --------------------------------------------------------------------------- measuring


def _due_batch(env, batch):
    return env["waas.contract"].search(
        [
            ("reseller_id.name", "=like", f"Bench Reseller {batch}%"),
            ("date_next_invoice", "<=", date.today()),
        ],
        order="id",
    )


def floor_invoices(env, n, meter):
    """Odoo's floor: one batched ``account.move.create`` of the same invoices."""
    contracts = _due_batch(env, "A")
    journals = env["account.move"]._waas_invoice_journals(contracts.company_id)
    vals_list = []
    for contract in contracts:
        start, end = contract._waas_period_bounds(contract.invoiced_periods)
        vals = contract._waas_prepare_invoice_vals(start, end)
        for key in ("waas_contract_id", "waas_period_start", "waas_period_end"):
            vals.pop(key, None)
        vals["journal_id"] = journals[contract.company_id.id]
        vals["ref"] = f"FLOOR {vals.get('ref')}"
        vals_list.append(vals)
    with meter:
        moves = env["account.move"].create(vals_list)
        env.flush_all()
    env.cr.commit()
    return {"invoices": len(moves)}


def invoice_run(env, n, meter):
    """Our monthly invoice run as accounting starts it: the wizard, all companies, run
    again (each run its own request, committed) until nothing is left due."""
    invoices = 0
    with meter:
        while True:
            wizard = env["waas.invoice.run"].create(
                {"company_ids": [(6, 0, env.user.company_ids.ids)]}
            )
            wizard.action_run()
            env.cr.commit()
            invoices += wizard.invoice_count
            if not wizard.remaining_count:
                break
    return {"invoices": invoices}


def cron_run(env, n, meter):
    """The scheduled action as Odoo's cron runner drives it (``ir.cron._run_job``): one
    batch per call with its progress record, a commit after each, called again while
    contracts remain. ``BENCH_START_AT`` (epoch seconds): workers started together begin
    their run then."""
    start_at = float(os.environ.get("BENCH_START_AT") or 0)
    time.sleep(max(0.0, start_at - time.time()))
    cron = env.ref("also_waas.waas_invoice_run_cron")
    contracts = env["waas.contract"]
    invoices = 0
    with meter:
        while True:
            progress = cron._add_progress()[1]
            env.cr.commit()
            job = contracts.with_context(ir_cron_progress_id=progress.id)
            invoices += job._cron_waas_invoice_run()
            env.cr.commit()
            env.invalidate_all()
            if not progress.remaining:
                break
    return {"invoices": invoices}


def post_run(env, n, meter):
    """Run + post: the scheduled invoice run as the cron runner drives it (``cron_run``),
    the company set to post WaaS invoices at once (each batch posts its invoices with
    ``_waas_post_isolated``, chunk by chunk)."""
    env.company.waas_invoice_auto_post = True
    env.cr.commit()
    try:
        result = cron_run(env, n, meter)
    finally:
        env.company.waas_invoice_auto_post = False
        env.cr.commit()
    batch = os.environ.get("BENCH_BATCH", "P")
    moves = _batch_invoices(env, batch)
    result["posted"] = len(moves.filtered(lambda m: m.state == "posted"))
    return result


def _batch_invoices(env, batch):
    return env["account.move"].search(
        [("waas_contract_id.reseller_id.name", "=like", f"Bench Reseller {batch}%")], order="id"
    )


def send_ours(env, n, meter):
    """Our sending of the posted invoices of batch ``BENCH_BATCH`` (PDF, UBL with the PDF
    embedded, one e-mail queued per invoice) by ``_cron_waas_send_invoices`` as Odoo's cron
    runner drives it: one batch per call, a commit after each, called again while invoices
    remain. Other invoices to send are set aside meanwhile (and queued again after)."""
    moves = _batch_invoices(env, os.environ["BENCH_BATCH"])
    cr = env.cr
    env.flush_all()
    cr.execute(
        "UPDATE account_move SET waas_send_state = NULL"
        " WHERE waas_send_state = 'to_send' AND NOT (id = ANY(%s)) RETURNING id",
        [moves.ids],
    )
    parked = [row[0] for row in cr.fetchall()]
    cr.commit()
    env.invalidate_all()
    cron = env.ref("also_waas.waas_invoice_send_cron")
    Move = env["account.move"]
    handled = 0
    try:
        with meter:
            while True:
                progress = cron._add_progress()[1]
                cr.commit()
                job = Move.with_context(ir_cron_progress_id=progress.id)
                handled += job._cron_waas_send_invoices()
                cr.commit()
                env.invalidate_all()
                if not progress.remaining:
                    break
    finally:
        cr.rollback()
        if parked:
            cr.execute(
                "UPDATE account_move SET waas_send_state = 'to_send' WHERE id = ANY(%s)", [parked]
            )
        cr.commit()
    states = defaultdict(int)
    for move in Move.browse(moves.ids):
        states[move.waas_send_state or "none"] += 1
    mails = env["mail.mail"].search_count(
        [("model", "=", "account.move"), ("res_id", "in", moves.ids)]
    )
    return {"invoices": handled, "sent": states["sent"], "failed": states["error"], "mails": mails}


def send_odoo(env, n, meter):
    """Odoo's own Send on ``n`` of the same invoices (batch P, not sent yet), as its Send
    wizard sends an invoice: ``account.move.send._generate_and_send_invoices`` for one
    invoice at a time (its PDF, the UBL with the PDF embedded, a Factur-X XML in the PDF,
    the e-mail queued: ``mail_notify_force_send`` off, as ours only queues). Rolled back:
    the invoices are then sent by ours."""
    moves = env["account.move"].search(
        [
            ("waas_contract_id.reseller_id.name", "=like", "Bench Reseller P%"),
            ("state", "=", "posted"),
            ("waas_send_state", "=", "to_send"),
        ],
        order="id",
        limit=n,
    )
    Send = env["account.move.send"].with_context(mail_notify_force_send=False)
    with meter:
        for move in moves:
            Send._generate_and_send_invoices(
                move, sending_methods={"email"}, invoice_edi_format="ubl_bis3"
            )
        env.flush_all()
    sent = len(moves.filtered("invoice_pdf_report_id"))
    env.cr.rollback()
    return {"invoices": len(moves), "sent": sent}


def oca_run(env, n, meter):
    """OCA ``contract``: its own cron."""
    before = env["account.move"].search_count([("move_type", "=", "out_invoice")])
    with meter:
        env["contract.contract"].cron_recurring_create_invoice()
        env.cr.commit()
    after = env["account.move"].search_count([("move_type", "=", "out_invoice")])
    return {"invoices": after - before}


def settle_floor(env, n, meter):
    """The same vendor bills in one batched create (lines are left to settle)."""
    Line = env["waas.commission.line"]
    lines = Line.search([("state", "=", "to_settle")], order="id")
    groups = defaultdict(list)
    for line in lines:
        groups[(line.company_id, line.reseller_id, line.period)].append(line.id)
    journals = Line._get_settle_journals({key[0] for key in groups})
    vals_list = []
    for key, ids in groups.items():
        vals = Line.browse(ids)._prepare_bill_vals(journals[key[0]], date.today())
        vals.pop("waas_is_commission_bill", None)
        vals_list.append(vals)
    with meter:
        moves = env["account.move"].create(vals_list)
        env.flush_all()
    env.cr.rollback()
    return {"bills": len(moves), "lines": len(lines)}


def settle_ours(env, n, meter):
    wizard = env["waas.commission.settle"].create({"date_to": date.today()})
    with meter:
        wizard.action_settle()
        env.flush_all()
    env.cr.commit()
    return {"bills": len(wizard.move_ids)}


def sellout(env, n, meter):
    laptop = env.ref("also_waas.waas_demo_bundle_basic").waas_bundle_line_ids[:1].product_id
    start = period_start()
    report = env["waas.sellout.report"].create(
        {
            "manufacturer_id": laptop.waas_manufacturer_id.id,
            "date_from": start,
            "date_to": start + relativedelta(months=1, days=-1),
            "company_id": env.company.id,
        }
    )
    with meter:
        report._generate_files()
        env.flush_all()
    rows = report.row_count if "row_count" in report._fields else None
    env.cr.rollback()
    return {"rows": rows}


# --------------------------------------------------------------------------- direct debit
PAY_BATCHES = ("P", "Q")  # N and N/10 contracts collected by direct debit


def _iban_nl(account):
    """A valid Dutch IBAN (ISO 13616 check digits) for a 10-digit account number."""
    bban = f"ABNA{account:010d}"
    digits = "".join(str(int(c, 36)) for c in f"{bban}NL00")
    return f"NL{98 - int(digits) % 97:02d}{bban}"


def _pay_mode(env):
    """The company's direct debit set-up of README *Direct debit*: SEPA creditor
    identifier, a bank journal with its IBAN and the SEPA Direct Debit method, an inbound
    payment mode with that journal, set as the company's WaaS direct debit mode."""
    company = env.company
    Mode = env["account.payment.mode"]
    mode = Mode.search(
        [("name", "=", "Bench WaaS Direct Debit"), ("company_id", "=", company.id)], limit=1
    )
    if not mode:
        method = env.ref("account_banking_sepa_direct_debit.sepa_direct_debit")
        bank = env["res.bank"].create({"name": "Bench ING", "bic": "INGBNL2AXXX"})
        account = env["res.partner.bank"].create(
            {
                "acc_number": "NL20INGB0001234567",
                "bank_id": bank.id,
                "partner_id": company.partner_id.id,
                "company_id": company.id,
            }
        )
        journal = env["account.journal"].create(
            {
                "name": "Bench Direct Debit Bank",
                "type": "bank",
                "code": "BSDD",
                "company_id": company.id,
                "bank_account_id": account.id,
                "inbound_payment_method_line_ids": [(0, 0, {"payment_method_id": method.id})],
            }
        )
        mode = Mode.create(
            {
                "name": "Bench WaaS Direct Debit",
                "company_id": company.id,
                "payment_method_id": method.id,
                "bank_account_link": "fixed",
                "fixed_journal_id": journal.id,
            }
        )
    company.write(
        {
            "waas_sdd_payment_mode_id": mode.id,
            "sepa_creditor_identifier": company.sepa_creditor_identifier or "FR78ZZZ424242",
        }
    )
    return mode


def prepare_pay(env, n):
    """``n`` (batch P) and ``n``/10 (batch Q) contracts of 100 Dutch end customers, each
    customer with a valid recurrent B2B mandate (first debit FRST) on its IBAN; the invoice
    run invoices and posts their month (each invoice with the mode and mandate, as in
    production), then the payment orders it filed are removed: the measure builds them."""
    mode = _pay_mode(env)
    company = env.company
    customers = _bench_partners(env, "Bench Pay Customer", 100, country_id=env.ref("base.nl").id)
    Mandate = env["account.banking.mandate"]
    mandates = Mandate.search([("partner_id", "in", customers.ids), ("state", "=", "valid")])
    by_partner = {m.partner_id: m for m in mandates}
    todo = customers.filtered(lambda p: p not in by_partner)
    banks = env["res.partner.bank"].create(
        [{"partner_id": p.id, "acc_number": _iban_nl(4000000 + p.id)} for p in todo]
    )
    created = Mandate.create(
        [
            {
                "format": "sepa",
                "type": "recurrent",
                "recurrent_sequence_type": "first",
                "scheme": "B2B",
                "partner_bank_id": bank.id,
                "company_id": company.id,
                "signature_date": period_start() - timedelta(days=30),
                "state": "valid",
            }
            for bank in banks
        ]
    )
    by_partner.update({m.partner_id: m for m in created})
    auto_post = company.waas_invoice_auto_post
    company.waas_invoice_auto_post = True
    invoices = 0
    for batch, count in zip(PAY_BATCHES, (n, max(1, n // 10)), strict=True):
        reseller = _bench_partners(env, f"Bench Pay Reseller {batch}", 1, waas_is_reseller=True)
        contracts = _create_contracts(env, count, reseller, customers=customers)
        for partner, group in contracts.grouped("partner_id").items():
            group.write({"waas_mandate_id": by_partner[partner].id})
        env.cr.commit()
        moves = env["waas.contract"]._waas_invoice_run(domain=[("reseller_id", "=", reseller.id)])
        invoices += len(moves)
        env.cr.commit()
    env["account.payment.order"].search(
        [("payment_mode_id", "=", mode.id), ("state", "=", "draft")]
    ).unlink()
    company.waas_invoice_auto_post = auto_post
    env.cr.commit()
    return {"contracts": n + max(1, n // 10), "invoices": invoices}


def pay_orders(env, n, meter, batch):
    """The direct debit after the run for batch ``batch``'s posted invoices: file them into
    the payment orders (``account.move._waas_sdd_add_to_payment_orders``, what
    ``waas.contract._waas_after_invoice_batch`` does), then OCA's *Confirm Payments* and
    *Generate Payment File* (the pain.008.001.02, checked by OCA against the ISO 20022
    XSD). Rolled back, so that it can be measured again."""
    from odoo.addons.also_waas.models.waas_contract import (  # noqa: PLC0415 - needs Odoo
        INVOICE_RUN_CHUNK_SIZE,
    )

    moves = env["account.move"].search(
        [
            ("waas_contract_id.reseller_id.name", "=like", f"Bench Pay Reseller {batch} %"),
            ("state", "=", "posted"),
            ("mandate_id", "!=", False),
        ],
        order="id",
    )
    with meter:
        t0, q0 = time.perf_counter(), meter.sql_db.sql_counter
        # As the invoice run files them: per batch of the run (its chunk size), the cache
        # emptied after each, so memory does not grow with N.
        order_ids = set()
        for start in range(0, len(moves), INVOICE_RUN_CHUNK_SIZE):
            chunk = moves[start : start + INVOICE_RUN_CHUNK_SIZE]
            order_ids.update(chunk._waas_sdd_add_to_payment_orders().ids)
            env.flush_all()
            env.invalidate_all()
        orders = env["account.payment.order"].browse(sorted(order_ids))
        t1, q1 = time.perf_counter(), meter.sql_db.sql_counter
        orders.draft2open()
        env.flush_all()
        t2, q2 = time.perf_counter(), meter.sql_db.sql_counter
        for order in orders:
            order.open2generated()
        env.flush_all()
        t3, q3 = time.perf_counter(), meter.sql_db.sql_counter
    phases = {
        "filing_seconds": round(t1 - t0, 3),
        "confirm_seconds": round(t2 - t1, 3),
        "file_seconds": round(t3 - t2, 3),
        "filing_queries": q1 - q0,
        "confirm_queries": q2 - q1,
        "file_queries": q3 - q2,
    }
    files = env["ir.attachment"].search(
        [("res_model", "=", "account.payment.order"), ("res_id", "in", orders.ids)]
    )
    result = {
        "invoices": len(moves),
        "orders": len(orders),
        "payment_lines": len(orders.payment_line_ids),
        "states": sorted(set(orders.mapped("state"))),
        "file_kb": round(sum(files.mapped("file_size")) / 1024.0, 1),
        "payments": len(orders.payment_ids) if "payment_ids" in orders._fields else None,
        **phases,
    }
    env.cr.rollback()
    return result


SCENARIOS = {
    "prepare_a": lambda env, n: prepare_waas(env, n, "A"),
    "prepare_b": lambda env, n: prepare_waas(env, n, "B"),
    "prepare_c": lambda env, n: prepare_waas(env, n, "C"),
    "prepare_d": lambda env, n: prepare_waas(env, n, "D"),
    "prepare_p": lambda env, n: prepare_post(env, n, "P"),
    "prepare_q": lambda env, n: prepare_post(env, n, "Q"),
    "prepare_oca": prepare_oca,
    "prepare_portal": prepare_portal,
    "prepare_commission": prepare_commission,
    "prepare_devices": prepare_devices,
    "prepare_sellout": prepare_sellout,
    "floor_invoices": floor_invoices,
    "invoice_run": invoice_run,
    "cron_run": cron_run,
    "oca_run": oca_run,
    "post_run": post_run,
    "send_ours": send_ours,
    "send_odoo": send_odoo,
    "settle_floor": settle_floor,
    "settle_ours": settle_ours,
    "sellout": sellout,
    "prepare_pay": prepare_pay,
    "pay_orders_p": lambda env, n, meter: pay_orders(env, n, meter, "P"),
    "pay_orders_q": lambda env, n, meter: pay_orders(env, n, meter, "Q"),
}


def main():
    scenario, db, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    odoo_args = sys.argv[sys.argv.index("--") + 1 :]
    import odoo
    from odoo import sql_db
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config([*odoo_args, "-d", db])
    registry = Registry(db)
    base_rss = rss_mb()
    meter = Meter(sql_db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        func = SCENARIOS[scenario]
        if scenario.startswith("prepare"):
            with meter:
                result = func(env, n)
        else:
            result = func(env, n, meter)
        cr.commit()
    result.update(
        seconds=round(meter.seconds, 3),
        started=meter.started,
        ended=meter.ended,
        queries=meter.queries,
        peak_rss_mb=round(rss_mb(), 1),
        base_rss_mb=round(base_rss, 1),
    )
    with open(out, "w") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    main()
