from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        for order in self:
            order.partner_id._check_credit_grade_block(order)
        return super().action_confirm()
