from odoo import _, api, fields, models

# The WaaS returns locations of a warehouse: {warehouse field: barcode suffix}.
WAAS_RETURN_LOCATIONS = {
    "waas_return_loc_id": "WAASRET",
    "waas_refurbish_loc_id": "REFURB",
}
# Key of the WaaS returns route's rules in get_rules_dict().
WAAS_RETURN_ROUTING = "waas_return"
# Context key: only the WaaS returns records of existing warehouses are set up (install and
# migration), the warehouse's own operation types and routes are left as they are.
SETUP_CONTEXT = "waas_returns_setup"


class StockWarehouse(models.Model):
    """Every warehouse has its WaaS returns location, refurbish location, "WaaS Returns"
    incoming operation type and "WaaS Returns" route, made by the warehouse's own hooks
    (as for its other locations, operation types and routes): when it is created, and
    for the warehouses that exist when the addon is installed or updated from an older
    version. The route's rules bring a returned device from the customer into the WaaS
    returns location (the receipt) and from there into the refurbish location (once
    wiped): a return runs procurements along it (waas.return)."""

    _inherit = "stock.warehouse"

    waas_return_loc_id = fields.Many2one(
        comodel_name="stock.location",
        string="WaaS Returns Location",
        check_company=True,
        help="Where returned WaaS devices arrive and wait for their data wiping.",
    )
    waas_refurbish_loc_id = fields.Many2one(
        comodel_name="stock.location",
        string="Refurbish Location",
        check_company=True,
        help="Where wiped WaaS devices go when their return is closed.",
    )
    waas_return_type_id = fields.Many2one(
        comodel_name="stock.picking.type",
        string="WaaS Returns Type",
        check_company=True,
        help="Incoming operation type of the receipts of returned WaaS devices.",
    )
    waas_return_route_id = fields.Many2one(
        comodel_name="stock.route",
        string="WaaS Returns Route",
        ondelete="restrict",
        copy=False,
        check_company=True,
        help="Route of the returned WaaS devices: from the customer into the WaaS returns "
        "location, then into the refurbish location.",
    )

    # ------------------------------------------------------------------ warehouse hooks
    def _get_locations_values(self, vals, code=False):
        res = super()._get_locations_values(vals, code=code)
        code = (vals.get("code") or code or "").replace(" ", "").upper()
        company_id = vals.get("company_id", self.default_get(["company_id"])["company_id"])
        names = {
            "waas_return_loc_id": _("WaaS Returns"),
            "waas_refurbish_loc_id": _("Refurbish"),
        }
        for field_name, suffix in WAAS_RETURN_LOCATIONS.items():
            res[field_name] = {
                "name": names[field_name],
                "active": True,
                "usage": "internal",
                "barcode": self._valid_barcode(code + suffix, company_id),
            }
        return res

    def _get_sequence_values(self, name=False, code=False):
        res = super()._get_sequence_values(name=name, code=code)
        name = name or self.name
        code = code or self.code
        res["waas_return_type_id"] = {
            "name": _("%(name)s Sequence WaaS returns", name=name),
            "prefix": f"{code}/{self.waas_return_type_id.sequence_code or 'WRET'}/",
            "padding": 5,
            "company_id": self.company_id.id,
        }
        return res

    def _get_picking_type_create_values(self, max_sequence):
        res, next_sequence = super()._get_picking_type_create_values(max_sequence)
        res["waas_return_type_id"] = {
            "name": _("WaaS Returns"),
            "code": "incoming",
            "use_create_lots": False,
            "use_existing_lots": True,
            "create_backorder": "ask",
            "default_location_src_id": self.env.ref("stock.stock_location_customers").id,
            "default_location_dest_id": self.waas_return_loc_id.id,
            "sequence": next_sequence,
            "sequence_code": "WRET",
            "company_id": self.company_id.id,
        }
        return res, next_sequence + 1

    def _get_picking_type_update_values(self):
        ours = {
            "waas_return_type_id": {
                "default_location_dest_id": self.waas_return_loc_id.id,
                "active": self.active,
            }
        }
        if self.env.context.get(SETUP_CONTEXT):
            return ours
        res = super()._get_picking_type_update_values()
        res.update(ours)
        return res

    def _get_routes_values(self):
        ours = {
            "waas_return_route_id": {
                "routing_key": WAAS_RETURN_ROUTING,
                "route_update_values": {
                    "name": self._format_routename(_("WaaS Returns")),
                    "active": self.active,
                },
                "route_create_values": {
                    "product_selectable": False,
                    "product_categ_selectable": False,
                    "warehouse_selectable": True,
                    "company_id": self.company_id.id,
                    "sequence": 100,
                },
                "rules_values": {
                    "active": True,
                    # Each step moves what is there (no chaining): the receipt is made when
                    # the return is confirmed, the refurbish move when it is closed.
                    "procure_method": "make_to_stock",
                    "location_dest_from_rule": True,
                },
            }
        }
        if self.env.context.get(SETUP_CONTEXT):
            return ours
        res = super()._get_routes_values()
        res.update(ours)
        return res

    def get_rules_dict(self):
        res = super().get_rules_dict()
        customer_loc, __ = self._get_partner_locations()
        for warehouse in self:
            res[warehouse.id][WAAS_RETURN_ROUTING] = [
                self.Routing(
                    customer_loc,
                    warehouse.waas_return_loc_id,
                    warehouse.waas_return_type_id,
                    "pull",
                ),
                self.Routing(
                    warehouse.waas_return_loc_id,
                    warehouse.waas_refurbish_loc_id,
                    warehouse.int_type_id,
                    "pull",
                ),
            ]
        return res

    def _update_name_and_code(self, new_name=False, new_code=False):
        # Positional: the overrides of mrp and purchase_stock name them name and code.
        res = super()._update_name_and_code(new_name, new_code)
        for warehouse in self:
            sequence_data = warehouse._get_sequence_values(name=new_name, code=new_code)
            # `ir.sequence` write access is limited to system user (as in stock).
            if self.env.user.has_group("stock.group_stock_manager"):
                warehouse = warehouse.sudo()
            warehouse.waas_return_type_id.sequence_id.write(sequence_data["waas_return_type_id"])
        return res

    # ------------------------------------------------------------------ existing warehouses
    @api.model
    def _waas_returns_setup_all(self):
        """At install, and on an update from a version that kept them on the company: set
        up every warehouse (archived ones included)."""
        self.with_context(active_test=False).search([])._waas_returns_setup()
        return True

    def _waas_returns_setup(self):
        """Give these existing warehouses the WaaS returns locations, operation type and
        route they lack, as a new warehouse gets them. Records left by an earlier install
        of the addon are taken over (the locations by their barcode, the operation type by
        its sequence code, the route by its rules' operation type), so that a reinstall
        keeps their numbering and makes no second route."""
        Location = self.env["stock.location"].with_context(active_test=False)
        PickingType = self.env["stock.picking.type"].with_context(active_test=False)
        Route = self.env["stock.route"].with_context(active_test=False)
        for warehouse in self.with_context(active_test=False, **{SETUP_CONTEXT: True}):
            code = warehouse.code.replace(" ", "").upper()
            adopted = {}
            for field_name, suffix in WAAS_RETURN_LOCATIONS.items():
                if warehouse[field_name]:
                    continue
                location = Location.search(
                    [
                        ("barcode", "=", code + suffix),
                        ("company_id", "=", warehouse.company_id.id),
                        ("usage", "=", "internal"),
                    ],
                    limit=1,
                )
                if location:
                    adopted[field_name] = location.id
            if not warehouse.waas_return_type_id:
                picking_type = PickingType.search(
                    [
                        ("warehouse_id", "=", warehouse.id),
                        ("code", "=", "incoming"),
                        ("sequence_code", "=", "WRET"),
                    ],
                    order="id",
                    limit=1,
                )
                if picking_type:
                    adopted["waas_return_type_id"] = picking_type.id
            if adopted:
                warehouse.write(adopted)
            # What stock does for a warehouse missing a location (see its write()).
            warehouse._create_missing_locations({})
            for field_name, suffix in WAAS_RETURN_LOCATIONS.items():
                location = warehouse[field_name]
                vals = {"active": True} if warehouse.active and not location.active else {}
                if not location.barcode:
                    # Taken over from an older version: the barcode it is found by.
                    vals["barcode"] = warehouse._valid_barcode(
                        code + suffix, warehouse.company_id.id
                    )
                if any(vals.values()):
                    location.write(vals)
            new_types = warehouse._create_or_update_sequences_and_picking_types()
            if new_types:
                warehouse.write(new_types)
            if not warehouse.waas_return_route_id:
                route = Route.search(
                    [
                        ("rule_ids.picking_type_id", "=", warehouse.waas_return_type_id.id),
                        ("company_id", "=", warehouse.company_id.id),
                    ],
                    order="id",
                    limit=1,
                )
                if route:
                    warehouse.waas_return_route_id = route
            # What stock does for a new warehouse: the route and its rules (an existing
            # route is renamed and its rules brought up to date).
            warehouse.write(warehouse._create_or_update_route())
        return True
