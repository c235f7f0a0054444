from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestSuiteInstalled(TransactionCase):
    def test_three_addons_installed(self):
        """The three WaaS addons are installed together."""
        modules = self.env["ir.module.module"].search(
            [("name", "in", ("also_waas", "also_waas_commission", "also_waas_returns"))]
        )
        self.assertEqual(set(modules.mapped("state")), {"installed"})
        self.assertEqual(len(modules), 3)
