from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _credit_uncounted(self, company):
        """The confirmed sales orders of the customer and of its contacts (not
        of its subsidiaries, customers of their own) in
        ``company``, for what is not invoiced (nor paid online) yet, less
        what Odoo's credit test counts of them: Odoo counts an order's amount
        to invoice, which is nothing for goods invoiced on delivery and not
        delivered yet, and only the orders of the customer itself, not those
        of its contacts."""
        total = super()._credit_uncounted(company)
        self.ensure_one()
        orders = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("partner_id.commercial_partner_id", "=", self.id),
                    ("state", "=", "sale"),
                ]
            )
        )
        today = fields.Date.context_today(self)
        for order in orders:
            committed = order.amount_total - order.amount_invoiced - order.amount_paid
            # Odoo's own search (sale's res.partner._compute_credit_to_invoice).
            counted = (
                order.amount_to_invoice
                if order.partner_id == self
                and any(line.untaxed_amount_to_invoice > 0 for line in order.order_line)
                else 0.0
            )
            uncounted = committed - counted
            if order.currency_id.compare_amounts(uncounted, 0) > 0:
                total += order.currency_id._convert(uncounted, company.currency_id, company, today)
        return total
