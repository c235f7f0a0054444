# Copyright 2026 ALSO Holding AG
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Contracts made before the invoicing schedule existed start at their first period."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE waas_contract
           SET date_next_invoice = date_start
         WHERE date_next_invoice IS NULL
           AND COALESCE(invoiced_periods, 0) = 0
        """
    )
