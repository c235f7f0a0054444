"""Shared plumbing of ``make run``, ``make test`` and ``make bench``.

Everything is relative to the repository root; nothing here installs Odoo: Odoo 18.0
Community is the platform the addons plug into and must already be importable.
"""

import ast
import hashlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ADDONS_DIRS = [REPO / "addons", REPO / "tests" / "addons"]
CACHE = REPO / ".cache"
DATA_DIR = REPO / ".odoo-data"
PGDATA = REPO / ".pgdata"
ODOO_CONF = REPO / "odoo.conf"

MISSING_ODOO = (
    "Odoo 18.0 Community is not importable by {python}: install it first "
    "(Odoo's own download at odoo.com, or its source repository github.com/odoo/odoo, branch 18.0)."
)


def say(msg):
    print(f"[waas] {msg}", flush=True)


def require_odoo():
    """Stop at once, exit code 2, when Odoo 18.0 is not importable."""
    try:
        import odoo.release  # noqa: PLC0415
    except ImportError:
        print(MISSING_ODOO.format(python=sys.executable), flush=True)
        sys.exit(2)
    if odoo.release.serie != "18.0":
        print(
            f"Odoo {odoo.release.serie} found, but these addons need Odoo 18.0 Community "
            "(Odoo's own download at odoo.com, or github.com/odoo/odoo, branch 18.0).",
            flush=True,
        )
        sys.exit(2)
    return odoo.release.version


def odoo_cmd(*args):
    """The command line of an Odoo process using the project's configuration."""
    return [
        sys.executable,
        "-m",
        "odoo",
        "-c",
        str(ODOO_CONF),
        f"--addons-path={','.join(str(p) for p in ADDONS_DIRS)}",
        f"--data-dir={DATA_DIR}",
        *args,
    ]


# --------------------------------------------------------------------------- PostgreSQL


def _pg_connect(dbname="postgres"):
    import psycopg2  # noqa: PLC0415

    return psycopg2.connect(dbname=dbname, connect_timeout=3)


