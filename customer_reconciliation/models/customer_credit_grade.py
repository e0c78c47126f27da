from odoo import fields, models


class CustomerCreditGrade(models.Model):
    """A credit grade (信用等级) and what it means for limits, terms and sales."""

    _name = "customer.credit.grade"
    _description = "Credit Grade"
    _order = "policy_id, min_score desc, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    policy_id = fields.Many2one(
        "customer.credit.policy", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    min_score = fields.Float(string="From Score", required=True, help="Lowest score of the grade.")
    limit_months = fields.Float(
        string="Credit Limit (Months of Sales)",
        help="Suggested credit limit: this many months of the customer's average monthly "
        "sales, at least the smallest amount of the currency (Odoo reads a limit of 0 as no "
        "limit at all). 0 leaves the credit limit as it is.",
    )
    payment_term_id = fields.Many2one(
        "account.payment.term", string="Payment Terms", check_company=True
    )
    sale_policy = fields.Selection(
        [
            ("none", "Nothing"),
            ("warn", "Warn above the limit"),
            ("block", "Block above the limit"),
        ],
        string="Above the Credit Limit",
        default="none",
        required=True,
        help="What happens when a new invoice or sales order takes the customer above "
        "their credit limit (Odoo's credit-limit test, when the company uses credit "
        "limits): warning notes who confirmed it on the document; blocking refuses it "
        "unless a manager confirms.",
    )
    color = fields.Integer()

    _sql_constraints = [
        (
            "score_range",
            "CHECK(min_score >= 0 AND min_score <= 100)",
            "A grade starts between 0 and 100.",
        ),
    ]

    def _partner_values(self, suggested_limit):
        """The credit limit (when the grade suggests one) and payment term this
        grade gives a customer, as values to write on the partner."""
        self.ensure_one()
        values = {}
        if self.limit_months:
            # A customer without sales would get 0, which Odoo's credit test
            # reads as "no limit": the smallest amount limits it instead.
            rounding = self.company_id.currency_id.rounding or 0.01
            values["credit_limit"] = max(suggested_limit, rounding)
        if self.payment_term_id:
            values["property_payment_term_id"] = self.payment_term_id.id
        return values
