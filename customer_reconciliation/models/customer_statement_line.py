from odoo import api, fields, models
from odoo.tools import SQL

from .customer_statement import INTERNAL

# The fields of a line the customer sees (PDF, XLSX, portal).
CUSTOMER_FIELDS = [
    "statement_id",
    "sequence",
    "in_period",
    "date",
    "move_name",
    "document_type",
    "ref",
    "date_maturity",
    "debit",
    "credit",
    "running_balance",
    "open_amount",
    "days_overdue",
    "currency_id",
    "amount_currency",
    "open_amount_currency",
    "running_balance_currency",
]


class StatementMany2one(fields.Many2one):
    """A many2one to the statement that PostgreSQL does not check.

    A statement's lines are written by the engine only (see the snapshot
    mixin), with the statement it has just written or updated in the same
    transaction, and are deleted with it (``customer.statement.unlink``).
    A foreign key would check and lock that statement once per line: a
    third of the time of writing a month's 124,000 lines, for a reference
    that cannot be wrong. (A module redefining the field with a plain
    ``fields.Many2one`` would bring the key back; a test checks it is gone.)
    """

    def update_db_foreign_key(self, model, column):
        return


class CustomerStatementLine(models.Model):
    """One receivable journal item of a statement, frozen with its figures.

    A line is either a movement of the period (``in_period``) or an item
    dated before the period that was still open at the cut-off. Every figure
    is stored, so the statement stays what was sent even if the journal item
    is later changed or reconciled.
    """

    _name = "customer.statement.line"
    _inherit = ["customer.statement.snapshot.mixin"]
    _description = "Customer Statement Line"
    _order = "statement_id, sequence, id"
    # Lines are written once, by the engine, with their statement: who and
    # when is the statement's.
    _log_access = False

    statement_id = StatementMany2one(
        "customer.statement", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="statement_id.company_id")
    company_currency_id = fields.Many2one(
        related="statement_id.currency_id", string="Company Currency"
    )
    partner_id = fields.Many2one(related="statement_id.partner_id", string="Customer")
    sequence = fields.Integer(readonly=True)
    # The journal item, entry, contact and currency are kept as plain ids. A
    # snapshot must not lock the rows it copies (a foreign key checks and
    # locks the referenced row for every line written, which made up most of
    # the time of writing a month's lines) and outlives them; the ledger
    # itself keeps the contact and the currency of its items from being
    # deleted. The many2one fields below resolve the ids that still exist.
    # The journal item and entry ids are not indexed: their values land all
    # over an index, so keeping one up to date cost about a second per month
    # of 124,000 lines, for the odd search of the statements that show an
    # entry (which reads the lines table instead).
    # The journal's own labels and ids are the back office's: a customer reads
    # the lines of their statements (CUSTOMER_FIELDS), not these.
    move_line_ref = fields.Integer(string="Journal Item Id", readonly=True, groups=INTERNAL)
    move_ref = fields.Integer(string="Entry Id", readonly=True, groups=INTERNAL)
    contact_ref = fields.Integer(string="Contact Id", readonly=True, groups=INTERNAL)
    currency_ref = fields.Integer(string="Currency Id", readonly=True)
    move_line_id = fields.Many2one(
        "account.move.line",
        string="Journal Item",
        compute="_compute_move_links",
        search="_search_move_line_id",
        groups=INTERNAL,
    )
    move_id = fields.Many2one(
        "account.move",
        string="Entry",
        compute="_compute_move_links",
        search="_search_move_id",
        groups=INTERNAL,
    )
    contact_id = fields.Many2one(
        "res.partner",
        compute="_compute_contact_id",
        search="_search_contact_id",
        groups=INTERNAL,
    )
    date = fields.Date(readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    move_name = fields.Char(string="Number", readonly=True)
    ref = fields.Char(string="Reference", readonly=True)
    name = fields.Char(string="Label", readonly=True, groups=INTERNAL)
    document_type = fields.Selection(
        [
            ("invoice", "Invoice"),
            ("refund", "Credit Note"),
            ("payment", "Payment"),
            ("exchange", "Exchange Difference"),
            ("other", "Other"),
        ],
        readonly=True,
    )
    in_period = fields.Boolean(
        readonly=True,
        help="Movement of the statement period; otherwise an older item still open at the cut-off.",
    )
    hidden = fields.Boolean(
        readonly=True, groups=INTERNAL, help="Exchange difference not listed to the customer."
    )
    debit = fields.Monetary(currency_field="company_currency_id", readonly=True)
    credit = fields.Monetary(currency_field="company_currency_id", readonly=True)
    balance = fields.Monetary(currency_field="company_currency_id", readonly=True)
    running_balance = fields.Monetary(
        currency_field="company_currency_id",
        readonly=True,
        help="Balance after this movement, from the opening balance.",
    )
    open_amount = fields.Monetary(
        currency_field="company_currency_id",
        readonly=True,
        help="Amount still open at the cut-off date.",
    )
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", search="_search_currency_id"
    )
    amount_currency = fields.Monetary(currency_field="currency_id", readonly=True)
    open_amount_currency = fields.Monetary(currency_field="currency_id", readonly=True)
    running_balance_currency = fields.Monetary(currency_field="currency_id", readonly=True)
    days_overdue = fields.Integer(readonly=True)
    aging_bucket = fields.Integer(readonly=True)
    is_overdue = fields.Boolean(compute="_compute_is_overdue")

    def init(self):
        res = super().init()
        # A database installed before the key was given up still has it,
        # whatever its name: it goes at every update (see StatementMany2one).
        for (name,) in self.env.execute_query(
            SQL(
                """
                SELECT c.conname
                  FROM pg_constraint c
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
                 WHERE c.conrelid = %s::regclass AND c.contype = 'f'
                   AND a.attname = 'statement_id'
                """,
                self._table,
            )
        ):
            self.env.cr.execute(
                SQL(
                    "ALTER TABLE %s DROP CONSTRAINT %s",
                    SQL.identifier(self._table),
                    SQL.identifier(name),
                )
            )
            self.env.cr.execute(
                SQL("DELETE FROM ir_model_constraint WHERE name = %s AND type = 'f'", name)
            )
        return res

    @api.depends("move_line_ref", "move_ref")
    def _compute_move_links(self):
        move_lines = set(
            self.env["account.move.line"]
            .browse(set(self.mapped("move_line_ref")) - {0})
            .exists()
            .ids
        )
        moves = set(
            self.env["account.move"].browse(set(self.mapped("move_ref")) - {0}).exists().ids
        )
        for line in self:
            line.move_line_id = line.move_line_ref if line.move_line_ref in move_lines else False
            line.move_id = line.move_ref if line.move_ref in moves else False

    @api.depends("contact_ref")
    def _compute_contact_id(self):
        contacts = set(
            self.env["res.partner"]
            .with_context(active_test=False)
            .browse(set(self.mapped("contact_ref")) - {0})
            .exists()
            .ids
        )
        for line in self:
            line.contact_id = line.contact_ref if line.contact_ref in contacts else False

    @api.depends("currency_ref")
    def _compute_currency_id(self):
        currencies = set(
            self.env["res.currency"]
            .with_context(active_test=False)
            .browse(set(self.mapped("currency_ref")) - {0})
            .exists()
            .ids
        )
        for line in self:
            line.currency_id = line.currency_ref if line.currency_ref in currencies else False

    def _search_contact_id(self, operator, value):
        return self._search_by_ref("contact_ref", operator, value)

    def _search_currency_id(self, operator, value):
        return self._search_by_ref("currency_ref", operator, value)

    def _search_move_line_id(self, operator, value):
        return self._search_by_ref("move_line_ref", operator, value)

    def _search_move_id(self, operator, value):
        return self._search_by_ref("move_ref", operator, value)

    @api.model
    def _search_by_ref(self, column, operator, value):
        if isinstance(value, models.BaseModel):
            value = value.ids
        if operator in ("=", "!=") and (value is False or value is None):
            return [(column, "=" if operator == "=" else "!=", False)]
        if operator in ("=", "!=", "in", "not in"):
            return [(column, operator, value)]
        raise NotImplementedError(f"Unsupported search on {column}: {operator}")

    @api.depends("days_overdue", "open_amount")
    def _compute_is_overdue(self):
        # An amount the customer owes past its due date; a payment or credit
        # note not yet applied is the customer's money, not overdue.
        for line in self:
            line.is_overdue = (
                line.days_overdue > 0
                and line.company_currency_id.compare_amounts(line.open_amount, 0) > 0
            )

    @api.model
    def _fetch_for_customer(self, statements):
        """The lines of ``statements`` the customer sees (exchange differences the
        policy hides are left out), in statement order, read in one query."""
        return self.search_fetch(
            [("statement_id", "in", statements.ids), ("hidden", "=", False)],
            CUSTOMER_FIELDS,
            order="statement_id, sequence, id",
        )

    def _snapshot_name(self):
        return self.env._("Statement lines")
