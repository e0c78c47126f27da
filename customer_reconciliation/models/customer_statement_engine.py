"""The statement engine: every figure of a statement, from the ledger, in SQL.

The engine works on a set of statements at once, whatever their partners,
companies and periods: each query below reads the receivable ledger once for
all of them. Nothing here loops over partners in Python.

Ledger rules (see the addon's README):

* the source is the posted journal items on receivable accounts of the
  statement's company (and its branches), for the commercial partner and all
  its contacts;
* opening balance = sum of ``balance`` dated before ``date_from``; period
  movements are dated within the period; closing = opening + debit - credit;
* the open amount of an item at ``date_to`` is historical: its balance minus
  the partial reconciliations whose ``max_date`` is on or before ``date_to``.
  The queries compute it as today's ``amount_residual`` plus the partial
  reconciliations dated after ``date_to``, which is the same amount (the
  residual is the balance minus *all* partials) but reads far fewer rows;
* aging and overdue use that open amount and the due date (the item's date
  when it has none), in days past due at ``date_to``.
"""

import logging
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import aging, canonical
from .customer_statement import LIVE_STATES

_logger = logging.getLogger(__name__)

# Temporary tables of one computation (dropped at its end).
ITEMS_TABLE = "customer_statement_engine_items"
# What the partial reconciliations after the cut-off took off an item's
# residual, in company currency and in the item's currency (see
# ``_later_amounts``), for the journal item ``l``.
LATER_AMOUNT = SQL("COALESCE((later.amounts -> l.id::text ->> 0)::numeric, 0)")
LATER_AMOUNT_CURRENCY = SQL("COALESCE((later.amounts -> l.id::text ->> 1)::numeric, 0)")
TOTALS_TABLE = "customer_statement_engine_totals"
TARGETS_TABLE = "customer_statement_engine_targets"
# A target's aging buckets' lower bounds, in days past due, from its
# ``boundaries.aging_boundaries``: "not due" is under one day, then one
# bucket from each boundary on.
THRESHOLDS = SQL(
    """
    array_prepend(1, ARRAY(
        SELECT b::int + 1 FROM unnest(string_to_array(boundaries.aging_boundaries, ',')) b))
    """
)


def _boundaries(fallback):
    """The join naming ``boundaries.aging_boundaries``: those of the
    statement's ``policy``, else ``fallback``."""
    return SQL(
        """
        CROSS JOIN LATERAL (
            SELECT COALESCE(NULLIF(policy.aging_boundaries, ''), %s) AS aging_boundaries
        ) boundaries
        """,
        fallback,
    )


# The decimals of a statement line's currency (``lcur``; the statement's is ``cur``).
LINE_DECIMALS = "COALESCE(lcur.decimal_places, cur.decimal_places)"


def _written(values, convert):
    """A row of a statement's content, its amounts in a foreign currency (read
    as ``[amount, decimals]``) written with their decimals when ``convert``."""
    if not convert:
        return list(values)
    return [
        (None if value[0] is None else canonical.fixed(Decimal(str(value[0])), value[1]))
        if isinstance(value, list)
        else value
        for value in values
    ]


class _Block(NamedTuple):
    """What one block of a ledger read has in common (see ``_ledger_scan``)."""

    is_exchange: SQL  # the condition that an item is an exchange difference
    date_to: date  # the cut-off


