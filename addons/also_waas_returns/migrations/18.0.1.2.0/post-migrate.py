# Copyright 2026 ALSO Holding AG
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every warehouse gets its WaaS Returns route.

Returns now run procurements along a route of the warehouse (as its receipts and
deliveries do) instead of building their transfers by hand: the warehouses that exist get
the route and its rules, as a new warehouse does."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["stock.warehouse"]._waas_returns_setup_all()
