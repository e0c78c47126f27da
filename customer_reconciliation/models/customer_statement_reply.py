from odoo import api, fields, models


class CustomerStatementReply(models.Model):
    """A customer's answer to a statement, kept as evidence.

    Who answered (portal user, access token or staff recording a paper
    reply), when, from where, the signature, and the content hash of the
    statement they were shown.
    """

    _name = "customer.statement.reply"
    _description = "Customer Statement Reply"
    _order = "reply_date desc, id desc"

    statement_id = fields.Many2one(
        "customer.statement", required=True, ondelete="restrict", index=True, readonly=True
    )
    company_id = fields.Many2one(related="statement_id.company_id", store=True)
    partner_id = fields.Many2one(related="statement_id.partner_id", store=True, string="Customer")
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_currency_id",
        store=True,
        precompute=True,
        readonly=False,  # given by a dispute of lines in a foreign currency
        help="The currency of the amounts: the statement's, or that of the lines disputed.",
    )
    kind = fields.Selection(
        [
            ("confirm", "Confirmed"),
            ("dispute", "Disputed"),
            ("balance", "Stated Balance"),
        ],
        required=True,
        readonly=True,
    )
    channel = fields.Selection(
        [
            ("portal_user", "Portal user"),
            ("token", "Link in the e-mail"),
            ("staff", "Recorded by staff"),
        ],
        required=True,
        readonly=True,
    )
    user_id = fields.Many2one("res.users", readonly=True)
    signed_by = fields.Char(readonly=True)
    signature = fields.Image(max_width=1024, max_height=1024, attachment=True, readonly=True)
    reply_date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    ip_address = fields.Char(string="IP Address", readonly=True)
    user_agent = fields.Char(readonly=True)
    content_hash = fields.Char(
        string="Hash Shown",
        readonly=True,
        help="Content hash of the statement the customer was shown.",
    )
    late = fields.Boolean(readonly=True, help="Given after the reply deadline.")
    customer_balance = fields.Monetary(
        readonly=True, help="Balance the customer states in their own books."
    )
    difference = fields.Monetary(
        readonly=True, help="Closing balance of the statement minus the customer's balance."
    )
    balance_ids = fields.One2many(
        "customer.statement.reply.balance",
        "reply_id",
        string="Balances by Currency",
        readonly=True,
        help="The balance the customer states in each currency they owe in.",
    )
    by_currency = fields.Boolean(
        compute="_compute_by_currency",
        help="The customer stated a balance in each of several currencies.",
    )
    comment = fields.Text(readonly=True)
    attachment_ids = fields.Many2many("ir.attachment", string="Attachments", readonly=True)

    @api.depends("statement_id.currency_id")
    def _compute_currency_id(self):
        for reply in self:
            if not reply.currency_id:
                reply.currency_id = reply.statement_id.currency_id

    @api.depends("balance_ids")
    def _compute_by_currency(self):
        for reply in self:
            reply.by_currency = len(reply.balance_ids) > 1

    @api.depends("kind", "statement_id", "reply_date")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for reply in self:
            reply.display_name = f"{reply.statement_id.name} – {kinds.get(reply.kind, '')}"
