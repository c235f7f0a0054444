# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumValidationError

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .res_partner import WAAS_MANDATE_SCHEMES

# What the end customer's mandate agrees to: fixed once the quotation is signed.
WAAS_MANDATE_TERMS = frozenset({"waas_iban", "waas_mandate_scheme"})


class SaleOrder(models.Model):
    _inherit = "sale.order"

    waas_iban = fields.Char(
        string="Direct Debit IBAN",
        copy=False,
        tracking=True,
        help="The end customer's IBAN: signing the quotation also signs a SEPA direct debit "
        "mandate for it. Leave empty for payment by bank transfer.",
    )
    waas_mandate_scheme = fields.Selection(
        selection=WAAS_MANDATE_SCHEMES,
        string="Mandate Scheme",
        compute="_compute_waas_mandate_scheme",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
    )
    # Set only by the end customer's signature, cleared with it (see write).
    waas_mandate_id = fields.Many2one(
        comodel_name="account.banking.mandate",
        string="Direct Debit Mandate",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
    )
    waas_mandate_reference = fields.Char(
        related="waas_mandate_id.unique_mandate_reference", string="Mandate Reference"
    )
    waas_mandate_date = fields.Date(
        related="waas_mandate_id.signature_date", string="Mandate Signed On"
    )

    # ------------------------------------------------------------------ computes
    @api.depends("partner_id")
    def _compute_waas_mandate_scheme(self):
        for order in self:
            order.waas_mandate_scheme = (
                order.partner_id.commercial_partner_id.waas_mandate_scheme or "B2B"
            )

    # ------------------------------------------------------------------ constraints
    @api.constrains("waas_iban")
    def _check_waas_iban(self):
        for order in self.filtered("waas_iban"):
            try:
                stdnum_iban.validate(order.waas_iban)
            except StdnumValidationError:
                raise ValidationError(
                    self.env._(
                        "%(iban)s is not a valid IBAN (quotation %(order)s).",
                        iban=order.waas_iban,
                        order=order.name,
                    )
                ) from None

    # ------------------------------------------------------------------ ORM
    def _waas_guard_check_write(self, vals):
        """The mandate link is guarded like ``_waas_guarded_fields``: only the end
        customer's signature sets it (superuser mode, see ``write``)."""
        res = super()._waas_guard_check_write(vals)
        if "waas_mandate_id" in vals and not self.env.su and self._waas_guard_records():
            raise AccessError(
                self.env._(
                    "The direct debit mandate of a WaaS quotation is signed by the end "
                    "customer with the quotation, not set by editing it."
                )
            )
        return res

    def write(self, vals):
        if "waas_iban" in vals and vals["waas_iban"]:
            vals = dict(vals, waas_iban=stdnum_iban.compact(vals["waas_iban"]))
        if WAAS_MANDATE_TERMS.intersection(vals) and any(
            o.is_waas and o.waas_mandate_id for o in self
        ):
            raise UserError(
                self.env._(
                    "The IBAN and the scheme of a signed direct debit mandate do not change: "
                    "the end customer signed them with the quotation."
                )
            )
        res = super().write(vals)
        if "signature" in vals:
            if vals["signature"]:
                self._waas_sepa_create_mandates()
            else:
                self._waas_sepa_cancel_mandates()
        return res

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("waas_iban"):
                vals["waas_iban"] = stdnum_iban.compact(vals["waas_iban"])
        return super().create(vals_list)

    # ------------------------------------------------------------------ mandates
    def _waas_sepa_partner_banks(self):
        """{order: res.partner.bank} of the end customer's account for each order's IBAN,
        made where missing (one search, one create)."""
        Bank = self.env["res.partner.bank"]
        keys = {order: (order.partner_id.commercial_partner_id, order.waas_iban) for order in self}
        existing = Bank.with_context(active_test=False).search(
            [
                ("partner_id", "in", [p.id for p, _iban in keys.values()]),
                ("sanitized_acc_number", "in", [iban for _p, iban in keys.values()]),
            ]
        )
        found = {(b.partner_id, b.sanitized_acc_number): b for b in existing}
        missing = {key for key in keys.values() if key not in found}
        created = Bank.create(
            [{"partner_id": partner.id, "acc_number": iban} for partner, iban in missing]
        )
        found.update({(b.partner_id, b.sanitized_acc_number): b for b in created})
        return {order: found[key] for order, key in keys.items()}

    def _waas_sepa_prepare_mandate_vals(self, partner_bank):
        """Values of the SEPA mandate the end customer signs with this quotation."""
        self.ensure_one()
        return {
            "format": "sepa",
            "type": "recurrent",
            "recurrent_sequence_type": "first",
            "scheme": self.waas_mandate_scheme or "B2B",
            "partner_bank_id": partner_bank.id,
            "company_id": self.company_id.id,
            "signature_date": fields.Date.context_today(self, self.signed_on),
            "state": "valid",
        }

    def _waas_sepa_create_mandates(self):
        """The end customer signed these quotations: each WaaS quotation with an IBAN gets
        its valid SEPA mandate (reference from OCA's sequence, signed on the signature
        date) for the customer's bank account."""
        orders = self.filtered(
            lambda o: o.is_waas and o.waas_iban and o.signature and not o.waas_mandate_id
        )
        if not orders:
            return
        # sudo: the mandate is made only here, by the end customer's signature (portal
        # users and WaaS users may not create bank accounts nor mandates).
        orders = orders.sudo()
        banks = orders._waas_sepa_partner_banks()
        mandates = (
            self.env["account.banking.mandate"]
            .sudo()
            .create([order._waas_sepa_prepare_mandate_vals(banks[order]) for order in orders])
        )
        for order, mandate in zip(orders, mandates, strict=True):
            order.waas_mandate_id = mandate
            order.message_post(
                body=self.env._(
                    "SEPA direct debit mandate %(reference)s (%(scheme)s) signed with the "
                    "quotation for IBAN %(iban)s.",
                    reference=mandate.unique_mandate_reference,
                    scheme=mandate.scheme,
                    iban=banks[order].display_name,
                )
            )

    def _waas_sepa_cancel_mandates(self):
        """The signature was cleared (the quotation changed): the mandate signed with it
        is cancelled and unlinked; signing again makes a new one."""
        orders = self.filtered(lambda o: o.waas_mandate_id and not o.signature)
        if not orders:
            return
        # sudo: the mandate follows the signature it was signed with.
        orders = orders.sudo()
        mandates = orders.waas_mandate_id
        orders.waas_mandate_id = False
        mandates.filtered(lambda m: m.state in ("draft", "valid")).cancel()

    # ------------------------------------------------------------------ activation
    def _waas_prepare_contract_vals(self):
        vals = super()._waas_prepare_contract_vals()
        if self.waas_mandate_id:
            vals["waas_mandate_id"] = self.waas_mandate_id.id
        return vals
