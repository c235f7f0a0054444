from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import _, fields, models

from odoo.addons.also_waas.models.product_template import WAAS_PRICED_KINDS


class WaasContract(models.Model):
    _inherit = "waas.contract"

    waas_commission_line_ids = fields.One2many(
        comodel_name="waas.commission.line",
        inverse_name="contract_id",
        string="Commission Lines",
        groups="also_waas.group_waas_user",
    )

    # ------------------------------------------------------------------ hooks
    def _on_activated(self):
        res = super()._on_activated()
        # A running contract: active, or already in its last months (ending).
        contracts = self.filtered(lambda c: c.state in ("active", "ending"))
        today = fields.Date.context_today(self)
        items = [(line, None, today) for line in contracts.line_ids]
        self._create_commission_lines("new", items)
        return res

    def _on_renewed(self, renewals):
        res = super()._on_renewed(renewals)
        items = [
            (line, renewal, renewal.date)
            for renewal in renewals.filtered(lambda r: r.contract_id.state == "active")
            for line in renewal.contract_id.line_ids
        ]
        self._create_commission_lines("renewal", items)
        return res

    def _on_upgraded(self, new_lines):
        res = super()._on_upgraded(new_lines)
        today = fields.Date.context_today(self)
        items = [
            (line, None, line.date_from or today)
            for line in new_lines.filtered(lambda line: line.contract_id.state == "active")
        ]
        self._create_commission_lines("upgrade", items)
        return res

    def _on_ended(self):
        res = super()._on_ended()
        self._create_commission_clawbacks()
        return res

    # ------------------------------------------------------------------ amounts
    def _get_commission_term(self, renewal=None):
        """Price list term for the commission of this contract (hook): the contract's term,
        also for its renewals."""
        self.ensure_one()
        return self.term_months

    def _create_commission_lines(self, event, items):
        """Commission lines for ``event`` on ``items``: (contract line, renewal or None,
        date of the event). Amounts come from the WaaS price list: ``commission_new`` for a
        new contract or an upgrade, ``commission_renewal`` for a renewal, times the line
        quantity. Lines without a commission in the price list earn nothing."""
        items = [item for item in items if item[0].product_id.waas_kind in WAAS_PRICED_KINDS]
        if not items:
            return self.env["waas.commission.line"]
        # One price query per company and term.
        by_term = defaultdict(lambda: self.env["product.template"])
        for line, renewal, _date in items:
            contract = line.contract_id
            key = (contract.company_id, contract._get_commission_term(renewal))
            by_term[key] |= line.product_id.product_tmpl_id
        PriceItem = self.env["waas.pricelist.item"].sudo()
        prices = {
            key: PriceItem._get_price_items(tmpls, key[1], key[0]) for key, tmpls in by_term.items()
        }
        field = "commission_renewal" if event == "renewal" else "commission_new"
        event_label = dict(
            self.env["waas.commission.line"]._fields["event"]._description_selection(self.env)
        )[event]
        vals_list = []
        for line, renewal, date in items:
            contract = line.contract_id
            company = contract.company_id
            key = (company, contract._get_commission_term(renewal))
            item = prices[key].get(line.product_id.product_tmpl_id.id)
            if not item or not item[field]:
                continue
            amount = item.currency_id._convert(
                item[field] * line.quantity, company.currency_id, company, date
            )
            if company.currency_id.is_zero(amount):
                continue
            vals_list.append(
                {
                    "name": _(
                        "%(event)s %(contract)s: %(product)s",
                        event=event_label,
                        contract=contract.name,
                        product=line.product_id.display_name,
                    ),
                    "company_id": company.id,
                    "reseller_id": contract.reseller_id.id,
                    "contract_id": contract.id,
                    "contract_line_id": line.id,
                    "renewal_id": renewal.id if renewal else False,
                    "product_id": line.product_id.id,
                    "bundle_id": contract._get_commission_bundle().id,
                    "event": event,
                    "quantity": line.quantity,
                    "amount": amount,
                    "date": date,
                }
            )
        return self.env["waas.commission.line"]._create_event_lines(vals_list)

    def _get_commission_bundle(self):
        self.ensure_one()
        bundles = self.line_ids.filtered(lambda line: line.product_id.waas_kind == "bundle")
        return bundles[:1].product_id

    # ------------------------------------------------------------------ claw-back
    def _get_commission_end_date(self):
        """Date the contract ended early: its ``date_terminated``, else today."""
        self.ensure_one()
        return self.date_terminated or fields.Date.context_today(self)

    def _create_commission_clawbacks(self):
        """On early termination within the company's claw-back window, take back the
        commission paid for the contract (new and upgrade lines) with one negative line."""
        candidates = self.filtered(
            lambda c: c.state == "terminated" and c.company_id.waas_commission_clawback
        )
        early = candidates.filtered(
            lambda c: (
                c._get_commission_end_date()
                < c.date_start + relativedelta(months=c.company_id.waas_commission_clawback_months)
            )
        )
        if not early:
            return self.env["waas.commission.line"]
        # sudo: the user terminating the contract may not read all commission lines.
        sums = dict(
            self.env["waas.commission.line"]
            .sudo()
            ._read_group(
                [
                    ("contract_id", "in", early.ids),
                    ("event", "in", ("new", "upgrade")),
                    ("state", "!=", "cancelled"),
                ],
                ["contract_id"],
                ["amount:sum"],
            )
        )
        vals_list = []
        for contract in early:
            total = sums.get(contract.sudo(), 0.0)
            if contract.company_id.currency_id.compare_amounts(total, 0) <= 0:
                continue
            vals_list.append(
                {
                    "name": _(
                        "Claw-back %(contract)s: ended early",
                        contract=contract.name,
                    ),
                    "company_id": contract.company_id.id,
                    "reseller_id": contract.reseller_id.id,
                    "contract_id": contract.id,
                    "bundle_id": contract._get_commission_bundle().id,
                    "event": "clawback",
                    "quantity": 1.0,
                    "amount": -total,
                    "date": contract._get_commission_end_date(),
                }
            )
        return self.env["waas.commission.line"]._create_event_lines(vals_list)
