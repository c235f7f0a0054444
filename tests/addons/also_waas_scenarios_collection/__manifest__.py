# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "ALSO WaaS collection scenarios (tests only)",
    "summary": "End-to-end collection: direct debit, returned debit, reminder, block, release",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "website": "https://www.also.com",
    "author": "ALSO WaaS team",
    "license": "AGPL-3",
    "depends": ["also_waas_sepa", "also_waas_credit_control"],
    "external_dependencies": {"python": ["freezegun"]},
    "data": [],
    "installable": True,
}
