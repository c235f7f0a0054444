from odoo.tools import SQL

# Records of this addon in these models may be pointed to by documents that outlive it
# (quotations, invoices, stock moves, serial numbers made by users or by the demo flows).
KEPT_MODELS = (
    "res.partner",
    "product.product",
    "product.template",
    "stock.lot",
    "sale.order",
    "sale.order.line",
    "account.move",
)

# Documents that Odoo refuses to delete in these states.
UNDELETABLE = {
    "sale.order": [("state", "not in", ("draft", "cancel"))],
    "account.move": [("state", "=", "posted")],
}


def _blocked_ids(cr, table, ids):
    """The ids among ``ids`` of ``table`` that some other row points to through a foreign
    key forbidding their deletion (ON DELETE RESTRICT or NO ACTION)."""
    cr.execute(
        """
        SELECT c.conrelid::regclass::text, a.attname
          FROM pg_constraint c
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.contype = 'f'
           AND c.confrelid = %s::regclass
           AND c.confdeltype IN ('r', 'a')
           AND array_length(c.conkey, 1) = 1
        """,
        [table],
    )
    blocked = set()
    for ref_table, column in cr.fetchall():
        where = SQL("%s = ANY(%s)", SQL.identifier(column), list(ids))
        if ref_table == table:
            # A record of the same table only blocks when it is not deleted itself.
            where = SQL("%s AND NOT (id = ANY(%s))", where, list(ids))
        cr.execute(
            SQL(
                "SELECT DISTINCT %s FROM %s WHERE %s",
                SQL.identifier(column),
                SQL.identifier(ref_table.strip('"')),
                where,
            )
        )
        blocked.update(row[0] for row in cr.fetchall())
    return blocked


def uninstall_hook(env):
    """Documents outlive this addon: sales orders, invoices, stock moves and serial numbers
    (made by users, or by the demo flows) keep pointing to the partners, products and
    serials this addon created. Those records that something still points to are kept as
    plain data (their external id is dropped, so the uninstall does not try and fail to
    delete them); kept products are archived. Records nothing points to are deleted by the
    uninstall as usual."""
    # The pending "WaaS Credit Check" activities go with the credit checks they are on.
    activity_type = env.ref("also_waas.mail_activity_type_waas_credit_check", False)
    if activity_type:
        env["mail.activity"].with_context(active_test=False).search(
            [("activity_type_id", "=", activity_type.id)]
        ).unlink()
    data = env["ir.model.data"].search([("module", "=", "also_waas"), ("model", "in", KEPT_MODELS)])
    env.flush_all()
    kept = data.browse()
    for model, model_data in data.grouped("model").items():
        blocked = _blocked_ids(env.cr, env[model]._table, model_data.mapped("res_id"))
        kept |= model_data.filtered(lambda d, b=blocked: d.res_id in b)
    # Confirmed orders and posted entries refuse to be deleted: keep them as they are.
    for model, domain in UNDELETABLE.items():
        model_data = data.filtered(lambda d, m=model: d.model == m)
        undeletable = env[model].search([("id", "in", model_data.mapped("res_id")), *domain])
        kept |= model_data.filtered(lambda d, u=undeletable: d.res_id in u.ids)
    # Deleting a template deletes its variants (ON DELETE CASCADE): keep the template of a
    # kept variant too.
    kept_variants = env["product.product"].browse(
        kept.filtered(lambda d: d.model == "product.product").mapped("res_id")
    )
    kept |= data.filtered(
        lambda d: d.model == "product.template" and d.res_id in kept_variants.product_tmpl_id.ids
    )
    # The WaaS catalogue goes with the addon: nobody sells the kept products as such.
    env["product.template"].browse(
        kept.filtered(lambda d: d.model == "product.template").mapped("res_id")
    ).exists().write({"active": False})
    kept.unlink()
