from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

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
    "aging_boundaries",
    "hide_exchange_lines",
}


class CustomerStatement(models.Model):
    """对账单: a customer's receivable position for one period, from the ledger."""

    _name = "customer.statement"
    _description = "Customer Statement"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin"]
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
        string="Policy",
        readonly=True,
        check_company=True,
        index="btree_not_null",
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Statement Contact",
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
    )
    reply_deadline = fields.Date(copy=False, tracking=True)
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
    hide_exchange_lines = fields.Boolean(readonly=True)

    opening_balance = fields.Monetary(readonly=True, tracking=True)
    total_debit = fields.Monetary(string="Period Debit", readonly=True)
    total_credit = fields.Monetary(string="Period Credit", readonly=True)
    closing_balance = fields.Monetary(readonly=True, tracking=True)
    overdue_amount = fields.Monetary(string="Overdue", readonly=True)
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

    line_ids = fields.One2many("customer.statement.line", "statement_id", readonly=True)
    aging_ids = fields.One2many("customer.statement.aging", "statement_id", readonly=True)
    currency_section_ids = fields.One2many(
        "customer.statement.currency", "statement_id", readonly=True
    )

    amount_in_words = fields.Char(
        string="Closing Balance in Words", compute="_compute_amount_in_words"
    )

    def init(self):
        super().init()
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

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("closing_balance", "currency_id")
    def _compute_amount_in_words(self):
        from ..tools.rmb import amount_in_words

        for statement in self:
            if statement.currency_id.name == "CNY":
                statement.amount_in_words = amount_in_words(statement.closing_balance)
            else:
                statement.amount_in_words = statement.currency_id.amount_to_text(
                    statement.closing_balance
                )

    def _compute_access_url(self):
        super()._compute_access_url()
        for statement in self:
            statement.access_url = f"/my/statements/{statement.id}"

    @api.depends("name", "partner_id", "date_to")
    def _compute_display_name(self):
        for statement in self:
            statement.display_name = (
                f"{statement.name} {statement.partner_id.name or ''}".strip()
                if statement.name and statement.name != "/"
                else statement.partner_id.name or ""
            )

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Statement %(name)s", name=self.name.replace("/", "-"))

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

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(s.state not in ("draft", "cancelled") for s in self):
            raise UserError(self.env._("Only draft or cancelled statements can be deleted."))

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
        """Freeze the content and record the sending (no e-mail is sent)."""
        for statement in self:
            if statement.state not in ("draft", "to_review"):
                raise UserError(
                    self.env._("Statement %(name)s is not ready to send.", name=statement.name)
                )
        self._freeze()
        return True

    def action_cancel(self):
        if any(s.state in ("confirmed", "deemed", "superseded") for s in self):
            raise UserError(self.env._("Confirmed or superseded statements cannot be cancelled."))
        self.write({"state": "cancelled"})
        return True

    def action_reset_to_draft(self):
        cancelled = self.filtered(lambda s: s.state == "cancelled")
        if cancelled != self:
            raise UserError(self.env._("Only cancelled statements can be reset to draft."))
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
        self.write({"state": "draft"})
        self.env["customer.statement.engine"]._compute_statements(self)
        return True

    def action_print_pdf(self):
        return self.env.ref(
            "customer_reconciliation.action_report_customer_statement"
        ).report_action(self)

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
        action["domain"] = [("id", "in", self.line_ids.move_line_id.ids)]
        action["context"] = {"search_default_group_by_move": False}
        return action

    # ------------------------------------------------------------------
    # Snapshot
    # ------------------------------------------------------------------
    def _freeze(self):
        for statement in self:
            statement.with_context(customer_statement_engine=True).write(
                {
                    "content_hash": statement._compute_content_hash(),
                    "state": "sent",
                    "sent_date": fields.Datetime.now(),
                }
            )

    def _compute_content_hash(self):
        """SHA-256 of the canonical serialisation of the statement's content."""
        self.ensure_one()
        return self.env["customer.statement.engine"]._content_hashes(self)[self.id]
