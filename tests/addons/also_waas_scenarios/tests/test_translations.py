from pathlib import Path

import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader


@tagged("post_install", "-at_install")
class TestDutchTranslation(TransactionCase):
    """Every user-facing term of each addon has a Dutch translation in its i18n/nl.po."""

    def test_nl_po_complete(self):
        # Every addon of the suite installed here (also_waas_sepa included when present).
        modules = self.env["ir.module.module"].search(
            [("name", "=like", "also_waas%"), ("state", "=", "installed")]
        )
        addons = sorted(
            name for name in modules.mapped("name") if not name.startswith("also_waas_scenarios")
        )
        self.assertIn("also_waas_returns", addons)
        for module in addons:
            with self.subTest(module=module):
                po_path = Path(get_module_path(module)) / "i18n" / "nl.po"
                self.assertTrue(po_path.exists(), f"{module} has i18n/nl.po")
                translated = {
                    entry.msgid
                    for entry in polib.pofile(str(po_path))
                    if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags
                }
                reader = TranslationModuleReader(self.env.cr, modules=[module])
                # Rows are (module, type, name, res_id, source, value, comments).
                terms = {row[4] for row in reader if row[0] == module}
                missing = sorted(terms - translated)
                self.assertFalse(
                    missing,
                    f"{module}: {len(missing)} terms without a Dutch translation, e.g. "
                    f"{missing[:5]}",
                )
