from odoo import api, fields, models
from odoo.exceptions import UserError

DISPUTE_REASONS = [
    ("not_received", "Goods or invoice not received"),
    ("amount_differs", "Amount differs"),
    ("already_paid", "Already paid"),
    ("duplicate", "Duplicate"),
    ("other", "Other"),
]
# What the customer is told when the dispute is resolved: fixed from then on.
RESOLUTION_FIELDS = {"resolution_note", "credit_note_id", "payment_id"}
# What the customer said and how the dispute ended: written by the reply and
# the accept / reject actions only.
STATUS_FIELDS = {
    "statement_id",
    "reply_id",
    "line_ids",
    "reason",
    "currency_id",
    "statement_amount",
    "customer_amount",
    "comment",
    "attachment_ids",
    "state",
    "resolved_date",
    "resolved_by_id",
}


class CustomerStatementDispute(models.Model):
    """A difference the customer reported on a statement, worked by staff."""

    _name = "customer.statement.dispute"
    _description = "Customer Statement Dispute"
    _inherit = ["mail.thread", "mail.activity.mixin", "customer.reconciliation.status.mixin"]
    _order = "create_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    statement_id = fields.Many2one(
        "customer.statement", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="statement_id.company_id", store=True)
    partner_id = fields.Many2one(related="statement_id.partner_id", store=True, string="Customer")
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_currency_id",
        store=True,
        precompute=True,
        readonly=False,  # given when the lines disputed are in a foreign currency
        help="The currency of the amounts: that of the disputed lines when they are in a "
        "foreign currency, else the statement's.",
    )
    reply_id = fields.Many2one(
        "customer.statement.reply", readonly=True, ondelete="set null", groups="base.group_user"
    )
    line_ids = fields.Many2many(
        "customer.statement.line",
        string="Disputed Lines",
        readonly=True,
        domain="[('statement_id', '=', statement_id)]",
    )
    reason = fields.Selection(DISPUTE_REASONS, required=True, readonly=True, tracking=True)
    company_currency_id = fields.Many2one(
        related="statement_id.currency_id", string="Company Currency"
    )
    statement_amount = fields.Monetary(
        readonly=True,
        aggregator=None,  # amounts of several currencies: see difference_company
        help="What the statement says for the disputed lines (their open amounts), or "
        "its closing balance when no line is given.",
    )
    customer_amount = fields.Monetary(
        readonly=True, aggregator=None, help="What the customer says instead."
    )
    difference = fields.Monetary(
        compute="_compute_difference",
        store=True,
        aggregator=None,
        help="Statement amount minus the customer's amount.",
    )
    difference_company = fields.Monetary(
        string="Difference (Company Currency)",
        currency_field="company_currency_id",
        compute="_compute_difference",
        store=True,
        help="The difference in the company currency, at the rate of the statement's "
        "cut-off: what the totals of disputes in several currencies add.",
    )
    comment = fields.Text(readonly=True, help="The customer's words, kept as plain text.")
    attachment_ids = fields.Many2many("ir.attachment", string="Attachments", readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("accepted", "Accepted"), ("rejected", "Rejected")],
        default="open",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    # Who works the dispute is the back office's; the customer reads the
    # resolution note, which the e-mail telling them of the outcome carries.
    user_id = fields.Many2one("res.users", string="Owner", tracking=True, groups="base.group_user")
    resolution_note = fields.Text(tracking=True)
    credit_note_id = fields.Many2one(
        "account.move",
        check_company=True,
        domain="[('move_type', '=', 'out_refund'), ('commercial_partner_id', '=', partner_id)]",
    )
    payment_id = fields.Many2one(
        "account.payment",
        check_company=True,
        domain="[('partner_type', '=', 'customer')]",
    )
    resolved_date = fields.Datetime(readonly=True)
    resolved_by_id = fields.Many2one("res.users", readonly=True, groups="base.group_user")

    @api.depends("statement_id.name", "reason")
    def _compute_name(self):
        reasons = dict(self._fields["reason"]._description_selection(self.env))
        for dispute in self:
            dispute.name = f"{dispute.statement_id.name or ''} / {reasons.get(dispute.reason, '')}"

    @api.depends("statement_id.currency_id")
    def _compute_currency_id(self):
        for dispute in self:
            if not dispute.currency_id:
                dispute.currency_id = dispute.statement_id.currency_id

    @api.depends(
        "statement_amount",
        "customer_amount",
        "currency_id",
        "statement_id.currency_id",
        "statement_id.date_to",
    )
    def _compute_difference(self):
        for dispute in self:
            dispute.difference = dispute.statement_amount - dispute.customer_amount
            statement = dispute.statement_id
            if not dispute.currency_id or dispute.currency_id == statement.currency_id:
                dispute.difference_company = dispute.difference
            else:
                dispute.difference_company = dispute.currency_id._convert(
                    dispute.difference,
                    statement.currency_id,
                    statement.company_id,
                    statement.date_to or fields.Date.context_today(dispute),
                )

    def _status_fields(self):
        return STATUS_FIELDS

    def write(self, vals):
        # What the customer was told of the outcome stays as told.
        if not self.env.su and RESOLUTION_FIELDS.intersection(vals):
            resolved = self.filtered(lambda dispute: dispute.state != "open")
            if resolved:
                raise UserError(
                    self.env._(
                        "Dispute %(names)s is resolved: its resolution was sent to the "
                        "customer and no longer changes.",
                        names=", ".join(resolved.mapped("name")),
                    )
                )
        return super().write(vals)

    def _status_fields_error(self, names):
        return self.env._(
            "A dispute is opened by the customer's reply and closed by accepting or "
            "rejecting it, not by editing: %(fields)s.",
            fields=names,
        )

    def _check_open(self):
        if any(dispute.state != "open" for dispute in self):
            raise UserError(self.env._("This dispute is already resolved."))

    def action_accept(self):
        """The customer is right: record how the ledger was corrected."""
        self._check_open()
        for dispute in self:
            if not dispute.resolution_note:
                raise UserError(self.env._("Write a resolution note before accepting the dispute."))
        self._resolve("accepted")
        return True

    def action_reject(self):
        """The statement stands: explain it to the customer."""
        self._check_open()
        for dispute in self:
            if not dispute.resolution_note:
                raise UserError(self.env._("Explain to the customer why the dispute is rejected."))
        self._resolve("rejected")
        return True

    def _resolve(self, state):
        self._write_status(
            {
                "state": state,
                "resolved_date": fields.Datetime.now(),
                "resolved_by_id": self.env.uid,
            }
        )
        for statement in self.statement_id:
            if not statement.open_dispute_count:
                statement.activity_feedback(
                    ["customer_reconciliation.mail_activity_statement_dispute"]
                )
            statement._notify_customer(
                "customer_reconciliation.mail_template_statement_dispute_resolved"
            )
