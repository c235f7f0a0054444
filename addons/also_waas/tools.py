"""Helpers of ALSO WaaS that are no model."""

from odoo.tools import SQL, index_exists


def create_partial_unique_index(cr, indexname, tablename, expressions, where):
    """``odoo.tools.create_unique_index`` with a ``WHERE`` (a partial unique index, which
    Odoo 18's helper cannot make; its ``create_index`` has the ``where`` but not the
    ``UNIQUE``): created unless an index of that name exists."""
    if index_exists(cr, indexname):
        return
    cr.execute(
        SQL(
            "CREATE UNIQUE INDEX %s ON %s (%s) WHERE %s",
            SQL.identifier(indexname),
            SQL.identifier(tablename),
            SQL(", ").join(SQL(expression) for expression in expressions),
            SQL(where),
        )
    )


def waas_keep_records(env, module, models, archived_products=()):
    """For an uninstall hook: the records of ``module`` of ``models`` that documents of
    other applications point to stay as plain records (their external ids are dropped, so
    the uninstall leaves them alone and a new install creates its own); the products of
    the external ids ``archived_products`` are archived."""
    for xmlid in archived_products:
        product = env.ref(xmlid, raise_if_not_found=False)
        if product:
            product.product_tmpl_id.active = False
    env["ir.model.data"].search([("module", "=", module), ("model", "in", list(models))]).unlink()


def waas_wizard_action(name, res_model, context):
    """The window action that opens the wizard ``res_model`` in a dialog titled ``name``,
    with ``context`` (its ``default_*`` values)."""
    return {
        "type": "ir.actions.act_window",
        "name": name,
        "res_model": res_model,
        "view_mode": "form",
        "target": "new",
        "context": context,
    }
