from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        moves._waas_create_devices()
        return moves

    def _waas_delivered_moves(self):
        """Done moves that delivered WaaS hardware to the customer (from our stock or
        dropshipped from the supplier); returns are not deliveries."""
        return self.filtered(
            lambda m: (
                m.state == "done"
                and m.location_dest_id.usage == "customer"
                and not m.origin_returned_move_id
                and m.sale_line_id.order_id.is_waas
            )
        )

    def _waas_contracts_by_sale_line(self):
        """{sale.order.line id: waas.contract} of these moves, in two queries: the contract
        line made from the sale line, else the order's contract."""
        sale_lines = self.sale_line_id
        # sudo: warehouse staff validate deliveries without WaaS rights; the devices they
        # produce belong to the contract of the order.
        contract_lines = (
            self.env["waas.contract.line"]
            .sudo()
            .search([("sale_line_id", "in", sale_lines.ids), ("contract_id.state", "=", "active")])
        )
        result = {cl.sale_line_id.id: cl.contract_id for cl in contract_lines}
        missing = sale_lines.filtered(lambda sl: sl.id not in result)
        if missing:
            contracts = (
                self.env["waas.contract"]
                .sudo()
                .search(
                    [("sale_order_id", "in", missing.order_id.ids), ("state", "=", "active")],
                    order="id",
                )
            )
            by_order = {}
            for contract in contracts:
                by_order.setdefault(contract.sale_order_id.id, contract)
            for sale_line in missing:
                if sale_line.order_id.id in by_order:
                    result[sale_line.id] = by_order[sale_line.order_id.id]
        return result

    def _waas_create_devices(self):
        """Each delivered serial of a WaaS order becomes a rented device of its contract,
        with its delivery date and warranty end (delivery + manufacturer warranty)."""
        moves = self._waas_delivered_moves()
        move_lines = moves.move_line_ids.filtered(lambda ml: ml.lot_id and ml.quantity > 0)
        if not move_lines:
            return self.env["waas.device"]
        contract_of = moves._waas_contracts_by_sale_line()
        Device = self.env["waas.device"].sudo()  # see _waas_contracts_by_sale_line
        existing = Device.search_fetch(
            [
                ("lot_id", "in", move_lines.lot_id.ids),
                ("contract_id", "in", [c.id for c in contract_of.values()]),
            ],
            ["lot_id", "contract_id"],
        )
        seen = {(d.contract_id.id, d.lot_id.id) for d in existing}
        vals_list = []
        for move_line in move_lines:
            move = move_line.move_id
            contract = contract_of.get(move.sale_line_id.id)
            if not contract or (contract.id, move_line.lot_id.id) in seen:
                continue
            seen.add((contract.id, move_line.lot_id.id))
            # The warranty end follows from the delivery date (waas.device).
            vals_list.append(
                {
                    "contract_id": contract.id,
                    "product_id": move.product_id.id,
                    "lot_id": move_line.lot_id.id,
                    "date_delivered": fields.Date.context_today(move, move.date),
                    "state": "rented",
                }
            )
        return Device.create(vals_list)