class CustomerStatementEngine(models.AbstractModel):
    _name = "customer.statement.engine"
    _description = "Customer Statement Engine"

    # ------------------------------------------------------------------
    # Entry point
    # ------------------------------------------------------------------
    @api.model
    def _generate(self, partner_ids, date_from, date_to, company, skip_empty=False):
        """Find or create the statements, recompute the drafts, return all.

        Raises UserError, before writing anything, on a bad period, unknown
        partners, partners that are not customers or that belong to another
        company, or a company the user may not use, and with an AccessError
        when the user may not create and write statements (the engine writes
        with SQL, which the access rights would not stop).
        """
        Statement = self.env["customer.statement"]
        Statement.check_access("create")
        Statement.check_access("write")
        date_from, date_to = self._check_period(date_from, date_to)
        company = self._check_company(company)
        partners = self._check_partners(partner_ids, company)
        # Only their partner and state are needed: fetching every column of
        # thousands of statements (what reading one field would do) costs more.
        existing = Statement.search_fetch(
            [
                ("partner_id", "in", partners.ids),
                ("company_id", "=", company.id),
                ("date_from", "=", date_from),
                ("date_to", "=", date_to),
                ("state", "in", LIVE_STATES),
            ],
            ["partner_id", "state"],
        )
        # Read now: the computation below empties the cache.
        by_partner = {statement.partner_id.id: statement.id for statement in existing}
        created = self._compute(
            existing.filtered(lambda statement: statement.state == "draft"),
            partners - existing.partner_id,
            company,
            date_from,
            date_to,
            skip_empty=skip_empty,
        )
        # (plain rows: going through 10,000 records costs more than the query)
        by_partner.update(
            self.env.execute_query(
                SQL(
                    "SELECT partner_id, id FROM customer_statement WHERE id = ANY(%s)",
                    created.ids,
                )
            )
        )
        return Statement.browse([by_partner[p.id] for p in partners if p.id in by_partner])

    # ------------------------------------------------------------------
    # Input checks
    # ------------------------------------------------------------------
    @api.model
    def _check_period(self, date_from, date_to):
        try:
            date_from = fields.Date.to_date(date_from)
            date_to = fields.Date.to_date(date_to)
        except (TypeError, ValueError) as error:
            raise UserError(
                self.env._("The statement period needs two valid dates (YYYY-MM-DD).")
            ) from error
        if not isinstance(date_from, date) or not isinstance(date_to, date):
            raise UserError(self.env._("The statement period needs a start and an end date."))
        if date_from > date_to:
            raise UserError(
                self.env._(
                    "The period starts on %(start)s, after its end on %(end)s.",
                    start=date_from,
                    end=date_to,
                )
            )
        return date_from, date_to

    @api.model
    def _check_company(self, company):
        company = company.exists() if company else self.env.company
        if len(company) != 1:
            raise UserError(self.env._("Statements are generated for one company at a time."))
        if not self.env.su and company not in self.env.user.company_ids:
            raise UserError(
                self.env._(
                    "You are not allowed to work in company %(company)s.", company=company.name
                )
            )
        return company

    @api.model
    def _check_partners(self, partner_ids, company):
        """The commercial partners of ``partner_ids``, in order, without duplicates."""
        if isinstance(partner_ids, models.BaseModel):
            partner_ids = partner_ids.ids
        if isinstance(partner_ids, int):
            partner_ids = [partner_ids]
        if not partner_ids or not all(
            isinstance(pid, int) and not isinstance(pid, bool) for pid in partner_ids
        ):
            raise UserError(self.env._("Give the customers as a list of partner ids."))
        Partner = self.env["res.partner"].with_context(active_test=False)
        Partner.flush_model(["commercial_partner_id", "company_id", "customer_rank"])
        # One query for every partner given: its commercial partner and the
        # companies both belong to.
        facts = {
            pid: (commercial_id, company_id, commercial_company_id)
            for pid, commercial_id, company_id, commercial_company_id in self.env.execute_query(
                SQL(
                    """
                    SELECT p.id, p.commercial_partner_id, p.company_id, c.company_id
                      FROM res_partner p
                      JOIN res_partner c ON c.id = p.commercial_partner_id
                     WHERE p.id = ANY(%s)
                    """,
                    list(set(partner_ids)),
                )
            )
        }
        unknown = [pid for pid in partner_ids if pid not in facts]
        if unknown:
            raise UserError(
                self.env._(
                    "These customers do not exist: %(ids)s.",
                    ids=", ".join(map(str, unknown)),
                )
            )
        allowed = self._branches(company)
        # A customer may belong to the company, to one of its branches, or to
        # a company it is a branch of (Odoo shares those with its branches).
        allowed_ids = set(allowed.ids) | set(self._parents(company).ids)
        foreign = [
            pid
            for pid, (__, company_id, commercial_company_id) in facts.items()
            if (company_id and company_id not in allowed_ids)
            or (commercial_company_id and commercial_company_id not in allowed_ids)
        ]
        if foreign:
            raise UserError(
                self.env._(
                    "%(partners)s belong to another company than %(company)s.",
                    partners=", ".join(Partner.browse(foreign).mapped("display_name")),
                    company=company.name,
                )
            )
        # Commercial partners in the order given, each once (dict keeps order).
        commercial_ids = list(dict.fromkeys(facts[pid][0] for pid in partner_ids))
        customers = self._customer_ids(commercial_ids, allowed)
        not_customers = [pid for pid in commercial_ids if pid not in customers]
        if not_customers:
            raise UserError(
                self.env._(
                    "%(partners)s are not customers: they have never been "
                    "invoiced and have no receivable entries.",
                    partners=", ".join(Partner.browse(not_customers).mapped("display_name")),
                )
            )
        return Partner.browse(commercial_ids)

    @api.model
    def _customer_ids(self, commercial_ids, companies):
        """Ids of the commercial partners that are customers.

        Returns the partners one of whose contacts has a customer rank, or
        that have a receivable journal item in ``companies`` (looked up only
        for the partners without a rank, usually none).
        """
        self.env["res.partner"].flush_model(["customer_rank", "commercial_partner_id"])
        customers = {
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """
                    SELECT DISTINCT commercial_partner_id
                      FROM res_partner
                     WHERE commercial_partner_id = ANY(%s) AND customer_rank > 0
                    """,
                    commercial_ids,
                )
            )
        }
        unranked = [pid for pid in commercial_ids if pid not in customers]
        if unranked:
            self.env["account.move.line"].flush_model(["partner_id", "account_id", "company_id"])
            customers.update(
                row[0]
                for row in self.env.execute_query(
                    SQL(
                        """
                        SELECT DISTINCT p.commercial_partner_id
                          FROM res_partner p
                          JOIN account_move_line l ON l.partner_id = p.id
                          JOIN account_account a ON a.id = l.account_id
                         WHERE p.commercial_partner_id = ANY(%(ids)s)
                           AND l.company_id = ANY(%(companies)s)
                           AND a.account_type = 'asset_receivable'
                        """,
                        ids=unranked,
                        companies=companies.ids,
                    )
                )
            )
        return customers

    @api.model
    def _check_branches(self, companies):
        """Refuse to compute statements over branches the user may not work in.

        A statement covers its company's branches: it would show the user
        journal items they may not read, or, left out, a wrong balance.
        """
        if self.env.su:
            return
        for company in companies:
            hidden = self._branches(company) - self.env.user.company_ids
            if hidden:
                raise UserError(
                    self.env._(
                        "Statements of %(company)s also cover its branches %(branches)s, "
                        "where you are not allowed to work.",
                        company=company.name,
                        branches=", ".join(hidden.mapped("name")),
                    )
                )

    @api.model
    def _parents(self, company):
        """The companies ``company`` is a branch of."""
        return company.sudo().parent_ids - company

    @api.model
    def _branches(self, company):
        """``company`` and its branches, whose ledgers its statements cover."""
        return self.env["res.company"].sudo().search([("id", "child_of", company.ids)])

    # ------------------------------------------------------------------
    # Creation
    # ------------------------------------------------------------------
    @api.model
    def _next_names(self, company, date_to, count):
        """``count`` statement numbers of ``company`` for a period ending ``date_to``.

        A standard sequence without date ranges gives all its numbers in one
        ``nextval`` over a series; any other kind is asked one number at a time.
        """
        sequence = self._get_sequence(company).with_context(ir_sequence_date=date_to)
        if sequence.implementation != "standard" or sequence.use_date_range:
            return [sequence.next_by_id(sequence_date=date_to) for __ in range(count)]
        prefix, suffix = sequence._get_prefix_suffix()
        numbers = self.env.execute_query(
            SQL(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                f"ir_sequence_{sequence.id:03d}",
                count,
            )
        )
        return [f"{prefix}{number:0{sequence.padding}d}{suffix}" for (number,) in numbers]

    @api.model
    def _get_sequence(self, company):
        """The statement numbering of ``company``, created on first use."""
        Sequence = self.env["ir.sequence"].sudo()
        sequence = Sequence.search(
            [("code", "=", "customer.statement"), ("company_id", "=", company.id)], limit=1
        )
        if not sequence:
            template = self.env.ref(
                "customer_reconciliation.seq_customer_statement", raise_if_not_found=False
            )
            sequence = Sequence.create(
                {
                    "name": self.env._("Customer Statements %(company)s", company=company.name),
                    "code": "customer.statement",
                    "company_id": company.id,
                    "prefix": template.prefix if template else "DZ/%(year)s/%(month)s/",
                    "padding": template.padding if template else 4,
                    "implementation": "standard",
                }
            )
        return sequence

    # ------------------------------------------------------------------
    # Computation
    # ------------------------------------------------------------------
    def _flush_ledger(self):
        self.env["account.move.line"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        self.env["account.full.reconcile"].flush_model(["exchange_move_id"])
        self.env["account.move"].flush_model(["move_type", "journal_id", "state", "company_id"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])

    @api.model
    def _compute_statements(self, statements):
        """Recompute the content of draft ``statements`` from the ledger.

        Replaces their lines (which also make their aging buckets) and
        currency sections and writes their totals. The content hash is only
        taken when a statement is frozen (see ``customer.statement._freeze``):
        a draft's content may still change, so a draft has none. Statements
        that are not drafts are refused: their content is a frozen snapshot.
        """
        statements.check_access("write")
        self._compute(statements)

    @api.model
    def _compute(
        self,
        statements,
        partners=None,
        company=None,
        date_from=None,
        date_to=None,
        skip_empty=False,
    ):
        """Recompute draft ``statements`` and create those of ``partners``.

        The new statements (of ``company``, for ``date_from`` to ``date_to``)
        are computed with the drafts, from the same reads of the ledger, and
        written once, with their figures. With ``skip_empty``, a partner
        without any item in the period and a zero closing balance gets none.
        Returns the statements created.
        """
        Statement = self.env["customer.statement"]
        statements = statements.exists()
        partners = partners or self.env["res.partner"]
        statements.fetch(["state"])
        if any(statement.state != "draft" for statement in statements):
            raise UserError(self.env._("Only draft statements are recomputed."))
        if not statements and not partners:
            return Statement
        self._check_branches(statements.company_id | (company or statements.company_id.browse()))
        self._flush_ledger()
        Statement.flush_model()
        cr = self.env.cr
        if statements:
            for table in ("customer_statement_line", "customer_statement_currency"):
                cr.execute(
                    SQL(
                        "DELETE FROM %s WHERE statement_id = ANY(%s)",
                        SQL.identifier(table),
                        statements.ids,
                    )
                )
        # Large one-off statements: PostgreSQL's JIT compilation costs more than
        # it saves here, and the hash joins want more than the default memory.
        cr.execute("SET LOCAL jit = off")
        cr.execute("SET LOCAL work_mem = '64MB'")
        self._drop_stage()
        self._stage_targets(statements, partners, company, date_from, date_to)
        # Each company's exchange differences, for both reads of the ledger.
        exchange = {}
        self._build_totals(exchange)
        if skip_empty and partners and not self._drop_empty_targets() and not statements:
            self._drop_stage()
            return Statement
        self._build_items(exchange)
        created = self._insert_statements(company, date_to) if partners else []
        if statements:
            self._write_totals(statements.ids)
        self._insert_lines()
        self._insert_currency_sections()
        self._drop_stage()
        for model in (
            "customer.statement",
            "customer.statement.line",
            "customer.statement.currency",
            "customer.statement.aging",
        ):
            self.env[model].invalidate_model()
        return Statement.browse(created)

    def _responsible_uid(self):
        """The user who generates, as the responsible of customers without a
        statement responsible or salesperson; none for the scheduler's user."""
        user = self.env.user
        return user.id if user.active and not user.share else None

    def _stage_targets(self, statements, partners, company, date_from, date_to):
        """Write ``TARGETS_TABLE``: one row per statement to compute.

        A draft takes the current content settings of its policy (exchange
        lines hidden or not, aging boundaries), else keeps its own. A new
        statement gets its id now (from the table's sequence, in the order of
        ``partners``) and its
        settings from its policy (the partner's policy in ``company``, else the
        company's default policy), as the ORM would have written them; the row
        itself is only inserted once its figures are known.
        """
        cr = self.env.cr
        self.env["customer.statement.policy"].flush_model()
        cr.execute(
            SQL(
                """
                CREATE TEMPORARY TABLE %(targets)s (
                    statement_id integer PRIMARY KEY,
                    partner_id integer NOT NULL,
                    company_id integer NOT NULL,
                    currency_id integer NOT NULL,
                    date_from date NOT NULL,
                    date_to date NOT NULL,
                    hide_exchange_lines boolean NOT NULL,
                    aging_boundaries varchar,
                    thresholds integer[],
                    is_new boolean NOT NULL,
                    ordinality integer,
                    policy_id integer,
                    confirmation_mode varchar,
                    review_required boolean,
                    contact_id integer,
                    user_id integer
                ) ON COMMIT DROP
                """,
                targets=SQL.identifier(TARGETS_TABLE),
            )
        )
        if statements:
            cr.execute(
                SQL(
                    """
                    INSERT INTO %(targets)s (
                        statement_id, partner_id, company_id, currency_id, date_from,
                        date_to, hide_exchange_lines, aging_boundaries, thresholds, is_new)
                    SELECT s.id, s.partner_id, s.company_id, s.currency_id, s.date_from,
                           s.date_to,
                           COALESCE(policy.hide_exchange_lines, s.hide_exchange_lines, FALSE),
                           boundaries.aging_boundaries, %(thresholds)s, FALSE
                      FROM customer_statement s
                      LEFT JOIN customer_statement_policy policy ON policy.id = s.policy_id
                     %(boundaries)s
                     WHERE s.id = ANY(%(ids)s)
                    """,
                    targets=SQL.identifier(TARGETS_TABLE),
                    boundaries=_boundaries(SQL("s.aging_boundaries")),
                    thresholds=THRESHOLDS,
                    ids=statements.ids,
                )
            )
        if partners:
            Partner = self.env["res.partner"].with_company(company)
            fallback_policy = (
                Partner._fields["statement_policy_id"].get_company_dependent_fallback(Partner)
                or company.statement_default_policy_id
            )
            Partner.flush_model(
                ["statement_policy_id", "statement_contact_id", "statement_user_id", "user_id"]
            )
            cr.execute(
                SQL(
                    """
                    INSERT INTO %(targets)s (
                        statement_id, partner_id, company_id, currency_id, date_from,
                        date_to, hide_exchange_lines, aging_boundaries, thresholds, is_new,
                        ordinality, policy_id, confirmation_mode, review_required,
                        contact_id, user_id)
                    SELECT nextval(%(sequence)s::regclass),
                           new.*
                      FROM (
                        SELECT p.id, %(company)s, %(currency)s, %(date_from)s::date,
                               %(date_to)s::date,
                               COALESCE(policy.hide_exchange_lines, FALSE),
                               boundaries.aging_boundaries, %(thresholds)s,
                               TRUE, n.ordinality, policy.id,
                               COALESCE(policy.confirmation_mode, 'positive'),
                               COALESCE(policy.review_required, FALSE),
                               p.statement_contact_id,
                               COALESCE(p.statement_user_id, p.user_id, %(uid)s)
                          FROM unnest(%(partner_ids)s::int[])
                                   WITH ORDINALITY AS n(partner_id, ordinality)
                          JOIN res_partner p ON p.id = n.partner_id
                          LEFT JOIN customer_statement_policy policy
                            ON policy.id = COALESCE(
                                   (p.statement_policy_id ->> %(company_key)s)::int,
                                   %(fallback)s)
                         %(boundaries)s
                         ORDER BY n.ordinality
                      ) new
                    """,
                    targets=SQL.identifier(TARGETS_TABLE),
                    company=company.id,
                    company_key=str(company.id),
                    currency=company.currency_id.id,
                    date_from=date_from,
                    date_to=date_to,
                    boundaries=_boundaries(aging.format_boundaries(aging.DEFAULT_BOUNDARIES)),
                    thresholds=THRESHOLDS,
                    # (named once: looked up for each row, it cost more than the rows)
                    sequence=self.env.execute_query(
                        SQL("SELECT pg_get_serial_sequence('customer_statement', 'id')")
                    )[0][0],
                    uid=self._responsible_uid(),
                    partner_ids=partners.ids,
                    fallback=fallback_policy.id or None,
                )
            )
        cr.execute(SQL("ANALYZE %s", SQL.identifier(TARGETS_TABLE)))

    def _ledger_scan(self, exchange, select, where=None, joins=None, group_by=None):
        """A parallel read of the targets' ledger.

        The journal items are ``l``, the statement they belong to ``t`` (its
        ``statement_id``, ``currency_id``, ``date_from`` and
        ``hide_exchange_lines``). ``select`` gives the selected columns,
        ``joins`` come after the items, ``where`` is added to the conditions
        and ``group_by`` groups each statement's items. ``select``, ``where``
        and ``joins`` are functions of a :class:`_Block`, for what depends on
        the company or the cut-off.

        The statements come as arrays, never from a temporary table, which
        parallel workers cannot read. Their ledger is that of their company
        and its branches up to their cut-off: the statements of each company
        and cut-off are one block of the query (joined by ``UNION ALL``)
        where both are constants, so that PostgreSQL estimates the rows from
        its statistics. ``exchange`` keeps each company's condition that an
        item is an exchange difference, from one read to the next.
        """
        # Each block's arrays come as PostgreSQL writes them: 50,000 values
        # turned into Python objects and back would cost more than the query.
        by_block = {
            (company_id, date_to): arrays
            for company_id, date_to, *arrays in self.env.execute_query(
                SQL(
                    """
                    SELECT company_id, date_to,
                           array_agg(statement_id ORDER BY statement_id)::text,
                           array_agg(partner_id ORDER BY statement_id)::text,
                           array_agg(currency_id ORDER BY statement_id)::text,
                           array_agg(date_from ORDER BY statement_id)::text,
                           array_agg(hide_exchange_lines ORDER BY statement_id)::text
                      FROM %s
                     GROUP BY company_id, date_to
                     ORDER BY company_id, date_to
                    """,
                    SQL.identifier(TARGETS_TABLE),
                )
            )
        }
        receivable = (
            self.env["account.account"].sudo().search([("account_type", "=", "asset_receivable")])
        )

        blocks = []
        for (company_id, date_to), targets in by_block.items():
            branches = self._branches(self.env["res.company"].browse(company_id))
            if company_id not in exchange:
                exchange[company_id] = self._exchange_condition(branches)
            block = _Block(exchange[company_id], date_to)
            ids, partner_ids, currency_ids, froms, hides = targets
            blocks.append(
                SQL(
                    """
                    SELECT %(select)s
                      FROM unnest(%(ids)s::int[], %(partners)s::int[], %(currencies)s::int[],
                                  %(froms)s::date[], %(hides)s::bool[])
                               AS t(statement_id, partner_id, currency_id, date_from,
                                    hide_exchange_lines)
                      JOIN res_partner p ON p.commercial_partner_id = t.partner_id
                      JOIN account_move_line l ON l.partner_id = p.id
                      %(joins)s
                     WHERE l.company_id = ANY(%(companies)s)
                       AND l.account_id = ANY(%(accounts)s)
                       AND l.parent_state = 'posted'
                       AND l.date <= %(date_to)s
                       %(where)s
                    %(group_by)s
                    """,
                    select=select(block),
                    ids=ids,
                    partners=partner_ids,
                    currencies=currency_ids,
                    froms=froms,
                    hides=hides,
                    companies=branches.ids,
                    accounts=receivable.ids,
                    date_to=date_to,
                    joins=joins(block) if joins else SQL(),
                    where=SQL("AND %s", where(block)) if where else SQL(),
                    group_by=SQL("GROUP BY %s", group_by) if group_by else SQL(),
                )
            )
        return SQL(" UNION ALL ").join(blocks)

    def _exchange_condition(self, branches):
        """The condition that the journal item ``l`` of ``branches`` is an
        exchange difference.

        Those are the entries of the companies' exchange difference journals,
        and the entries a reconciliation made for its exchange difference
        (as Odoo recognises them), which may lie in a journal the company no
        longer uses for them. Most of the latter are in the current journal:
        only the others are named, and PostgreSQL hashes their list. The
        reconciliations' entries are looked up by id (as an array): joined,
        PostgreSQL would read every entry of the database to find them.
        """
        journals = branches.currency_exchange_journal_id
        moves = [
            move_id
            for (move_id,) in self.env.execute_query(
                SQL(
                    """
                    SELECT m.id
                      FROM account_move m
                     WHERE m.id = ANY(ARRAY(
                               SELECT exchange_move_id FROM account_partial_reconcile
                                WHERE exchange_move_id IS NOT NULL
                               UNION
                               SELECT exchange_move_id FROM account_full_reconcile
                                WHERE exchange_move_id IS NOT NULL))
                       AND m.company_id = ANY(%(companies)s)
                       AND m.journal_id <> ALL(%(journals)s::int[])
                    """,
                    companies=branches.ids,
                    journals=journals.ids,
                )
            )
        ]
        condition = SQL("l.journal_id = ANY(%s::int[])", journals.ids)
        if moves:
            condition = SQL("(%s OR l.move_id = ANY(%s::int[]))", condition, moves)
        return condition

    def _build_totals(self, exchange):
        """Write ``TOTALS_TABLE`` from one parallel read of the whole ledger.

        Per statement and transaction currency: the opening, period and
        closing sums in company currency and in that currency, and the
        period's exchange differences (hidden when the statement hides them).

        The read sums as little as it can, numbers being what it spends its
        time on: a closing balance is its opening balance plus the period's
        debits less its credits, and amounts in the company's own currency
        are their book amounts, which are already summed.
        """
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                CREATE TEMPORARY TABLE %(totals)s ON COMMIT DROP AS
                SELECT *,
                       COALESCE(opening, 0) + COALESCE(debit, 0) - COALESCE(credit, 0)
                           AS closing,
                       COALESCE(opening_currency, 0) + COALESCE(debit_currency, 0)
                           - COALESCE(credit_currency, 0) AS closing_currency
                  FROM (
                    SELECT statement_id, currency_id, opening, debit, credit, hidden,
                           CASE WHEN foreign_currency THEN foreign_opening ELSE opening END
                               AS opening_currency,
                           CASE WHEN foreign_currency THEN foreign_debit ELSE debit END
                               AS debit_currency,
                           CASE WHEN foreign_currency THEN foreign_credit ELSE credit END
                               AS credit_currency
                      FROM (%(scan)s) sums
                  ) totals
                """,
                totals=SQL.identifier(TOTALS_TABLE),
                scan=self._ledger_scan(
                    exchange,
                    lambda block: SQL(
                        """
                        t.statement_id,
                        COALESCE(l.currency_id, t.currency_id) AS currency_id,
                        COALESCE(l.currency_id, t.currency_id) <> t.currency_id
                            AS foreign_currency,
                        SUM(l.balance) FILTER (WHERE l.date < t.date_from) AS opening,
                        SUM(l.debit) FILTER (WHERE l.date >= t.date_from) AS debit,
                        SUM(l.credit) FILTER (WHERE l.date >= t.date_from) AS credit,
                        SUM(l.balance) FILTER (
                            WHERE l.date >= t.date_from AND t.hide_exchange_lines AND %(exchange)s
                        ) AS hidden,
                        SUM(%(amount)s) FILTER (
                            WHERE l.date < t.date_from AND %(foreign)s
                        ) AS foreign_opening,
                        SUM(%(amount)s) FILTER (
                            WHERE l.date >= t.date_from AND %(foreign)s AND %(amount)s > 0
                        ) AS foreign_debit,
                        -SUM(%(amount)s) FILTER (
                            WHERE l.date >= t.date_from AND %(foreign)s AND %(amount)s < 0
                        ) AS foreign_credit
                        """,
                        exchange=block.is_exchange,
                        foreign=SQL("l.currency_id <> t.currency_id"),
                        amount=SQL("COALESCE(l.amount_currency, l.balance)"),
                    ),
                    group_by=SQL("1, 2, t.currency_id"),
                ),
            )
        )
        cr.execute(SQL("ANALYZE %s", SQL.identifier(TOTALS_TABLE)))

    def _drop_empty_targets(self):
        """Forget the new statements without an item in the period nor a
        balance; return how many new statements are left."""
        self.env.cr.execute(
            SQL(
                """
                WITH empty AS (
                    DELETE FROM %(targets)s tg
                     WHERE tg.is_new
                       AND NOT EXISTS (
                           SELECT 1 FROM %(totals)s t
                            WHERE t.statement_id = tg.statement_id
                           HAVING bool_or(t.debit IS NOT NULL OR t.credit IS NOT NULL)
                               OR SUM(COALESCE(t.closing, 0)) <> 0)
                    RETURNING tg.statement_id
                )
                DELETE FROM %(totals)s t USING empty WHERE t.statement_id = empty.statement_id
                """,
                targets=SQL.identifier(TARGETS_TABLE),
                totals=SQL.identifier(TOTALS_TABLE),
            )
        )
        ((left,),) = self.env.execute_query(
            SQL("SELECT COUNT(*) FROM %s WHERE is_new", SQL.identifier(TARGETS_TABLE))
        )
        return left

    def _build_items(self, exchange):
        """Write ``ITEMS_TABLE``: the items each statement lists, from one
        parallel read of the ledger.

        These are every movement of the period and every older item still
        open at the cut-off, with its historical open amounts and days past
        due. An older item can only be open at the cut-off if it is not
        reconciled today or if a partial reconciliation after the cut-off
        touched it, so only those (and the period's movements) leave the
        scan. The partial reconciliations dated after a cut-off are few: they
        are summed per journal item beforehand and looked up in a JSON object.
        """
        ((earliest_from,),) = self.env.execute_query(
            SQL("SELECT MIN(date_from) FROM %s", SQL.identifier(TARGETS_TABLE))
        )
        later_by_date = {}

        def later(date_to):
            # the JSON and array text of the items reconciled after date_to
            if date_to not in later_by_date:
                later_by_date[date_to] = self._later_amounts(date_to)
            return later_by_date[date_to]

        def select(block):
            return SQL(
                """
                t.statement_id, l.id AS move_line_id, l.move_id, m.partner_id AS contact_id,
                l.date, l.date_maturity, l.move_name, l.ref, l.name,
                CASE
                    WHEN %(is_exchange)s THEN 'exchange'
                    WHEN m.move_type IN ('out_invoice', 'out_receipt') THEN 'invoice'
                    WHEN m.move_type = 'out_refund' THEN 'refund'
                    WHEN l.payment_id IS NOT NULL OR l.statement_line_id IS NOT NULL
                        THEN 'payment'
                    ELSE 'other'
                END AS document_type,
                l.date >= t.date_from AS in_period,
                %(is_exchange)s AND t.hide_exchange_lines AND l.date >= t.date_from
                    AS hidden,
                l.debit, l.credit, l.balance,
                l.amount_residual + %(later)s AS open_amount,
                COALESCE(l.currency_id, t.currency_id) AS currency_id,
                COALESCE(l.amount_currency, l.balance) AS amount_currency,
                COALESCE(l.amount_residual_currency, l.amount_residual) + %(later_currency)s
                    AS open_amount_currency,
                %(date_to)s::date - COALESCE(l.date_maturity, l.date) AS days_overdue
                """,
                is_exchange=block.is_exchange,
                date_to=block.date_to,
                later=LATER_AMOUNT,
                later_currency=LATER_AMOUNT_CURRENCY,
            )

        def joins(block):
            amounts, __ = later(block.date_to)
            return SQL(
                """
                JOIN account_move m ON m.id = l.move_id
                CROSS JOIN (SELECT %s::jsonb AS amounts) later
                """,
                amounts,
            )

        def where(block):
            # A movement of the period, or an older item that may have been
            # open at the cut-off: open today or touched by a reconciliation
            # after it (tested against the earliest period start, so that the
            # scan drops most items before the joins), and that was.
            __, later_ids = later(block.date_to)
            return SQL(
                """
                (l.date >= %(earliest)s OR l.amount_residual <> 0
                 OR l.amount_residual_currency <> 0 OR l.id = ANY(%(later)s::int[]))
                AND (l.date >= t.date_from
                     OR l.amount_residual + %(later_amount)s <> 0
                     OR COALESCE(l.amount_residual_currency, l.amount_residual)
                        + %(later_amount_currency)s <> 0)
                """,
                earliest=earliest_from,
                later=later_ids,
                later_amount=LATER_AMOUNT,
                later_amount_currency=LATER_AMOUNT_CURRENCY,
            )

        self.env.cr.execute(
            SQL(
                "CREATE TEMPORARY TABLE %s ON COMMIT DROP AS %s",
                SQL.identifier(ITEMS_TABLE),
                self._ledger_scan(exchange, select, where=where, joins=joins),
            )
        )

    @api.model
    def _later_amounts(self, date_to):
        """The partial reconciliations dated after ``date_to``, summed per
        journal item (signed: what they took off its residual), as the text
        of a JSON object ``{journal item id: [amount, amount in currency]}``
        (amounts as text) and of the array of those journal items.

        A few thousand items, which the scan looks up in the JSON object
        without a join (a join would cost it its parallel plan). Both come
        as PostgreSQL writes them, for the scan to read them back.
        """
        ((amounts, ids),) = self.env.execute_query(
            SQL(
                """
                SELECT COALESCE(
                           jsonb_object_agg(
                               move_line_id,
                               jsonb_build_array(amount::text, amount_currency::text)),
                           '{}')::text,
                       COALESCE(array_agg(move_line_id), '{}')::text
                  FROM (
                    SELECT x.move_line_id, SUM(x.amount) AS amount,
                           SUM(x.amount_currency) AS amount_currency
                      FROM account_partial_reconcile p
                     CROSS JOIN LATERAL (
                               VALUES (p.debit_move_id, p.amount, p.debit_amount_currency),
                                      (p.credit_move_id, -p.amount, -p.credit_amount_currency)
                           ) AS x(move_line_id, amount, amount_currency)
                     WHERE p.max_date > %(date_to)s
                     GROUP BY x.move_line_id
                  ) later
                """,
                date_to=date_to,
            )
        )
        return amounts, ids

    def _drop_stage(self):
        self.env.cr.execute(
            SQL(
                "DROP TABLE IF EXISTS %s",
                SQL(", ").join(
                    SQL.identifier(table)
                    for table in (
                        TARGETS_TABLE,
                        ITEMS_TABLE,
                        TOTALS_TABLE,
                    )
                ),
            )
        )

    def _insert_lines(self):
        """Insert the statement lines, numbered and with running balances.

        Older open items come first, then the period's movements by date; the
        running balance starts from the opening balance (in company currency,
        and per transaction currency for ``running_balance_currency``). The
        older items sort first, so a running sum of the period's rows only,
        over the whole statement, is the period's running balance: numbering
        and balance share one window. The aging bucket follows from the days
        past due and the statement's thresholds.

        Most statements have items in one currency only: for them the running
        balance in that currency is a sum over the same window. The others
        need a second window, per currency, so they are inserted apart.
        """
        ((multi_currency,),) = self.env.execute_query(
            SQL(
                """
                SELECT EXISTS (
                    SELECT FROM %s GROUP BY statement_id HAVING COUNT(*) > 1)
                """,
                SQL.identifier(TOTALS_TABLE),
            )
        )
        for single_currency in (True, False) if multi_currency else (True,):
            if single_currency:
                running_currency = SQL(
                    "o.opening_currency"
                    " + SUM(i.amount_currency) FILTER (WHERE i.in_period) OVER by_statement"
                )
                by_currency = SQL()
            else:
                running_currency = SQL(
                    "COALESCE(t.opening_currency, 0)"
                    " + SUM(i.amount_currency) FILTER (WHERE i.in_period) OVER by_currency"
                )
                by_currency = SQL(
                    """
                    , by_currency AS (
                        PARTITION BY i.statement_id, i.currency_id
                        ORDER BY i.in_period, i.date, i.move_name, i.move_line_id
                        ROWS UNBOUNDED PRECEDING)
                    """
                )
            self.env.cr.execute(
                SQL(
                    """
                    WITH o AS (
                        SELECT statement_id, SUM(COALESCE(opening, 0)) AS opening,
                               SUM(COALESCE(opening_currency, 0)) AS opening_currency
                          FROM %(totals)s
                         GROUP BY statement_id
                        HAVING (COUNT(*) = 1) = %(single_currency)s
                    )
                    INSERT INTO customer_statement_line (
                        statement_id, sequence, move_line_ref, move_ref, contact_ref, date,
                        date_maturity, move_name, ref, name, document_type, in_period, hidden,
                        debit, credit, balance, running_balance, open_amount, currency_ref,
                        amount_currency, open_amount_currency, running_balance_currency,
                        days_overdue, aging_bucket)
                    SELECT i.statement_id, row_number() OVER by_statement,
                           i.move_line_id, i.move_id, i.contact_id, i.date,
                           i.date_maturity, i.move_name, i.ref, i.name, i.document_type,
                           i.in_period, i.hidden, i.debit, i.credit, i.balance,
                           CASE WHEN i.in_period THEN o.opening
                               + SUM(i.balance) FILTER (WHERE i.in_period) OVER by_statement
                           END,
                           i.open_amount, i.currency_id, i.amount_currency,
                           i.open_amount_currency,
                           CASE WHEN i.in_period THEN %(running_currency)s END,
                           i.days_overdue, width_bucket(i.days_overdue, tg.thresholds)
                      FROM %(items)s i
                      JOIN o ON o.statement_id = i.statement_id
                      JOIN %(targets)s tg ON tg.statement_id = i.statement_id
                      %(totals_join)s
                    WINDOW by_statement AS (
                               PARTITION BY i.statement_id
                               ORDER BY i.in_period, i.date, i.move_name, i.move_line_id
                               ROWS UNBOUNDED PRECEDING)
                           %(by_currency)s
                    """,
                    totals=SQL.identifier(TOTALS_TABLE),
                    items=SQL.identifier(ITEMS_TABLE),
                    targets=SQL.identifier(TARGETS_TABLE),
                    single_currency=single_currency,
                    running_currency=running_currency,
                    by_currency=by_currency,
                    totals_join=SQL()
                    if single_currency
                    else SQL(
                        """
                        LEFT JOIN %s t
                          ON t.statement_id = i.statement_id AND t.currency_id = i.currency_id
                        """,
                        SQL.identifier(TOTALS_TABLE),
                    ),
                )
            )

    def _figures(self):
        """The CTEs up to ``figures``: each target's totals in company currency.

        Statements without any receivable item get zeros. ``overdue`` and
        ``not_due`` sum the open amounts past due / not yet due.
        """
        return SQL(
            """
            WITH t AS (
                SELECT tt.statement_id,
                       SUM(COALESCE(tt.opening, 0)) AS opening,
                       SUM(COALESCE(tt.debit, 0)) AS debit,
                       SUM(COALESCE(tt.credit, 0)) AS credit,
                       SUM(COALESCE(tt.closing, 0)) AS closing,
                       SUM(COALESCE(tt.hidden, 0)) AS hidden,
                       bool_or(tt.currency_id <> tg.currency_id) AS foreign_currency
                  FROM %(totals)s tt
                  JOIN %(targets)s tg ON tg.statement_id = tt.statement_id
                 GROUP BY tt.statement_id
            ),
            i AS (
                SELECT statement_id,
                       SUM(open_amount) FILTER (WHERE days_overdue > 0) AS overdue,
                       SUM(open_amount) FILTER (WHERE days_overdue <= 0) AS not_due,
                       COUNT(*) FILTER (WHERE NOT hidden) AS line_count
                  FROM %(items)s
                 GROUP BY statement_id
            ),
            figures AS (
                SELECT tg.*,
                       COALESCE(t.opening, 0) AS opening,
                       COALESCE(t.debit, 0) AS debit,
                       COALESCE(t.credit, 0) AS credit,
                       COALESCE(t.closing, 0) AS closing,
                       COALESCE(t.hidden, 0) AS hidden,
                       COALESCE(t.foreign_currency, FALSE) AS foreign_currency,
                       COALESCE(i.overdue, 0) AS overdue,
                       COALESCE(i.not_due, 0) AS not_due,
                       COALESCE(i.line_count, 0) AS line_count
                  FROM %(targets)s tg
                  LEFT JOIN t ON t.statement_id = tg.statement_id
                  LEFT JOIN i ON i.statement_id = tg.statement_id
            )
            """,
            totals=SQL.identifier(TOTALS_TABLE),
            targets=SQL.identifier(TARGETS_TABLE),
            items=SQL.identifier(ITEMS_TABLE),
        )

    def _insert_statements(self, company, date_to):
        """Insert the new statements, numbered, with their figures; return their ids.

        They are plain rows (the ORM's per-record create machinery, defaults,
        followers and tracking, is not needed for a draft), with the values
        the ORM would write. Inserting them once their figures are known saves
        updating 10,000 fresh rows, which PostgreSQL would make re-check every
        foreign key of.
        """
        ((ids,),) = self.env.execute_query(
            SQL(
                """
                SELECT COALESCE(array_agg(statement_id ORDER BY ordinality), '{}')
                  FROM %s WHERE is_new
                """,
                SQL.identifier(TARGETS_TABLE),
            )
        )
        if not ids:
            return []
        self.env.cr.execute(
            SQL(
                """
                %(figures)s
                INSERT INTO customer_statement (
                    id, name, partner_id, company_id, currency_id, date_from, date_to,
                    state, version, policy_id, confirmation_mode, aging_boundaries,
                    hide_exchange_lines, review_required, contact_id,
                    user_id, reminder_count, escalated, confirmation_late,
                    opening_balance, total_debit, total_credit, closing_balance,
                    hidden_exchange_amount, has_foreign_currency, overdue_amount,
                    not_due_amount, line_count, generated_date,
                    create_uid, write_uid, create_date, write_date)
                SELECT f.statement_id, n.name, f.partner_id, f.company_id, f.currency_id,
                       f.date_from, f.date_to, 'draft', 1, f.policy_id,
                       f.confirmation_mode, f.aging_boundaries, f.hide_exchange_lines,
                       f.review_required, f.contact_id, f.user_id, 0, FALSE,
                       FALSE, f.opening, f.debit, f.credit, f.closing, f.hidden,
                       f.foreign_currency, f.overdue, f.not_due, f.line_count,
                       now() AT TIME ZONE 'UTC', %(uid)s, %(uid)s,
                       now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                  FROM figures f
                  JOIN unnest(%(ids)s::int[], %(names)s::varchar[]) AS n(id, name)
                    ON n.id = f.statement_id
                 ORDER BY f.ordinality
                """,
                figures=self._figures(),
                uid=self.env.uid,
                ids=ids,
                names=self._next_names(company, date_to, len(ids)),
            )
        )
        return ids

    def _write_totals(self, statement_ids):
        """Write the figures of the recomputed drafts ``statement_ids``."""
        self.env.cr.execute(
            SQL(
                """
                %(figures)s
                UPDATE customer_statement s
                   SET opening_balance = f.opening,
                       total_debit = f.debit,
                       total_credit = f.credit,
                       closing_balance = f.closing,
                       hidden_exchange_amount = f.hidden,
                       has_foreign_currency = f.foreign_currency,
                       overdue_amount = f.overdue,
                       not_due_amount = f.not_due,
                       line_count = f.line_count,
                       hide_exchange_lines = f.hide_exchange_lines,
                       aging_boundaries = f.aging_boundaries,
                       content_hash = NULL,
                       content_hash_version = NULL,
                       generated_date = now() AT TIME ZONE 'UTC',
                       write_uid = %(uid)s,
                       write_date = now() AT TIME ZONE 'UTC'
                  FROM figures f
                 WHERE s.id = f.statement_id AND s.id = ANY(%(ids)s)
                """,
                figures=self._figures(),
                uid=self.env.uid,
                ids=statement_ids,
            )
        )

    def _insert_currency_sections(self):
        """One section per foreign currency a statement has items in.

        Figures are in that currency (``amount_currency`` and its residual),
        never converted; ``closing_balance_company`` is their book value.
        The statements are known from the targets (their rows, just written,
        would lead PostgreSQL's estimates astray).
        """
        self.env.cr.execute(
            SQL(
                """
                WITH sections AS (
                    SELECT t.*, tg.company_id, tg.partner_id
                      FROM %(totals)s t
                      JOIN %(targets)s tg ON tg.statement_id = t.statement_id
                     WHERE t.currency_id <> tg.currency_id
                ),
                i AS (
                    SELECT i.statement_id, i.currency_id,
                           SUM(i.open_amount_currency) AS open_amount,
                           SUM(i.open_amount_currency) FILTER (WHERE i.days_overdue > 0)
                               AS overdue
                      FROM %(items)s i
                      JOIN sections t
                        ON t.statement_id = i.statement_id AND t.currency_id = i.currency_id
                     GROUP BY i.statement_id, i.currency_id
                )
                INSERT INTO customer_statement_currency (
                    statement_id, company_id, partner_id, currency_id, opening_balance,
                    total_debit, total_credit, closing_balance, open_amount,
                    overdue_amount, closing_balance_company,
                    create_uid, write_uid, create_date, write_date)
                SELECT t.statement_id, t.company_id, t.partner_id, t.currency_id,
                       COALESCE(t.opening_currency, 0), COALESCE(t.debit_currency, 0),
                       COALESCE(t.credit_currency, 0), COALESCE(t.closing_currency, 0),
                       COALESCE(i.open_amount, 0), COALESCE(i.overdue, 0),
                       COALESCE(t.closing, 0),
                       %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                  FROM sections t
                  LEFT JOIN i
                    ON i.statement_id = t.statement_id AND i.currency_id = t.currency_id
                """,
                totals=SQL.identifier(TOTALS_TABLE),
                targets=SQL.identifier(TARGETS_TABLE),
                items=SQL.identifier(ITEMS_TABLE),
                uid=self.env.uid,
            )
        )

    # ------------------------------------------------------------------
    # Content hash
    # ------------------------------------------------------------------
    @api.model
    def _hash_contents(self, statements, normalised=True, version=canonical.HASH_VERSION):
        """``{statement id: content}``: what the content hash is computed over.

        Read in three queries for all statements; see ``tools/canonical.py``
        for the serialisation. With ``normalised``, PostgreSQL already writes
        amounts and dates the canonical way (amounts rounded half away from
        zero to the currency's decimals, dates ISO), so that the content only
        needs to be dumped as JSON; otherwise raw values are returned, for the
        reference serialisation to normalise, but for the amounts in a foreign
        currency, which it gets written with their decimals (from version 2 of
        the hash; before, they had the statement currency's).
        """
        own_decimals = version >= 2

        def amount(column, decimals="cur.decimal_places"):
            if normalised:
                return SQL("round(%s, %s)::text", SQL(column), SQL(decimals))
            return SQL(column)

        def foreign(column, decimals):
            # An amount in the line's or section's currency.
            if own_decimals:
                if normalised:
                    return amount(column, decimals)
                return SQL("json_build_array(%s, %s)", SQL(column), SQL(decimals))
            return amount(column)

        def day(column):
            return SQL("to_char(%s, 'YYYY-MM-DD')", SQL(column)) if normalised else SQL(column)

        ids = statements.ids
        content = {}
        for row in self.env.execute_query_dict(
            SQL(
                """
                SELECT s.id, s.company_id, c.name AS company_name,
                       cp.vat AS company_vat, s.partner_id, p.name AS partner_name,
                       p.vat AS partner_vat, cur.name AS currency,
                       %(date_from)s AS date_from, %(date_to)s AS date_to,
                       %(opening)s AS opening_balance, %(debit)s AS total_debit,
                       %(credit)s AS total_credit, %(closing)s AS closing_balance,
                       %(overdue)s AS overdue_amount,
                       (SELECT json_agg(json_build_array(a.bucket, %(aging)s)
                                        ORDER BY a.bucket)
                          FROM customer_statement_aging a
                         WHERE a.statement_id = s.id) AS aging
                  FROM customer_statement s
                  JOIN res_company c ON c.id = s.company_id
                  JOIN res_partner cp ON cp.id = c.partner_id
                  JOIN res_partner p ON p.id = s.partner_id
                  JOIN res_currency cur ON cur.id = s.currency_id
                 WHERE s.id = ANY(%(ids)s)
                """,
                date_from=day("s.date_from"),
                date_to=day("s.date_to"),
                opening=amount("s.opening_balance"),
                debit=amount("s.total_debit"),
                credit=amount("s.total_credit"),
                closing=amount("s.closing_balance"),
                overdue=amount("s.overdue_amount"),
                aging=amount("a.amount"),
                ids=ids,
            )
        ):
            content[row["id"]] = {
                "company": {
                    "id": row["company_id"],
                    "name": row["company_name"],
                    "vat": row["company_vat"],
                },
                "partner": {
                    "id": row["partner_id"],
                    "name": row["partner_name"],
                    "vat": row["partner_vat"],
                },
                "currency": row["currency"],
                "date_from": row["date_from"],
                "date_to": row["date_to"],
                "opening_balance": row["opening_balance"],
                "total_debit": row["total_debit"],
                "total_credit": row["total_credit"],
                "closing_balance": row["closing_balance"],
                "overdue_amount": row["overdue_amount"],
                "aging": [
                    [bucket, value if normalised else Decimal(str(value))]
                    for bucket, value in row["aging"] or []
                ],
                "lines": [],
                "currencies": [],
            }
        for row in self.env.execute_query(
            SQL(
                """
                SELECT l.statement_id, l.move_line_ref, %(date)s, %(date_maturity)s,
                       l.move_name, l.ref, %(debit)s, %(credit)s, %(open)s,
                       lcur.name, %(amount_currency)s, %(open_currency)s,
                       l.in_period, l.hidden
                  FROM customer_statement_line l
                  JOIN customer_statement s ON s.id = l.statement_id
                  JOIN res_currency cur ON cur.id = s.currency_id
                  LEFT JOIN res_currency lcur ON lcur.id = l.currency_ref
                 WHERE l.statement_id = ANY(%(ids)s)
                 ORDER BY l.statement_id, l.sequence, l.id
                """,
                date=day("l.date"),
                date_maturity=day("l.date_maturity"),
                debit=amount("l.debit"),
                credit=amount("l.credit"),
                open=amount("l.open_amount"),
                amount_currency=foreign("l.amount_currency", LINE_DECIMALS),
                open_currency=foreign("l.open_amount_currency", LINE_DECIMALS),
                ids=ids,
            )
        ):
            content[row[0]]["lines"].append(_written(row[1:], not normalised and own_decimals))
        for row in self.env.execute_query(
            SQL(
                """
                SELECT sc.statement_id, scur.name, %(opening)s, %(debit)s, %(credit)s,
                       %(closing)s, %(open)s, %(overdue)s
                  FROM customer_statement_currency sc
                  JOIN customer_statement s ON s.id = sc.statement_id
                  JOIN res_currency cur ON cur.id = s.currency_id
                  JOIN res_currency scur ON scur.id = sc.currency_id
                 WHERE sc.statement_id = ANY(%(ids)s)
                 ORDER BY sc.statement_id, scur.name
                """,
                opening=foreign("sc.opening_balance", "scur.decimal_places"),
                debit=foreign("sc.total_debit", "scur.decimal_places"),
                credit=foreign("sc.total_credit", "scur.decimal_places"),
                closing=foreign("sc.closing_balance", "scur.decimal_places"),
                open=foreign("sc.open_amount", "scur.decimal_places"),
                overdue=foreign("sc.overdue_amount", "scur.decimal_places"),
                ids=ids,
            )
        ):
            content[row[0]]["currencies"].append(_written(row[1:], not normalised and own_decimals))
        return content

    @api.model
    def _content_hashes(self, statements, version=canonical.HASH_VERSION):
        """``{statement id: SHA-256}`` of the statements' canonical content,
        by version ``version`` of the hash."""
        statements.flush_recordset()
        return {
            statement_id: canonical.normalised_hash(value, version)
            for statement_id, value in self._hash_contents(statements, version=version).items()
        }

    @api.model
    def _reference_hashes(self, statements, version=canonical.HASH_VERSION):
        """The same hashes through the reference serialisation (pure Python)."""
        statements.flush_recordset()
        digits = {s.id: s.currency_id.decimal_places for s in statements}
        return {
            statement_id: canonical.content_hash(value, digits[statement_id], version)
            for statement_id, value in self._hash_contents(statements, False, version).items()
        }

    @api.model
    def _store_hashes(self, statements):
        """Write the content hash of ``statements`` as they are now."""
        hashes = self._content_hashes(statements)
        self.env.cr.execute(
            SQL(
                """
                UPDATE customer_statement s
                   SET content_hash = v.hash, content_hash_version = %s
                  FROM unnest(%s::int[], %s::varchar[]) AS v(id, hash)
                 WHERE s.id = v.id
                """,
                canonical.HASH_VERSION,
                list(hashes),
                list(hashes.values()),
            )
        )
        statements.invalidate_recordset(["content_hash", "content_hash_version"])
        return hashes
