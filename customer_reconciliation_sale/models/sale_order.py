from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        for order in self:
            order.partner_id._check_credit_grade_block(
                order, current_amount=order.amount_total / (order.currency_rate or 1.0)
            )
        return super().action_confirm()
