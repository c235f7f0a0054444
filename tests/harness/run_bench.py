"""``make bench``: the suite measured side by side with Odoo's own floor and OCA ``contract``.

Builds a throw-away database with the three addons and OCA ``contract`` 18.0 (downloaded from
the package registry into the git-ignored ``.cache/bench``, never committed), fills it, runs
ANALYZE, and measures each scenario in its own Odoo process (seconds, SQL queries, peak RSS).
Prints a table and writes ``bench-results.json``. ``BENCH_CONTRACTS`` sets N (default 10000);
``BENCH_DEVICES`` the sell-out rows (default 100000); ``BENCH_SEND_SAMPLE`` the invoices
Odoo's own Send is measured on (default 50); ``BENCH_ONLY`` the scenario groups to measure
(comma-separated, default all: run, post, send, settle, sellout, workers, portal; each group
prepares what it needs).
"""

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h

BENCH = h.CACHE / "bench"
WORKER = Path(__file__).with_name("bench_worker.py")
DB = os.environ.get("BENCH_DB", "waas_bench")


def oca_contract_addons():
    """Folder holding OCA ``contract`` 18.0, from its wheel on the package registry."""
    target = BENCH / "oca"
    if (target / "odoo" / "addons" / "contract" / "__manifest__.py").exists():
        return target / "odoo" / "addons"
    wheels = BENCH / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "-d",
            str(wheels),
            "odoo-addon-contract>=18.0,<18.1",
        ],
        check=True,
    )
    wheel = sorted(wheels.glob("odoo_addon_contract-18.0*.whl"))[-1]
    with zipfile.ZipFile(wheel) as zf:
        members = [m for m in zf.namelist() if m.startswith("odoo/addons/contract/")]
        zf.extractall(target, members)
    return target / "odoo" / "addons"


def odoo_args(extra_addons):
    base = h.odoo_cmd()[3:]
    paths = [str(p) for p in h.ADDONS_DIRS] + [str(extra_addons)]
    addons = f"--addons-path={','.join(paths)}"
    return [addons if a.startswith("--addons-path=") else a for a in base]


def sql(statement, db=DB):
    conn = h._pg_connect(db)
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(statement)
    finally:
        conn.close()


def worker(scenario, n, args, background=False, env=None, **extra_env):
    """Run ``scenario`` in its own Odoo process; ``extra_env``: environment variables for
    it (e.g. ``BENCH_BATCH``)."""
    out = BENCH / f"{scenario}-{time.time_ns()}.json"
    cmd = [sys.executable, str(WORKER), scenario, DB, str(n), str(out), "--", *args]
    cmd += ["--log-level=warn"]
    if extra_env:
        env = dict(env or os.environ, **extra_env)
    if background:
        return subprocess.Popen(cmd, cwd=h.REPO, env=env), out
    subprocess.run(cmd, cwd=h.REPO, check=True, env=env)
    return json.loads(out.read_text())


def measure(scenario, n, args, repeat=1, **extra_env):
    runs = [worker(scenario, n, args, **extra_env) for _ in range(repeat)]
    best = dict(runs[0])
    best["seconds"] = statistics.median(r["seconds"] for r in runs)
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    h.say(f"  {scenario}: {best}")
    return best


def setup(args, n):
    h.say(f"Building the bench database {DB}")
    h.create_db(DB)
    modules = ",".join([*h.OUR_ADDONS, "contract"])
    cmd = [sys.executable, "-m", "odoo", *args, "-d", DB, "--db-filter=.*", "-i", modules]
    subprocess.run([*cmd, "--stop-after-init", "--no-http", "--log-level=warn"], check=True)


REQUEST_LOG = re.compile(r'"GET (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d+) - (?P<queries>\d+) ')


