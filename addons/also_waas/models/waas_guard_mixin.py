from odoo import _, api, models
from odoo.exceptions import AccessError


class WaasGuardMixin(models.AbstractModel):
    """Fields that move money or state change only through the model's actions.

    A model inheriting this mixin lists in ``_waas_guarded_fields`` the fields that its
    buttons and wizards change (state, dates, amounts, signatures, lines, ...). A plain
    ``write`` of one of them (a form, an import, XML-RPC) is refused with an
    ``AccessError``: only the environment's superuser mode lets it through, and only the
    model's own actions enter that mode, after checking the user's group and the
    record's state (``self.sudo().write(...)``, each with a comment saying so). A client
    cannot reach superuser mode over RPC, so the rule holds whatever the view shows.

    ``_waas_guarded_create`` and ``_waas_guarded_unlink`` do the same for creating and
    deleting records (e.g. contract lines: only activation, upgrade and renewal add them).
    ``_waas_guard_records`` narrows the guard to some records (sale orders: WaaS deals).
    """

    _name = "waas.guard.mixin"
    _description = "WaaS: state and money fields changed only through actions"

    _waas_guarded_fields = frozenset()
    _waas_guarded_create = False
    _waas_guarded_unlink = False

    def _waas_guard_records(self):
        """The records of ``self`` the guard applies to (all by default)."""
        return self

    def _waas_guard_check_write(self, vals):
        """Refuse a write of guarded fields outside the model's actions."""
        if self.env.su:
            return
        guarded = self._waas_guarded_fields.intersection(vals)
        if guarded and self._waas_guard_records():
            raise AccessError(
                _(
                    "%(fields)s of %(model)s change only through its buttons (which check "
                    "who you are and the document's state), not by editing them.",
                    fields=", ".join(
                        sorted(self._fields[name]._description_string(self.env) for name in guarded)
                    ),
                    model=self._description,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        if self._waas_guarded_create and not self.env.su:
            raise AccessError(
                _(
                    "%(model)s records are created only by the actions of the WaaS flow "
                    "(activation, renewal, upgrade, delivery, returns), not by hand.",
                    model=self._description,
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        self._waas_guard_check_write(vals)
        return super().write(vals)

    def unlink(self):
        if self._waas_guarded_unlink and not self.env.su and self._waas_guard_records():
            raise AccessError(
                _(
                    "%(model)s records are removed only by the actions of the WaaS flow, "
                    "not by deleting them.",
                    model=self._description,
                )
            )
        return super().unlink()
