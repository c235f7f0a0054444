# Master data of this addon (its data and demo records) that documents of other
# applications point to: sales orders, invoices, stock moves and serial numbers outlive the
# addon, and so do these records, as plain records (their external id is dropped, so the
# uninstall leaves them alone and a new install creates its own).
KEPT_MODELS = (
    "res.partner",
    "product.product",
    "product.template",
    "stock.lot",
)

# Documents of this addon (its demo deals) that stay in these states, as Odoo refuses to
# delete them; in other states the uninstall deletes them as usual.
KEPT_DOCUMENTS = {
    "sale.order": [("state", "not in", ("draft", "cancel"))],
}


def uninstall_hook(env):
    """Keep the partners, products and serial numbers of this addon and its confirmed
    orders as plain records, and archive the kept products (the WaaS catalogue goes with
    the addon). Everything else is Odoo's uninstall as usual."""
    # The pending activities of the addon's types go with it (the "WaaS Credit Check" ones
    # with their credit checks, the "WaaS Product Blocked" and "WaaS Catalogue Not
    # Published" ones with the WaaS catalogue).
    activity_types = env["mail.activity.type"]
    for xmlid in (
        "also_waas.mail_activity_type_waas_credit_check",
        "also_waas.mail_activity_type_waas_product_blocked",
        "also_waas.mail_activity_type_waas_catalogue_failed",
    ):
        activity_types |= env.ref(xmlid, False) or activity_types
    if activity_types:
        env["mail.activity"].with_context(active_test=False).search(
            [("activity_type_id", "in", activity_types.ids)]
        ).unlink()
    data = env["ir.model.data"].search(
        [("module", "=", "also_waas"), ("model", "in", [*KEPT_MODELS, *KEPT_DOCUMENTS])]
    )
    kept = data.filtered(lambda d: d.model in KEPT_MODELS)
    for model, domain in KEPT_DOCUMENTS.items():
        model_data = data.filtered(lambda d, m=model: d.model == m)
        documents = env[model].search([("id", "in", model_data.mapped("res_id")), *domain])
        kept |= model_data.filtered(lambda d, r=documents: d.res_id in r.ids)
    env["product.template"].browse(
        kept.filtered(lambda d: d.model == "product.template").mapped("res_id")
    ).exists().write({"active": False})
    kept.unlink()
