from odoo import fields, models


class CustomerStatementCurrency(models.Model):
    """A foreign-currency section of a statement, in that currency."""

    _name = "customer.statement.currency"
    _inherit = ["customer.statement.snapshot.mixin"]
    _description = "Customer Statement Currency Section"
    _order = "statement_id, currency_id"

    statement_id = fields.Many2one(
        "customer.statement", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="statement_id.company_id", store=True)
    partner_id = fields.Many2one(related="statement_id.partner_id", store=True, string="Customer")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    company_currency_id = fields.Many2one(
        related="statement_id.currency_id", string="Company Currency"
    )
    opening_balance = fields.Monetary(readonly=True)
    total_debit = fields.Monetary(string="Period Debit", readonly=True)
    total_credit = fields.Monetary(string="Period Credit", readonly=True)
    closing_balance = fields.Monetary(readonly=True)
    open_amount = fields.Monetary(readonly=True)
    overdue_amount = fields.Monetary(string="Overdue", readonly=True)
    closing_balance_company = fields.Monetary(
        string="Closing Balance (Company Currency)",
        currency_field="company_currency_id",
        readonly=True,
        help="Book value in the company currency of this currency's items.",
    )

    def _snapshot_name(self):
        return self.env._("Currency sections")
