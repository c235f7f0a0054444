from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError


class AccountMoveLine(models.Model):
    _name = "account.move.line"  # needed with two parents (else a new model would be made)
    _inherit = ["account.move.line", "waas.guard.mixin"]

    # The link between a bill line and the commission lines it bills is set by the
    # settlement and copied by Odoo's reversal (credit note) and "Reverse and Create
    # Invoice" (new draft); nobody writes it by hand (waas.guard.mixin).
    _waas_guarded_fields = frozenset({"waas_commission_line_ids"})

    # ------------------------------------------------------------------ fields
    waas_commission_line_ids = fields.Many2many(
        comodel_name="waas.commission.line",
        relation="waas_commission_line_account_move_line_rel",
        column1="move_line_id",
        column2="commission_line_id",
        string="Commission Lines",
        readonly=True,
        copy=False,
        help="The commission lines this bill line bills (or, on a credit note, reverses).",
    )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self._waas_check_commission_link_copies(vals_list)
        return super().create(vals_list)

    def unlink(self):
        # sudo: whoever removes a bill line may not read the commissions it billed.
        commission_lines = (
            self.sudo().filtered(lambda line: line.move_id.waas_is_commission_bill)
        ).waas_commission_line_ids
        res = super().unlink()
        commission_lines.exists()._check_billed_once()
        return res

    # ------------------------------------------------------------------ reversal
    def _copy_data_extend_business_fields(self, values):
        """A credit note and the new draft of "Reverse and Create Invoice" keep the link
        (like ``sale_line_ids`` in ``sale``): the credit note reverses the commissions, the
        new draft bills them instead of the reversed bill."""
        res = super()._copy_data_extend_business_fields(values)
        # sudo: the accountant reversing the bill may not read commission lines.
        commission_lines = self.sudo().waas_commission_line_ids
        if commission_lines:
            values["waas_commission_line_ids"] = [Command.set(commission_lines.ids)]
        return res

    @api.model
    def _waas_check_commission_link_copies(self, vals_list):
        """Outside the settlement, a bill line links only commission lines that a bill
        line already billed: it is the copy made by a reversal, never a new settlement."""
        ids = set()
        for vals in vals_list:
            for command in vals.get("waas_commission_line_ids") or ():
                if command[0] == Command.SET:
                    ids.update(command[2])
                elif command[0] == Command.LINK:
                    ids.add(command[1])
                else:
                    ids.add(False)
        if not ids:
            return
        # sudo: the link is checked against every bill line, whoever may read them.
        lines = self.env["waas.commission.line"].sudo().browse(ids - {False})
        existing = lines.exists()
        if (
            False in ids
            or existing != lines
            or existing.filtered(lambda line: not line.move_line_ids)
        ):
            raise AccessError(
                _(
                    "Commission lines are billed only by Settle Commissions; a bill line "
                    "carries them only as the copy of a bill that settled them (Reverse, "
                    "Reverse and Create Invoice)."
                )
            )
