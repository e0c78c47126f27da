from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import aging, periods

WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]


class CustomerStatementPolicy(models.Model):
    """对账政策: how often a customer gets a statement and how it is answered."""

    _name = "customer.statement.policy"
    _description = "Statement Policy"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    frequency = fields.Selection(
        [
            ("monthly", "Monthly"),
            ("quarterly", "Quarterly"),
            ("weekly", "Weekly"),
            ("on_demand", "On demand"),
        ],
        required=True,
        default="monthly",
    )
    cutoff_day = fields.Integer(
        string="Cut-off Day",
        default=31,
        help="Day of the month the period closes on; 31 means the last day "
        "of every month (28 or 29 in February).",
    )
    cutoff_weekday = fields.Selection(
        WEEKDAYS, string="Cut-off Weekday", default="6", required=True
    )
    reply_days = fields.Integer(
        default=10,
        help="Days the customer has, from sending, to confirm or dispute.",
    )
    confirmation_mode = fields.Selection(
        [
            ("positive", "Positive (confirm or dispute)"),
            ("balance", "Balance request (customer states the balance)"),
            ("negative", "Negative (reply only if you disagree)"),
        ],
        required=True,
        default="positive",
    )
    review_required = fields.Boolean(
        string="Internal Review",
        help="A reviewer other than the preparer approves each statement before it can be sent.",
    )
    aging_boundaries = fields.Char(
        default=aging.format_boundaries(aging.DEFAULT_BOUNDARIES),
        required=True,
        help="Upper day limits of the overdue buckets, comma separated. "
        "30,60,90,180 gives: not due, 1-30, 31-60, 61-90, 91-180, over 180 days.",
    )
    hide_exchange_lines = fields.Boolean(
        string="Hide Exchange Differences",
        help="Exchange-difference entries stay in the balances but are not listed to the customer.",
    )
    skip_empty = fields.Boolean(
        string="Skip Empty Statements",
        default=True,
        help="Do not issue a statement to a customer with no balance and no "
        "activity in the period.",
    )
    partner_count = fields.Integer(compute="_compute_partner_count")

    @api.constrains("cutoff_day", "reply_days")
    def _check_days(self):
        for policy in self:
            if not 1 <= policy.cutoff_day <= 31:
                raise ValidationError(self.env._("The cut-off day must be between 1 and 31."))
            if policy.reply_days < 0:
                raise ValidationError(self.env._("Reply days cannot be negative."))

    @api.constrains("aging_boundaries")
    def _check_aging_boundaries(self):
        for policy in self:
            try:
                aging.parse_boundaries(policy.aging_boundaries)
            except ValueError as error:
                raise ValidationError(
                    self.env._(
                        "Invalid aging boundaries “%(value)s”: %(error)s",
                        value=policy.aging_boundaries,
                        error=error,
                    )
                ) from error

    def _compute_partner_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("statement_policy_id", "in", self.ids)],
                ["statement_policy_id"],
                ["__count"],
            )
        )
        for policy in self:
            policy.partner_count = counts.get(policy, 0)

    def _boundaries(self):
        self.ensure_one()
        return aging.parse_boundaries(self.aging_boundaries)

    def _last_complete_period(self, on_date):
        """``(date_from, date_to)`` of the last period closed on ``on_date``."""
        self.ensure_one()
        frequency = "monthly" if self.frequency == "on_demand" else self.frequency
        return periods.last_complete_period(
            on_date, frequency, self.cutoff_day, int(self.cutoff_weekday)
        )

    def _get_partners(self):
        """Commercial partners whose statement policy (in its company) is ``self``."""
        self.ensure_one()
        partners = (
            self.env["res.partner"]
            .with_company(self.company_id)
            .search([("statement_policy_id", "=", self.id)])
        )
        return partners.commercial_partner_id

    def action_view_partners(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customers"),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("statement_policy_id", "=", self.id)],
            "context": {"default_statement_policy_id": self.id},
        }
