"""Faults survived: the invoice run killed half-way, two invoice runs at once, a commission
settlement and secure pickups (their fee invoices) confirmed by two processes at once, the
posted invoices sent by two processes at once.

Run by ``make test`` after the lifecycle checks, on a fresh copy of the cached template with
the three addons (and their demo data) installed. Every fault is staged with real Odoo
processes (``fault_worker.py``) sharing one PostgreSQL database, the way cron workers on
several machines share it; the outcome is read back with plain SQL, not through our code.
Each check yields ``(name, ok, problems)``.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h
import lifecycle

WORKER = Path(__file__).with_name("fault_worker.py")
# Contracts of the killed run and its chunk size: the kill lands after the first of 3 chunks.
KILLED_CONTRACTS = int(os.environ.get("WAAS_FAULT_CONTRACTS", "150"))
KILLED_CHUNK = KILLED_CONTRACTS // 3
# Contracts shared by two concurrent runs, in small chunks so that they interleave.
CONCURRENT_CONTRACTS = KILLED_CONTRACTS
CONCURRENT_CHUNK = max(1, CONCURRENT_CONTRACTS // 10)
TIMEOUT = 900


def _worker(db, action, batch, n):
    cmd = [sys.executable, str(WORKER), action, db, batch, str(n), "--", *h.odoo_cmd()[3:]]
    return subprocess.Popen(
        [*cmd, "--log-level=warn", "--no-http"],
        cwd=h.REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc):
    """(exit code, parsed JSON result or None, stderr tail) of a worker process."""
    out, err = proc.communicate(timeout=TIMEOUT)
    result = None
    for line in reversed(out.strip().splitlines()):
        try:
            result = json.loads(line)
            break
        except ValueError:
            continue
    return proc.returncode, result, err.strip()[-1500:]


def _run(db, action, batch, n):
    rc, result, err = _finish(_worker(db, action, batch, n))
    if rc:
        raise RuntimeError(f"{action} {batch} exited with {rc}: {err}")
    return result


def _twice(db, action, batch, n, counted):
    """Run ``action`` in two processes at once: (the ``counted`` each reports, problems)."""
    procs = [_worker(db, action, batch, n) for _ in range(2)]
    made, problems = [], []
    for proc in procs:
        rc, result, err = _finish(proc)
        if rc:
            problems.append(f"{action} exited with {rc}: {err}")
        made.append((result or {}).get(counted, 0))
    return made, problems


def _batch_rows(db, batch, sql):
    """The rows of ``sql`` about the records of one batch: its ``%s`` is the batch's
    reseller (each batch made by ``fault_worker.py`` has its own)."""
    return h.query(db, sql, (f"Fault Reseller {batch} 0",))


def _race(db, batch, n, prepare, action, counted, sql, chunk=None):
    """Prepare ``n`` records of ``batch``, handle them with ``action`` in two processes at
    once (``chunk`` at a time, default all), read back the batch's rows of ``sql``: (what
    ``prepare`` returned, the ``counted`` each process reports, problems, rows)."""
    prepared = _run(db, prepare, batch, n)
    made, problems = _twice(db, action, batch, chunk or n, counted)
    return prepared, made, problems, _batch_rows(db, batch, sql)


def _invoiced_count(db, batch):
    return _batch_rows(
        db,
        batch,
        """SELECT COUNT(*) FROM account_move m
             JOIN waas_contract c ON c.id = m.waas_contract_id
             JOIN res_partner r ON r.id = c.reseller_id
            WHERE r.name = %s AND m.waas_period_start IS NOT NULL""",
    )[0][0]


def _wait_for_disconnect(db, timeout=60):
    """Wait until PostgreSQL has noticed the killed process (its locks are released)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        others = h.query(
            db,
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (db,),
        )[0][0]
        if not others:
            return True
        time.sleep(0.2)
    return False


