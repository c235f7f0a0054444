import json

from odoo import Command, fields
from odoo.tests import Form, tagged

from .test_invoicing import InvoicingCommon

D = fields.Date.to_date
WAAS_KEYS = ("waas_contract_id", "waas_period_start", "waas_period_end")


@tagged("post_install", "-at_install")
class TestInvoiceShapes(InvoicingCommon):
    """The invoice run computes the journal items of the first invoice of each shape and
    copies them to the others: every invoice must be exactly what Odoo's own ``create``
    makes of the same values, whatever taxes, fiscal positions, payment terms and
    receivable accounts the end customers have."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env, company = cls.env, cls.company
        Tax = env["account.tax"]
        cls.tax_21 = Tax.create(
            {"name": "WaaS VAT 21%", "amount": 21, "type_tax_use": "sale", "company_id": company.id}
        )
        cls.tax_0 = Tax.create(
            {
                "name": "WaaS VAT 0% EU",
                "amount": 0,
                "type_tax_use": "sale",
                "company_id": company.id,
            }
        )
        (cls.bundle | cls.upgrade_premium).product_tmpl_id.write(
            {"taxes_id": [Command.set(cls.tax_21.ids)]}
        )
        be = env.ref("base.be")
        env["account.fiscal.position"].create(
            {
                "name": "WaaS intra-EU (BE)",
                "company_id": company.id,
                "auto_apply": True,
                "country_id": be.id,
                "tax_ids": [
                    Command.create({"tax_src_id": cls.tax_21.id, "tax_dest_id": cls.tax_0.id})
                ],
            }
        )
        cls.term_30_70 = env["account.payment.term"].create(
            {
                "name": "30% now, 70% in 30 days",
                "company_id": company.id,
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 30, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 70, "nb_days": 30}),
                ],
            }
        )
        receivable = env["account.account"].create(
            {
                "name": "WaaS key accounts receivable",
                "code": "130099",
                "account_type": "asset_receivable",
                "reconcile": True,
                "company_ids": [Command.set(company.ids)],
            }
        )
        Partner = env["res.partner"]
        nl = env.ref("base.nl")
        cls.customers = (
            Partner.create({"name": "Shape NL 1", "is_company": True, "country_id": nl.id})
            | Partner.create({"name": "Shape NL 2", "is_company": True, "country_id": nl.id})
            | Partner.create(
                {
                    "name": "Shape NL terms",
                    "is_company": True,
                    "country_id": nl.id,
                    "property_payment_term_id": cls.term_30_70.id,
                }
            )
            | Partner.create(
                {
                    "name": "Shape NL own receivable",
                    "is_company": True,
                    "country_id": nl.id,
                    "property_account_receivable_id": receivable.id,
                }
            )
            | Partner.create({"name": "Shape BE 1", "is_company": True, "country_id": be.id})
            | Partner.create({"name": "Shape BE 2", "is_company": True, "country_id": be.id})
        )

    def _snapshot(self, move):
        def ids(records):
            return tuple(sorted(records.ids))

        lines = sorted(
            (
                line.display_type,
                # The instalments are named after the invoice's own payment reference.
                (line.name or "") == (move.payment_reference or "")
                if line.display_type == "payment_term"
                else line.name or "",
                line.account_id.id,
                line.partner_id.id,
                line.product_id.id,
                line.quantity,
                line.price_unit,
                ids(line.tax_ids),
                line.tax_line_id.id,
                line.tax_repartition_line_id.id,
                ids(line.tax_tag_ids),
                line.tax_base_amount,
                line.balance,
                line.amount_currency,
                line.debit,
                line.credit,
                line.amount_residual,
                str(line.date_maturity),
                line.price_subtotal,
                line.price_total,
            )
            for line in move.line_ids
        )
        return (
            move.partner_id.id,
            move.fiscal_position_id.id,
            move.invoice_payment_term_id.id,
            str(move.invoice_date),
            str(move.invoice_date_due),
            move.amount_untaxed,
            move.amount_tax,
            move.amount_total,
            move.amount_residual,
            json.dumps(move.tax_totals, sort_keys=True, default=str),
            lines,
        )

    def _plain(self, move):
        """The same invoice made by Odoo's own ``create``."""
        contract = move.waas_contract_id
        vals = contract._waas_prepare_invoice_vals(move.waas_period_start, move.waas_period_end)
        for key in WAAS_KEYS:
            vals.pop(key)
        return self.env["account.move"].create(dict(vals, journal_id=move.journal_id.id))

    def _contracts(self):
        contracts = self.env["waas.contract"]
        for customer in self.customers:
            for products in (
                [(self.bundle, 1), (self.upgrade_premium, 1)],
                [(self.bundle, 1), (self.upgrade_premium, 1)],
                [(self.bundle, 3)],
            ):
                contracts |= self._new_contract(partner=customer, products=products)
        return contracts

    def test_every_invoice_as_odoo_makes_it(self):
        contracts = self._contracts()
        moves = self._run("2026-02-15", contracts)
        self.assertEqual(len(moves), 2 * len(contracts))
        # The fiscal position Odoo chooses for each customer (the company's chart brings its
        # own, e.g. the Dutch chart's B2C one for a customer without VAT number).
        FiscalPosition = self.env["account.fiscal.position"].with_company(self.company)
        expected = {FiscalPosition._get_fiscal_position(c).name or False for c in self.customers}
        self.assertIn("WaaS intra-EU (BE)", expected)
        self.assertEqual(set(moves.mapped(lambda m: m.fiscal_position_id.name)), expected)
        self.assertIn(self.term_30_70, moves.invoice_payment_term_id)
        for move in moves:
            self.assertEqual(self._snapshot(move), self._snapshot(self._plain(move)), move.ref)
        own = moves.filtered(lambda m: m.partner_id.name == "Shape NL own receivable")
        self.assertEqual(
            own.line_ids.filtered(lambda ln: ln.display_type == "payment_term").account_id.code,
            "130099",
        )
        terms = moves.filtered(lambda m: m.invoice_payment_term_id == self.term_30_70)
        for move in terms:
            due = move.line_ids.filtered(lambda ln: ln.display_type == "payment_term")
            self.assertEqual(len(due), 2)
            first, second = sorted(due.mapped("balance"))
            self.assertAlmostEqual(first, 0.3 * move.amount_total, places=2)
            self.assertAlmostEqual(first + second, move.amount_total, places=2)

    def test_posted_and_edited_like_any_invoice(self):
        contracts = self._contracts()[:6]
        moves = self._run("2026-01-15", contracts)
        copied = moves[-1]
        plain = self._plain(copied)
        for move in (copied, plain):
            with Form(move) as form:
                with form.invoice_line_ids.edit(0) as line:
                    line.quantity = 4
        self.assertEqual(self._snapshot(copied), self._snapshot(plain))
        (copied | plain).action_post()
        self.assertEqual(self._snapshot(copied), self._snapshot(plain))
        self.assertEqual(copied.state, "posted")
        self.assertEqual(copied.amount_residual, copied.amount_total)
