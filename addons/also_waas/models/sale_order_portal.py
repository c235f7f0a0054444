from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.http import request


# pylint: disable=consider-merging-classes-inherited
# Split from sale_order.py by concern (spec: a big model may be split per concern).
class SaleOrder(models.Model):
    """Portal behaviour of WaaS quotations (split from sale_order.py by concern)."""

    _inherit = "sale.order"

    # The signing token of a quotation: who holds it may sign in the customer's place.
    # Internal users only (share links, previews); portal pages read it as superuser
    # and mail it to the customer only, so no portal user reads it over RPC.
    access_token = fields.Char(groups="base.group_user")

    # ------------------------------------------------------------------ signing

    def _waas_signer_refusal(self, user):
        """Why ``user`` may not sign this WaaS quotation for the end customer, or None.

        The end customer signs: its own portal users, or whoever holds the signing link
        without being a user of the reseller (the link is mailed to the end customer
        only). Neither the reseller's users nor ALSO's staff sign in its place.
        """
        self.ensure_one()
        if not self.is_waas or user._is_public():
            return None
        signer = user.commercial_partner_id
        customer = self.partner_id.commercial_partner_id
        if signer == customer:
            return None
        if signer == self.waas_reseller_id.commercial_partner_id:
            return _(
                "Only the end customer %(customer)s signs the WaaS quotation %(order)s: as "
                "the reseller you send it to the end customer (Send to the End Customer), "
                "you do not sign it in its place.",
                customer=customer.name,
                order=self.name,
            )
        if not user.share:
            return _(
                "Only the end customer %(customer)s signs the WaaS quotation %(order)s; ALSO "
                "countersigns it with Countersign.",
                customer=customer.name,
                order=self.name,
            )
        return None

    def _has_to_be_signed(self):
        """A reseller follows its WaaS quotation in the portal but never signs it in the
        end customer's place: sale's portal hides the button and refuses the signature.

        The portal reads the order as superuser (``_document_check_access``), so the
        person signing is the user of the HTTP request when there is one. ALSO's staff
        still see "Accept & Sign" in what they send; the accept route refuses them.
        """
        if not super()._has_to_be_signed():
            return False
        if not self.is_waas:
            return True
        user = request.env.user if request else self.env.user
        return not (user.share and self._waas_signer_refusal(user))

    def _waas_prepare_signer_vals(self, user, ip_address):
        """Signer details kept with the end customer's signature (besides signed_by and
        signed_on): the e-mail of the logged-in signer, else the end customer's e-mail the
        signing link was sent to, and the IP address of the request."""
        self.ensure_one()
        email = (user.email if not user._is_public() else False) or self.partner_id.email
        return {
            "waas_signer_email": email or False,
            "waas_signer_ip": ip_address or False,
        }

    # ------------------------------------------------------------------ sending

    @api.model
    def _waas_reseller_email_problem(self, reseller, email):
        """Why ``email`` cannot be an end customer's address on a deal of ``reseller``
        (an address of the reseller itself), or None."""
        email = (email or "").strip().lower()
        if not email or not reseller:
            return None
        commercial = reseller.commercial_partner_id
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        contacts = Partner.search([("id", "child_of", commercial.id)])
        users = (
            self.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .search([("partner_id", "child_of", commercial.id)])
        )
        addresses = {
            address.strip().lower()
            for address in contacts.mapped("email") + users.mapped("email") + users.mapped("login")
            if address and "@" in address
        }
        domains = {
            address.rsplit("@", 1)[1].strip().lower()
            for address in users.mapped("email") + users.mapped("login")
            if address and "@" in address
        }
        domain = email.rsplit("@", 1)[1] if "@" in email else ""
        if email in addresses or (domain and domain in domains):
            return _(
                "%(email)s is an address of the reseller %(reseller)s: enter the end "
                "customer's own e-mail address. The signing link goes to the end customer, "
                "who signs the quotation itself.",
                email=email,
                reseller=commercial.name,
            )
        return None

    def _waas_check_signing_recipient(self):
        """The signing link of a WaaS quotation goes to the end customer's own e-mail:
        refuse to send it when there is none or when it is an address of the reseller."""
        for order in self.filtered("is_waas"):
            partner = order.partner_id
            if not partner.email:
                raise UserError(
                    _(
                        "The end customer %(customer)s has no e-mail address: the signing "
                        "link of %(order)s is sent to the end customer only.",
                        customer=partner.display_name,
                        order=order.name,
                    )
                )
            problem = self._waas_reseller_email_problem(order.waas_reseller_id, partner.email)
            if problem:
                raise UserError(problem)

    def action_quotation_send(self):
        """Send by e-mail: a WaaS quotation goes to the end customer's own e-mail."""
        self.filtered(lambda o: o.state in ("draft", "sent"))._waas_check_signing_recipient()
        return super().action_quotation_send()
