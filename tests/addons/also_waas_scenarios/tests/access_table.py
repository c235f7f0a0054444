"""Who may do what: the access table of the WaaS addons, in one place.

``ACCESS`` gives, per model and per role (``ROLES``, in this order), what that role may do:
``r`` read, ``c`` create, ``w`` write, ``u`` delete, ``-`` nothing; ``r (own)``: a portal
user reads only the records of its own company (as reseller or as end customer);
``r (none)``: the read right exists but no record is shown to it. ``ROUTES`` lists every
portal route of the three addons (and the sale portal's quotation page) with the model whose
records it shows and the portal users it is for (``resellers`` or ``portal users``).

The tests of this module check every cell as real users (``test_access_matrix.py``) and
through every portal route (``test_access_matrix_portal.py``). The README's "Security"
section shows the same two tables; ``make test`` checks that it does
(``tests/harness/security_table.py``). Change both together.
"""

ROLES = (
    "internal",
    "waas_user",
    "waas_manager",
    "credit_controller",
    "product_manager",
    "commission_manager",
    "accountant",
    "reseller_a",
    "reseller_b",
    "end_customer",
)

# One row per model, written like the README's table: the cells of ``ROLES`` in order.
_ACCESS_ROWS = {
    "waas.pricelist.item": "- | r | rcwu | r | rcwu | r | - | r | r | r (none)",
    "waas.bundle.line": "- | r | rcwu | r | rcwu | r | - | - | - | -",
    "waas.manufacturer.reseller.ref": "- | r | rcwu | r | rcwu | r | - | - | - | -",
    "sale.order": "- | rcw | rcw | rcw | rcw | rcw | rw | r (own) | r (own) | r (own)",
    "waas.credit.check": "- | rcw | rcwu | rcw | rcw | rcw | - | r (own) | r (own) | r (none)",
    "waas.contract": "- | rcw | rcwu | rcw | rcw | rcw | r | r (own) | r (own) | r (own)",
    "waas.contract.line": "- | rcw | rcwu | rcw | rcw | rcw | r | r (own) | r (own) | r (own)",
    "waas.contract.renewal": "- | rcw | rcwu | rcw | rcw | rcw | r | - | - | -",
    "waas.device": "- | rcw | rcwu | rcw | rcw | rcw | r | r (own) | r (own) | r (own)",
    "waas.licence": "- | rcw | rcwu | rcw | rcw | rcw | r | r (own) | r (own) | r (own)",
    "waas.catalogue.publication": "- | r | r | r | r | r | - | - | - | -",
    "waas.sellout.report": "- | r | rcwu | r | r | r | - | - | - | -",
    "waas.contract.report": "- | r | r | r | r | r | - | - | - | -",
    "waas.contract.event.report": "- | r | r | r | r | r | - | - | - | -",
    "waas.mrr.report": "- | r | r | r | r | r | - | - | - | -",
    "waas.dashboard": "- | rcwu | rcwu | rcwu | rcwu | rcwu | - | - | - | -",
    "waas.exception.wizard": "- | rcw | rcw | rcw | rcw | rcw | - | - | - | -",
    "waas.pricelist.export": "- | rcw | rcw | rcw | rcw | rcw | - | - | - | -",
    "waas.credit.check.reject": "- | - | rcwu | rcwu | - | - | - | - | - | -",
    "waas.partner.release": "- | - | rcwu | rcwu | - | - | - | - | - | -",
    "waas.contract.renew": "- | rcw | rcw | rcw | rcw | rcw | - | - | - | -",
    "waas.contract.upgrade": "- | rcw | rcw | rcw | rcw | rcw | - | - | - | -",
    "waas.contract.terminate": "- | - | rcw | - | - | - | - | - | - | -",
    "waas.invoice.run": "- | - | rcw | - | - | - | rcw | - | - | -",
    "waas.sellout.wizard": "- | - | rcwu | - | - | - | - | - | - | -",
    "waas.commission.line": "- | r | rcwu | r | r | rcwu | r | r (own) | r (own) | r (none)",
    "waas.commission.settle": "- | - | rcwu | - | - | rcwu | - | - | - | -",
    "waas.commission.statement": "- | rcwu | rcwu | rcwu | rcwu | rcwu | - | - | - | -",
    "waas.return": "- | rcw | rcwu | rcw | rcw | rcw | r | r (own) | r (own) | r (own)",
    "waas.return.line": "- | rcwu | rcwu | rcwu | rcwu | rcwu | r | r (own) | r (own) | r (own)",
    "waas.wipe": "- | rcw | rcwu | rcw | rcw | rcw | r | r (own) | r (own) | r (own)",
    "waas.return.wipe.wizard": "- | rcwu | rcwu | rcwu | rcwu | rcwu | - | - | - | -",
}
ACCESS = {
    model: dict(zip(ROLES, (cell.strip() for cell in row.split("|")), strict=True))
    for model, row in _ACCESS_ROWS.items()
}

ROUTES = [
    ("/my/waas/prices", "waas.pricelist.item", "resellers"),
    ("/my/waas/quotes", "sale.order", "resellers"),
    ("/my/waas/quotes/page/<int:page>", "sale.order", "resellers"),
    ("/my/waas/quotes/new", "sale.order", "resellers"),
    ("/my/waas/quotes/create", "sale.order", "resellers"),
    ("/my/waas/quotes/<int:order_id>", "sale.order", "resellers"),
    ("/my/waas/quotes/<int:order_id>/credit_check", "sale.order", "resellers"),
    ("/my/waas/quotes/<int:order_id>/send", "sale.order", "resellers"),
    ("/my/orders/<int:order_id>", "sale.order", "portal users"),
    ("/my/orders/<int:order_id>/accept", "sale.order", "portal users"),
    ("/my/waas/contracts", "waas.contract", "portal users"),
    ("/my/waas/contracts/page/<int:page>", "waas.contract", "portal users"),
    ("/my/waas/contracts/<int:contract_id>", "waas.contract", "portal users"),
    ("/my/waas/contracts/<int:contract_id>/return", "waas.contract", "portal users"),
    ("/my/waas/contracts/<int:contract_id>/return/book", "waas.contract", "portal users"),
    ("/my/waas/contracts/<int:contract_id>/renew", "waas.contract", "portal users"),
    ("/my/waas/commissions", "waas.commission.line", "resellers"),
    ("/my/waas/commissions/page/<int:page>", "waas.commission.line", "resellers"),
    ("/my/waas/commissions/statement/<int:year>/<int:month>", "waas.commission.line", "resellers"),
    ("/my/waas/returns", "waas.return", "portal users"),
    ("/my/waas/returns/page/<int:page>", "waas.return", "portal users"),
    ("/my/waas/returns/<int:return_id>", "waas.return", "portal users"),
    ("/my/waas/returns/<int:return_id>/certificate", "waas.return", "portal users"),
]
