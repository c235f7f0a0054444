"""Module lifecycle on a database with data: update (-u) and uninstall, each checked.

Run by ``make test`` after the Odoo tests, on the same throw-away database (which holds the
demo data of the three addons). Each step is one check: it passes when Odoo exits cleanly,
its log holds no ERROR and no WARNING about our addons, and (for uninstall) nothing of the
addon is left behind (tables, models). Last, the three addons are installed again on the
database their uninstall left (with the records it kept), checked the same way.
"""

import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h

MARKERS = ("also_waas", "waas.", "waas_")
LINE = re.compile(r"^\S+ \S+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>\S+): (?P<msg>.*)$")

UNINSTALL = """
import sys
import odoo
from odoo.modules.registry import Registry

odoo.tools.config.parse_config(sys.argv[1:])
db = odoo.tools.config["db_name"]
names = {names!r}
registry = Registry(db)
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {{}})
    env["ir.module.module"].search([("name", "in", names)]).button_immediate_uninstall()
registry = Registry(db)
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {{}})
    states = env["ir.module.module"].search([("name", "in", names)]).mapped("state")
    if set(states) != {{"uninstalled"}}:
        raise SystemExit(f"still installed: {{states}}")
"""


def _log_problems(logfile, markers):
    problems = []
    if not logfile.exists():
        return ["no log written"]
    for raw in logfile.read_text(errors="replace").splitlines():
        match = LINE.match(raw)
        if not match or match["level"] not in ("WARNING", "ERROR", "CRITICAL"):
            continue
        text = f"{match['logger']} {match['msg']}".lower()
        if match["level"] != "WARNING" or any(m in text for m in markers):
            if "running as user 'root'" in text:
                continue
            problems.append(f"{match['level']} {match['logger']}: {match['msg'][:200]}")
    return problems


def _leftovers(db, tables_like, model_prefix):
    conn = h._pg_connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE %s",
                (tables_like,),
            )
            tables = [r[0] for r in cr.fetchall()]
            cr.execute("SELECT model FROM ir_model WHERE model LIKE %s", (model_prefix,))
            models = [r[0] for r in cr.fetchall()]
    finally:
        conn.close()
    return tables + models


def _states(db, modules):
    conn = h._pg_connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT name, state FROM ir_module_module WHERE name = ANY(%s)", (list(modules),)
            )
            return dict(cr.fetchall())
    finally:
        conn.close()


def run(db, modules):
    """Yield (check name, ok, detail) for each lifecycle step."""
    logfile = h.CACHE / f"{db}-lifecycle.log"
    markers = MARKERS
    states = _states(db, modules)
    if any(states.get(m) != "installed" for m in modules):
        yield ("lifecycle: addons installed before update", False, [str(states)])
        return

    logfile.unlink(missing_ok=True)
    proc = subprocess.run(
        h.odoo_cmd(
            "-d",
            db,
            f"--db-filter=^{db}$",
            "-u",
            ",".join(modules),
            "--stop-after-init",
            "--no-http",
            f"--logfile={logfile}",
        ),
        cwd=h.REPO,
        check=False,
    )
    problems = _log_problems(logfile, markers)
    if proc.returncode:
        problems.insert(0, f"odoo exited with {proc.returncode}")
    states = _states(db, modules)
    if any(states.get(m) != "installed" for m in modules):
        problems.append(f"not installed after the update: {states}")
    yield (f"lifecycle: update (-u) {', '.join(modules)}", not problems, problems)

    # Uninstall in dependency order: the scenario module, the two sub-addons, then the base.
    steps = [
        [m for m in modules if m not in h.OUR_ADDONS],
        ["also_waas_commission"],
        ["also_waas_returns"],
        ["also_waas"],
    ]
    for names in steps:
        if not names:
            continue
        logfile.unlink(missing_ok=True)
        script = UNINSTALL.format(names=names)
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                script,
                *h.odoo_cmd()[3:],
                "-d",
                db,
                f"--logfile={logfile}",
            ],
            cwd=h.REPO,
            check=False,
            capture_output=True,
            text=True,
        )
        problems = _log_problems(logfile, markers)
        if proc.returncode:
            problems.insert(0, f"exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
        if names == ["also_waas"]:
            left = _leftovers(db, "waas\\_%", "waas.%")
            if left:
                problems.append(f"left behind: {', '.join(left[:10])}")
        yield (f"lifecycle: uninstall {', '.join(names)}", not problems, problems)

    logfile.unlink(missing_ok=True)
    problems = install_our_addons(db, logfile, markers)
    states = _states(db, h.OUR_ADDONS)
    if any(states.get(m) != "installed" for m in h.OUR_ADDONS):
        problems.append(f"not installed again: {states}")
    yield (f"lifecycle: install again {', '.join(h.OUR_ADDONS)}", not problems, problems)


def install_our_addons(db, logfile, markers):
    """Install the three addons on ``db`` (stop after init); the problems found in the
    exit code and the log."""
    proc = subprocess.run(
        h.odoo_cmd(
            "-d",
            db,
            f"--db-filter=^{db}$",
            "-i",
            ",".join(h.OUR_ADDONS),
            "--stop-after-init",
            "--no-http",
            "--max-cron-threads=0",
            f"--logfile={logfile}",
        ),
        cwd=h.REPO,
        check=False,
    )
    problems = _log_problems(logfile, markers)
    if proc.returncode:
        problems.insert(0, f"odoo exited with {proc.returncode}")
    return problems
