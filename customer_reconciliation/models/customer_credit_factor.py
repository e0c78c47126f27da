from odoo import fields, models

FACTORS = [
    ("days_beyond_terms", "Days beyond terms (amount-weighted, paid invoices)"),
    ("overdue_ratio", "Overdue ratio (% of open receivable)"),
    ("oldest_overdue_days", "Oldest overdue (days)"),
    ("on_time_rate", "Paid on time (% of paid invoices)"),
    ("dispute_rate", "Disputed statements (%)"),
    ("confirmation_days", "Days to confirm a statement"),
    ("limit_utilisation", "Credit limit used (%)"),
    ("tenure_months", "Customer for (months)"),
    ("monthly_sales", "Average monthly sales"),
]


def factor_points(value, best, worst):
    """Points (0-100) of a raw value, linear from ``best`` (100) to ``worst`` (0)."""
    if value is None:
        return None
    if best == worst:
        return 100.0 if value == best else 0.0
    ratio = (value - worst) / (best - worst)
    return round(100.0 * min(1.0, max(0.0, ratio)), 2)


class CustomerCreditFactor(models.Model):
    """One factor of the credit score, its weight and its scale."""

    _name = "customer.credit.factor"
    _description = "Credit Rating Factor"
    _order = "policy_id, weight desc, id"

    policy_id = fields.Many2one(
        "customer.credit.policy", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    code = fields.Selection(FACTORS, required=True)
    active = fields.Boolean(default=True)
    weight = fields.Integer(required=True, help="Share of the score, in points out of 100.")
    best = fields.Float(string="Full Points At", help="Value that earns all the factor's points.")
    worst = fields.Float(string="No Points At", help="Value that earns no point.")

    _sql_constraints = [
        ("code_uniq", "unique(policy_id, code)", "Each factor appears once in a policy."),
        ("weight_positive", "CHECK(weight >= 0)", "Weights cannot be negative."),
    ]