def portal_queries(args):
    """SQL queries of the reseller portal's contract and commission lists, for a reseller
    with 10 and one with 1,000 records, read from the server's own request log."""
    import requests  # noqa: PLC0415 - only the benchmark needs it

    worker("prepare_portal", 0, args)
    port = h.free_port()
    logfile = BENCH / "portal-server.log"
    logfile.unlink(missing_ok=True)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "odoo",
            *args,
            "-d",
            DB,
            f"--db-filter=^{DB}$",
            f"--http-port={port}",
            f"--logfile={logfile}",
            "--log-level=info",
            "--max-cron-threads=0",
        ],
        cwd=h.REPO,
    )
    base = f"http://127.0.0.1:{port}"
    result = {}
    try:
        for _ in range(120):
            try:
                requests.get(f"{base}/web/login", timeout=5)
                break
            except requests.RequestException:  # not up yet, or too slow to answer yet
                time.sleep(1)
        for count in (10, 1000):
            session = requests.Session()
            page = session.get(f"{base}/web/login", timeout=60).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            session.post(
                f"{base}/web/login",
                data={"login": f"bench{count}", "password": f"bench{count}", "csrf_token": token},
                timeout=60,
            )
            for path in ("/my/waas/contracts", "/my/waas/commissions"):
                session.get(f"{base}{path}", timeout=120)  # warm the caches
                session.get(f"{base}{path}", timeout=120)
            time.sleep(1)
            counts = {}
            for line in logfile.read_text(errors="replace").splitlines():
                match = REQUEST_LOG.search(line)
                if match and match["path"] in ("/my/waas/contracts", "/my/waas/commissions"):
                    counts[match["path"]] = int(match["queries"])  # the last (warm) one
            result[f"queries_{count}"] = counts.get("/my/waas/contracts")
            result[f"commission_queries_{count}"] = counts.get("/my/waas/commissions")
            logfile.write_text("")
    finally:
        server.terminate()
        server.wait(timeout=60)
    return result


def prepare_pay(args, n):
    """``n`` and ``n``/10 monthly invoices with mandates, posted by the invoice run."""
    h.say(f"Preparing {n} and {max(1, n // 10)} direct debit invoices (mandates, posted)")
    worker("prepare_pay", n, args)
    sql("ANALYZE")


