import json
import logging
from collections import Counter, defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

from ..tools.scheduler import in_user_language

_logger = logging.getLogger(__name__)

DUNNING_CHANNELS = [
    ("email", "Email"),
    ("activity", "Activity"),
    ("letter", "Printed Letter"),
]
# Customers per chunk: each one may render a mail or a letter.
DUNNING_CHUNK_SIZE = 50


class CustomerDunningLevel(models.Model):
    """One step of the dunning (催款) ladder of a company.

    A level is reached by an invoice ``days`` days after its due date
    (negative: before it). The scheduled action sends each customer, for each
    level reached, one message grouping that customer's invoices at the level,
    one per currency of the invoices. A branch with no level of its own is
    dunned with its parent company's.
    """

    _name = "customer.dunning.level"
    _description = "Dunning Level"
    _order = "sequence, days, id"
    _check_company_auto = True
    _check_company_domain = models.check_company_domain_parent_of

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    days = fields.Integer(
        required=True,
        help="Days after the invoice due date at which this level is reached; "
        "negative for a reminder before the due date.",
    )
    channel = fields.Selection(DUNNING_CHANNELS, required=True, default="email")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain="[('model', '=', 'customer.dunning.record')]",
        ondelete="restrict",
        default=lambda self: self.env.ref(
            "customer_reconciliation.mail_template_dunning_reminder", raise_if_not_found=False
        ),
        help="Template of the email sent to the customer's invoice contact.",
    )
    activity_user = fields.Selection(
        [("salesperson", "Salesperson"), ("responsible", "Statement Responsible")],
        string="Assign To",
        default="salesperson",
        required=True,
        help="Who follows the reminder up: gets the activity or the letter to print, and "
        "follows the customer's replies to an email. The customer's salesperson or its "
        "statement responsible, each falling back on the other.",
    )
    activity_user_id = fields.Many2one(
        "res.users",
        string="Fallback User",
        domain="[('share', '=', False)]",
        help="Gets the activity when the customer has neither a salesperson nor a statement "
        "responsible; otherwise the user running the dunning.",
    )
    legal_notice = fields.Boolean(
        help="The printed letter is the final notice before legal action (最后催款通知函).",
    )
    payment_days = fields.Integer(
        string="Days to Pay",
        default=7,
        help="The letter asks the customer to pay within this many days.",
    )
    record_count = fields.Integer(compute="_compute_record_count", string="Reminders Sent")

    @api.constrains("channel", "mail_template_id")
    def _check_mail_template(self):
        for level in self:
            if level.channel == "email" and not level.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "The email dunning level %(level)s needs an email template.",
                        level=level.name,
                    )
                )
            template_model = level.mail_template_id.model
            if level.mail_template_id and template_model != "customer.dunning.record":
                raise ValidationError(
                    self.env._(
                        "The email template of dunning level %(level)s must be made for "
                        "dunning records.",
                        level=level.name,
                    )
                )

    def _compute_record_count(self):
        counts = dict(
            self.env["customer.dunning.record"]._read_group(
                [("level_id", "in", self.ids)], ["level_id"], ["__count"]
            )
        )
        for level in self:
            level.record_count = counts.get(level, 0)

    # ------------------------------------------------------------------
    # Finding what to dun
    # ------------------------------------------------------------------
    @api.model
    def _blocked_fallbacks(self, companies):
        """``{company id: bool}``: "do not dun" of customers with no value of their own."""
        field = self.env["res.partner"]._fields["dunning_blocked"]
        return {
            str(company.id): bool(
                field.get_company_dependent_fallback(self.env["res.partner"].with_company(company))
            )
            for company in companies
        }

    @api.model
    def _ladder_companies(self, companies):
        """``{company id: id of the company whose levels dun it}``: its own,
        or for a branch with no level (active or archived) of its own, its
        nearest parent company's that has some."""
        levels = self.sudo().with_context(active_test=False)
        with_levels = levels.search([("company_id", "parent_of", companies.ids)]).company_id
        return {
            company.id: (company._nearest_of(with_levels) or company).id for company in companies
        }

    @api.model
    def _get_dunning_groups(self, companies, today=None):
        """What the dunning run has to send today, found in one query.

        For the active levels of ``companies``, the query takes the posted
        customer invoices with an amount still due (company currency) that
        are not excluded from dunning, whose customer (commercial partner) is
        not on "do not dun" in the invoice's company, and that no open
        dispute covers: neither a disputed statement line of the invoice nor
        a dispute of a whole statement (no line given) listing it, except
        that a balance stated by currency and disputed in one of them holds
        that currency's lines only (a currency not asked about is not held:
        what was open in it nets to nothing at the cut-off). A customer
        who owes nothing in the company and its branches once its open credit
        notes and unmatched payments there are counted (a payment not yet
        reconciled with the invoice; Odoo's credit counts the receivables of
        a company and its branches together) is not dunned. Those credits
        pay the customer's invoices of the company and its branches in their
        currency, the most overdue first: the invoices they pay in full
        are not dunned, and the one they pay in part is asked for what they
        leave.

        For each invoice it picks the highest level reached, i.e. the last
        one in the level order whose ``days`` are at most ``today`` (the
        company's, unless given) minus the due date of its oldest unpaid
        instalment (see ``account.move._dunning_due_date``; the credits that
        pay an invoice in part pay its oldest instalments), and keeps the invoice
        only when it has received neither that level nor any later one: a
        level is never sent twice for an invoice, and a customer never goes
        back down the ladder. Archived levels keep their place in the order,
        so an invoice that had a level since archived gets no lower one. A
        legal notice level is only reached by an invoice that was sent an
        earlier level (the notice says the customer was reminded before): an
        invoice first seen past it gets the highest other level, and the
        notice at the next run.

        A final notice states the customer's whole overdue debt: for a
        legal notice level the query also gives the customer's other overdue
        invoices in the currency (dunnable ones, past the due date of their
        oldest unpaid instalment), listed on the notice without being sent
        its level.

        :return: list of ``(company id, commercial partner id, level id,
            currency id, [invoice ids], [other overdue invoice ids],
            {invoice id: amount})``, one per customer, level and invoice
            currency, ordered by customer, company, level order and currency;
            the amounts are what unmatched credits in its currency take off
            an invoice they pay in part, in that currency.
        """
        if not companies:
            return []
        # Credits net across a company and its branches, as Odoo's credit
        # counts their receivables together: all their invoices are read, and
        # those of ``companies`` dunned.
        tree = self.env["res.company"].sudo().search([("id", "child_of", companies.root_id.ids)])
        ladders = self._ladder_companies(tree)
        Dispute = self.env["customer.statement.dispute"]
        dispute_lines = Dispute._fields["line_ids"]
        Record = self.env["customer.dunning.record"]
        record_invoices = Record._fields["invoice_ids"]
        query = SQL(
            """
            WITH ranked_level AS (
                SELECT id, company_id, days, active, legal_notice,
                       ROW_NUMBER() OVER (
                           PARTITION BY company_id ORDER BY sequence, days, id
                       ) AS rank
                  FROM customer_dunning_level
                 WHERE company_id = ANY(%(ladder_ids)s)
            ),
            level AS (
                SELECT * FROM ranked_level WHERE active
            ),
            dispute_line AS (
                SELECT %(dispute_col)s AS dispute_id, %(line_col)s AS line_id
                  FROM %(dispute_rel)s
            ),
            disputed AS (
                SELECT DISTINCT statement_line.move_ref AS move_id
                  FROM customer_statement_dispute dispute
                  JOIN customer_statement_line statement_line
                    ON statement_line.statement_id = dispute.statement_id
                 WHERE dispute.state = 'open'
                   AND statement_line.move_ref IS NOT NULL
                   AND (
                        EXISTS (
                            SELECT 1 FROM dispute_line
                             WHERE dispute_line.dispute_id = dispute.id
                               AND dispute_line.line_id = statement_line.id
                        )
                        OR NOT EXISTS (
                            SELECT 1 FROM dispute_line
                             WHERE dispute_line.dispute_id = dispute.id
                        )
                        AND (
                            statement_line.currency_ref = dispute.currency_id
                            -- a balance stated as one amount: all the lines
                            OR NOT EXISTS (
                                SELECT 1 FROM customer_statement_reply_balance stated
                                 WHERE stated.reply_id = dispute.reply_id
                                   AND stated.currency_id <> dispute.currency_id
                            )
                        )
                   )
            ),
            candidate AS (
                SELECT move.id AS move_id,
                       move.company_id,
                       split_part(company.parent_path, '/', 1)::int AS root_id,
                       (%(ladders)s::jsonb ->> move.company_id::text)::int AS ladder_id,
                       move.commercial_partner_id AS partner_id,
                       move.currency_id,
                       move.amount_residual_signed AS residual,
                       move.amount_residual AS residual_currency,
                       (%(todays)s::jsonb ->> move.company_id::text)::date
                           - COALESCE(
                               -- the oldest instalment still unpaid (the
                               -- invoice's due date is its last one)
                               (SELECT MIN(term.date_maturity)
                                  FROM account_move_line term
                                 WHERE term.move_id = move.id
                                   AND term.display_type = 'payment_term'
                                   AND term.amount_residual > 0),
                               move.invoice_date_due
                           ) AS days_due
                  FROM account_move move
                  JOIN res_company company ON company.id = move.company_id
                  JOIN res_partner partner ON partner.id = move.commercial_partner_id
                 WHERE move.move_type = 'out_invoice'
                   AND move.state = 'posted'
                   AND move.amount_residual_signed > 0
                   AND move.invoice_date_due IS NOT NULL
                   AND move.dunning_excluded IS NOT TRUE
                   AND move.company_id = ANY(%(tree_ids)s)
                   AND NOT COALESCE(
                        (partner.dunning_blocked ->> move.company_id::text)::boolean,
                        (%(fallbacks)s::jsonb ->> move.company_id::text)::boolean,
                        FALSE
                   )
                   AND NOT EXISTS (
                        SELECT 1 FROM disputed WHERE disputed.move_id = move.id
                   )
            ),
            sent AS (
                -- the highest level (in the order, archived ones included)
                -- each candidate invoice was sent
                SELECT sent.%(move_col)s AS move_id, MAX(sent_level.rank) AS rank
                  FROM %(record_rel)s sent
                  JOIN customer_dunning_record record ON record.id = sent.%(record_col)s
                  JOIN ranked_level sent_level ON sent_level.id = record.level_id
                 WHERE sent.%(move_col)s IN (SELECT move_id FROM candidate)
              GROUP BY sent.%(move_col)s
            ),
            net_by_currency AS (
                -- per currency, what the customer owes in the company and its
                -- branches (whose receivables Odoo's credit counts together),
                -- net of its open credit notes and payments not matched to an
                -- invoice yet, and how much those come to in that currency
                SELECT split_part(company.parent_path, '/', 1)::int AS root_id,
                       partner.commercial_partner_id AS partner_id,
                       line.currency_id,
                       SUM(line.amount_residual) AS balance,
                       COALESCE(-SUM(line.amount_residual_currency) FILTER (
                           WHERE line.amount_residual_currency < 0), 0) AS unapplied
                  FROM account_move_line line
                  JOIN res_company company ON company.id = line.company_id
                  JOIN account_account account ON account.id = line.account_id
                  JOIN res_partner partner ON partner.id = line.partner_id
                 WHERE line.parent_state = 'posted'
                   AND account.account_type = 'asset_receivable'
                   AND line.reconciled IS NOT TRUE
                   AND line.company_id = ANY(%(tree_ids)s)
                   AND partner.commercial_partner_id IN (SELECT partner_id FROM candidate)
              GROUP BY 1, partner.commercial_partner_id, line.currency_id
            ),
            net AS (
                -- what the customer owes in the company, in company currency
                SELECT root_id, partner_id, SUM(balance) AS balance
                  FROM net_by_currency
              GROUP BY root_id, partner_id
            ),
            applied AS (
                -- what those take off the invoices in their currency, the
                -- most overdue first (in the invoice's currency)
                SELECT running.move_id, running.company_id, running.root_id, running.partner_id,
                       LEAST(running.residual_currency,
                             unapplied.unapplied
                                 - (running.paid_up_to - running.residual_currency)) AS amount,
                       running.residual_currency AS residual
                  FROM (
                        SELECT candidate.move_id, candidate.company_id, candidate.root_id,
                               candidate.partner_id, candidate.currency_id,
                               candidate.residual_currency,
                               SUM(candidate.residual_currency) OVER (
                                   PARTITION BY candidate.root_id, candidate.partner_id,
                                                candidate.currency_id
                                   ORDER BY candidate.days_due DESC, candidate.move_id
                               ) AS paid_up_to
                          FROM candidate
                       ) running
                  JOIN net_by_currency unapplied
                    ON unapplied.root_id = running.root_id
                   AND unapplied.partner_id = running.partner_id
                   AND unapplied.currency_id = running.currency_id
                 WHERE running.paid_up_to - running.residual_currency < unapplied.unapplied
            ),
            covered AS (
                -- the invoices they pay in full: not dunned
                SELECT move_id FROM applied WHERE amount >= residual
            ),
            partly AS (
                -- the one each customer's credits pay in part, and how much
                SELECT root_id, partner_id, jsonb_object_agg(move_id, amount) AS amounts
                  FROM applied
                 WHERE amount < residual
              GROUP BY root_id, partner_id
            ),
            shifted AS (
                -- the invoices the credits pay in part: their days past due
                -- count from the oldest instalment the credits leave unpaid
                -- (they pay the oldest ones first)
                SELECT applied.move_id,
                       (%(todays)s::jsonb ->> applied.company_id::text)::date
                           - MIN(term.date_maturity) AS days_due
                  FROM applied
                  JOIN LATERAL (
                       SELECT t.date_maturity,
                              SUM(t.amount_residual_currency) OVER (
                                  ORDER BY t.date_maturity, t.id
                              ) AS paid_up_to
                         FROM account_move_line t
                        WHERE t.move_id = applied.move_id
                          AND t.display_type = 'payment_term'
                          AND t.amount_residual > 0
                       ) term ON term.paid_up_to > applied.amount
                 WHERE applied.amount > 0 AND applied.amount < applied.residual
              GROUP BY applied.move_id, applied.company_id
            ),
            due AS (
                SELECT candidate.move_id, candidate.company_id, candidate.root_id,
                       candidate.ladder_id, candidate.partner_id, candidate.currency_id,
                       COALESCE(shifted.days_due, candidate.days_due) AS days_due
                  FROM candidate
             LEFT JOIN shifted ON shifted.move_id = candidate.move_id
            ),
            reached AS (
                SELECT DISTINCT ON (candidate.move_id)
                       candidate.move_id, candidate.company_id, candidate.root_id,
                       candidate.partner_id, candidate.currency_id, level.id AS level_id,
                       level.rank, level.legal_notice, sent.rank AS sent_rank
                  FROM due candidate
             LEFT JOIN sent ON sent.move_id = candidate.move_id
                  JOIN net
                    ON net.root_id = candidate.root_id
                   AND net.partner_id = candidate.partner_id
                   AND net.balance > 0
                  JOIN level
                    ON level.company_id = candidate.ladder_id
                   AND level.days <= candidate.days_due
                 WHERE candidate.company_id = ANY(%(company_ids)s)
                   AND candidate.move_id NOT IN (SELECT move_id FROM covered)
                   AND (level.legal_notice IS NOT TRUE
                    -- a legal notice follows an earlier reminder of the invoice
                    OR sent.rank < level.rank
                    OR NOT EXISTS (
                        SELECT 1 FROM level lower
                         WHERE lower.company_id = level.company_id
                           AND lower.rank < level.rank
                    ))
              ORDER BY candidate.move_id, level.rank DESC
            ),
            grouped AS (
                SELECT reached.company_id, reached.root_id, reached.partner_id,
                       reached.level_id, reached.rank, reached.currency_id, reached.legal_notice,
                       ARRAY_AGG(reached.move_id ORDER BY reached.move_id) AS move_ids
                  FROM reached
                 WHERE reached.sent_rank IS NULL OR reached.sent_rank < reached.rank
              GROUP BY reached.company_id, reached.root_id, reached.partner_id, reached.level_id,
                       reached.rank, reached.currency_id, reached.legal_notice
            )
            SELECT grouped.company_id, grouped.partner_id, grouped.level_id,
                   grouped.currency_id, grouped.move_ids,
                   -- a final notice also lists the customer's other overdue invoices
                   CASE WHEN grouped.legal_notice THEN ARRAY(
                       SELECT other.move_id FROM due other
                        WHERE other.company_id = grouped.company_id
                          AND other.partner_id = grouped.partner_id
                          AND other.currency_id = grouped.currency_id
                          AND other.days_due > 0
                          AND other.move_id <> ALL(grouped.move_ids)
                          AND other.move_id NOT IN (SELECT move_id FROM covered)
                     ORDER BY other.move_id
                   ) ELSE ARRAY[]::integer[] END,
                   -- what unmatched payments and credit notes take off the
                   -- invoice they pay in part
                   COALESCE(partly.amounts, '{}')
              FROM grouped
         LEFT JOIN partly
                ON partly.root_id = grouped.root_id
               AND partly.partner_id = grouped.partner_id
          ORDER BY grouped.partner_id, grouped.company_id, grouped.rank, grouped.currency_id
            """,
            company_ids=companies.ids,
            tree_ids=tree.ids,
            ladder_ids=list(set(ladders.values())),
            ladders=json.dumps(ladders),
            todays=json.dumps(
                {
                    company.id: fields.Date.to_string(today or company._reconciliation_today())
                    for company in tree
                }
            ),
            fallbacks=json.dumps(self._blocked_fallbacks(tree)),
            dispute_rel=SQL.identifier(dispute_lines.relation),
            dispute_col=SQL.identifier(dispute_lines.column1),
            line_col=SQL.identifier(dispute_lines.column2),
            record_rel=SQL.identifier(record_invoices.relation),
            record_col=SQL.identifier(record_invoices.column1),
            move_col=SQL.identifier(record_invoices.column2),
        )
        self.env.flush_all()
        # One query over every open invoice: PostgreSQL's JIT compilation of
        # it costs more than the query itself (4.3-4.6 s against 1.7-1.8 s
        # for 10,000 customers).
        self.env.cr.execute("SET LOCAL jit = off")
        # Its CTEs come with rough row estimates (a few dozen invoices for
        # tens of thousands): a nested loop over them would run minutes.
        self.env.cr.execute("SET LOCAL enable_nestloop = off")
        rows = self.env.execute_query(query)
        self.env.cr.execute("RESET enable_nestloop")
        return rows

    # ------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------
    @api.model
    @in_user_language
    def _cron_dun(self):
        """Scheduled action: dun the customers of every company that has
        levels, and of their branches that have none."""
        with_levels = self.sudo()._read_group([("active", "=", True)], ["company_id"])
        companies = self.env["res.company"].browse([company.id for [company] in with_levels])
        branches = self.env["res.company"].sudo().search([("id", "child_of", companies.ids)])
        ladders = self._ladder_companies(branches)
        companies = branches.filtered(lambda company: ladders[company.id] in companies.ids)
        summary = self.with_context(allowed_company_ids=companies.ids)._run_dunning(companies)
        _logger.info("Dunning run: %s", summary)
        return summary

    @api.model
    def _run_dunning(self, companies, today=None):
        """Send what :meth:`_get_dunning_groups` finds, customer by customer.

        Customers are worked in chunks by the shared batch runner: each
        customer's messages are created in a savepoint, so a customer that
        fails is left as it was (noted on its chatter) and picked up again by
        the next run, while the others go on. The run is idempotent: what was
        sent is recorded and not sent again.

        :return: ``{'customers': n, 'messages': n, 'failed': n}``
        """
        rows = self._get_dunning_groups(companies, today)
        groups = defaultdict(list)
        applied = {}  # invoice id: what unmatched credits take off it
        for __, partner_id, level_id, __, move_ids, other_ids, amounts in rows:
            groups[partner_id].append((level_id, move_ids, other_ids))
            applied.update((int(move_id), amount) for move_id, amount in amounts.items())
        partners = self.env["res.partner"].browse(list(groups))
        all_move_ids = [move_id for row in rows for move_id in row[4] + row[5]]
        levels = self.browse({row[2] for row in rows})
        Move = self.env["account.move"]
        Record = self.env["customer.dunning.record"].with_context(
            # Queued, not sent at once: a rolled back customer then sends nothing.
            mail_notify_force_send=False,
            mail_create_nosubscribe=True,
        )

        made = Counter()  # customer id: reminders made (set again when retried alone)

        def process(chunk):
            records = Record._dun(
                [
                    (
                        levels.browse(level_id).with_prefetch(levels._prefetch_ids),
                        partner,
                        Move.browse(move_ids).with_prefetch(all_move_ids),
                        Move.browse(other_ids).with_prefetch(all_move_ids),
                    )
                    for partner in chunk
                    for level_id, move_ids, other_ids in groups[partner.id]
                ],
                today,
                applied,
            )
            for partner_id in chunk.ids:
                made[partner_id] = 0
            made.update(record.partner_id.id for record in records)

        def on_failure(partner, error):
            partner._message_log(
                body=Markup("<p>%s</p>")
                % self.env._(
                    "Dunning failed for this customer and will be tried again on the next "
                    "run: %(error)s",
                    error=str(error),
                )
            )

        done, failed = self.env["customer.reconciliation.batch"]._run_in_chunks(
            partners, process, chunk_size=DUNNING_CHUNK_SIZE, on_failure=on_failure
        )
        return {
            "customers": len(done),
            "messages": sum(made[partner_id] for partner_id in done.ids),
            "failed": len(failed),
        }

    def action_run_now(self):
        """Run the dunning of the current companies by hand and say what it did.

        Like the scheduled action it works as a system process (letters and
        activities go on customers the user may not edit), but only statement
        users may start it, and only for the companies they work in. It runs
        in one transaction that holds the scheduled action: neither starts
        while the other runs, and a customer is never dunned twice.
        """
        if not self.env.user.has_group("customer_reconciliation.group_statement_user"):
            raise AccessError(self.env._("Only statement users can run the dunning."))
        self.env["customer.reconciliation.batch"]._hold_scheduled_action(
            "customer_reconciliation.ir_cron_customer_dunning"
        )
        summary = (
            self.sudo()
            .with_context(customer_reconciliation_no_commit=True)
            ._run_dunning(self.env.companies)
        )
        message = self.env._(
            "%(messages)s reminder(s) sent to %(customers)s customer(s); %(failed)s customer(s) "
            "failed and will be retried.",
            **summary,
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Dunning"),
                "message": message,
                "type": "warning" if summary["failed"] else "success",
                "sticky": bool(summary["failed"]),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_view_records(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_reconciliation.action_customer_dunning_record"
        )
        action["domain"] = [("level_id", "=", self.id)]
        return action
