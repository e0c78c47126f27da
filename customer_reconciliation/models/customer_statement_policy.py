import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression

from ..tools import aging, periods
from ..tools.scheduler import in_user_language
from .customer_statement import SEND_CHUNK_SIZE

_logger = logging.getLogger(__name__)

# A cron that was off for a long time catches up at most this many periods.
MAX_CATCH_UP_PERIODS = 12

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
        help="Exchange-difference entries (those of the company's exchange difference "
        "journal, and those a reconciliation made in an earlier one) stay in the "
        "balances but are not listed to the customer.",
    )
    skip_empty = fields.Boolean(
        string="Skip Empty Statements",
        default=True,
        help="Do not issue a statement to a customer with no balance and no "
        "activity in the period.",
    )
    partner_count = fields.Integer(compute="_compute_partner_count")

    # Automation
    auto_generate = fields.Boolean(
        string="Generate Automatically",
        default=True,
        help="The scheduled action generates the statements of each period once its "
        "cut-off has passed.",
    )
    auto_send = fields.Boolean(
        string="Send Automatically",
        help="Statements that need no internal review are e-mailed as soon as they are generated.",
    )
    last_period_end = fields.Date(
        string="Last Period Completed",
        copy=False,
        help="Cut-off of the last period whose statements were all generated. The next "
        "scheduled run starts after it.",
    )
    reminder_first_days = fields.Integer(
        string="First Reminder After (Days)",
        default=3,
        help="Days after sending before the first reminder to a customer who has not replied.",
    )
    reminder_interval_days = fields.Integer(
        string="Then Every (Days)", default=3, help="Days between two reminders."
    )
    reminder_max = fields.Integer(
        string="Reminders at Most",
        default=2,
        help="After this many reminders the responsible user gets an activity instead.",
    )

    @api.constrains(
        "cutoff_day",
        "reply_days",
        "reminder_first_days",
        "reminder_interval_days",
        "reminder_max",
    )
    def _check_days(self):
        for policy in self:
            if (
                min(policy.reminder_first_days, policy.reminder_interval_days, policy.reminder_max)
                < 0
            ):
                raise ValidationError(self.env._("Reminder settings cannot be negative."))
            if policy.reminder_max and policy.reminder_interval_days < 1:
                raise ValidationError(self.env._("Reminders must be at least one day apart."))
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

    def _partner_domain(self):
        """Partners on ``self`` in its company: those it is set on and, when it
        is the company's default policy, the customers without a policy."""
        self.ensure_one()
        domain = [("statement_policy_id", "=", self.id)]
        if self.company_id.statement_default_policy_id == self:
            domain = expression.OR(
                [
                    domain,
                    [
                        ("statement_policy_id", "=", False),
                        ("customer_rank", ">", 0),
                        ("parent_id", "=", False),
                        # its own customers and those its parent companies
                        # share with it (a branch's own are its branch's)
                        (
                            "company_id",
                            "in",
                            [False, self.company_id.id]
                            + self.env["customer.statement.engine"]._parents(self.company_id).ids,
                        ),
                    ],
                ]
            )
        return domain

    def _get_partners(self):
        """Commercial partners whose statement policy (in its company) is ``self``."""
        self.ensure_one()
        partners = (
            self.env["res.partner"].with_company(self.company_id).search(self._partner_domain())
        )
        return partners.commercial_partner_id

    def action_view_partners(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customers"),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": self._partner_domain(),
            "context": {"default_statement_policy_id": self.id},
        }

    # ------------------------------------------------------------------
    # Scheduled generation
    # ------------------------------------------------------------------
    def _periods_due(self, today):
        """Periods whose cut-off passed since the last completed one, oldest first.

        A period is due once its cut-off day is over: on the cut-off day
        itself, items of that day may still be posted. The first period due
        starts the day after the last completed one, also when the cut-off
        day or weekday was changed in between (it is then shorter or longer
        than the others, but no day is left out or stated twice).
        """
        self.ensure_one()
        if self.frequency == "on_demand":
            return []
        frequency, day, weekday = self.frequency, self.cutoff_day, int(self.cutoff_weekday)
        last_end = self.last_period_end
        cutoff = periods.last_cutoff(today - timedelta(days=1), frequency, day, weekday)
        due = []
        while len(due) < MAX_CATCH_UP_PERIODS and (not last_end or cutoff > last_end):
            due.append(periods.period_ending(cutoff, frequency, day, weekday))
            if not last_end:
                break  # a new policy starts with the last closed period only
            cutoff = periods.previous_cutoff(cutoff, frequency, day, weekday)
        due.reverse()
        if due and last_end and cutoff <= last_end:
            # caught up with the last completed period: start right after it
            due[0] = (last_end + timedelta(days=1), due[0][1])
        return due

    @api.model
    @in_user_language
    def _cron_generate_statements(self):
        """Scheduled action: generate (and send) the statements that are due."""
        policies = self.sudo().search(
            [("auto_generate", "=", True), ("frequency", "!=", "on_demand")]
        )
        return policies._generate_due_statements()

    def _generate_due_statements(self, today=None):
        """Generate every due period of the policies; returns a summary dict."""
        summary = {"policies": 0, "statements": 0, "sent": 0, "failed": 0}
        Batch = self.env["customer.reconciliation.batch"]
        for policy in self:
            policy = policy.with_company(policy.company_id)
            day = today or policy.company_id._reconciliation_today()
            # A period with failures stays open (the next run retries them);
            # the later ones are still made, and closed once it is.
            open_period = False
            for date_from, date_to in policy._periods_due(day):
                summary["policies"] += 1
                pending = policy._partners_without_statement(date_from, date_to)
                made = policy.env["customer.statement"]

                def process(partners, policy=policy, date_from=date_from, date_to=date_to):
                    nonlocal made
                    made |= policy.env["customer.statement.engine"]._generate(
                        partners.ids,
                        date_from,
                        date_to,
                        policy.company_id,
                        skip_empty=policy.skip_empty,
                    )

                def failed(partner, error, policy=policy, date_to=date_to):
                    message = self.env._(
                        "The statement of %(company)s for the period ending %(date)s could "
                        "not be generated; it is retried at the next run.",
                        company=policy.company_id.name,
                        date=date_to,
                    )
                    Batch._note_failure(partner, message, error)

                __, failures = Batch._run_in_chunks(pending, process, on_failure=failed)
                summary["statements"] += len(made)
                summary["failed"] += len(failures)
                unsent = 0
                if policy.auto_send:
                    sent, unsent = policy._send_drafts(date_from, date_to)
                    summary["sent"] += sent
                    summary["failed"] += unsent
                open_period = open_period or bool(failures or unsent)
                if not open_period:
                    policy.last_period_end = date_to
                Batch._commit_chunk()
        _logger.info("Statement generation: %s", summary)
        return summary

    def _partners_without_statement(self, date_from, date_to):
        """Customers of the policy without a live statement for the period."""
        self.ensure_one()
        partners = self._get_partners()
        if not partners:
            return partners
        done = (
            self.env["customer.statement"]
            .search(
                [
                    ("partner_id", "in", partners.ids),
                    ("company_id", "=", self.company_id.id),
                    ("date_from", "=", date_from),
                    ("date_to", "=", date_to),
                    ("state", "!=", "cancelled"),
                ]
            )
            .partner_id
        )
        return partners - done

    def _send_drafts(self, date_from, date_to):
        """E-mail the policy's drafts of the period that need no review.

        All of them, not only this run's: drafts an interrupted run left
        behind go out too. Returns how many were sent and how many failed
        (those get a note and are sent at the next run).
        """
        self.ensure_one()
        to_send = self.env["customer.statement"].search(
            [
                ("policy_id", "=", self.id),
                ("company_id", "=", self.company_id.id),
                ("date_from", "=", date_from),
                ("date_to", "=", date_to),
                ("state", "=", "draft"),
                ("review_required", "=", False),
            ]
        )

        Batch = self.env["customer.reconciliation.batch"]

        def failed(statement, error):
            message = self.env._("The statement could not be sent; it is retried at the next run.")
            Batch._note_failure(statement, message, error)

        sent = to_send.browse()

        def send(chunk):
            # checked again, locked: sent by hand or put back for review meanwhile
            nonlocal sent
            ready = chunk._lock_for_update().filtered(
                lambda s: s.state == "draft" and not s.review_required
            )
            ready._send_by_email()
            sent |= ready

        # a chunk renders a PDF and an XLSX per statement: small chunks
        __, failures = Batch._run_in_chunks(
            to_send, send, chunk_size=SEND_CHUNK_SIZE, on_failure=failed
        )
        return len(sent), len(failures)

    def action_run_generate(self):
        """Run now: generate the due periods of these policies and say what was done."""
        # before any work: a run records the periods it completed on the policy
        self.check_access("write")
        self.env["customer.reconciliation.batch"]._hold_scheduled_action(
            "customer_reconciliation.ir_cron_generate_statements"
        )
        summary = self._generate_due_statements()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if summary["failed"] else "success",
                "sticky": bool(summary["failed"]),
                "message": self.env._(
                    "%(statements)s statements generated, %(sent)s sent, "
                    "%(failed)s customers failed (see their chatter).",
                    **summary,
                ),
            },
        }
