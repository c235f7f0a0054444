from odoo import models
from odoo.http import request


# pylint: disable=consider-merging-classes-inherited
# Split from sale_order.py by concern (spec: a big model may be split per concern).
class SaleOrder(models.Model):
    """Portal behaviour of WaaS quotations (split from sale_order.py by concern)."""

    _inherit = "sale.order"

    def _has_to_be_signed(self):
        """A reseller follows its WaaS quotation in the portal but never signs it in the
        end customer's place: sale's portal hides the button and refuses the signature.

        The portal reads the order as superuser (``_document_check_access``), so the
        person signing is the user of the HTTP request when there is one.
        """
        if not super()._has_to_be_signed():
            return False
        if not self.is_waas:
            return True
        user = request.env.user if request else self.env.user
        signer = user.commercial_partner_id
        return not (
            signer == self.waas_reseller_id and signer != self.partner_id.commercial_partner_id
        )
