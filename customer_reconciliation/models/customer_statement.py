import base64
import logging
import math
import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.misc import format_amount

from ..tools import canonical
from ..tools.filenames import file_name
from ..tools.scheduler import in_user_language
from .customer_statement_dispute import DISPUTE_REASONS

_logger = logging.getLogger(__name__)

# Statements sent in the background: per run of the scheduled action, and
# per commit (each renders a PDF and an XLSX).
SEND_JOB_COUNT = 200
SEND_CHUNK_SIZE = 20

# The largest amount a customer may state, in absolute value: anything above
# is a typing error, not a receivable.
MAX_STATED_AMOUNT = 10**12
MAX_COMMENT_LENGTH = 5000

STATES = [
    ("draft", "Draft"),
    ("to_review", "To Review"),
    ("sent", "Sent"),
    ("confirmed", "Confirmed"),
    ("disputed", "Disputed"),
    ("deemed", "Deemed Confirmed"),
    ("cancelled", "Cancelled"),
    ("superseded", "Superseded"),
]
# A statement in one of these states is the live one of its period; the
# unique index below allows exactly one per partner, company and period.
LIVE_STATES = ("draft", "to_review", "sent", "confirmed", "disputed", "deemed")
# Never shown to the customer (the portal record rules say the same).
HIDDEN_FROM_CUSTOMER_STATES = ("draft", "to_review", "cancelled")
# What the customer is asked, and whom: settled once approved or sent.
TERMS_FIELDS = {"confirmation_mode", "contact_id"}
# Fields of the back office's own work (review, reminders, policy): a
# customer reads their statements on the portal and over RPC, but not these.
INTERNAL = "base.group_user"
# Content of a statement is frozen from sending on.
FROZEN_STATES = ("sent", "confirmed", "disputed", "deemed", "superseded")
# Fields whose value is the statement's content: only the engine writes them,
# and never once the statement is frozen.
CONTENT_FIELDS = {
    "partner_id",
    "company_id",
    "currency_id",
    "date_from",
    "date_to",
    "opening_balance",
    "total_debit",
    "total_credit",
    "closing_balance",
    "overdue_amount",
    "line_ids",
    "aging_ids",
    "currency_section_ids",
    "content_hash",
    "content_hash_version",
    "aging_boundaries",
    "hide_exchange_lines",
}
# Fields that record the statement's workflow and the customer's reply: only
# the statement's own actions write them (under sudo, after checking that the
# user may write the statement), never a plain write from a form or an RPC
# call, so that a review cannot be skipped nor a confirmation made up.
STATUS_FIELDS = {
    "state",
    "sent_date",
    "generated_date",
    "version",
    "previous_statement_id",
    "review_required",
    "prepared_by_id",
    "reviewer_id",
    "reviewed_date",
    "confirmed_date",
    "confirmed_by",
    "signature",
    "confirmation_late",
    "customer_balance",
    "balance_difference",
    "reminder_count",
    "last_reminder_date",
    "escalated",
    "line_count",
    "not_due_amount",
    "hidden_exchange_amount",
    "has_foreign_currency",
}


def _plain_text(value):
    """What a customer typed, stripped, without the NUL characters
    PostgreSQL cannot store."""
    return (value if isinstance(value, str) else "").replace("\x00", "").strip()


