"""``make test``: a fresh throw-away database, the three addons, all their tests, one verdict.

The last line printed is ``N passed, N failed``; the exit code is 0 only when nothing
failed, nothing was skipped, the style gates are clean and the install and test log holds
no WARNING or ERROR caused by our addons.

Environment knobs (for development; CI uses none of them):
  WAAS_TEST_DB    name of the throw-away database (default waas_test)
  WAAS_TEST_TAGS  Odoo --test-tags (default: every test of our addons)
  WAAS_NO_LINT=1  skip the style gates, the lifecycle and the fault checks (the run then
                  counts one failure: gates were not checked)
  WAAS_KEEP_DB=1  keep the database afterwards
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import faults
import guard_table
import harness as h
import lifecycle
import security_table

# What Odoo's test runner logs: its summary (failures and errors of all tests run), each
# failed test (``FAIL:``/``ERROR:``, a subtest with its parameters) and each skipped one.
SUMMARY = re.compile(r"odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests when")
FAILED = re.compile(r" ERROR \S+ (odoo\.addons\.\S+): (FAIL|ERROR): (?:Subtest )?(\S+)")
SKIPPED = re.compile(r" INFO \S+ (odoo\.addons\.\S+): skipped (.*)$")


def run_odoo_tests(db, tags, modules):
    """Odoo's own test run; its outcome read from its log, or None when it died."""
    h.CACHE.mkdir(exist_ok=True)
    logfile = h.CACHE / f"{db}.log"
    logfile.unlink(missing_ok=True)
    cmd = h.odoo_cmd("-d", db, f"--db-filter=^{db}$", "-i", ",".join(modules), "--test-enable")
    cmd += [f"--test-tags={tags}", "--stop-after-init", f"--http-port={h.free_port()}"]
    cmd += [f"--gevent-port={h.free_port()}", f"--logfile={logfile}", "--log-level=info"]
    cmd += ["--max-cron-threads=0"]
    log = logfile.relative_to(h.REPO)
    h.say(f"Installing {', '.join(modules)} and running their tests (log: {log})")
    rc = subprocess.run(cmd, cwd=h.REPO, check=False).returncode
    lines = logfile.read_text(errors="replace").splitlines() if logfile.exists() else []
    summaries = [m for m in map(SUMMARY.search, lines) if m]
    if not summaries:
        h.say("The Odoo test process died before its summary; last log lines:")
        print("\n".join(lines[-40:]))
        return None
    failures, errors, run = map(int, summaries[-1].groups())
    failed = [f"{m[2].lower()}: {m[1]}.{m[3]}" for m in map(FAILED.search, lines) if m]
    skips = [f"{m[1]}: {m[2]}" for m in map(SKIPPED.search, lines) if m]
    return {
        "run": run,
        "failures": failures,
        "errors": errors,
        "skipped": len(skips),
        "skips": skips,
        "problems": failed,
        "failed_tests": {line.split(": ", 1)[1] for line in failed},
        "rc": rc,
        "log": h.log_problems(logfile),
    }


def lint_checks():
    """ruff and pylint-odoo, the same gates as the pre-commit configuration."""
    checks = []
    targets = ["addons", "tests"]
    ruff = shutil.which("ruff")
    checks.append(("ruff check", [ruff, "check", *targets] if ruff else None))
    checks.append(("ruff format --check", [ruff, "format", "--check", *targets] if ruff else None))
    modules = [str(Path("addons") / m) for m in h.OUR_ADDONS] + [
        str(Path("tests/addons") / m) for m in h.SCENARIO_ADDONS
    ]
    checks.append(
        (
            "pylint-odoo",
            [sys.executable, "-m", "pylint", "--rcfile=.pylintrc", *modules],
        )
    )
    results = []
    for name, cmd in checks:
        if cmd is None:
            results.append((name, False, "not installed (pip install -r requirements.txt)"))
            continue
        proc = subprocess.run(cmd, cwd=h.REPO, capture_output=True, text=True, check=False)
        results.append((name, proc.returncode == 0, (proc.stdout + proc.stderr).strip()))
    return results