def _pg_reachable():
    try:
        _pg_connect().close()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def ensure_postgres():
    """Find PostgreSQL through libpq's variables, else start a private cluster.

    The private cluster lives in the git-ignored ``.pgdata`` folder and listens only on a
    Unix socket there; it is used when no server answers but PostgreSQL's server programs
    (``initdb``, ``pg_ctl``) are installed.
    """
    if _pg_reachable():
        return
    sock = PGDATA / "socket"
    os.environ["PGHOST"] = str(sock)
    os.environ.pop("PGPORT", None)
    if _pg_reachable():
        return
    initdb, pg_ctl = _pg_server_programs()
    if not initdb:
        say("No PostgreSQL server answers (PGHOST/PGPORT) and initdb/pg_ctl are not installed.")
        sys.exit(2)
    run_as = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: run the private cluster as the postgres user.
        run_as = ["runuser", "-u", "postgres", "--"]
    data = PGDATA / "data"
    sock.mkdir(parents=True, exist_ok=True)
    if run_as:
        shutil.chown(PGDATA, "postgres")
        shutil.chown(sock, "postgres")
    if not (data / "PG_VERSION").exists():
        say(f"Starting a private PostgreSQL cluster in {PGDATA.relative_to(REPO)}")
        user = os.environ.get("PGUSER") or _os_user()
        subprocess.run(
            [*run_as, initdb, "-D", str(data), "-A", "trust", "-U", user, "-E", "UTF8"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    subprocess.run(
        [
            *run_as,
            pg_ctl,
            "-D",
            str(data),
            "-l",
            str(PGDATA / "server.log"),
            "-o",
            f"-k {sock} -c listen_addresses=''",
            "-w",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if not _pg_reachable():
        say("The private PostgreSQL cluster did not start; see .pgdata/server.log")
        sys.exit(2)


def _os_user():
    import pwd  # noqa: PLC0415

    return pwd.getpwuid(os.geteuid()).pw_name


def _pg_server_programs():
    candidates = [shutil.which("initdb"), shutil.which("pg_ctl")]
    if all(candidates):
        return candidates
    for bindir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (bindir / "initdb").exists():
            return str(bindir / "initdb"), str(bindir / "pg_ctl")
    return None, None


def query(db, sql, params=()):
    """The rows of one SQL query on database ``db``."""
    conn = _pg_connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()
    finally:
        conn.close()


def db_exists(name):
    return bool(query("postgres", "SELECT 1 FROM pg_database WHERE datname = %s", (name,)))


def click_odoo(tool, *args, **kwargs):
    """Run one of click-odoo-contrib's commands (``initdb``, ``update``, ...) with the
    project's configuration; ``kwargs`` go to ``subprocess.run``."""
    cmd = [shutil.which(f"click-odoo-{tool}") or f"click-odoo-{tool}", "-c", str(ODOO_CONF)]
    return subprocess.run([*cmd, *args], cwd=REPO, check=False, **kwargs)


def drop_db(name):
    """Drop a database and its filestore (click-odoo-dropdb); no error when absent."""
    click_odoo("dropdb", "--if-exists", name, capture_output=True)


# --------------------------------------------------------------------------- addons


def _addons(base):
    return sorted(p.parent.name for p in base.glob("*/__manifest__.py"))


# Every folder of addons/ is one of our addons; tests/addons holds the scenario addon(s).
OUR_ADDONS = _addons(ADDONS_DIRS[0])
SCENARIO_ADDONS = _addons(ADDONS_DIRS[1])


def manifest(module):
    for base in ADDONS_DIRS:
        path = base / module / "__manifest__.py"
        if path.exists():
            return ast.literal_eval(path.read_text())
    raise FileNotFoundError(module)


def platform_modules():
    """The Odoo modules our addons stand on (the dependencies that are not ours)."""
    ours = set(OUR_ADDONS + SCENARIO_ADDONS)
    found = set()
    for module in ours:
        found.update(dep for dep in manifest(module).get("depends", []) if dep not in ours)
    return sorted(found)


def dependency_order(modules):
    """``modules`` sorted so that each comes after those of them it depends on."""
    done = []

    def visit(module):
        if module not in done:
            for dep in manifest(module).get("depends", []):
                if dep in modules:
                    visit(dep)
            done.append(module)

    for module in sorted(modules):
        visit(module)
    return done


def cache_prefix(modules):
    """The prefix of the cached templates of ``modules``: ``waas`` and four characters of
    the list's hash. click-odoo-initdb keys its templates on the files of the modules and of
    every module they could auto-install, which counts every localisation (Odoo 18's
    ``l10n_*`` are auto-installable): without the list in the prefix, a template without
    ``l10n_nl`` would be taken for one with it."""
    return "waas" + hashlib.sha1(",".join(sorted(modules)).encode()).hexdigest()[:4]


def create_db(name):
    """A fresh database ``name`` with Odoo's own modules (and their demo data).

    click-odoo-initdb keeps the template: it is built once, named ``waas-<date>-<hash>``
    after the modules and the content of their files, and copied for each new database;
    its attachments are stored in the database, so it needs no filestore.
    """
    drop_db(name)
    modules = platform_modules()
    say(f"Creating {name} with {', '.join(modules)} (click-odoo-initdb, cached template)")
    proc = click_odoo(
        "initdb",
        f"--addons-path={','.join(str(p) for p in ADDONS_DIRS)}",
        "-n",
        name,
        "-m",
        ",".join(modules),
        f"--cache-prefix={cache_prefix(modules)}",
        "--cache-max-size=3",
    )
    if proc.returncode:
        say(f"Creating the database {name} failed")
        sys.exit(proc.returncode)
    localise_main_company(name)


# The main company is ALSO Nederland B.V.: Dutch chart of accounts (l10n_nl: 21% VAT, fiscal
# positions) and euros. Like Odoo's database manager, which sets the country before the
# chart is chosen, this is done when the database is made, before our addons and their demo
# data are installed: Odoo refuses to change the currency or chart of a company with journal
# entries. In a demo database Odoo's chart loader first removes the generic chart and the
# accounting demo entries it came with (Odoo's own "reload in demo" path). Only when
# ``l10n_nl`` is among the platform modules (a dependency of ``also_waas_demo``).
LOCALISE_SCRIPT = """
company = env.ref("base.main_company")
if company.chart_template != "nl":
    company.country_id = env.ref("base.nl")
    env["account.chart.template"].try_loading("nl", company, install_demo=False)
    # The company's sales price lists follow its currency (Odoo leaves them as they were).
    env["product.pricelist"].with_context(active_test=False).search(
        [("company_id", "in", [False, company.id])]
    ).currency_id = company.currency_id
    # Exchange rates are relative to the company's currency, whose rate is 1: the demo rates
    # made for US dollars are divided by the euro's rate of the same day.
    Rate = env["res.currency.rate"]
    for own in Rate.search(
        [("currency_id", "=", company.currency_id.id), ("company_id", "in", [False, company.id])]
    ):
        for rate in Rate.search(
            [("name", "=", own.name), ("company_id", "=", own.company_id.id), ("id", "!=", own.id)]
        ):
            rate.rate = rate.rate / own.rate
        own.unlink()
env.cr.commit()
print("main company:", company.name, company.chart_template, company.currency_id.name)
"""


def localise_main_company(name):
    installed = query(
        name, "SELECT 1 FROM ir_module_module WHERE name = 'l10n_nl' AND state = 'installed'"
    )
    if not installed:
        return
    say(f"{name}: the main company gets the Dutch chart of accounts and euros")
    cmd = odoo_cmd("-d", name, "--no-http", "--log-level=warn")
    cmd.insert(cmd.index("-m") + 2, "shell")  # the subcommand comes before the options
    proc = subprocess.run(
        cmd,
        input=LOCALISE_SCRIPT,
        text=True,
        capture_output=True,
        cwd=REPO,
        check=False,
    )
    if proc.returncode or "main company:" not in proc.stdout:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        say(f"Localising the main company of {name} failed")
        sys.exit(proc.returncode or 1)


# --------------------------------------------------------------------------- README tables


def readme_tables(heading):
    """The tables of README.md's section ``heading`` (down to the next heading of its level
    or above), each as [header, *rows] of stripped cells (the separator row left out)."""
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    if heading not in lines:
        raise AssertionError(f"README.md has no '{heading}' section")
    level = len(heading.split(" ")[0])
    tables, rows = [], []
    for line in [*lines[lines.index(heading) + 1 :], ""]:
        if line.startswith("#") and len(line.split(" ")[0]) <= level:
            break
        if line.strip().startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            tables.append([rows[0], *rows[2:]])
            rows = []
    if rows:
        tables.append([rows[0], *rows[2:]])
    return tables


def differences(source, readme, source_name, table, differ):
    """One line for each key of the dicts ``source`` and ``readme`` that the other lacks,
    and the lines ``differ(key)`` for each key whose values differ."""
    found = []
    for key in [*source, *(k for k in readme if k not in source)]:
        if key not in readme:
            found.append(f"{key}: in {source_name}, missing from the README {table} table")
        elif key not in source:
            found.append(f"{key}: in the README {table} table, missing from {source_name}")
        elif readme[key] != source[key]:
            found += differ(key)
    return found


CHECKLOG_CFG = Path(__file__).with_name("checklog-odoo.cfg")


def log_problems(logfile):
    """The log records that fail the run: checklog-odoo with the ignore list of
    ``checklog-odoo.cfg`` (every ERROR, and each WARNING about our addons or the PDF
    renderer); one line per record, its first line."""
    if not Path(logfile).exists():
        return [f"no log written ({logfile})"]
    proc = subprocess.run(
        ["checklog-odoo", "--no-echo", "-c", str(CHECKLOG_CFG), str(logfile)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if not proc.returncode:
        return []
    _ignored, _, failing = proc.stdout.rpartition("errors that caused failure")
    records = [line[:300] for line in failing.splitlines() if line[:4].isdigit()]
    return records or [(proc.stdout + proc.stderr).strip()[-500:]]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
