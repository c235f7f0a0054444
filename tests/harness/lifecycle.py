"""Module lifecycle on a database with data: update and uninstall, each checked.

Run by ``make test`` after the Odoo tests, on the same throw-away database (which holds the
demo data of our addons). Each step is one check: it passes when the command exits cleanly,
its log passes checklog-odoo (``harness.log_problems``), and (for uninstall) nothing of the
addons is left behind (tables, models). Last, our addons are installed again on the database
their uninstall left (with the records it kept), checked the same way. The update and the
uninstall are click-odoo-contrib's ``click-odoo-update`` and ``click-odoo-uninstall``.
"""

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h


def _leftovers(db):
    tables = h.query(
        db,
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE %s",
        ("waas\\_%",),
    )
    models = h.query(db, "SELECT model FROM ir_model WHERE model LIKE %s", ("waas.%",))
    return [row[0] for row in tables + models]


def _states(db, modules):
    rows = h.query(
        db, "SELECT name, state FROM ir_module_module WHERE name = ANY(%s)", (list(modules),)
    )
    return dict(rows)


def _step(db, logfile, proc, modules, state):
    """The problems of one step: exit code, log, and ``modules`` not in ``state``."""
    problems = h.log_problems(logfile)
    if proc.returncode:
        problems.insert(0, f"exit {proc.returncode}: {(proc.stderr or '').strip()[-500:]}")
    states = _states(db, modules)
    if any(states.get(m) != state for m in modules):
        problems.append(f"not {state}: {states}")
    return problems


def run(db, modules):
    """Yield (check name, ok, detail) for each lifecycle step."""
    logfile = h.CACHE / f"{db}-lifecycle.log"
    states = _states(db, modules)
    if any(states.get(m) != "installed" for m in modules):
        yield ("lifecycle: addons installed before update", False, [str(states)])
        return

    # click-odoo-update updates the addons whose files differ from the checksums stored at
    # install: ours (installed without checksums); Odoo's own are left alone.
    logfile.unlink(missing_ok=True)
    args = ["-d", db, f"--logfile={logfile}", "--ignore-core-addons"]
    proc = h.click_odoo("update", *args, capture_output=True, text=True)
    problems = _step(db, logfile, proc, modules, "installed")
    log = logfile.read_text(errors="replace") if logfile.exists() else ""
    if "Updating addons for their hash changed" not in log:
        problems.append("click-odoo-update found nothing to update")
    yield (f"lifecycle: update {', '.join(modules)}", not problems, problems)

    # Uninstall in dependency order: the scenario addon(s), then ours, dependants first.
    steps = [[m for m in modules if m not in h.OUR_ADDONS]]
    steps += [[m] for m in reversed(h.dependency_order(h.OUR_ADDONS))]
    for names in steps:
        logfile.unlink(missing_ok=True)
        args = ["-d", db, f"--logfile={logfile}", "-m", ",".join(names)]
        proc = h.click_odoo("uninstall", *args, capture_output=True, text=True)
        problems = _step(db, logfile, proc, names, "uninstalled")
        if names == steps[-1]:
            left = _leftovers(db)
            if left:
                problems.append(f"left behind: {', '.join(left[:10])}")
        yield (f"lifecycle: uninstall {', '.join(names)}", not problems, problems)

    logfile.unlink(missing_ok=True)
    problems = install_our_addons(db, logfile)
    yield (f"lifecycle: install again {', '.join(h.OUR_ADDONS)}", not problems, problems)


def install_our_addons(db, logfile):
    """Install our addons on ``db`` (stop after init); the problems of the step."""
    cmd = h.odoo_cmd("-d", db, f"--db-filter=^{db}$", "-i", ",".join(h.OUR_ADDONS))
    cmd += ["--stop-after-init", "--no-http", "--max-cron-threads=0", f"--logfile={logfile}"]
    proc = subprocess.run(cmd, cwd=h.REPO, check=False, capture_output=True, text=True)
    return _step(db, logfile, proc, h.OUR_ADDONS, "installed")
