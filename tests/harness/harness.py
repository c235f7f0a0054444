"""Shared plumbing of ``make run``, ``make test`` and ``make bench``.

Everything is relative to the repository root; nothing here installs Odoo: Odoo 18.0
Community is the platform the addons plug into and must already be importable.
"""

import ast
import contextlib
import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ADDONS_DIRS = [REPO / "addons", REPO / "tests" / "addons"]
OUR_ADDONS = ["also_waas", "also_waas_commission", "also_waas_returns"]
SCENARIO_ADDONS = ["also_waas_scenarios"]
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


def db_exists(name):
    conn = _pg_connect()
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return bool(cr.fetchone())
    finally:
        conn.close()


def _admin_sql(sql):
    conn = _pg_connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(sql)
    finally:
        conn.close()


def drop_db(name):
    _admin_sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    )
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}"')
    shutil.rmtree(DATA_DIR / "filestore" / name, ignore_errors=True)


def copy_db(template, name):
    drop_db(name)
    _admin_sql(f'CREATE DATABASE "{name}" WITH TEMPLATE "{template}"')
    src = DATA_DIR / "filestore" / template
    if src.exists():
        shutil.copytree(src, DATA_DIR / "filestore" / name)


# --------------------------------------------------------------------------- addons


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


@contextlib.contextmanager
def locked(name):
    CACHE.mkdir(exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def template_db(odoo_version):
    """A database with Odoo's own modules (and their demo data), built once and cached.

    The name carries a hash of the Odoo version and of the module list, so a new
    dependency or another Odoo build makes a new template.
    """
    modules = platform_modules()
    key = hashlib.sha1(f"{odoo_version}|{','.join(modules)}|demo".encode()).hexdigest()[:10]
    name = f"waas_tmpl_{key}"
    with locked("template"):
        # The template is whole only with its filestore (a fresh clone has none of its own).
        if db_exists(name) and (DATA_DIR / "filestore" / name).exists():
            return name
        drop_db(name)
        building = f"{name}_building"
        drop_db(building)
        say(f"Building the cached template database {name} ({', '.join(modules)}); once only")
        t0 = time.time()
        proc = subprocess.run(
            odoo_cmd(
                "-d",
                building,
                "-i",
                ",".join(modules),
                "--stop-after-init",
                "--no-http",
                "--log-level=warn",
                "--db-filter=.*",
            ),
            cwd=REPO,
            check=False,
        )
        if proc.returncode:
            say("Building the template database failed")
            sys.exit(proc.returncode)
        _admin_sql(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        src = DATA_DIR / "filestore" / building
        if src.exists():
            shutil.rmtree(DATA_DIR / "filestore" / name, ignore_errors=True)
            src.rename(DATA_DIR / "filestore" / name)
        say(f"Template ready in {time.time() - t0:.0f}s")
    return name


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
