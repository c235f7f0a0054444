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

import json
import os
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

# WARNING lines of Odoo itself that say nothing about our addons.
IGNORED_WARNINGS = (
    "Running as user 'root' is a security risk",
    "Specified domain",
)


def _is_ours(record):
    text = f"{record['logger']} {record['message']}".lower()
    return any(marker in text for marker in ("also_waas", "waas.", "waas_"))


def log_problems(records):
    problems = []
    for rec in records:
        if any(ignored in rec["message"] for ignored in IGNORED_WARNINGS):
            continue
        if rec["logger"] == "odoo.tests.result":
            continue  # Odoo's own summary of failures that are already counted
        if rec["level"] in ("ERROR", "CRITICAL") or _is_ours(rec):
            if rec["logger"].startswith("odoo.addons.") and ".tests." in rec["logger"]:
                # A failing test logs its own ERROR; it is already counted as a failure.
                if rec["level"] == "ERROR" and (
                    "FAIL:" in rec["message"] or "ERROR:" in rec["message"]
                ):
                    continue
            first_line = rec["message"].splitlines()[0] if rec["message"] else ""
            problems.append(f"{rec['level']} {rec['logger']}: {first_line}")
    return problems


def run_odoo_tests(db, tags, modules):
    h.CACHE.mkdir(exist_ok=True)
    summary = h.CACHE / f"{db}-summary.json"
    logfile = h.CACHE / f"{db}.log"
    summary.unlink(missing_ok=True)
    logfile.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        str(Path(__file__).with_name("odoo_run_tests.py")),
        str(summary),
        "--",
        *h.odoo_cmd()[3:],
        "-d",
        db,
        f"--db-filter=^{db}$",
        "-i",
        ",".join(modules),
        "--test-enable",
        f"--test-tags={tags}",
        "--stop-after-init",
        f"--http-port={h.free_port()}",
        f"--gevent-port={h.free_port()}",
        f"--logfile={logfile}",
        "--log-level=info",
        "--max-cron-threads=0",
    ]
    h.say(
        f"Installing {', '.join(modules)} and running their tests "
        f"(log: {logfile.relative_to(h.REPO)})"
    )
    subprocess.run(cmd, cwd=h.REPO, check=False)
    if not summary.exists():
        h.say("The Odoo test process died before writing its summary; last log lines:")
        if logfile.exists():
            print("\n".join(logfile.read_text(errors="replace").splitlines()[-40:]))
        return None
    return json.loads(summary.read_text())


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
    passed = max(0, res["run"] - len(set(res["failed_tests"])) - res["skipped"])
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
    problems = log_problems(res["log"])
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
    version = h.require_odoo()
    h.ensure_postgres()
    passed = failed = 0

    missing = browser_ready()
    if missing:
        h.say(f"FAIL browser tours cannot run: missing {' and '.join(missing)}")
        failed += 1

    db = os.environ.get("WAAS_TEST_DB", "waas_test")
    modules = h.OUR_ADDONS + h.SCENARIO_ADDONS
    tags = os.environ.get("WAAS_TEST_TAGS") or ",".join(f"/{m}" for m in modules)
    h.copy_db(h.template_db(version), db)
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