def check_periods(db, batch):
    """(periods invoiced, problems): every due period of every contract of the batch is
    invoiced exactly once, and the contract's schedule says so."""
    today = date.today()
    contracts = _batch_rows(
        db,
        batch,
        """SELECT c.id, c.name, c.date_start, c.date_end, c.invoiced_periods, c.date_next_invoice
             FROM waas_contract c JOIN res_partner r ON r.id = c.reseller_id
            WHERE r.name = %s ORDER BY c.id""",
    )
    invoiced = defaultdict(Counter)
    rows = _batch_rows(
        db,
        batch,
        """SELECT m.waas_contract_id, m.waas_period_start FROM account_move m
             JOIN waas_contract c ON c.id = m.waas_contract_id
             JOIN res_partner r ON r.id = c.reseller_id
            WHERE r.name = %s AND m.waas_period_start IS NOT NULL
              AND m.move_type = 'out_invoice'""",
    )
    for contract_id, start in rows:
        invoiced[contract_id][start] += 1
    problems = []
    if not contracts:
        problems.append(f"no contract of batch {batch} found")
    for cid, name, start, end, periods, next_start in contracts:
        due = []
        k = 0
        while start + relativedelta(months=k) <= min(today, end):
            due.append(start + relativedelta(months=k))
            k += 1
        got = invoiced[cid]
        doubled = sorted(str(p) for p, count in got.items() if count > 1)
        missing = sorted(str(p) for p in due if p not in got)
        extra = sorted(str(p) for p in got if p not in due)
        if doubled:
            problems.append(f"{name}: period(s) invoiced twice: {', '.join(doubled)}")
        if missing:
            problems.append(f"{name}: period(s) never invoiced: {', '.join(missing)}")
        if extra:
            problems.append(f"{name}: period(s) invoiced but not due: {', '.join(extra)}")
        expected_next = start + relativedelta(months=len(due))
        if periods != len(due) or next_start != expected_next:
            problems.append(
                f"{name}: schedule says {periods} periods invoiced, next {next_start}; "
                f"expected {len(due)}, next {expected_next}"
            )
    return len(rows), problems


def killed_run(db):
    batch, n = "KILL", KILLED_CONTRACTS
    name = f"faults: invoice run SIGKILLed after its first committed chunk ({n} contracts)"
    _run(db, "prepare", batch, n)
    proc = _worker(db, "invoice", batch, KILLED_CHUNK)
    deadline = time.time() + TIMEOUT
    committed = 0
    while time.time() < deadline and proc.poll() is None:
        committed = _invoiced_count(db, batch)
        if committed:
            break
        time.sleep(0.1)
    if proc.poll() is not None:
        rc, _result, err = _finish(proc)
        return name, False, [f"the run ended (exit {rc}) before its first chunk was seen: {err}"]
    if not committed:
        proc.kill()
        proc.communicate()
        return name, False, [f"no chunk committed within {TIMEOUT}s"]
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    problems = []
    if not _wait_for_disconnect(db):
        problems.append("PostgreSQL still shows the killed process's connection after 60s")
    after_kill = _invoiced_count(db, batch)
    _, pending = check_periods(db, batch)
    if not pending:
        problems.append("the run was not half-way when killed: everything was invoiced")
    rerun = _run(db, "invoice", batch, KILLED_CHUNK)
    total, period_problems = check_periods(db, batch)
    problems += period_problems
    name += (
        f": {after_kill} invoices committed before the kill, {rerun['invoices']} by the rerun,"
        f" {total} contract-periods invoiced exactly once"
    )
    return name, not problems, problems


def concurrent_runs(db):
    batch, n = "PAR", CONCURRENT_CONTRACTS
    name = f"faults: two invoice runs at once in two processes ({n} contracts)"
    _run(db, "prepare", batch, n)
    made, problems = _twice(db, "invoice", batch, CONCURRENT_CHUNK, "invoices")
    total, period_problems = check_periods(db, batch)
    problems += period_problems
    if sum(made) != total:
        problems.append(f"the runs report {made} invoices, the database holds {total}")
    name += f": {made[0]} + {made[1]} invoices, {total} contract-periods invoiced exactly once"
    return name, not problems, problems


