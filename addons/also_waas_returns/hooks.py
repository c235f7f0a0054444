KEPT_MODELS = (
    "product.product",
    "product.template",
    "stock.lot",
)


def uninstall_hook(env):
    """Stock moves and invoices outlive this addon: keep the records of the addon they
    point to (the secure pickup fee product, the demo serial numbers) as plain data instead
    of failing to delete them, and archive the fee product."""
    product = env.ref("also_waas_returns.product_waas_pickup_fee", raise_if_not_found=False)
    if product:
        product.product_tmpl_id.active = False
    env["ir.model.data"].search(
        [("module", "=", "also_waas_returns"), ("model", "in", KEPT_MODELS)]
    ).unlink()
