from odoo import _, api, fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    # ------------------------------------------------------------------ fields
    waas_is_commission_bill = fields.Boolean(
        string="WaaS Commission Bill",
        compute="_compute_waas_is_commission_bill",
        store=True,
        help="Vendor bill (or credit note) of a WaaS commission settlement: its lines bill "
        "commission lines, or reverse them.",
    )
    waas_commission_line_ids = fields.One2many(
        comodel_name="waas.commission.line",
        inverse_name="move_id",
        string="Commission Lines",
        readonly=True,
        groups="also_waas.group_waas_user,account.group_account_invoice",
    )

    # ------------------------------------------------------------------ computes
    @api.depends("line_ids.waas_commission_line_ids")
    def _compute_waas_is_commission_bill(self):
        for move in self:
            # sudo: whoever creates the bill may not read the commissions it bills.
            move.waas_is_commission_bill = bool(move.sudo().line_ids.waas_commission_line_ids)

    # ------------------------------------------------------------------ CRUD
    # A commission line is billed once, whatever accounting does with its bills: after
    # every change of a commission bill's state or lines, each of its commission lines is
    # billed at most once and credited no more often than billed (see
    # waas.commission.line._get_billing).
    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        moves._waas_commission_lines()._check_billed_once()
        return moves

    def write(self, vals):
        res = super().write(vals)
        if {"state", "line_ids", "invoice_line_ids"} & set(vals):
            self._waas_commission_lines()._check_billed_once()
        return res

    def unlink(self):
        commission_lines = self._waas_commission_lines()
        res = super().unlink()
        commission_lines.exists()._check_billed_once()
        return res

    def _waas_commission_lines(self):
        """The commission lines the lines of these bills bill or reverse."""
        # sudo: the accountant handling the bill may not read the commissions it bills.
        return self.sudo().filtered("waas_is_commission_bill").line_ids.waas_commission_line_ids

    # ------------------------------------------------------------------ posting
    def _post(self, soft=True):
        self._waas_check_commission_bill_lines()
        return super()._post(soft=soft)

    def _waas_check_commission_bill_lines(self):
        """A commission bill bills its commission lines at their amounts, and a credit note
        of a commission bill reverses all of it: a partial credit note, a changed amount or a
        line that bills no commission is refused at posting (reverse the whole bill, with
        "Reverse and Create Invoice" to correct it)."""
        # sudo: the accountant posting the bill may not read the commissions it bills.
        for move in self.sudo().filtered("waas_is_commission_bill"):
            currency = move.company_currency_id
            for move_line in move.invoice_line_ids.filtered(
                lambda line: line.display_type == "product"
            ):
                commission_lines = move_line.waas_commission_line_ids
                amount = (
                    move.direction_sign
                    * move_line.price_unit
                    * move_line.quantity
                    * (1 - move_line.discount / 100.0)
                )
                expected = sum(commission_lines.mapped("amount"))
                if (
                    not commission_lines
                    or move_line.currency_id != currency
                    or currency.compare_amounts(abs(amount), abs(expected))
                ):
                    raise UserError(
                        _(
                            'Commission bill %(bill)s: the line "%(label)s" (%(amount)s) '
                            "does not bill its commissions as settled (%(expected)s). A "
                            "commission bill is posted as settled, in %(currency)s, and a "
                            "credit note reverses all of it: to correct it, use Reverse and "
                            "Create Invoice on the bill.",
                            bill=move.display_name,
                            label=move_line.name or "",
                            amount=currency.round(abs(amount)),
                            expected=currency.round(abs(expected)),
                            currency=currency.name,
                        )
                    )
            origin = move.reversed_entry_id
            if not origin.waas_is_commission_bill:
                continue
            reversed_by = origin.reversal_move_ids.filtered(
                lambda other, move=move: other != move and other.state == "posted"
            )
            if reversed_by:
                raise UserError(
                    _(
                        "Commission bill %(bill)s is already reversed by %(refund)s: a "
                        "commission bill is reversed once.",
                        bill=origin.display_name,
                        refund=", ".join(reversed_by.mapped("display_name")),
                    )
                )
            if move.line_ids.waas_commission_line_ids != origin.line_ids.waas_commission_line_ids:
                raise UserError(
                    _(
                        "Credit note %(refund)s reverses only part of commission bill "
                        "%(bill)s: a commission bill is reversed in full (all its lines, at "
                        "their amounts). Reverse the whole bill, then correct the new draft "
                        "(Reverse and Create Invoice) or settle again.",
                        refund=move.display_name,
                        bill=origin.display_name,
                    )
                )

    # ------------------------------------------------------------------ actions
    def action_view_waas_commission_lines(self):
        """Smart button "Commissions" of the vendor bill or credit note."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "also_waas_commission.waas_commission_line_action"
        )
        action["domain"] = [("id", "in", self._waas_commission_lines().ids)]
        action["context"] = {}
        return action
