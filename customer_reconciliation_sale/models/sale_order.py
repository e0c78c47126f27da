from odoo import api, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        if any(order._confirmation_error_message() for order in self):
            return super().action_confirm()  # Odoo refuses them, with its own message
        user = self.env.user
        if user._is_internal() and not user._is_superuser():
            self.env["res.partner"]._check_credit_grade_blocks(self)
            return super().action_confirm()
        # The customer accepting or paying on the portal, or a scheduled
        # action: an order the grade blocks stays a quotation for a manager,
        # and its salesperson is told, instead of an error to the customer.
        held = self.env["res.partner"]._check_credit_grade_blocks(self, hold=True)
        confirmed = self - held
        return super(SaleOrder, confirmed).action_confirm() if confirmed else True

    @api.depends("company_id", "partner_id", "amount_total")
    def _compute_partner_credit_warning(self):
        # Odoo's banner, with the confirmed orders its test leaves out when
        # the customer's credit grade counts them.
        res = super()._compute_partner_credit_warning()
        for order in self:
            if (
                order.state not in ("draft", "sent")
                or not order.company_id.account_use_credit_limit
            ):
                continue
            partner = order.partner_id.commercial_partner_id.with_company(order.company_id).sudo()
            if partner.credit_grade_id.sale_policy in (False, "none"):
                continue
            uncounted = partner._credit_uncounted(order.company_id)
            if not order.company_id.currency_id.is_zero(uncounted):
                order.partner_credit_warning = order._credit_warning_with(uncounted)
        return res

    def _credit_amount(self):
        """What this order adds to the customer's credit, company currency."""
        return self.amount_total / self.currency_rate

    def _credit_added(self):
        """A confirmed order adds its amount to the customer's credit, less
        what the customer already paid for it online."""
        return max((self.amount_total - self.amount_paid) / self.currency_rate, 0.0)

    def _credit_warning_with(self, amount):
        """Odoo's credit-limit warning of this quotation had ``amount``
        (company currency) of other orders been confirmed before it."""
        self.ensure_one()
        order = self.with_company(self.company_id)
        return self.env["account.move"]._build_credit_warning_message(
            order.sudo(),  # whoever confirms may not read the customer's credit
            current_amount=order._credit_amount() + amount,
        )
