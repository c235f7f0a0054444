from odoo.tests import HttpCase, tagged

# The names ALSO's marketplace and reporting tools read over XML-RPC: never rename them.
PUBLIC_INTERFACE = {
    "sale.order": {
        "waas_reseller_id": ("many2one", None),
        "waas_term_months": ("integer", None),
        "waas_delivery_to": ("selection", {"reseller", "end_customer"}),
    },
    "waas.credit.check": {
        "partner_id": ("many2one", None),
        "sale_order_id": ("many2one", None),
        "amount": ("monetary", None),
        "state": ("selection", {"requested", "approved", "rejected", "expired", "cancelled"}),
    },
    "waas.contract": {
        "name": ("char", None),
        "partner_id": ("many2one", None),
        "reseller_id": ("many2one", None),
        "term_months": ("integer", None),
        "date_start": ("date", None),
        "date_end": ("date", None),
        "monthly_amount": ("monetary", None),
        "sale_order_id": ("many2one", None),
        "state": ("selection", {"active", "ending", "terminated", "expired"}),
        "invoice_ids": ("one2many", None),
        "device_ids": ("one2many", None),
    },
    "waas.device": {
        "contract_id": ("many2one", None),
        "product_id": ("many2one", None),
        "lot_id": ("many2one", None),
        "warranty_end": ("date", None),
    },
    "waas.licence": {
        "contract_id": ("many2one", None),
        "product_id": ("many2one", None),
        "seats": ("integer", None),
        "marketplace_ref": ("char", None),
        "state": ("selection", {"to_provision", "provisioned", "failed", "cancelled"}),
    },
    "waas.commission.line": {
        "reseller_id": ("many2one", None),
        "contract_id": ("many2one", None),
        "event": ("selection", {"new", "renewal", "upgrade", "clawback"}),
        "amount": ("monetary", None),
        "state": ("selection", {"to_settle", "settled", "paid", "cancelled"}),
        "move_id": ("many2one", None),
    },
    "waas.return": {
        "contract_id": ("many2one", None),
        "method": ("selection", {"self_return", "pickup"}),
        "state": ("selection", None),
        "fee_move_id": ("many2one", None),
    },
    "waas.sellout.report": {
        "manufacturer_id": ("many2one", None),
        "date_from": ("date", None),
        "date_to": ("date", None),
        "state": ("selection", None),
    },
}


@tagged("post_install", "-at_install")
class TestPublicInterface(HttpCase):
    """What an XML-RPC client of ALSO sees: the server version and the stable field names."""

    def test_xmlrpc_version_and_fields(self):
        common = self.xmlrpc_common
        self.assertEqual(common.version()["server_serie"], "18.0")
        uid = common.authenticate(self.env.cr.dbname, "admin", "admin", {})
        self.assertTrue(uid, "admin can log in over XML-RPC")
        for model, fields in PUBLIC_INTERFACE.items():
            with self.subTest(model=model):
                described = self.xmlrpc_object.execute_kw(
                    self.env.cr.dbname,
                    uid,
                    "admin",
                    model,
                    "fields_get",
                    [list(fields)],
                    {"attributes": ["type", "selection"]},
                )
                for name, (ftype, selection) in fields.items():
                    self.assertIn(name, described, f"{model}.{name} is part of the interface")
                    self.assertEqual(described[name]["type"], ftype, f"{model}.{name}")
                    if selection:
                        keys = {key for key, _label in described[name]["selection"]}
                        self.assertEqual(keys, selection, f"{model}.{name} values")
