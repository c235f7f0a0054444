KEPT_MODELS = (
    "product.product",
    "product.template",
    "waas.contract",
    "account.move",
)


def uninstall_hook(env):
    """Accounting keeps its documents: the commission bills (and their journal items) outlive
    this addon. Keep the records they point to (the commission product, the demo contracts
    and bills) as plain data instead of failing to delete them, and archive the product."""
    product = env.ref("also_waas_commission.product_waas_commission", raise_if_not_found=False)
    if product:
        product.product_tmpl_id.active = False
    env["ir.model.data"].search(
        [("module", "=", "also_waas_commission"), ("model", "in", KEPT_MODELS)]
    ).unlink()
