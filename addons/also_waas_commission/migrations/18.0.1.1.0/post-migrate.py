# Copyright 2026 ALSO Holding AG
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Commission lines settled by an older version point to their vendor bill only: link each
to the bill line that bills it, so that what accounting does with those bills later (reverse,
reverse and create, cancel) is followed as for new bills.

A bill has one line per event and product, billing the sum of its commission lines: each
group of commission lines is matched to the bill line of that sum (the one naming the product
first). A group without a match is left as it is and logged."""

import logging
from collections import defaultdict

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def _bill_line_of(group, candidates):
    """The bill line among ``candidates`` that bills the commission lines ``group``."""
    currency = group[0].company_id.currency_id
    total = abs(sum(group.mapped("amount")))
    same = candidates.filtered(
        lambda ml: not currency.compare_amounts(abs(ml.price_unit * ml.quantity), total)
    )
    named = same.filtered(lambda ml: group[0].product_id.display_name in (ml.name or ""))
    return (named or same)[:1]


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    lines = env["waas.commission.line"].search(
        [("move_id", "!=", False), ("move_line_ids", "=", False)]
    )
    rows = []
    for bill, bill_commissions in lines.grouped("move_id").items():
        candidates = bill.invoice_line_ids.filtered(lambda ml: ml.display_type == "product")
        groups = defaultdict(lambda: env["waas.commission.line"])
        for line in bill_commissions:
            groups[(line.event, line.product_id.id)] |= line
        for group in groups.values():
            bill_line = _bill_line_of(group, candidates)
            if not bill_line:
                _logger.warning(
                    "Commission lines %s of bill %s: no bill line of their amount, not linked",
                    group.ids,
                    bill.name,
                )
                continue
            candidates -= bill_line
            rows += [(line.id, bill_line.id) for line in group]
    if rows:
        # Plain rows: the lines are billed by these bills already (their state and bill
        # stay as they are); only the link is added.
        cr.execute(
            "INSERT INTO waas_commission_line_account_move_line_rel"
            " (commission_line_id, move_line_id)"
            " SELECT * FROM unnest(%s::int[], %s::int[]) ON CONFLICT DO NOTHING",
            [[r[0] for r in rows], [r[1] for r in rows]],
        )
    _logger.info("WaaS commissions: %s settled lines linked to their bill lines", len(rows))
