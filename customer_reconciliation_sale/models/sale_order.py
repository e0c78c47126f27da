from collections import defaultdict

from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        # Orders confirmed together count each other: each is tested with the
        # ones of the same customer before it.
        earlier = defaultdict(float)
        for order in self:
            key = (order.partner_id.commercial_partner_id, order.company_id)
            order.partner_id._check_credit_grade_block(
                order, warning=order._credit_warning_with(earlier[key]) if earlier[key] else None
            )
            earlier[key] += order.amount_total / order.currency_rate
        return super().action_confirm()

    def _credit_warning_with(self, amount):
        """Odoo's credit-limit warning of this quotation had ``amount``
        (company currency) of other orders been confirmed before it."""
        self.ensure_one()
        order = self.with_company(self.company_id)
        if not order.company_id.account_use_credit_limit:
            return ""
        return self.env["account.move"]._build_credit_warning_message(
            order.sudo(),  # whoever confirms may not read the customer's credit
            current_amount=order.amount_total / order.currency_rate + amount,
        )
