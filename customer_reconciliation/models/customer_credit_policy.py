from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Factors of the score: (code, label, default weight, best value, worst value).
# A factor's points go linearly from 100 at its best value to 0 at its worst.
DEFAULT_FACTORS = [
    ("days_beyond_terms", 25, 0.0, 60.0),
    ("overdue_ratio", 20, 0.0, 50.0),
    ("oldest_overdue_days", 15, 0.0, 120.0),
    ("on_time_rate", 15, 100.0, 50.0),
    ("dispute_rate", 5, 0.0, 30.0),
    ("confirmation_days", 5, 0.0, 30.0),
    ("limit_utilisation", 5, 50.0, 120.0),
    ("tenure_months", 5, 36.0, 0.0),
    ("monthly_sales", 5, 100000.0, 0.0),
]
# Grades: (name, minimum score, months of sales as limit, sales policy,
# payment term). The lowest grade pays at once and is blocked above half a
# month of sales: a limit it keeps from a better grade would never block it.
DEFAULT_GRADES = [
    ("A", 85.0, 3.0, "none", None),
    ("B", 70.0, 2.0, "none", None),
    ("C", 50.0, 1.0, "warn", None),
    ("D", 0.0, 0.5, "block", "account.account_payment_term_immediate"),
]


class CustomerCreditPolicy(models.Model):
    """How credit scores are computed in one company (信用评级规则)."""

    _name = "customer.credit.policy"
    _description = "Credit Rating Policy"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, default="Credit rating")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    window_months = fields.Integer(
        string="Window (Months)",
        default=12,
        required=True,
        help="How far back the customer's behaviour is looked at.",
    )
    min_invoices = fields.Integer(
        string="Minimum Invoices",
        default=3,
        required=True,
        help="Customers with fewer invoices in the window are not rated.",
    )
    on_time_tolerance = fields.Float(
        string="On-Time Tolerance (%)",
        default=1.0,
        digits=(5, 2),
        help="An invoice counts as paid on time when what was paid of it after its due date "
        "is at most this share of it: a small remainder settled or written off later, such as "
        "bank charges, does not make it late. Days beyond terms still count that remainder.",
    )
    apply_suggestions = fields.Boolean(
        string="Apply Limits and Terms",
        help="After each rating, set the suggested credit limit and payment term of the "
        "grade on customers whose grade changed (overrides are kept).",
    )
    factor_ids = fields.One2many("customer.credit.factor", "policy_id", string="Factors")
    grade_ids = fields.One2many("customer.credit.grade", "policy_id", string="Grades")
    total_weight = fields.Integer(compute="_compute_total_weight")
    last_run = fields.Datetime(readonly=True, copy=False)
    last_failure = fields.Text(
        string="Last Run Failure",
        readonly=True,
        copy=False,
        help="Why the last scheduled rating of the company failed; cleared by the next "
        "rating that succeeds.",
    )

    _sql_constraints = [
        ("company_uniq", "unique(company_id)", "A company has one credit rating policy."),
    ]

    @api.depends("factor_ids.weight", "factor_ids.active")
    def _compute_total_weight(self):
        for policy in self:
            policy.total_weight = sum(policy.factor_ids.filtered("active").mapped("weight"))

    @api.constrains("factor_ids", "window_months", "min_invoices", "on_time_tolerance")
    def _check_policy(self):
        for policy in self:
            if policy.total_weight != 100:
                raise ValidationError(
                    self.env._(
                        "The weights of the credit factors must add up to 100 (now %(total)s).",
                        total=policy.total_weight,
                    )
                )
            if policy.window_months < 1 or policy.min_invoices < 0:
                raise ValidationError(
                    self.env._(
                        "The window is at least one month; the minimum invoices cannot be negative."
                    )
                )
            if not 0 <= policy.on_time_tolerance < 100:
                raise ValidationError(
                    self.env._("The on-time tolerance is a share from 0 up to 100 percent.")
                )

    @api.model
    def _get_policy(self, company):
        """The company's policy: its own, else for a branch its nearest parent
        company's, else one created with the default factors and grades."""
        policies = self.sudo().search([("company_id", "parent_of", company.id)])
        owner = company._nearest_of(policies.company_id)
        policy = policies.filtered(lambda p: p.company_id == owner)[:1]
        if not policy:
            policy = self.sudo().create(
                {
                    "company_id": company.id,
                    "factor_ids": [
                        (0, 0, {"code": code, "weight": weight, "best": best, "worst": worst})
                        for code, weight, best, worst in DEFAULT_FACTORS
                    ],
                    "grade_ids": [
                        (
                            0,
                            0,
                            {
                                "name": name,
                                "min_score": score,
                                "limit_months": months,
                                "sale_policy": sale_policy,
                                "payment_term_id": term and self._default_term(term),
                                "sequence": index,
                            },
                        )
                        for index, (name, score, months, sale_policy, term) in enumerate(
                            DEFAULT_GRADES
                        )
                    ],
                }
            )
        return policy.with_env(self.env)

    @api.model
    def _default_term(self, xmlid):
        """Id of a payment term of Odoo's data, False when it was deleted."""
        return (
            self.env.ref(xmlid, raise_if_not_found=False) or self.env["account.payment.term"]
        ).id

    def action_recompute(self):
        self.ensure_one()
        summary = self.env["customer.credit.engine"]._rate_company(self.company_id)
        failed = summary["follow_up_failed"]
        message = self.env._(
            "%(rated)s customers rated, %(not_rated)s not rated, %(downgraded)s downgraded.",
            **summary,
        )
        if failed:
            message += " " + self.env._(
                "The follow-up of %(count)s customers failed (see their chatter).", count=failed
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if failed else "success",
                "sticky": bool(failed),
                "message": message,
            },
        }