def concurrent_settlements(db):
    batch, n = "SETTLE", 50
    name = f"faults: one commission settlement confirmed by two processes at once ({n} lines)"
    sql = """SELECT COUNT(*), COUNT(l.move_id), COUNT(DISTINCT l.move_id),
                  COUNT(DISTINCT to_char(l.date, 'YYYY-MM'))
             FROM waas_commission_line l JOIN res_partner r ON r.id = l.reseller_id
            WHERE r.name = %s"""
    _prepared, made, problems, rows = _race(
        db, batch, n, "prepare_commission", "settle", "bills", sql
    )
    lines, billed, bills, periods = rows[0]
    if billed != lines:
        problems.append(f"{lines - billed} of {lines} commission lines left without a bill")
    if bills != periods:
        problems.append(f"{bills} bills for {periods} reseller-period(s): expected one each")
    name += f": bills reported by the two processes {made}, {bills} bill in the database"
    return name, not problems, problems


def concurrent_pickups(db):
    batch, n = "PICKUP", 10
    name = f"faults: secure pickups confirmed by two processes at once ({n} returns)"
    sql = """SELECT ret.name, ret.state, ret.fee_move_id,
                  (SELECT COUNT(*) FROM account_move m WHERE m.waas_return_id = ret.id)
             FROM waas_return ret
             JOIN waas_contract c ON c.id = ret.contract_id
             JOIN res_partner r ON r.id = c.reseller_id
            WHERE r.name = %s"""
    _prepared, _made, problems, rows = _race(
        db, batch, n, "prepare_pickup", "confirm_pickup", "fees", sql
    )
    if len(rows) != n:
        problems.append(f"{len(rows)} returns found, expected {n}")
    for ret_name, state, fee_move, fees in rows:
        if state != "scheduled" or not fee_move or fees != 1:
            problems.append(
                f"{ret_name}: state {state}, fee invoice {fee_move}, {fees} fee invoices"
            )
    name += f": {sum(r[3] for r in rows)} fee invoices for {len(rows)} returns"
    return name, not problems, problems


def concurrent_sends(db, batch="SEND"):
    n, chunk = 10, 4
    name = f"faults: the invoices of {n} contracts sent by two processes at once"
    sql = """SELECT m.name, m.waas_send_state, m.waas_send_error,
                  (SELECT COUNT(*) FROM mail_message msg
                    WHERE msg.model = 'account.move' AND msg.res_id = m.id
                      AND msg.message_type = 'email_outgoing')
             FROM account_move m
             JOIN waas_contract c ON c.id = m.waas_contract_id
             JOIN res_partner r ON r.id = c.reseller_id
            WHERE r.name = %s AND m.state = 'posted'"""
    prepared, made, problems, rows = _race(
        db, batch, n, "prepare_send", "send", "sent", sql, chunk=chunk
    )
    invoices = prepared["invoices"]
    if len(rows) != invoices or not invoices:
        problems.append(f"{len(rows)} posted invoices found, {invoices} queued")
    for move_name, state, error, mails in rows:
        if state != "sent" or mails != 1:
            problems.append(f"{move_name}: sending state {state} ({error}), {mails} e-mail(s)")
    if sum(made) != invoices:
        problems.append(f"the processes report {made} invoices sent, {invoices} were queued")
    name += f": {made[0]} + {made[1]} of {invoices} invoices, one e-mail each"
    return name, not problems, problems


def install(db):
    """A fresh copy of the template with the three addons (and their demo data)."""
    logfile = h.CACHE / f"{db}-install.log"
    logfile.unlink(missing_ok=True)
    h.create_db(db)
    return lifecycle.install_our_addons(db, logfile)


def run(db):
    """Yield (check name, ok, problems) for each fault, on the database ``db`` (dropped and
    made again from the template)."""
    problems = install(db)
    if problems:
        yield ("faults: fresh install of the three addons", False, problems)
        return
    for check in (
        killed_run,
        concurrent_runs,
        concurrent_settlements,
        concurrent_pickups,
        concurrent_sends,
    ):
        try:
            yield check(db)
        except Exception as exc:  # noqa: BLE001 - a crashed check is a failed check
            yield (f"faults: {check.__name__}", False, [f"{type(exc).__name__}: {exc}"])


if __name__ == "__main__":
    ok = True
    for check_name, passed, lines in run(sys.argv[1] if len(sys.argv) > 1 else "waas_faults"):
        ok &= passed
        h.say(f"{'ok  ' if passed else 'FAIL'} {check_name}")
        for line in lines:
            print(f"    {line}")
    sys.exit(0 if ok else 1)