def browser_ready():
    missing = []
    try:
        import websocket  # noqa: F401
    except ImportError:
        missing.append("the Python package websocket-client")
    if not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")):
        missing.append("Chromium (Debian: apt-get install chromium)")
    return missing


def odoo_verdict(res):
    """(passed, failed) of the Odoo test run, skips and log problems counted as failures."""
    if res is None:
        return 0, 1
    bad = res["failures"] + res["errors"]
    passed = max(0, res["run"] - len(res["failed_tests"]) - res["skipped"])
    failed = bad + res["skipped"]
    h.say(
        f"Odoo tests: {res['run']} run, {res['failures']} failed, "
        f"{res['errors']} errors, {res['skipped']} skipped"
    )
    for line in res["problems"]:
        h.say(f"FAIL {line}")
    for line in res["skips"]:
        h.say(f"FAIL skipped (a skipped test is a failed check here): {line}")
    if res["run"] == 0:
        h.say("FAIL no test ran")
        failed += 1
    if res["rc"] and not bad:
        h.say(f"FAIL Odoo exited with code {res['rc']}")
        failed += 1
    problems = res["log"]
    for line in problems:
        h.say(f"FAIL log: {line}")
    if problems:
        failed += 1
    else:
        passed += 1
        h.say("ok   install and test log free of our warnings and of errors")
    return passed, failed


def gates(db, modules, lifecycle_ok):
    """(passed, failed) of the lifecycle checks and the style gates."""
    passed = failed = 0
    if os.environ.get("WAAS_NO_LINT"):
        h.say("FAIL style gates and lifecycle checks not run (WAAS_NO_LINT is set)")
        return 0, 1
    checks = []
    if lifecycle_ok:
        checks += [(name, ok, "\n".join(p)) for name, ok, p in lifecycle.run(db, modules)]
        # Faults on a fresh database of their own: the three addons and their demo data.
        faults_db = f"{db}_faults"
        checks += [(name, ok, "\n".join(p)) for name, ok, p in faults.run(faults_db)]
        if not os.environ.get("WAAS_KEEP_DB"):
            h.drop_db(faults_db)
        # The UBL of every kind of WaaS invoice against the official rules (make einvoice-check).
        einvoice = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("einvoice_check.py"))],
            cwd=h.REPO,
            env={**os.environ, "EINVOICE_DB": f"{db}_einvoice"},
            capture_output=True,
            text=True,
            check=False,
        )
        checks.append(
            (
                "e-invoices, PDF embedded, valid by the EN 16931 and Peppol BIS 3.0 rules "
                "(make einvoice-check)",
                not einvoice.returncode,
                einvoice.stdout + einvoice.stderr,
            )
        )
    guard_problems = guard_table.problems()
    checks.append(
        (
            "README 'Who may change what' lists the guarded fields",
            not guard_problems,
            "\n".join(guard_problems),
        )
    )
    security_problems = security_table.problems()
    checks.append(
        (
            "README 'Security' shows the access and route tables of access_table.py",
            not security_problems,
            "\n".join(security_problems),
        )
    )
    checks += lint_checks()
    for name, ok, output in checks:
        if ok:
            passed += 1
            h.say(f"ok   {name}")
        else:
            failed += 1
            h.say(f"FAIL {name}")
            print(output[-6000:])
    return passed, failed


def main():
    h.require_odoo()
    h.ensure_postgres()
    passed = failed = 0

    missing = browser_ready()
    if missing:
        h.say(f"FAIL browser tours cannot run: missing {' and '.join(missing)}")
        failed += 1

    db = os.environ.get("WAAS_TEST_DB", "waas_test")
    modules = h.OUR_ADDONS + h.SCENARIO_ADDONS
    tags = os.environ.get("WAAS_TEST_TAGS") or ",".join(f"/{m}" for m in modules)
    h.create_db(db)
    res = run_odoo_tests(db, tags, modules)
    ok, ko = odoo_verdict(res)
    passed, failed = passed + ok, failed + ko
    ok, ko = gates(db, modules, lifecycle_ok=res is not None and not res["rc"])
    passed, failed = passed + ok, failed + ko

    if not os.environ.get("WAAS_KEEP_DB"):
        h.drop_db(db)
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