class CustomerStatement(models.Model):
    """对账单: a customer's receivable position for one period, from the ledger."""

    _name = "customer.statement"
    _description = "Customer Statement"
    _inherit = [
        "portal.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "customer.reconciliation.status.mixin",
    ]
    _order = "date_to desc, partner_id, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Number",
        required=True,
        readonly=True,
        copy=False,
        default="/",
        index="trigram",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        readonly=True,
        help="The company currency; foreign-currency activity is also given "
        "in its own currency sections.",
    )
    policy_id = fields.Many2one(
        "customer.statement.policy",
        readonly=True,
        check_company=True,
        index="btree_not_null",
        groups=INTERNAL,
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Statement Contact",
        domain="[('commercial_partner_id', '=', partner_id)]",
        tracking=True,
        help="Who receives the statement; the customer itself when empty.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        tracking=True,
        default=lambda self: self.env.user,
    )
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(string="Cut-off", required=True, readonly=True, index=True)
    state = fields.Selection(
        STATES,
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    confirmation_mode = fields.Selection(
        [
            ("positive", "Positive"),
            ("balance", "Balance Request"),
            ("negative", "Negative"),
        ],
        required=True,
        default="positive",
        tracking=True,
    )
    reply_deadline = fields.Date(copy=False, tracking=True)
    reply_by = fields.Date(
        compute="_compute_reply_by",
        help="The reply deadline; for a statement not sent yet, the one it gets "
        "when sent today (what its e-mail and attachments say).",
    )
    sent_date = fields.Datetime(readonly=True, copy=False)
    generated_date = fields.Datetime(string="Computed On", readonly=True, copy=False)
    version = fields.Integer(default=1, readonly=True, copy=False)
    previous_statement_id = fields.Many2one(
        "customer.statement",
        string="Replaces",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    aging_boundaries = fields.Char(readonly=True, default="30,60,90,180")
    hide_exchange_lines = fields.Boolean(readonly=True, groups=INTERNAL)

    opening_balance = fields.Monetary(readonly=True, tracking=True)
    total_debit = fields.Monetary(string="Period Debit", readonly=True)
    total_credit = fields.Monetary(string="Period Credit", readonly=True)
    closing_balance = fields.Monetary(readonly=True, tracking=True)
    overdue_amount = fields.Monetary(
        string="Overdue",
        readonly=True,
        help="Open amount at the cut-off of the items past their due date, net of the "
        "payments and credit notes not matched yet (as in the aging), like Odoo's "
        "follow-up: below zero when those exceed what is past due.",
    )
    not_due_amount = fields.Monetary(string="Not Due", readonly=True)
    hidden_exchange_amount = fields.Monetary(
        string="Unlisted Exchange Differences",
        readonly=True,
        help="Net amount of the exchange-difference entries of the period "
        "that are included in the balances but not listed to the customer.",
    )
    line_count = fields.Integer(string="Lines", readonly=True)
    has_foreign_currency = fields.Boolean(readonly=True)
    content_hash = fields.Char(string="Content Hash (SHA-256)", readonly=True, copy=False)
    content_hash_version = fields.Integer(
        string="Hash Version",
        readonly=True,
        copy=False,
        help="The version of the canonical serialisation the content hash was taken with.",
    )

    line_ids = fields.One2many("customer.statement.line", "statement_id", readonly=True)
    aging_ids = fields.One2many("customer.statement.aging", "statement_id", readonly=True)
    currency_section_ids = fields.One2many(
        "customer.statement.currency", "statement_id", readonly=True
    )

    amount_in_words = fields.Char(
        string="Closing Balance in Words", compute="_compute_amount_in_words"
    )

    # Review
    review_required = fields.Boolean(readonly=True, copy=False, groups=INTERNAL)
    prepared_by_id = fields.Many2one(
        "res.users",
        readonly=True,
        copy=False,
        groups=INTERNAL,
        help="Who submitted the statement for review: another reviewer approves it.",
    )
    reviewer_id = fields.Many2one(
        "res.users", string="Approved By", readonly=True, copy=False, groups=INTERNAL
    )
    reviewed_date = fields.Datetime(
        string="Approved On", readonly=True, copy=False, groups=INTERNAL
    )

    # Replies
    reply_ids = fields.One2many(
        "customer.statement.reply", "statement_id", readonly=True, groups=INTERNAL
    )
    dispute_ids = fields.One2many("customer.statement.dispute", "statement_id", readonly=True)
    has_customer_reply = fields.Boolean(
        compute="_compute_has_customer_reply",
        help="The customer replied to or disputed the statement: it is kept as it was sent.",
    )
    dispute_count = fields.Integer(compute="_compute_dispute_count")
    open_dispute_count = fields.Integer(compute="_compute_dispute_count")
    confirmed_date = fields.Datetime(string="Confirmed On", readonly=True, copy=False)
    confirmed_by = fields.Char(readonly=True, copy=False)
    signature = fields.Image(
        copy=False, attachment=True, max_width=1024, max_height=1024, readonly=True
    )
    confirmation_late = fields.Boolean(
        string="Late Reply",
        readonly=True,
        copy=False,
        help="The customer replied after the reply deadline.",
    )
    customer_balance = fields.Monetary(
        currency_field="customer_balance_currency_id",
        readonly=True,
        copy=False,
        help="Balance the customer states in their own books.",
    )
    balance_difference = fields.Monetary(
        currency_field="customer_balance_currency_id",
        readonly=True,
        copy=False,
        help="Balance of the statement minus the balance the customer states.",
    )
    customer_balance_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_customer_balance_currency_id",
        help="The currency of the balance the customer states: the statement's, or the "
        "foreign currency of a customer whose items are all in it.",
    )
    stated_balance_ids = fields.One2many(
        "customer.statement.reply.balance",
        compute="_compute_stated_balance_ids",
        string="Stated Balances",
        groups=INTERNAL,
        help="The balance the customer stated last, in each currency they owe in.",
    )
    balance_by_currency = fields.Boolean(
        compute="_compute_stated_balance_ids",
        help="The customer stated their balance in each of several currencies.",
    )
    reminder_count = fields.Integer(readonly=True, copy=False, groups=INTERNAL)
    last_reminder_date = fields.Date(readonly=True, copy=False, groups=INTERNAL)
    escalated = fields.Boolean(
        readonly=True,
        copy=False,
        groups=INTERNAL,
        help="The customer did not reply after the last reminder: the responsible user "
        "was given an activity.",
    )
    sending_user_id = fields.Many2one(
        "res.users",
        string="Being Sent For",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups=INTERNAL,
        help="The statement is in the queue of statements sent in the background, "
        "asked for by this user, who is notified once it is sent.",
    )
    superseded_by_id = fields.Many2one(
        "customer.statement", string="Replaced By", compute="_compute_superseded_by_id"
    )

    def init(self):
        res = super().init()
        self.env.cr.execute(
            SQL(
                """
                CREATE UNIQUE INDEX IF NOT EXISTS customer_statement_live_period_uniq
                    ON customer_statement (partner_id, company_id, date_from, date_to)
                 WHERE state IN %s
                """,
                LIVE_STATES,
            )
        )
        return res

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("closing_balance", "currency_id", "has_foreign_currency")
    def _compute_amount_in_words(self):
        """The closing balance in words, for a statement in one currency
        only: with foreign-currency items it is a book value, not what the
        customer owes in any one currency (the balance confirmation asks
        for each currency's balance)."""
        from ..tools.rmb import amount_in_words

        for statement in self:
            if statement.has_foreign_currency:
                statement.amount_in_words = False
            elif statement.currency_id.name == "CNY":
                statement.amount_in_words = amount_in_words(statement.closing_balance)
            else:
                statement.amount_in_words = statement.currency_id.amount_to_text(
                    statement.closing_balance
                )

    def _last_balance_reply(self):
        """The balance the customer stated last (a reply, sudo)."""
        self.ensure_one()
        stated = self.sudo().reply_ids.filtered(lambda reply: reply.kind == "balance")
        return stated.sorted("id")[-1:]

    @api.depends("reply_ids.currency_id", "currency_id")
    def _compute_customer_balance_currency_id(self):
        for statement in self:
            statement.customer_balance_currency_id = (
                statement._last_balance_reply().currency_id or statement.currency_id
            )

    @api.depends("reply_ids.balance_ids")
    def _compute_stated_balance_ids(self):
        for statement in self:
            reply = statement._last_balance_reply()
            statement.stated_balance_ids = reply.balance_ids.with_env(self.env)
            statement.balance_by_currency = reply.by_currency

    @api.depends("reply_ids", "dispute_ids")
    def _compute_has_customer_reply(self):
        replied = self._replied()
        for statement in self:
            statement.has_customer_reply = statement in replied

    @api.depends("dispute_ids.state")
    def _compute_dispute_count(self):
        counts = {
            (statement.id, state): count
            for statement, state, count in self.env["customer.statement.dispute"]._read_group(
                [("statement_id", "in", self.ids)], ["statement_id", "state"], ["__count"]
            )
        }
        for statement in self:
            statement.open_dispute_count = counts.get((statement.id, "open"), 0)
            statement.dispute_count = sum(
                counts.get((statement.id, state), 0) for state in ("open", "accepted", "rejected")
            )

    @api.depends("reply_deadline", "state", "policy_id.reply_days", "company_id")
    def _compute_reply_by(self):
        for statement in self:
            if statement.reply_deadline or statement.state not in ("draft", "to_review"):
                statement.reply_by = statement.reply_deadline
            else:
                reply_days = statement.policy_id.reply_days if statement.policy_id else 10
                statement.reply_by = statement.company_id._reconciliation_today() + timedelta(
                    days=reply_days
                )

    def _compute_superseded_by_id(self):
        newer = {
            statement.previous_statement_id.id: statement
            for statement in self.search([("previous_statement_id", "in", self.ids)])
        }
        for statement in self:
            statement.superseded_by_id = newer.get(statement.id, False)

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for statement in self:
            statement.access_url = f"/my/statements/{statement.id}"
        return res

    @api.depends("name", "partner_id", "date_to")
    def _compute_display_name(self):
        for statement in self:
            statement.display_name = (
                f"{statement.name} {statement.partner_id.name or ''}".strip()
                if statement.name and statement.name != "/"
                else statement.partner_id.name or ""
            )

    def _confirmation_balances(self):
        """``[(currency, balance)]`` the balance confirmation asks about: what
        is owed at the cut-off in each currency, the company's first. A
        positive balance is owed by the customer.

        A foreign currency's balance is the open amount of its items, in that
        currency: an invoice settled in another currency (a EUR invoice paid
        in CNY) is owed in neither, although it stays in its currency's
        section. The company currency has the rest of the book balance: the
        closing balance less the book value of those open amounts. A currency
        with nothing open is left out, unless nothing is open at all.
        """
        self.ensure_one()
        company_currency = self.currency_id
        sections = self.currency_section_ids.filtered(
            lambda section: not section.currency_id.is_zero(section.open_amount)
        )
        lines = self.sudo().line_ids
        own = company_currency.round(
            self.closing_balance
            - sum(line.open_amount for line in lines if line.currency_id in sections.currency_id)
        )
        balances = [] if sections and company_currency.is_zero(own) else [(company_currency, own)]
        balances += [(section.currency_id, section.open_amount) for section in sections]
        return balances

    def _get_report_base_filename(self):
        self.ensure_one()
        return file_name(self.env._("Statement %(name)s", name=self.name))

    # ------------------------------------------------------------------
    # Public API
    # ------------------------------------------------------------------
    @api.model
    @api.returns("self")
    def generate_statements(self, partner_ids, date_from, date_to, company_id=None):
        """Build (or find) the statements of ``partner_ids`` for one period.

        ``partner_ids`` are customers (contacts are consolidated into their
        commercial partner); the statements belong to ``company_id`` (default:
        the current company). A draft statement of the same partner, company
        and period is recomputed in place; a statement already sent is
        returned untouched. Returns the statements, in ``partner_ids`` order.
        """
        company = self.env["res.company"].browse(company_id) if company_id else self.env.company
        return self.env["customer.statement.engine"]._generate(
            partner_ids, date_from, date_to, company
        )

    # ------------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------------
    def write(self, vals):
        if not self.env.su:  # the actions write as a system process
            self._check_terms_change(vals)
        if CONTENT_FIELDS.intersection(vals) and not self.env.context.get(
            "customer_statement_engine"
        ):
            frozen = self.filtered(lambda s: s.state in FROZEN_STATES)
            if frozen:
                raise UserError(
                    self.env._(
                        "Statement %(names)s was sent: its content is frozen. "
                        "Reissue it to change its figures.",
                        names=", ".join(frozen.mapped("name")),
                    )
                )
        return super().write(vals)

    def _status_fields(self):
        return STATUS_FIELDS | CONTENT_FIELDS

    def _check_terms_change(self, vals):
        """What the customer is asked and by when may change only while the
        statement is prepared: the confirmation mode and the contact until it
        is approved or sent (reset an approved statement to draft first);
        the reply deadline never to a past day, and once sent only later
        (a shorter one would deem a negative confirmation early)."""
        if TERMS_FIELDS.intersection(vals):
            settled = self.filtered(
                lambda s: s.state not in ("draft", "to_review") or s.reviewer_id
            )
            if settled:
                raise UserError(
                    self.env._(
                        "Statement %(names)s was approved or sent: how it asks for "
                        "confirmation and to whom it goes no longer change (reset an "
                        "approved statement to draft to change them).",
                        names=", ".join(settled.mapped("name")),
                    )
                )
        if "reply_deadline" in vals:
            deadline = fields.Date.to_date(vals["reply_deadline"])
            for statement in self:
                if deadline and deadline < statement.company_id._reconciliation_today():
                    raise ValidationError(self.env._("The reply deadline cannot be a past day."))
                if statement.state in FROZEN_STATES and (
                    not deadline
                    or (statement.reply_deadline and deadline < statement.reply_deadline)
                ):
                    raise UserError(
                        self.env._(
                            "The reply deadline of statement %(name)s, which was sent, can "
                            "only be moved later.",
                            name=statement.name,
                        )
                    )

    def _status_fields_error(self, names):
        return self.env._(
            "The status, figures and replies of a statement are changed by its actions "
            "only (send, approve, confirm, reissue...), not by editing them: %(fields)s.",
            fields=names,
        )

    def _create_reply(self, values):
        """The reply record is evidence: written by the reply actions only."""
        self.check_access("write")
        return self.env["customer.statement.reply"].sudo().create(values).with_env(self.env)

    @api.constrains("contact_id", "partner_id")
    def _check_contact(self):
        # The e-mail carries the portal link: only the customer's own people get it.
        for statement in self:
            contact = statement.contact_id
            if contact and contact.commercial_partner_id != statement.partner_id:
                raise ValidationError(
                    self.env._(
                        "The statement contact of %(name)s must be %(partner)s or one of its "
                        "contacts.",
                        name=statement.name,
                        partner=statement.partner_id.display_name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(s.state not in ("draft", "cancelled") for s in self):
            raise UserError(self.env._("Only draft or cancelled statements can be deleted."))
        replied = self._replied()
        if replied:
            raise UserError(
                self.env._(
                    "The customer replied to statement %(names)s: it is kept, with the reply, "
                    "as its record.",
                    names=", ".join(replied.mapped("name")),
                )
            )

    def unlink(self):
        # The lines have no foreign key to cascade their deletion (see
        # customer.statement.line): they go once their statements are gone.
        ids = self.ids
        result = super().unlink()
        self.env.cr.execute(
            SQL("DELETE FROM customer_statement_line WHERE statement_id = ANY(%s)", ids)
        )
        self.env["customer.statement.line"].invalidate_model()
        return result

    def _replied(self):
        """The statements the customer replied to or disputed: their replies
        are evidence, kept with the statement as it was sent."""
        return (
            self.sudo()
            .filtered(lambda statement: statement.reply_ids or statement.dispute_ids)
            .with_env(self.env)
        )

    @api.model
    def _check_partner_merge(self, src_partners, dst_partner):
        """Contacts ▸ Merge gives the statements of ``src_partners`` to
        ``dst_partner`` in SQL, and deletes those it cannot give (a second
        live statement of one period for the customer): refuse such a merge,
        and one that would give statements to a contact of a company, instead
        of losing statements or their customer."""
        Statement = self.sudo()
        if dst_partner.commercial_partner_id != dst_partner and Statement.search_count(
            [("partner_id", "in", src_partners.ids)], limit=1
        ):
            raise UserError(
                self.env._(
                    "The statements of %(sources)s cannot go to a contact of %(company)s: "
                    "merge into a customer.",
                    sources=", ".join(src_partners.mapped("display_name")),
                    company=dst_partner.commercial_partner_id.display_name,
                )
            )
        clashes = [
            statements
            for __, __, __, statements in Statement._read_group(
                [
                    ("partner_id", "in", (src_partners | dst_partner).ids),
                    ("state", "in", LIVE_STATES),
                ],
                ["company_id", "date_from:day", "date_to:day"],
                ["id:recordset"],
                having=[("__count", ">", 1)],
            )
        ]
        if clashes:
            raise UserError(
                self.env._(
                    "A customer has one statement per period, and the contacts to merge "
                    "have one each for the same period: %(statements)s. Cancel all but one "
                    "of each period's statements, then merge.",
                    statements="; ".join(
                        ", ".join(statements.sorted("id").mapped("name")) for statements in clashes
                    ),
                )
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_recompute(self):
        """Recompute draft statements from the ledger as it is now."""
        not_draft = self.filtered(lambda s: s.state != "draft")
        if not_draft:
            raise UserError(
                self.env._(
                    "Only draft statements can be recomputed; %(names)s is no longer a draft.",
                    names=", ".join(not_draft.mapped("name")),
                )
            )
        self.env["customer.statement.engine"]._compute_statements(self)
        return True

    def action_mark_sent(self):
        """Freeze the content and record the sending without an e-mail."""
        self._check_can_send()
        self._freeze()
        return True

    # Review --------------------------------------------------------------
    def action_submit_review(self):
        for statement in self:
            if statement.state != "draft":
                raise UserError(self.env._("Only a draft statement can be submitted for review."))
        self._write_status(
            {
                "state": "to_review",
                "prepared_by_id": self.env.uid,
                "reviewer_id": False,
                "reviewed_date": False,
            }
        )
        # The reviewer approves this content, identified by its hash.
        self.env["customer.statement.engine"]._store_hashes(self)
        return True

    def action_approve(self):
        """A reviewer other than the preparer approves the statement for sending."""
        if not self.env.user.has_group("customer_reconciliation.group_statement_reviewer"):
            raise AccessError(self.env._("Only statement reviewers can approve statements."))
        for statement in self:
            if statement.state != "to_review":
                raise UserError(
                    self.env._("Statement %(name)s is not waiting for review.", name=statement.name)
                )
            if statement.prepared_by_id == self.env.user:
                raise UserError(
                    self.env._(
                        "You prepared statement %(name)s: another reviewer must approve it.",
                        name=statement.name,
                    )
                )
        self._write_status({"reviewer_id": self.env.uid, "reviewed_date": fields.Datetime.now()})
        for statement in self:
            statement.message_post(
                body=self.env._("Statement approved for sending."),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def _check_can_send(self):
        # sending writes the token, hash and state as a system process
        self.check_access("write")
        for statement in self:
            if statement.state == "draft" and statement.review_required:
                raise UserError(
                    self.env._(
                        "Statement %(name)s needs an internal review before it is sent.",
                        name=statement.name,
                    )
                )
            today = statement.company_id._reconciliation_today()
            if statement.reply_deadline and statement.reply_deadline < today:
                raise UserError(
                    self.env._(
                        "The reply deadline of statement %(name)s is over; set a later "
                        "one before sending it.",
                        name=statement.name,
                    )
                )
            if statement.state == "to_review" and not statement.reviewer_id:
                raise UserError(
                    self.env._("Statement %(name)s is not approved yet.", name=statement.name)
                )
            if statement.state not in ("draft", "to_review"):
                raise UserError(
                    self.env._("Statement %(name)s was already sent.", name=statement.name)
                )

    # Sending -------------------------------------------------------------
    def _get_mail_template(self):
        return self.env.ref(
            "customer_reconciliation.mail_template_customer_statement", raise_if_not_found=False
        )

    def action_send(self):
        """Open the e-mail composer (one statement) or queue them (several)."""
        if len(self) > 1:
            self._queue_sending()  # checks that they can be sent
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": self.env._(
                        "%(count)s statements are being sent in the background; "
                        "you will be notified once they are.",
                        count=len(self),
                    ),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        self._check_can_send()
        self._portal_ensure_token()
        template = self._get_mail_template()
        return {
            "type": "ir.actions.act_window",
            "view_mode": "form",
            "res_model": "mail.compose.message",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": "customer.statement",
                "default_res_ids": self.ids,
                "default_template_id": template.id if template else False,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": (
                    "mail.mail_notification_layout_with_responsible_signature"
                ),
                "mark_statement_as_sent": True,
                # The content the e-mail is prepared on (shown in its body),
                # and the deadline it states.
                "statement_hashes": self.env["customer.statement.engine"]._store_hashes(self),
                "statement_reply_by": {self.id: fields.Date.to_string(self.reply_by)},
                "force_email": True,
            },
        }

    def _queue_sending(self):
        """Send the statements by e-mail in the background, for this user.

        Each statement renders its PDF and XLSX: a month-end selection of
        hundreds would outlast a web request. The scheduled action sends
        them chunk by chunk, with this user's rights, and tells the user.
        """
        self._check_can_send()
        self.sudo().sending_user_id = self.env.user
        self.env.ref("customer_reconciliation.ir_cron_send_statements")._trigger()

    @api.model
    @in_user_language
    def _cron_send_queued(self, job_count=SEND_JOB_COUNT):
        """Scheduled action: send the queued statements, at most ``job_count``
        a run (the action calls itself again for the rest).

        A statement sent, cancelled or put back for review meanwhile leaves
        the queue unsent; one that fails gets a note in its chatter and
        leaves the queue. Returns how many were sent and failed.
        """
        queued = self.sudo().search(
            [("sending_user_id", "!=", False)], order="id", limit=job_count + 1
        )
        if len(queued) > job_count:
            self.env.ref("customer_reconciliation.ir_cron_send_statements")._trigger()
            queued = queued[:job_count]
        summary = {"sent": 0, "failed": 0}
        busy = False  # statements another transaction held stay queued
        Batch = self.env["customer.reconciliation.batch"]
        for user, statements in queued.grouped("sending_user_id").items():
            # the user's rights and companies, as if they sent them themselves
            statements = statements.with_user(user).with_context(
                allowed_company_ids=user.company_ids.ids
            )

            sent = self.browse()

            def send(chunk):
                nonlocal sent, busy
                locked = chunk._lock_for_update()
                ready = locked.filtered(lambda s: s.state in ("draft", "to_review"))
                ready._send_by_email()
                locked.sudo().sending_user_id = False
                sent |= ready
                busy = busy or locked != chunk

            def failed(statement, error):
                statement.sudo().sending_user_id = False
                Batch._note_failure(
                    statement.sudo(), self.env._("The statement could not be sent."), error
                )

            __, failures = Batch._run_in_chunks(
                statements, send, chunk_size=SEND_CHUNK_SIZE, on_failure=failed
            )
            summary["sent"] += len(sent)
            summary["failed"] += len(failures)
            if not (sent or failures):
                continue
            in_users_language = self.with_context(lang=user.lang).env
            user._bus_send(
                "simple_notification",
                {
                    "type": "warning" if failures else "success",
                    "sticky": bool(failures),
                    "title": in_users_language._("Customer statements"),
                    "message": in_users_language._(
                        "Statements sent: %(sent)s; not sent: %(failed)s (see their chatter).",
                        sent=len(sent),
                        failed=len(failures),
                    ),
                },
            )
        if busy:
            self.env.ref("customer_reconciliation.ir_cron_send_statements")._trigger(
                fields.Datetime.now() + timedelta(minutes=1)
            )
        return summary

    def _lock_for_update(self):
        """The statements no other transaction is working on now, locked until
        the end of this one and read again: a scheduled action checks them
        again before it acts, and leaves the others to its next run."""
        if not self:
            return self
        locked = self.env.execute_query(
            SQL(
                "SELECT id FROM customer_statement WHERE id = ANY(%s) FOR UPDATE SKIP LOCKED",
                self.ids,
            )
        )
        statements = self.browse(row[0] for row in locked)
        statements.invalidate_recordset()
        return statements

    def _send_by_email(self):
        """Freeze and e-mail the statements with the statement template."""
        self._check_can_send()
        template = self._get_mail_template()
        for statement in self:
            statement._portal_ensure_token()
        self._freeze()
        for statement in self:
            statement.with_context(mark_statement_as_sent=False).message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid="mail.mail_notification_layout_with_responsible_signature",
            )
        return True

    @api.model
    def _get_thread_with_access(self, thread_id, mode="read", **kwargs):
        """A link or token opens the chatter of a statement shown to the customer only."""
        if kwargs.get("token") and not self.browse(thread_id).sudo().exists().access_token:
            kwargs = dict(kwargs, token=None)  # no token to compare with: no access by token
        thread = super()._get_thread_with_access(thread_id, mode, **kwargs)
        if (
            thread
            and thread.env.su
            and not self.env.user._is_internal()
            and thread.state in HIDDEN_FROM_CUSTOMER_STATES
        ):
            return self.browse()
        return thread

    def message_post(self, **kwargs):
        # Sending from the e-mail composer freezes the statement. The flag is
        # context, which a client may send with any post: only a statement
        # user's own post (not a customer's through a link) can carry it.
        if self.env.context.get("mark_statement_as_sent") and self._can_mark_sent():
            hashes = self.env.context.get("statement_hashes") or {}
            deadlines = self.env.context.get("statement_reply_by") or {}
            unsent = self.filtered(lambda s: s.state in ("draft", "to_review"))
            current = self.env["customer.statement.engine"]._content_hashes(unsent)
            for statement in unsent:
                seen = hashes.get(statement.id) or hashes.get(str(statement.id))
                if seen and seen != current[statement.id]:
                    raise UserError(
                        self.env._(
                            "Statement %(name)s changed since this e-mail was prepared; "
                            "close the e-mail and send it again.",
                            name=statement.name,
                        )
                    )
                statement._check_can_send()
                deadline = deadlines.get(statement.id) or deadlines.get(str(statement.id))
                statement._freeze(deadline=deadline)
        return super().message_post(**kwargs)

    def _can_mark_sent(self):
        user = self.env.user
        return user._is_internal() and user.has_group(
            "customer_reconciliation.group_statement_user"
        )

    def _process_attachments_for_template_post(self, mail_template):
        """Attach the XLSX next to the PDF in statement e-mails."""
        result = super()._process_attachments_for_template_post(mail_template)
        if mail_template and mail_template == self._get_mail_template():
            Xlsx = self.env["customer.statement.xlsx"]
            for statement in self:
                lang = (statement.contact_id or statement.partner_id).lang
                content = Xlsx.with_context(lang=lang)._build_workbook(statement)
                result.setdefault(statement.id, {}).setdefault("attachments", []).append(
                    (Xlsx._filename(statement), base64.b64encode(content))
                )
        return result

    def _notify_customer(self, template_xmlid):
        """E-mail the customer with one of the addon's templates."""
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        if not template:
            return
        for statement in self:
            statement.message_post_with_source(template, subtype_xmlid="mail.mt_comment")

    # Customer replies ----------------------------------------------------
    def _check_reply_allowed(self, content_hash):
        """Refuse a reply to a statement that is not awaiting one.

        ``content_hash`` is the hash of the statement the customer was shown:
        a reply to content that is not the current one is refused.
        """
        self.ensure_one()
        if self.state == "superseded":
            raise UserError(
                self.env._(
                    "This statement was replaced by %(name)s. Please answer the new version.",
                    name=self.superseded_by_id.name or "",
                )
            )
        if self.state != "sent":
            raise UserError(
                self.env._(
                    "This statement is not awaiting your reply (it is %(state)s).",
                    state=dict(self._fields["state"]._description_selection(self.env))[self.state],
                )
            )
        if not content_hash or content_hash != self.content_hash:
            raise UserError(
                self.env._(
                    "The statement changed since you opened it. Reload the page and check "
                    "it again before you reply."
                )
            )

    def _replier_name(self, audit):
        """The name of who replies: required from customers, as on a signed
        paper reply (staff recording a reply may leave it empty)."""
        name = _plain_text(audit.get("name"))[:128]
        if not name and (audit.get("channel") or "staff") != "staff":
            raise UserError(self.env._("Give the name of the person who replies."))
        return name

    def _reply_values(self, kind, audit):
        today = self.company_id._reconciliation_today()
        return {
            "statement_id": self.id,
            "kind": kind,
            "channel": audit.get("channel") or "staff",
            "user_id": audit.get("user_id"),
            "ip_address": (audit.get("ip_address") or "")[:64],
            "user_agent": (audit.get("user_agent") or "")[:512],
            "content_hash": self.content_hash,
            "late": bool(self.reply_deadline and today > self.reply_deadline),
        }

    def _record_confirmation(self, signed_by, signature=None, audit=None, attachments=None):
        """The customer confirms the statement (signature on the portal, or a
        signed paper reply recorded by staff)."""
        self.ensure_one()
        audit = audit or {}
        self._check_reply_allowed(audit.get("content_hash", self.content_hash))
        signed_by = _plain_text(signed_by)
        if not signed_by:
            raise UserError(self.env._("Give the name of the person who confirms."))
        if audit.get("channel") != "staff" and not signature:
            raise UserError(self.env._("The signature is missing."))
        if audit.get("channel") != "staff" and self.confirmation_mode == "balance":
            raise UserError(
                self.env._("This statement asks for your balance: please state it instead.")
            )
        values = self._reply_values("confirm", audit)
        values.update(signed_by=signed_by[:128], signature=signature)
        if attachments:
            values["attachment_ids"] = [(6, 0, attachments.ids)]
        reply = self._create_reply(values)
        late = self.env._(" (after the reply deadline)") if reply.late else ""
        self._set_confirmed(
            reply,
            self.env._(
                "Statement confirmed by %(name)s%(late)s. Content hash: %(hash)s",
                name=reply.signed_by,
                late=late,
                hash=reply.content_hash,
            ),
            signature=signature,
            attachments=attachments,
        )
        return reply

    def _set_confirmed(self, reply, note, signature=None, attachments=None):
        """The statement is confirmed by ``reply``: say so (``note``), close the
        follow-up of an earlier dispute and tell the customer."""
        self._write_status(
            {
                "state": "confirmed",
                "confirmed_date": reply.reply_date,
                "confirmed_by": reply.signed_by,
                "signature": signature or False,
                "confirmation_late": reply.late,
            }
        )
        self.message_post(
            body=note,
            attachment_ids=attachments.ids if attachments else None,
            subtype_xmlid="mail.mt_note",
            author_id=self._reply_author(reply).id,
        )
        self.activity_feedback(["customer_reconciliation.mail_activity_statement_dispute"])
        self._notify_customer("customer_reconciliation.mail_template_statement_confirmed")

    @api.model
    def _parse_amount(self, value):
        """A stated amount as a float, refusing what no one could mean.

        Text is read with the separators of the user's language, as the
        portal shows amounts (``2.500,00`` in German is 2500). Thousands
        separators must group three digits: ``1.5`` in German or
        ``2.500,00`` in English could mean either of two amounts, and are
        refused rather than guessed.
        """
        if isinstance(value, int | float) and not isinstance(value, bool):
            amount = float(value)
        else:
            amount = self._parse_amount_text(_plain_text(str(value or "")))
            if amount is None:
                raise ValidationError(
                    self.env._("“%(value)s” is not an amount.", value=_plain_text(str(value))[:40])
                )
        if not math.isfinite(amount) or abs(amount) >= MAX_STATED_AMOUNT:
            raise ValidationError(
                self.env._("The amount %(value)s is not plausible.", value=str(value)[:40])
            )
        return amount

    @api.model
    def _parse_amount_text(self, text):
        """``text`` as a float, read with the user's language; None when it
        is not an amount written in that language."""
        lang = self.env["res.lang"]._lang_get(self.env.lang or "en_US")
        thousands = (lang.thousands_sep if lang else ",") or ""
        decimal_point = (lang.decimal_point if lang else ".") or "."
        text = text.replace("¥", "").replace("￥", "").replace("，", thousands or ",").strip()
        if thousands.isspace():
            # typed with an ordinary space for the language's narrow one
            text = re.sub(r"(?<=\d)[ \u00a0\u202f](?=\d)", thousands, text)
        integer, __, fraction = text.partition(decimal_point)
        if thousands and thousands in integer:
            groups = integer.lstrip("+-").split(thousands)
            if thousands in fraction or not (
                1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:])
            ):
                return None
            integer = integer.replace(thousands, "")
        try:
            return float(Decimal(f"{integer}.{fraction}" if fraction else integer))
        except (InvalidOperation, ValueError):
            return None

    def _check_comment(self, comment):
        comment = _plain_text(comment)
        if len(comment) > MAX_COMMENT_LENGTH:
            raise ValidationError(
                self.env._(
                    "The comment is too long (at most %(max)s characters).", max=MAX_COMMENT_LENGTH
                )
            )
        return comment

    def _record_dispute(
        self, line_ids, reason, customer_amount, comment=None, audit=None, attachments=None
    ):
        """The customer disputes lines of the statement (or its balance when no
        line is given) and says what they think the amount is."""
        self.ensure_one()
        audit = audit or {}
        self._check_reply_allowed(audit.get("content_hash", self.content_hash))
        if reason not in dict(DISPUTE_REASONS):
            raise ValidationError(self.env._("Choose the reason of the difference."))
        lines = self.env["customer.statement.line"].browse(
            list(dict.fromkeys(int(line_id) for line_id in line_ids or []))
        )
        if lines.exists() != lines or any(
            line.statement_id != self or line.hidden for line in lines
        ):
            raise ValidationError(self.env._("The disputed lines must be lines of this statement."))
        comment = self._check_comment(comment)
        amount = self._parse_amount(customer_amount)
        # Lines are disputed in their own currency, one currency at a time.
        currency = lines.sudo().currency_id
        if len(currency) > 1:
            raise ValidationError(
                self.env._(
                    "Tick lines of one currency at a time (%(currencies)s): the amount you "
                    "state is in their currency.",
                    currencies=", ".join(currency.mapped("name")),
                )
            )
        if currency and currency != self.currency_id:
            statement_amount = currency.round(sum(lines.mapped("open_amount_currency")))
        else:
            currency = self.currency_id
            statement_amount = sum(lines.mapped("open_amount")) if lines else self.closing_balance
        if amount * statement_amount < 0:
            raise ValidationError(
                self.env._(
                    "The amount you state (%(amount)s) has the opposite sign of the "
                    "statement's (%(statement)s).",
                    amount=format_amount(self.env, amount, currency),
                    statement=format_amount(self.env, statement_amount, currency),
                )
            )
        values = self._reply_values("dispute", audit)
        values.update(
            signed_by=self._replier_name(audit),
            currency_id=currency.id,
            customer_balance=amount,
            difference=statement_amount - amount,
            comment=comment,
        )
        if attachments:
            values["attachment_ids"] = [(6, 0, attachments.ids)]
        reply = self._create_reply(values)
        return self._open_dispute(
            reply,
            reason,
            statement_amount,
            amount,
            comment,
            lines=lines,
            attachments=attachments,
            currency=currency,
        )

    def _record_balance(self, customer_balance, comment=None, audit=None):
        """Balance-request mode: the customer states their balance; equal means
        confirmed, a difference opens a dispute for staff.

        The customer states what they owe in each currency the balance
        confirmation asks about (see :meth:`_confirmation_balances`), each
        compared in its own currency: ``customer_balance`` is one amount
        when it asks about one currency, else ``{currency id: amount}``
        with an amount for each of them. Each currency that differs opens
        its own dispute."""
        self.ensure_one()
        audit = audit or {}
        self._check_reply_allowed(audit.get("content_hash", self.content_hash))
        if self.confirmation_mode != "balance":
            raise UserError(self.env._("This statement does not ask for your balance."))
        comment = self._check_comment(comment)
        stated = self._stated_amounts(customer_balance)
        values = self._reply_values("balance", audit)
        values.update(
            signed_by=self._replier_name(audit),
            comment=comment,
            balance_ids=[
                Command.create(
                    {
                        "sequence": sequence,
                        "currency_id": currency.id,
                        "statement_balance": balance,
                        "customer_balance": amount,
                    }
                )
                for sequence, (currency, balance, amount) in enumerate(stated)
            ],
        )
        if len(stated) == 1:
            # one currency: the reply and the statement keep its amounts
            ((currency, balance, amount),) = stated
            values.update(
                currency_id=currency.id,
                customer_balance=amount,
                difference=currency.round(balance - amount),
            )
        reply = self._create_reply(values)
        differing = reply.balance_ids.filtered(
            lambda line: not line.currency_id.is_zero(line.difference)
        )
        single = len(stated) == 1  # else the balances by currency say it
        self._write_status(
            {
                "customer_balance": single and reply.customer_balance,
                "balance_difference": single and reply.difference,
            }
        )
        if not differing:
            self._set_confirmed(
                reply, self.env._("The customer's balance equals the statement: confirmed.")
            )
            return reply
        disputes = self.env["customer.statement.dispute"]
        for line in differing:
            disputes |= self._create_dispute(
                reply,
                "amount_differs",
                line.statement_balance,
                line.customer_balance,
                comment,
                currency=line.currency_id,
            )
        self._set_disputed(disputes)
        return reply

    def _stated_amounts(self, customer_balance):
        """``[(currency, statement balance, stated amount)]`` for each balance
        the confirmation asks about, from what the customer typed: one
        amount, or ``{currency id: amount}`` (ids as numbers or text)."""
        balances = self._confirmation_balances()
        if not isinstance(customer_balance, dict):
            if len(balances) > 1:
                raise ValidationError(
                    self.env._(
                        "State your balance in each currency: %(currencies)s.",
                        currencies=", ".join(currency.name for currency, __ in balances),
                    )
                )
            customer_balance = {balances[0][0].id: customer_balance}
        typed = {}
        for key, value in customer_balance.items():
            try:
                currency_id = int(key)
            except (TypeError, ValueError):
                currency_id = 0
            if not 0 < currency_id < 2**31:
                raise ValidationError(
                    self.env._("“%(value)s” is not a currency.", value=str(key)[:40])
                )
            typed[currency_id] = value
        unknown = set(typed) - {currency.id for currency, __ in balances}
        if unknown:
            names = self.env["res.currency"].browse(unknown).exists().mapped("name")
            raise ValidationError(
                self.env._(
                    "This statement asks for your balance in %(asked)s, not in %(currencies)s.",
                    asked=", ".join(currency.name for currency, __ in balances),
                    currencies=", ".join(names) or self.env._("another currency"),
                )
            )
        stated = []
        for currency, balance in balances:
            value = typed.get(currency.id)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise ValidationError(
                    self.env._("State your balance in %(currency)s.", currency=currency.name)
                )
            stated.append((currency, balance, self._parse_amount(value)))
        return stated

    def _open_dispute(self, reply, *args, **kwargs):
        """Open the dispute ``reply`` brings (see :meth:`_create_dispute`) and
        put the statement in dispute."""
        dispute = self._create_dispute(reply, *args, **kwargs)
        self._set_disputed(dispute)
        return dispute

    def _create_dispute(
        self,
        reply,
        reason,
        statement_amount,
        amount,
        comment,
        lines=None,
        attachments=None,
        currency=None,
    ):
        """A dispute ``reply`` brings, its amounts in ``currency`` (the
        statement's unless given)."""
        return (
            self.env["customer.statement.dispute"]
            .sudo()
            .create(
                {
                    "statement_id": self.id,
                    "reply_id": reply.id,
                    "line_ids": [(6, 0, lines.ids if lines else [])],
                    "reason": reason,
                    "currency_id": (currency or self.currency_id).id,
                    "statement_amount": statement_amount,
                    "customer_amount": amount,
                    "comment": comment,
                    "attachment_ids": [(6, 0, attachments.ids if attachments else [])],
                    "user_id": self.user_id.id,
                }
            )
            .with_env(self.env)
        )

    def _get_responsible(self):
        """Who follows the statement up: its responsible, else the customer's
        statement responsible or salesperson, else the user at work, else a
        statement manager of its company; the first active internal user (the
        scheduler's user and portal users never are)."""
        self.ensure_one()
        partner = self.partner_id.with_company(self.company_id)
        users = self.user_id | partner.statement_user_id | partner.user_id | self.env.user
        users = users.filtered(lambda user: user.active and not user.share)
        if not users:
            managers = self.env.ref("customer_reconciliation.group_statement_manager").sudo()
            users = managers.users.filtered(
                lambda user: user.active and not user.share and self.company_id in user.company_ids
            )
        return users[:1]

    def _reply_author(self, reply):
        """Who a note about ``reply`` is from: the customer's portal user, or
        the statement's contact for a reply through its link (the portal
        works as superuser, whose name would show otherwise); staff who
        record a reply, themselves."""
        if not reply or reply.channel == "staff":
            return self.env.user.partner_id
        if reply.user_id:
            return reply.user_id.partner_id
        return self.contact_id or self.partner_id

    def _set_disputed(self, disputes):
        """Put the statement in dispute for ``disputes``, opened by one reply:
        one note, one activity and one e-mail to the customer for them all."""
        self._write_status({"state": "disputed"})
        reasons = dict(disputes._fields["reason"]._description_selection(self.env))
        comment = disputes[:1].comment
        self.message_post(
            body=Markup("<br/>").join(
                [
                    self.env._(
                        "The customer reports a difference: %(reason)s. Their amount: "
                        "%(amount)s, difference %(difference)s.",
                        reason=reasons[dispute.reason],
                        amount=format_amount(
                            self.env, dispute.customer_amount, dispute.currency_id
                        ),
                        difference=format_amount(self.env, dispute.difference, dispute.currency_id),
                    )
                    for dispute in disputes
                ]
                + [comment or ""]
            ),
            subtype_xmlid="mail.mt_note",
            author_id=self._reply_author(disputes[:1].reply_id).id,
        )
        responsible = self._get_responsible()
        if responsible:
            self.activity_schedule(
                "customer_reconciliation.mail_activity_statement_dispute",
                user_id=responsible.id,
                # the customer's words as text: no link or image of theirs
                note=Markup("<p>%s</p>") % Markup("<br/>").join(comment.splitlines())
                if comment
                else "",
            )
        self._notify_customer("customer_reconciliation.mail_template_statement_dispute_received")

    def action_confirm(self):
        """Record a confirmation received offline (signed scan attached)."""
        self.ensure_one()
        if self.state != "sent":
            raise UserError(self.env._("Only a statement awaiting a reply can be confirmed."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Record Confirmation"),
            "res_model": "customer.statement.confirm",
            "view_mode": "form",
            "target": "new",
            "context": {"default_statement_id": self.id},
        }

    # Reissue ---------------------------------------------------------------
    def action_reissue(self):
        """Replace a disputed statement by a new version of the same period."""
        new_statements = self.browse()
        for statement in self:
            if statement.state != "disputed":
                raise UserError(self.env._("Only a disputed statement is reissued."))
            if statement.open_dispute_count:
                raise UserError(
                    self.env._(
                        "Resolve every dispute of %(name)s before reissuing it.",
                        name=statement.name,
                    )
                )
            statement.with_context(customer_statement_engine=True)._write_status(
                {"state": "superseded"}
            )
            new = self.env["customer.statement.engine"]._generate(
                statement.partner_id.ids,
                statement.date_from,
                statement.date_to,
                statement.company_id,
            )
            new._write_status(
                {
                    "version": statement.version + 1,
                    "previous_statement_id": statement.id,
                    "contact_id": statement.contact_id.id,
                    "user_id": statement.user_id.id,
                }
            )
            statement.message_post(
                body=Markup(self.env._("Superseded by %s")) % new._get_html_link(),
                subtype_xmlid="mail.mt_note",
            )
            new.message_post(
                body=Markup(self.env._("Reissue of %s")) % statement._get_html_link(),
                subtype_xmlid="mail.mt_note",
            )
            new_statements |= new
        to_send = new_statements.filtered(lambda s: not s.review_required)
        if to_send:
            to_send._send_by_email()
        if len(new_statements) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "customer.statement",
                "res_id": new_statements.id,
                "view_mode": "form",
                "views": [(False, "form")],
            }
        return True

    def action_cancel(self):
        if any(s.state in ("confirmed", "deemed", "superseded") for s in self):
            raise UserError(self.env._("Confirmed or superseded statements cannot be cancelled."))
        disputed = self.filtered("open_dispute_count")
        if disputed:
            raise UserError(
                self.env._(
                    "The customer's dispute of %(names)s is open: accept or reject it first "
                    "(the customer is told the outcome).",
                    names=", ".join(disputed.mapped("name")),
                )
            )
        self._write_status({"state": "cancelled"})
        return True

    def action_reset_to_draft(self):
        cancelled = self.filtered(lambda s: s.state == "cancelled")
        if cancelled != self:
            raise UserError(self.env._("Only cancelled statements can be reset to draft."))
        replied = self._replied()
        if replied:
            raise UserError(
                self.env._(
                    "The customer replied to statement %(names)s: it stays cancelled, with the "
                    "reply, as its record. Generate the period again for a new statement.",
                    names=", ".join(replied.mapped("name")),
                )
            )
        live = self.search(
            [
                ("state", "in", LIVE_STATES),
                ("partner_id", "in", self.partner_id.ids),
                ("company_id", "in", self.company_id.ids),
                ("date_from", "in", self.mapped("date_from")),
                ("date_to", "in", self.mapped("date_to")),
            ]
        )
        for statement in self:
            if live.filtered(
                lambda s, st=statement: (
                    (s.partner_id, s.company_id, s.date_from, s.date_to)
                    == (st.partner_id, st.company_id, st.date_from, st.date_to)
                )
            ):
                raise UserError(
                    self.env._(
                        "%(partner)s already has a statement for this period.",
                        partner=statement.partner_id.display_name,
                    )
                )
        # Back to a draft that was never sent nor approved: a resent statement
        # gets a new deadline and reminders, and new figures a new review.
        self._write_status(
            {
                "state": "draft",
                "reviewer_id": False,
                "reviewed_date": False,
                "sent_date": False,
                "reply_deadline": False,
                "reminder_count": 0,
                "last_reminder_date": False,
                "escalated": False,
                "confirmation_late": False,
                # a link sent before no longer opens the statement
                "access_token": False,
            }
        )
        self.env["customer.statement.engine"]._compute_statements(self)
        return True

    def action_print_pdf(self):
        return self.env.ref(
            "customer_reconciliation.action_report_customer_statement"
        ).report_action(self)

    def _get_report_file_name(self, title):
        """``title``, number and customer, as a file name any system accepts."""
        self.ensure_one()
        return file_name(f"{title} {self.name} {self.partner_id.name}")

    def action_export_xlsx(self):
        return {
            "type": "ir.actions.act_url",
            "url": "/customer_reconciliation/statements/xlsx?ids="
            + ",".join(str(i) for i in self.ids),
            "target": "download",
        }

    def action_view_journal_items(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_account_moves_all")
        action["domain"] = [("id", "in", self.line_ids.mapped("move_line_ref"))]
        action["context"] = {"search_default_group_by_move": False}
        return action

    # ------------------------------------------------------------------
    # Snapshot
    # ------------------------------------------------------------------
    def _freeze(self, deadline=None):
        """Mark as sent: the content is frozen and the reply deadline starts.

        The deadline is the statements' ``reply_by``, or ``deadline`` (the one
        an e-mail prepared earlier states) when it is still to come.
        """
        hashes = self.env["customer.statement.engine"]._content_hashes(self)
        try:
            stated = fields.Date.to_date(deadline) if deadline else None
        except (TypeError, ValueError):
            stated = None
        for statement in self:
            reply_by = statement.reply_by
            if (
                stated
                and not statement.reply_deadline
                and stated >= statement.company_id._reconciliation_today()
            ):
                reply_by = stated
            statement.with_context(customer_statement_engine=True)._write_status(
                {
                    "content_hash": hashes[statement.id],
                    "content_hash_version": canonical.HASH_VERSION,
                    "state": "sent",
                    "sent_date": fields.Datetime.now(),
                    "reply_deadline": reply_by,
                }
            )

    def action_check_content_hash(self):
        """Take the content hash again from what the statement holds now, by
        the version it was taken with, and say whether it is the same."""
        self.ensure_one()
        if not self.content_hash:
            raise UserError(
                self.env._(
                    "Statement %(name)s has no content hash yet: it is taken when the "
                    "statement is sent or prepared for review.",
                    name=self.name,
                )
            )
        version = self.content_hash_version or 1
        engine = self.env["customer.statement.engine"].sudo()
        if engine._content_hashes(self.sudo(), version)[self.id] != self.content_hash:
            raise UserError(
                self.env._(
                    "The content of statement %(name)s no longer gives its hash %(hash)s: "
                    "it changed after the hash was taken.",
                    name=self.name,
                    hash=self.content_hash,
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "The content of statement %(name)s still gives its hash.", name=self.name
                ),
            },
        }

    def _compute_content_hash(self):
        """SHA-256 of the canonical serialisation of the statement's content."""
        self.ensure_one()
        return self.env["customer.statement.engine"]._content_hashes(self)[self.id]

    def action_view_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_reconciliation.action_customer_statement_dispute"
        )
        action["domain"] = [("statement_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_preview(self):
        """Open the statement as the customer sees it on the portal."""
        self.ensure_one()
        if not self.access_token:
            self.check_access("write")  # the link's token is written now
        return {
            "type": "ir.actions.act_url",
            "target": "self",
            "url": self.get_portal_url(),
        }

    # ------------------------------------------------------------------
    # Scheduled reminders and deemed confirmation
    # ------------------------------------------------------------------
    def _next_reminder_date(self):
        """Date of the next reminder (or of the escalation after the last one):
        ``reminder_first_days`` after sending, then ``reminder_interval_days``
        after the last reminder (not after sending: a run missed for a while
        sends one reminder, not one per day until the schedule caught up)."""
        self.ensure_one()
        policy = self.policy_id
        if self.reminder_count and self.last_reminder_date:
            every = policy.reminder_interval_days if policy else 3
            return self.last_reminder_date + timedelta(days=every)
        first = policy.reminder_first_days if policy else 3
        return self.company_id._reconciliation_today(self.sent_date) + timedelta(days=first)

    @api.model
    @in_user_language
    def _cron_send_reminders(self, today=None):
        """Scheduled action: remind, escalate, and deem confirmed at the deadline.

        Positive and balance-request statements awaiting a reply get a reminder
        ``reminder_first_days`` after sending, then every ``reminder_interval_days``,
        at most ``reminder_max`` times; at the next date after the last one the
        responsible user gets an activity. Negative-mode statements without a
        reply become ``deemed`` once their reply deadline is over (the customer
        may still reply on the deadline day itself). Days are each company's
        (:meth:`res.company._reconciliation_today`) unless ``today`` is given.
        """
        Batch = self.env["customer.reconciliation.batch"]
        summary = {"reminded": 0, "escalated": 0, "deemed": 0, "failed": 0}

        negative = self.search(
            [
                ("state", "=", "sent"),
                ("confirmation_mode", "=", "negative"),
                ("reply_deadline", "!=", False),
            ]
        )
        waiting = self.search(
            [
                ("state", "=", "sent"),
                ("confirmation_mode", "!=", "negative"),
                ("escalated", "=", False),
                ("sent_date", "!=", False),
            ]
        )
        todays = {
            company: today or company._reconciliation_today()
            for company in (negative | waiting).company_id
        }

        def past_deadline(statement):
            return (
                statement.state == "sent"
                and statement.confirmation_mode == "negative"
                and statement.reply_deadline
                and statement.reply_deadline < todays[statement.company_id]
            )

        def reminder_due(statement):
            return (
                statement.state == "sent"
                and statement.confirmation_mode != "negative"
                and not statement.escalated
                and statement.sent_date
                and statement._next_reminder_date() <= todays[statement.company_id]
            )

        def below_limit(statement):
            policy = statement.policy_id
            return statement.reminder_count < (policy.reminder_max if policy else 2)

        def noted(statement, error):
            message = self.env._(
                "The scheduled reminders failed for this statement; it is tried again at "
                "the next run."
            )
            Batch._note_failure(statement, message, error)

        for key, candidates, select, action in (
            ("deemed", negative, past_deadline, lambda recs: recs._deem_confirmed()),
            (
                "reminded",
                waiting,
                lambda s: reminder_due(s) and below_limit(s),
                lambda recs: recs._send_reminder(today),
            ),
            (
                "escalated",
                waiting,
                lambda s: reminder_due(s) and not below_limit(s),
                lambda recs: recs._escalate(today),
            ),
        ):
            statements = candidates.filtered(select)
            acted = self.browse()

            # Each chunk checks its statements again, locked: a customer may
            # have replied, or another run acted, since they were selected.
            def process(chunk, select=select, action=action):
                nonlocal acted
                ready = chunk._lock_for_update().filtered(select)
                action(ready)
                acted |= ready

            __, failed = Batch._run_in_chunks(statements, process, on_failure=noted)
            summary[key] = len(acted)
            summary["failed"] += len(failed)
        _logger.info("Statement reminders: %s", summary)
        return summary

    def _send_reminder(self, today=None):
        template = self.env.ref(
            "customer_reconciliation.mail_template_statement_reminder", raise_if_not_found=False
        )
        for statement in self:
            statement._write_status(
                {
                    "reminder_count": statement.reminder_count + 1,
                    "last_reminder_date": today or statement.company_id._reconciliation_today(),
                }
            )
            if template:
                statement.message_post_with_source(template, subtype_xmlid="mail.mt_comment")

    def _escalate(self, today=None):
        for statement in self:
            responsible = statement._get_responsible()
            if responsible:
                statement.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=today or statement.company_id._reconciliation_today(),
                    summary=self.env._("No reply to statement %(name)s", name=statement.name),
                    note=self.env._(
                        "%(count)s reminders were sent without a reply; please call the customer.",
                        count=statement.reminder_count,
                    ),
                    user_id=responsible.id,
                )
            statement._write_status({"escalated": True})

    def _deem_confirmed(self):
        """Negative confirmation: no reply by the deadline counts as confirmed."""
        for statement in self:
            statement._write_status({"state": "deemed", "confirmed_date": fields.Datetime.now()})
            statement.message_post(
                body=self.env._(
                    "No reply by the deadline of %(date)s: the statement is deemed "
                    "confirmed (negative confirmation).",
                    date=statement.reply_deadline,
                ),
                subtype_xmlid="mail.mt_note",
            )

    @api.model
    def action_run_reminders(self):
        """Run now: send the reminders that are due and say what was done."""
        self.check_access("write")
        self.env["customer.reconciliation.batch"]._hold_scheduled_action(
            "customer_reconciliation.ir_cron_statement_reminders"
        )
        summary = self._cron_send_reminders()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if summary["failed"] else "success",
                "message": self.env._(
                    "%(reminded)s reminders sent, %(escalated)s escalated, %(deemed)s "
                    "deemed confirmed, %(failed)s failed.",
                    **summary,
                ),
            },
        }
