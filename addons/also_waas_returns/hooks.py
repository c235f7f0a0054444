from odoo.addons.also_waas.tools import waas_keep_records

KEPT_MODELS = (
    "product.product",
    "product.template",
    "stock.lot",
)


def uninstall_hook(env):
    """Stock moves and invoices outlive this addon: keep the records of the addon they
    point to (the secure pickup fee product, the demo serial numbers) as plain data instead
    of failing to delete them, and archive the fee product."""
    waas_keep_records(
        env,
        "also_waas_returns",
        KEPT_MODELS,
        archived_products=["also_waas_returns.product_waas_pickup_fee"],
    )
