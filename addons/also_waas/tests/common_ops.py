"""Fixtures of the contract operations tests: invoicing helper, devices, and a real HTTP
server on 127.0.0.1 playing the ALSO Cloud Marketplace (no mock of our own code)."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo import fields

from .common import WaasCommon


class FakeMarketplaceHandler(BaseHTTPRequestHandler):
    """Answers as the marketplace would, or fails as the test asks (``server.mode``):
    ``ok``, ``error500``, ``garbage`` (not JSON), ``no_id`` (JSON without id), ``slow``
    (answers after the client's timeout)."""

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Keep the test log quiet."""

    def _handle(self):
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        server.requests.append(
            {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers),
                "body": body,
            }
        )
        mode = server.mode
        if mode == "slow":
            server.release.wait(30)
            mode = "ok"
        if mode == "error500":
            return self._answer(500, b'{"error": "internal"}')
        if mode == "garbage":
            return self._answer(200, b"<html>Service temporarily unavailable</html>")
        if mode == "no_id":
            return self._answer(201, b'{"status": "accepted"}')
        if self.command == "POST" and self.path.endswith("/subscriptions"):
            key = self.headers.get("Idempotency-Key")
            if key not in server.subscriptions_by_key:
                server.counter += 1
                server.subscriptions_by_key[key] = f"SUB-{server.counter}"
            sub_id = server.subscriptions_by_key[key]
            return self._answer(201, json.dumps({"id": sub_id, "status": "active"}).encode())
        if self.command == "PATCH":
            return self._answer(200, json.dumps({"seats": body and body.get("seats")}).encode())
        if self.command == "PUT" and self.path.endswith("/catalogue"):
            products = len((body or {}).get("products") or [])
            return self._answer(
                200, json.dumps({"status": "accepted", "products": products}).encode()
            )
        if self.command == "DELETE":
            return self._answer(204, b"")
        return self._answer(404, b'{"error": "not found"}')

    def _answer(self, status, payload):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        try:
            self.end_headers()
            if payload:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up waiting (timeout test): nobody to answer to.
            self.close_connection = True

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET = _handle


class FakeMarketplace:
    """The HTTP server in a thread; ``url`` is its API endpoint."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), FakeMarketplaceHandler)
        self.server.daemon_threads = True
        self.server.mode = "ok"
        self.server.requests = []
        self.server.subscriptions_by_key = {}
        self.server.counter = 0
        self.server.release = threading.Event()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1"

    @classmethod
    def start(cls, test_class, company=None, **values):
        """A server for ``test_class`` (stopped by its class cleanup), with the marketplace
        settings of ``company`` (default: the test company) pointed at it: its URL, an API
        key, automatic mode and ``values`` (``waas_marketplace_<key>`` of the company)."""
        marketplace = cls()
        test_class.addClassCleanup(marketplace.stop)
        marketplace.connect(company or test_class.company, **values)
        return marketplace

    def connect(self, company, **values):
        """Point the marketplace settings of ``company`` at this server."""
        values = {"url": self.url, "api_key": "test-key-123", "manual": False, **values}
        company.sudo().write({f"waas_marketplace_{key}": value for key, value in values.items()})

    @property
    def requests(self):
        return self.server.requests

    def set_mode(self, mode):
        self.server.mode = mode

    def stop(self):
        self.server.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class WaasOpsCommon(WaasCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.waas_invoice_auto_post = True

    @classmethod
    def _create_contract(cls, *args, **values):
        """The shared helper, with a unique contract number."""
        cls._ops_counter = getattr(cls, "_ops_counter", 0) + 1
        values.setdefault("name", f"TEST-OPS/{cls._ops_counter:04d}")
        return super()._create_contract(*args, **values)

    @classmethod
    def _invoice_until(cls, contract, date):
        """Invoice the contract's periods starting on or before ``date`` with the monthly
        invoice run."""
        return contract._waas_invoice_chunk(fields.Date.to_date(date))

    @classmethod
    def _create_device(cls, contract, warranty_end, serial="SN-TEST-1"):
        lot = cls.env["stock.lot"].create(
            {"name": serial, "product_id": cls.laptop.id, "company_id": cls.company.id}
        )
        warranty_end = fields.Date.to_date(warranty_end)
        return cls.env["waas.device"].create(
            {
                "contract_id": contract.id,
                "product_id": cls.laptop.id,
                "lot_id": lot.id,
                "date_delivered": warranty_end - timedelta(days=3 * 365),
                "warranty_end": warranty_end,
            }
        )

    def _count_hook(self, name):
        """Record the calls of contract hook ``name`` (the real hook still runs)."""
        calls = []
        Contract = self.registry["waas.contract"]
        original = getattr(Contract, name)

        def spy(records, *args):
            calls.append((records, args))
            return original(records, *args)

        self.patch(Contract, name, spy)
        return calls
