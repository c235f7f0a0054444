"""``make run``: create (first time) or update the demo database, then serve Odoo.

Safe to run again: an existing demo database is updated (``-u``), never recreated.
Environment knobs: WAAS_DEMO_DB (default also_waas_demo), WAAS_HTTP_PORT (default 8069),
WAAS_NO_SERVE=1 (prepare the database and stop).
"""

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h

LOGINS = [
    ("Back office (ALSO staff, WaaS Manager)", "admin", "admin"),
    ("ALSO Nederland back office, in Dutch", "backoffice.nl@also.example.com", "backoffice.nl"),
    ("Sales ops (ALSO staff, WaaS User)", "sales.ops@also.example.com", "sales.ops"),
    ("Reseller A portal, in Dutch", "reseller.a@example.com", "reseller.a"),
    ("Reseller B portal", "reseller.b@example.com", "reseller.b"),
    ("End customer portal, in Dutch", "customer@example.com", "customer"),
]


def main():
    h.require_odoo()
    h.ensure_postgres()
    db = os.environ.get("WAAS_DEMO_DB", "also_waas_demo")
    port = os.environ.get("WAAS_HTTP_PORT", "8069")
    modules = ",".join(h.OUR_ADDONS)
    if h.db_exists(db):
        h.say(f"Updating {modules} in the demo database {db}")
        step = ["-u", modules]
    else:
        h.say(f"Creating the demo database {db} with {modules} and their demo data")
        h.create_db(db)
        step = ["-i", modules]
    proc = subprocess.run(
        h.odoo_cmd("-d", db, f"--db-filter=^{db}$", *step, "--stop-after-init", "--no-http"),
        cwd=h.REPO,
        check=False,
    )
    if proc.returncode:
        h.say("Installing or updating the addons failed; see the log above")
        sys.exit(proc.returncode)
    print()
    h.say(f"Demo database {db} ready. Open http://localhost:{port}/web/login")
    for who, login, password in LOGINS:
        h.say(f"  {who:40} login {login:32} password {password}")
    print(flush=True)
    if os.environ.get("WAAS_NO_SERVE"):
        return
    cmd = h.odoo_cmd("-d", db, f"--db-filter=^{db}$", f"--http-port={port}")
    os.chdir(h.REPO)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