def measure_pay(args, n):
    """The payment order and its pain.008 for the ``n`` and the ``n``/10 invoices, each
    in its own process: seconds per invoice and peak RSS at both sizes."""
    big = measure("pay_orders_p", n, args)
    small = measure("pay_orders_q", max(1, n // 10), args)
    return {
        "n": big["invoices"],
        "small_n": small["invoices"],
        "orders": big["orders"],
        "payment_lines": big["payment_lines"],
        "states": big["states"],
        "file_kb": big["file_kb"],
        "payments": big.get("payments"),
        "filing_seconds": big.get("filing_seconds"),
        "confirm_seconds": big.get("confirm_seconds"),
        "file_seconds": big.get("file_seconds"),
        "seconds": big["seconds"],
        "seconds_small": small["seconds"],
        "ms_per_invoice": round(1000 * big["seconds"] / big["invoices"], 2)
        if big["invoices"]
        else None,
        "ms_per_invoice_small": round(1000 * small["seconds"] / small["invoices"], 2)
        if small["invoices"]
        else None,
        "queries_per_invoice": ratio(big["queries"], big["invoices"]),
        "queries_per_invoice_small": ratio(small["queries"], small["invoices"]),
        "peak_rss_mb": big["peak_rss_mb"],
        "peak_rss_mb_small": small["peak_rss_mb"],
    }


def ratio(a, b):
    return round(a / b, 2) if a and b else None


GROUPS = ("run", "post", "send", "settle", "sellout", "workers", "portal", "pay")


def only_groups():
    """The scenario groups to measure: ``BENCH_ONLY`` (comma-separated), default all."""
    raw = os.environ.get("BENCH_ONLY", "").strip()
    groups = {g.strip() for g in raw.split(",") if g.strip()} if raw else set(GROUPS)
    unknown = groups - set(GROUPS)
    if unknown:
        h.say(f"BENCH_ONLY: unknown group(s) {sorted(unknown)}; the groups are {', '.join(GROUPS)}")
        sys.exit(2)
    return groups


def per_invoice(result, key="invoices"):
    return round(result["seconds"] / result[key], 4) if result.get(key) else None


def main():
    h.require_odoo()
    h.ensure_postgres()
    n = int(os.environ.get("BENCH_CONTRACTS", "10000"))
    devices = int(os.environ.get("BENCH_DEVICES", "100000"))
    sample = int(os.environ.get("BENCH_SEND_SAMPLE", "50"))
    only = only_groups()
    small = max(1, n // 10)
    BENCH.mkdir(parents=True, exist_ok=True)
    args = odoo_args(oca_contract_addons())
    setup(args, n)
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "groups": sorted(only, key=GROUPS.index),
    }
    prepared_a = False

    def prepare_a():
        nonlocal prepared_a
        if not prepared_a:
            h.say(f"Preparing {n} contracts")
            worker("prepare_a", n, args)
            sql("ANALYZE")
            prepared_a = True

    if "run" in only:
        prepare_a()
        h.say(f"Preparing {n} contracts in OCA contract")
        worker("prepare_oca", n, args)
        sql("ANALYZE")
        floor = measure("floor_invoices", n, args)
        ours = measure("invoice_run", n, args)
        oca = measure("oca_run", n, args)
        results["invoice_run"] = {
            "n": n,
            "seconds": ours["seconds"],
            "floor_seconds": floor["seconds"],
            "oca_contract_seconds": oca["seconds"],
            "ratio_to_floor": ratio(ours["seconds"], floor["seconds"]),
            "speedup_vs_oca": ratio(oca["seconds"], ours["seconds"]),
            "invoices": ours["invoices"],
            "floor_invoices": floor["invoices"],
            "oca_invoices": oca["invoices"],
            "queries_per_invoice": ratio(ours["queries"], ours["invoices"]),
            "floor_queries_per_invoice": ratio(floor["queries"], floor["invoices"]),
            "oca_queries_per_invoice": ratio(oca["queries"], oca["invoices"]),
            "peak_rss_mb": ours["peak_rss_mb"],
        }

    if "post" in only or "send" in only:
        # Run + post (the company posts at once), at N and N/10 contracts: the invoices
        # the sending then sends.
        h.say(f"Run + post: {n} and {small} contracts, the company posting at once")
        worker("prepare_p", n, args)
        sql("ANALYZE")
        post_n = measure("post_run", n, args, BENCH_BATCH="P")
        worker("prepare_q", small, args)
        sql("ANALYZE")
        post_small = measure("post_run", small, args, BENCH_BATCH="Q")
        results["post"] = {
            "n": n,
            "small_n": small,
            "invoices_n": post_n["invoices"],
            "posted_n": post_n["posted"],
            "seconds_n": post_n["seconds"],
            "per_invoice_n": per_invoice(post_n),
            "invoices_small": post_small["invoices"],
            "posted_small": post_small["posted"],
            "seconds_small": post_small["seconds"],
            "per_invoice_small": per_invoice(post_small),
            "ratio": ratio(per_invoice(post_n), per_invoice(post_small)),
            "queries_per_invoice_n": ratio(post_n["queries"], post_n["invoices"]),
            "peak_rss_mb_n": post_n["peak_rss_mb"],
            "peak_rss_mb_small": post_small["peak_rss_mb"],
        }

    if "send" in only:
        h.say(f"Sending: Odoo's Send on {sample} invoices, ours on {n} and on {small}")
        sql("ANALYZE")
        odoo_send = measure("send_odoo", sample, args)
        ours_n = measure("send_ours", n, args, BENCH_BATCH="P")
        ours_small = measure("send_ours", small, args, BENCH_BATCH="Q")
        odoo_per = per_invoice(odoo_send)
        results["send"] = {
            "n": n,
            "small_n": small,
            "sample": odoo_send["invoices"],
            "ours_invoices_n": ours_n["invoices"],
            "ours_sent_n": ours_n["sent"],
            "ours_failed_n": ours_n["failed"],
            "ours_mails_n": ours_n["mails"],
            "ours_seconds_n": ours_n["seconds"],
            "ours_per_invoice_n": per_invoice(ours_n),
            "ours_invoices_small": ours_small["invoices"],
            "ours_sent_small": ours_small["sent"],
            "ours_seconds_small": ours_small["seconds"],
            "ours_per_invoice_small": per_invoice(ours_small),
            "ours_ratio": ratio(per_invoice(ours_n), per_invoice(ours_small)),
            "odoo_seconds": odoo_send["seconds"],
            "odoo_per_invoice": odoo_per,
            "speedup": ratio(odoo_per, per_invoice(ours_n)),
            "peak_rss_mb_n": ours_n["peak_rss_mb"],
            "peak_rss_mb_small": ours_small["peak_rss_mb"],
            "odoo_peak_rss_mb": odoo_send["peak_rss_mb"],
        }

    if "settle" in only:
        prepare_a()
        h.say(f"Preparing {n} commission lines")
        worker("prepare_commission", n, args)
        sql("ANALYZE")
        settle_floor = measure("settle_floor", n, args, repeat=3)
        settle_ours = measure("settle_ours", n, args)
        results["settlement"] = {
            "lines": settle_floor["lines"],
            "bills": settle_ours["bills"],
            "seconds": settle_ours["seconds"],
            "floor_seconds": settle_floor["seconds"],
            "ratio_to_floor": ratio(settle_ours["seconds"], settle_floor["seconds"]),
        }

    if "sellout" in only:
        prepare_a()
        h.say(f"Preparing {devices} contracts started this month, one rented serial each")
        worker("prepare_sellout", devices, args)
        sql("ANALYZE")
        sellout = measure("sellout", devices, args)
        results["sellout"] = {
            "rows": sellout["rows"],
            "seconds": sellout["seconds"],
            "peak_rss_mb": sellout["peak_rss_mb"],
        }

    if "workers" in only:
        h.say(f"Invoice run memory at {small} contracts, and with 1 and 2 cron workers at {n}")
        worker("prepare_d", small, args)
        sql("ANALYZE")
        run_small = measure("cron_run", small, args)
        worker("prepare_b", n, args)
        sql("ANALYZE")
        one_worker = measure("cron_run", n, args)
        worker("prepare_c", n, args)
        sql("ANALYZE")
        together = dict(os.environ, BENCH_START_AT=str(time.time() + 30))
        procs = [worker("cron_run", n, args, background=True, env=together) for _ in range(2)]
        for proc, _out in procs:
            proc.wait()
        two = [json.loads(out.read_text()) for _proc, out in procs]
        # From the first worker starting its run to the last one finishing (not counting
        # the start of the Odoo processes, which the 1-worker measure does not count either).
        two_seconds = max(r["ended"] for r in two) - min(r["started"] for r in two)
        results["workers"] = {
            "n": n,
            "small_n": small,
            "peak_rss_mb_n": one_worker["peak_rss_mb"],
            "peak_rss_mb_small": run_small["peak_rss_mb"],
            "one_worker_seconds": one_worker["seconds"],
            "two_workers_seconds": round(two_seconds, 3),
            "two_workers_invoices": sum(r["invoices"] for r in two),
            "workers_speedup": ratio(one_worker["seconds"], two_seconds),
        }

    if "portal" in only:
        results["portal"] = portal_queries(args)

    if "pay" in only:
        prepare_pay(args, n)
        results["pay"] = measure_pay(args, n)

    (h.REPO / "bench-results.json").write_text(json.dumps(results, indent=2))
    print_table(results)


def print_table(r):
    rows = []
    inv = r.get("invoice_run")
    if inv:
        rows += [
            (
                "invoice run, seconds",
                inv["seconds"],
                inv["floor_seconds"],
                inv["oca_contract_seconds"],
            ),
            (
                "invoice run, queries/invoice",
                inv["queries_per_invoice"],
                inv["floor_queries_per_invoice"],
                inv["oca_queries_per_invoice"],
            ),
            ("invoice run, peak RSS MB", inv["peak_rss_mb"], "", ""),
        ]
    post = r.get("post")
    if post:
        rows += [
            (f"run+post, s/invoice at {post['n']}", post["per_invoice_n"], "", ""),
            (f"run+post, s/invoice at {post['small_n']}", post["per_invoice_small"], "", ""),
            (
                "run+post, peak RSS MB N / N/10",
                f"{post['peak_rss_mb_n']} / {post['peak_rss_mb_small']}",
                "",
                "",
            ),
        ]
    send = r.get("send")
    if send:
        rows += [
            (
                f"send, s/invoice at {send['n']}",
                send["ours_per_invoice_n"],
                send["odoo_per_invoice"],
                "",
            ),
            (f"send, s/invoice at {send['small_n']}", send["ours_per_invoice_small"], "", ""),
            (
                "send, peak RSS MB N / N/10",
                f"{send['peak_rss_mb_n']} / {send['peak_rss_mb_small']}",
                send["odoo_peak_rss_mb"],
                "",
            ),
        ]
    settle = r.get("settlement")
    if settle:
        rows.append(("settlement, seconds", settle["seconds"], settle["floor_seconds"], ""))
    sellout = r.get("sellout")
    if sellout:
        rows += [
            ("sell-out xlsx, seconds", sellout["seconds"], "", ""),
            ("sell-out xlsx, peak RSS MB", sellout["peak_rss_mb"], "", ""),
        ]
    workers = r.get("workers")
    if workers:
        rows += [
            ("invoice run at N/10, peak RSS MB", workers["peak_rss_mb_small"], "", ""),
            ("invoice run, 1 worker s", workers["one_worker_seconds"], "", ""),
            ("invoice run, 2 workers s", workers["two_workers_seconds"], "", ""),
        ]
    portal = r.get("portal")
    if portal:
        rows.append(
            ("portal queries at 10 / 1000", portal["queries_10"], portal["queries_1000"], "")
        )
    pay = r.get("pay")
    if pay:
        rows += [
            (
                "direct debit, ms/invoice N / N/10",
                f"{pay['ms_per_invoice']} / {pay['ms_per_invoice_small']}",
                "",
                "",
            ),
            (
                "direct debit, peak RSS MB N / N/10",
                f"{pay['peak_rss_mb']} / {pay['peak_rss_mb_small']}",
                "",
                "",
            ),
        ]
    print()
    print(f"groups: {', '.join(r['groups'])}")
    print(f"{'measure':36} {'ours':>14} {'floor/Odoo':>12} {'OCA contract':>14}")
    for name, ours, floor, oca in rows:
        print(f"{name:36} {ours!s:>14} {floor!s:>12} {oca!s:>14}")
    ratios = []
    if inv:
        ratios += [
            f"invoice run / floor {inv['ratio_to_floor']}",
            f"OCA / ours {inv['speedup_vs_oca']}",
        ]
    if post:
        ratios.append(f"run+post per invoice N / N/10 {post['ratio']} (target <= 1.2)")
    if send:
        ratios += [
            f"send: Odoo / ours per invoice {send['speedup']} (target >= 3)",
            f"send per invoice N / N/10 {send['ours_ratio']}",
        ]
    if settle:
        ratios.append(f"settlement / floor {settle['ratio_to_floor']}")
    if workers:
        ratios.append(f"2-worker speed-up {workers['workers_speedup']}")
    print("ratios: " + ", ".join(ratios))


if __name__ == "__main__":
    main()
