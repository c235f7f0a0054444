# Copyright 2026 ALSO Holding AG
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The approved exposure (``res.partner.waas_credit_limit``) becomes per company: the one
number becomes ``{company id: amount}`` (jsonb, Odoo's company-dependent column), before
the ORM meets the column (it cannot cast a number to jsonb).

Each company gets the approved exposure of the customer's latest approved credit check in
that company (the approval is what set it); a customer with a number but no approved
check in the database keeps it in its own company, or else in the first company."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        SELECT data_type FROM information_schema.columns
         WHERE table_name = 'res_partner' AND column_name = 'waas_credit_limit'
        """
    )
    row = cr.fetchone()
    if not row or row[0] == "jsonb":
        return
    cr.execute("ALTER TABLE res_partner ADD COLUMN waas_credit_limit_per_company jsonb")
    cr.execute(
        """
        WITH approvals AS (
            SELECT DISTINCT ON (customer.commercial_partner_id, check_.company_id)
                   customer.commercial_partner_id AS partner_id,
                   check_.company_id,
                   check_.approved_exposure
              FROM waas_credit_check check_
              JOIN res_partner customer ON customer.id = check_.partner_id
             WHERE check_.approved_exposure IS NOT NULL
               AND check_.decided_on IS NOT NULL
               AND check_.company_id IS NOT NULL
             ORDER BY customer.commercial_partner_id, check_.company_id,
                      check_.decided_on DESC, check_.id DESC
        )
        UPDATE res_partner partner
           SET waas_credit_limit_per_company = by_company.limits
          FROM (
                SELECT partner_id,
                       jsonb_object_agg(company_id::text, approved_exposure) AS limits
                  FROM approvals
              GROUP BY partner_id
          ) AS by_company
         WHERE by_company.partner_id = partner.id
           AND COALESCE(partner.waas_credit_limit, 0) <> 0
        """
    )
    cr.execute(
        """
        UPDATE res_partner
           SET waas_credit_limit_per_company = jsonb_build_object(
                   COALESCE(company_id, (SELECT MIN(id) FROM res_company))::text,
                   waas_credit_limit
               )
         WHERE COALESCE(waas_credit_limit, 0) <> 0
           AND waas_credit_limit_per_company IS NULL
        """
    )
    cr.execute("ALTER TABLE res_partner DROP COLUMN waas_credit_limit")
    cr.execute(
        "ALTER TABLE res_partner RENAME COLUMN waas_credit_limit_per_company TO waas_credit_limit"
    )
