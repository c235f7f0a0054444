"""``make i18n``: refresh each addon's ``i18n/<addon>.pot`` and ``i18n/nl.po``.

Exports the terms of our addons from a throw-away database with ``click-odoo-makepot``
(which writes the ``.pot``), and merges it into ``nl.po``: existing Dutch translations are kept,
new terms are added untranslated and listed in ``.cache/i18n/<addon>.todo.json``.

``python3 tests/harness/i18n_sync.py apply <addon> <file.json>`` fills ``nl.po`` from a JSON
object {msgid: Dutch msgstr}.
"""

import json
import subprocess
import sys
from pathlib import Path

import polib

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h

DB = "waas_i18n"
HEADER = {
    "Project-Id-Version": "Odoo Server 18.0",
    "Language": "nl",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "",
    "Plural-Forms": "nplurals=2; plural=(n != 1);",
}


def po_path(addon):
    return h.REPO / "addons" / addon / "i18n" / "nl.po"


def export():
    h.require_odoo()
    h.ensure_postgres()
    h.create_db(DB)
    modules = ",".join(h.OUR_ADDONS)
    subprocess.run(
        h.odoo_cmd("-d", DB, "--db-filter=.*", "-i", modules, "--stop-after-init", "--no-http"),
        cwd=h.REPO,
        check=True,
    )
    # click-odoo-makepot writes addons/<addon>/i18n/<addon>.pot (Odoo's own exporter, without
    # the creation dates) and checks that every .po is valid gettext.
    if h.click_odoo("makepot", "-d", DB, "--addons-dir=addons").returncode:
        sys.exit("click-odoo-makepot failed")
    todo_dir = h.CACHE / "i18n"
    todo_dir.mkdir(parents=True, exist_ok=True)
    for addon in h.OUR_ADDONS:
        todo = merge(addon, h.REPO / "addons" / addon / "i18n" / f"{addon}.pot")
        (todo_dir / f"{addon}.todo.json").write_text(
            json.dumps({msgid: "" for msgid in todo}, indent=1, ensure_ascii=False)
        )
        h.say(f"{addon}: {len(todo)} terms to translate ({todo_dir / (addon + '.todo.json')})")
    h.drop_db(DB)


def merge(addon, pot):
    template = polib.pofile(str(pot))
    old = {}
    path = po_path(addon)
    if path.exists():
        old = {e.msgid: e.msgstr for e in polib.pofile(str(path)) if e.msgstr and not e.obsolete}
    po = polib.POFile(wrapwidth=78)
    po.metadata = dict(HEADER)
    todo = []
    for entry in template:
        entry.msgstr = old.get(entry.msgid, "")
        if not entry.msgstr:
            todo.append(entry.msgid)
        po.append(entry)
    po.save(str(path))
    return todo


def apply(addon, json_file):
    translations = json.loads(Path(json_file).read_text())
    path = po_path(addon)
    po = polib.pofile(str(path), wrapwidth=78)
    filled = 0
    for entry in po:
        value = translations.get(entry.msgid)
        if value and not entry.msgstr:
            entry.msgstr = value
            filled += 1
    po.save(str(path))
    missing = sum(1 for e in po if not e.msgstr)
    h.say(f"{addon}: {filled} translations added, {missing} still missing")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "apply":
        apply(sys.argv[2], sys.argv[3])
    else:
        export()
