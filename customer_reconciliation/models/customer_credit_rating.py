from odoo import fields, models
from odoo.tools import formatLang

from .customer_credit_factor import FACTORS


class CustomerCreditRating(models.Model):
    """One credit rating of a customer: its score, grade and every factor.

    A run of the rating writes one row per customer of the company; the
    newest row is the current one. The factor values are real columns so
    that they can be analysed (pivot, graph) like any other figure.
    """

    _name = "customer.credit.rating"
    _description = "Customer Credit Rating"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    is_current = fields.Boolean(string="Current", readonly=True, index=True)
    rated = fields.Boolean(
        readonly=True, help="False when the customer has too little history to be rated."
    )
    score = fields.Float(readonly=True, aggregator="avg", digits=(5, 1))
    grade_id = fields.Many2one("customer.credit.grade", readonly=True, ondelete="set null")
    previous_grade_id = fields.Many2one("customer.credit.grade", readonly=True, ondelete="set null")
    downgraded = fields.Boolean(readonly=True)
    grade_kept = fields.Boolean(
        string="Previous Grade Kept",
        readonly=True,
        help="Too few invoices in the window to rate the customer again: the score and "
        "grade of its last rating are kept, so that a customer who stops buying (or was "
        "stopped) does not lose a grade that limits it.",
    )
    # Factor values (empty when the factor does not apply to the customer).
    days_beyond_terms = fields.Float(readonly=True, aggregator="avg", digits=(16, 1))
    overdue_ratio = fields.Float(
        string="Overdue Ratio (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    oldest_overdue_days = fields.Float(readonly=True, aggregator="avg", digits=(16, 0))
    on_time_rate = fields.Float(
        string="Paid on Time (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    dispute_rate = fields.Float(
        string="Dispute Rate (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    confirmation_days = fields.Float(
        string="Days to Confirm", readonly=True, aggregator="avg", digits=(16, 1)
    )
    limit_utilisation = fields.Float(
        string="Credit Limit Used (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    tenure_months = fields.Float(readonly=True, aggregator="avg", digits=(16, 1))
    monthly_sales = fields.Monetary(readonly=True)
    # Other figures of the customer at the time.
    invoice_count = fields.Integer(readonly=True)
    paid_invoice_count = fields.Integer(readonly=True)
    open_amount = fields.Monetary(string="Open Receivable", readonly=True)
    overdue_amount = fields.Monetary(readonly=True)
    dso = fields.Float(string="DSO (Days)", readonly=True, aggregator="avg", digits=(16, 1))
    statement_count = fields.Integer(readonly=True)
    confirmation_rate = fields.Float(
        string="Confirmation Rate (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    suggested_limit = fields.Monetary(readonly=True)
    points = fields.Json(readonly=True, help="{factor: [value, points, weight]}")

    def _factor_rows(self):
        """``[(label, value, points, weight)]`` for the explanation panel, the
        value and points as text in the user's number format."""
        self.ensure_one()
        # the selection's labels, in the user's language
        labels = dict(
            self.env["customer.credit.factor"]._fields["code"]._description_selection(self.env)
        )
        rows = []
        for code, __ in FACTORS:
            value, points, weight = (self.points or {}).get(code, (None, None, 0))
            rows.append(
                (
                    labels[code],
                    self.env._("n/a") if value is None else formatLang(self.env, value, digits=1),
                    "–" if points is None else formatLang(self.env, points, digits=0),
                    weight,
                )
            )
        return rows
