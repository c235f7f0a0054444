from contextlib import contextmanager

from odoo import Command, fields
from odoo.tests import Form

from odoo.addons.also_waas.tests.common import WaasCommon

# The booking form of a secure pickup, filled in (without its csrf_token).
PICKUP_POST = {
    "method": "pickup",
    "pickup_date": "2099-01-15",
    "time_from": "09:00",
    "time_to": "12:30",
    "street": "Klantweg 5",
    "zip": "3011 AB",
    "city": "Rotterdam",
    "contact_name": "Piet Balie",
    "contact_phone": "+31 10 555 0101",
}


class ReturnsCommon(WaasCommon):
    """WaaS fixtures plus what returns need: a pickup fee, wiping companies, and helpers
    to give a contract its devices and to receive a return's devices."""

    _contract_prefix = "TRET/"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fee_product = cls.env["product.product"].create(
            {"name": "Test Secure Pickup", "type": "service", "taxes_id": [Command.clear()]}
        )
        cls.company.write(
            {
                "waas_pickup_fee_product_id": cls.fee_product.id,
                "waas_pickup_fee_amount": 95.0,
                "waas_self_return_days": 14,
            }
        )
        # The warehouse receiving the company's returns (its WaaS returns locations and
        # operation type were made with it).
        cls.warehouse = cls.company._waas_return_warehouse()
        Partner = cls.env["res.partner"]
        cls.wiper = Partner.create(
            {
                "name": "Test Secure Wipe BV",
                "is_company": True,
                "waas_is_wiper": True,
                "waas_wiper_certificate": "ADISA-2025-001",
                "waas_wiper_valid_from": "2025-01-01",
                "waas_wiper_valid_to": "2030-12-31",
            }
        )
        cls.wiper_lapsed = Partner.create(
            {
                "name": "Test Old Wipers Ltd",
                "is_company": True,
                "waas_is_wiper": True,
                "waas_wiper_certificate": "ADISA-2020-009",
                "waas_wiper_valid_from": "2020-01-01",
                "waas_wiper_valid_to": "2024-12-31",
            }
        )
        cls.customer_contact = Partner.create(
            {"name": "Test Jan Klant", "parent_id": cls.customer.id, "phone": "+31 10 123 4567"}
        )
        cls._serial_seq = 0

    @classmethod
    def _create_contract(cls, *args, **values):
        # Every contract of the returns tests gets a number of its own.
        if "name" not in values:
            values["name"] = cls._next_contract_number()
        return super()._create_contract(*args, **values)

    @classmethod
    def _create_devices(cls, contract, count=2, product=None):
        """``count`` serial-numbered devices rented on ``contract``."""
        product = product or cls.laptop
        lots = cls.env["stock.lot"]
        for _i in range(count):
            cls._serial_seq += 1
            lots |= cls.env["stock.lot"].create(
                {
                    "name": f"TSN-{contract.id}-{cls._serial_seq:04d}",
                    "product_id": product.id,
                    "company_id": cls.company.id,
                }
            )
        return cls.env["waas.device"].create(
            [
                {
                    "contract_id": contract.id,
                    "product_id": product.id,
                    "lot_id": lot.id,
                    "date_delivered": contract.date_start,
                    "warranty_end": fields.Date.add(contract.date_start, months=36),
                }
                for lot in lots
            ]
        )

    @classmethod
    def _ended_contract(cls, state="terminated", devices=2, **values):
        """A contract with devices that just ended: returns its (single) return."""
        contract = cls._create_contract(**values)
        cls._create_devices(contract, devices)
        contract.state = state
        contract._on_ended()
        return contract

    @contextmanager
    def assertRefused(self, exception, regex):
        """The block raises ``exception`` matching ``regex`` and leaves nothing written
        (as the rolled-back transaction of a refused user action)."""
        with self.assertRaisesRegex(exception, regex), self.env.cr.savepoint():
            yield

    def _stock_config_count(self):
        """How many locations, operation types and routes exist (archived included)."""
        return tuple(
            self.env[model].with_context(active_test=False).search_count([])
            for model in ("stock.location", "stock.picking.type", "stock.route")
        )

    def _open_receipt(self, ret):
        return ret.picking_ids.filtered(
            lambda p: p.picking_type_code == "incoming" and p.state not in ("done", "cancel")
        )

    def _receive(self, ret, lots=None, backorder=False):
        """Validate the open receipt of ``ret``: every device, or only ``lots``; the rest
        go to a backorder (``backorder``) or are given up."""
        picking = self._open_receipt(ret)
        self.assertEqual(len(picking), 1, "one open receipt expected")
        if lots is not None:
            for move in picking.move_ids:
                move.picked = bool(move.move_line_ids.lot_id & lots)
        res = picking.button_validate()
        if isinstance(res, dict) and res.get("res_model") == "stock.backorder.confirmation":
            wizard = Form(
                self.env["stock.backorder.confirmation"].with_context(**res["context"])
            ).save()
            if backorder:
                wizard.process()
            else:
                wizard.process_cancel_backorder()
        return picking

    def _confirm_self_return(self, ret):
        """Confirm a self-return the way ALSO staff do: record the end customer's written
        consent (its reference), then confirm."""
        ret.risk_consent_ref = "E-mail of the end customer"
        ret.action_acknowledge_risk()
        ret.action_confirm()
        return ret

    def _wipe(self, lines, wiper=None, date=None, ref="WIPE"):
        return self.env["waas.wipe"].create(
            [
                {
                    "return_line_id": line.id,
                    "wiper_id": (wiper or self.wiper).id,
                    "method": "nist_purge",
                    "date": date or fields.Date.today(),
                    "certificate_ref": f"{ref}-{line.lot_id.name}",
                }
                for line in lines
            ]
        )
