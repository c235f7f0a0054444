# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _waas_sdd_collection_date(self):
        """The day the direct debit of this invoice is requested: its due date, never in
        the past (OCA's payment orders refuse an execution date before today)."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        return max(self.invoice_date_due or today, today)

    def _waas_sdd_payable_lines(self):
        """Open receivable lines of these posted direct debit invoices, not yet in a
        payment order."""
        return self.filtered(
            lambda m: (
                m.state == "posted"
                and m.mandate_id
                and m.payment_mode_id.payment_method_id.code == "sepa_direct_debit"
            )
        ).line_ids.filtered(
            lambda line: (
                line.account_id.account_type == "asset_receivable"
                and not line.reconciled
                and not line.payment_line_ids.filtered(
                    lambda p: p.state in ("draft", "open", "generated")
                )
            )
        )

    def _waas_sdd_add_to_payment_orders(self):
        """File the posted WaaS direct debit invoices of ``self`` into one draft inbound
        payment order per company (its WaaS direct debit mode) and collection date,
        reusing a draft order of that mode and date; lines are made by OCA's
        ``create_payment_line_from_move_line`` (one create per order). Returns the orders."""
        Order = self.env["account.payment.order"]
        lines = self._waas_sdd_payable_lines()
        if not lines:
            return Order
        groups = defaultdict(lambda: self.env["account.move.line"])
        for line in lines:
            key = (line.payment_mode_id, line.move_id._waas_sdd_collection_date())
            groups[key] |= line
        # sudo: the invoice run files its invoices into the payment order (WaaS users and
        # the cron's user need no payment-order rights); accountants confirm and send it.
        Order = Order.sudo()
        existing = Order.search(
            [
                ("state", "=", "draft"),
                ("payment_mode_id", "in", list({mode.id for mode, _date in groups})),
                ("date_prefered", "=", "fixed"),
                ("date_scheduled", "in", list({date for _mode, date in groups})),
            ]
        )
        orders = {(o.payment_mode_id, o.date_scheduled): o for o in existing}
        missing = [key for key in groups if key not in orders]
        created = Order.create(
            [
                {
                    "payment_mode_id": mode.id,
                    "date_prefered": "fixed",
                    "date_scheduled": date,
                    "description": self.env._("WaaS monthly direct debits"),
                }
                for mode, date in missing
            ]
        )
        orders.update(dict(zip(missing, created, strict=True)))
        for key, group in groups.items():
            group.sudo().create_payment_line_from_move_line(orders[key])
        return Order.browse([orders[key].id for key in groups]).sudo(False)

    # ------------------------------------------------------------------ returned debits
    def _payment_returned(self, return_line):
        """OCA account_payment_return: a confirmed return reopens these invoices; for
        WaaS invoices their contracts are flagged and credit control is told."""
        res = super()._payment_returned(return_line)
        self.waas_contract_id._waas_debit_returned(
            return_line.date or return_line.return_id.date, return_line._waas_reason()
        )
        return res
