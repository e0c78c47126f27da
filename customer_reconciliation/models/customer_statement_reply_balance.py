from odoo import api, fields, models
from odoo.tools import format_amount


class CustomerStatementReplyBalance(models.Model):
    """One currency's balance in a customer's stated balance.

    A customer who owes in several currencies states what they owe in each:
    each is compared with what the statement says is owed in that currency.
    """

    _name = "customer.statement.reply.balance"
    _description = "Customer Statement Stated Balance"
    _order = "reply_id, sequence, id"

    reply_id = fields.Many2one(
        "customer.statement.reply", required=True, ondelete="cascade", index=True, readonly=True
    )
    statement_id = fields.Many2one(related="reply_id.statement_id", store=True)
    company_id = fields.Many2one(related="reply_id.company_id", store=True)
    sequence = fields.Integer(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    statement_balance = fields.Monetary(
        readonly=True, help="What the statement says is owed in this currency at the cut-off."
    )
    customer_balance = fields.Monetary(
        string="Customer's Balance",
        readonly=True,
        help="What the customer says they owe in this currency.",
    )
    difference = fields.Monetary(
        compute="_compute_difference",
        store=True,
        help="Statement balance minus the customer's balance.",
    )

    @api.depends("statement_balance", "customer_balance", "currency_id")
    def _compute_difference(self):
        for balance in self:
            balance.difference = balance.currency_id.round(
                balance.statement_balance - balance.customer_balance
            )

    @api.depends("currency_id", "customer_balance", "difference")
    def _compute_display_name(self):
        for balance in self:
            balance.display_name = self.env._(
                "%(currency)s: %(amount)s (difference %(difference)s)",
                currency=balance.currency_id.name,
                amount=format_amount(self.env, balance.customer_balance, balance.currency_id),
                difference=format_amount(self.env, balance.difference, balance.currency_id),
            )
