from odoo.addons.also_waas.tools import waas_keep_records

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
    waas_keep_records(
        env,
        "also_waas_commission",
        KEPT_MODELS,
        archived_products=["also_waas_commission.product_waas_commission"],
    )
