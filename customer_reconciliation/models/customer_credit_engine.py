"""Credit scoring: each customer's payment behaviour, from the ledger, in SQL.

One query per company reads every factor of every customer; Python only
turns the factor values into points, a score and a grade (a few arithmetic
operations per customer), and one INSERT writes the ratings.
"""

import json
import logging
from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.scheduler import in_user_language
from .customer_credit_factor import FACTORS, factor_points

_logger = logging.getLogger(__name__)

FACTOR_CODES = [code for code, __ in FACTORS]
RATING_COLUMNS = [
    "partner_id",
    "company_id",
    "date",
    "is_current",
    "rated",
    "score",
    "grade_id",
    "previous_grade_id",
    "downgraded",
    "grade_kept",
    *FACTOR_CODES,
    "invoice_count",
    "paid_invoice_count",
    "open_amount",
    "overdue_amount",
    "dso",
    "statement_count",
    "confirmation_rate",
    "suggested_limit",
    "points",
]


class CustomerCreditEngine(models.AbstractModel):
    _name = "customer.credit.engine"
    _description = "Customer Credit Scoring Engine"

    @api.model
    @in_user_language
    def _cron_rate_customers(self):
        """Scheduled action: rate the customers of every company, one company per chunk."""
        companies = self.env["res.company"].sudo().search([("active", "=", True)])
        summary = {"rated": 0, "not_rated": 0, "downgraded": 0, "follow_up_failed": 0}

        def process(company_chunk):
            for company in company_chunk:
                for key, value in self.with_company(company)._rate_company(company).items():
                    summary[key] += value

        def noted(company, error):
            policy = self.env["customer.credit.policy"].sudo()._get_policy(company)
            where = "" if policy.company_id == company else f"{company.name}: "
            policy.last_failure = f"{fields.Datetime.now()}: {where}{error}"[:2000]

        __, failed = self.env["customer.reconciliation.batch"]._run_in_chunks(
            companies, process, chunk_size=1, on_failure=noted
        )
        summary["failed"] = len(failed)
        _logger.info("Credit rating: %s", summary)
        return summary

    # ------------------------------------------------------------------
    # Factors
    # ------------------------------------------------------------------
    @api.model
    def _factor_values(self, company, today, window_months, partner_ids=None, on_time_tolerance=0):
        """Raw factor values of the company's customers, one dict per customer.

        Returns, per commercial partner with a posted receivable item in the
        company: the number of customer invoices in the window and of those
        fully paid; the amount-weighted average days paid beyond the due date
        (each payment of an instalment weighs what it paid) and the share of
        paid invoices paid by their due dates (every instalment paid by its
        due date but for at most ``on_time_tolerance`` percent of it); the
        open and overdue receivable
        today, net of credit notes and payments not matched yet (what Odoo's
        credit-limit test counts), the oldest overdue item's days, the credit
        limit used; the months since the first invoice, the average monthly
        sales of the window, net of its credit notes, and DSO; the statements
        of the window, how many were disputed and confirmed, and the average
        days to a reply. An invoice cancelled by a credit note, and that
        credit note, count for nothing.
        """
        window_start = today - relativedelta(months=window_months)
        window_days = (today - window_start).days
        self.env["account.move.line"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        self.env["account.move"].flush_model(
            ["move_type", "invoice_date", "state", "payment_state", "reversed_entry_id"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id", "credit_limit"])
        self.env["customer.statement"].flush_model()
        self.env["customer.statement.dispute"].flush_model(["statement_id"])
        partner_filter = (
            SQL("AND p.commercial_partner_id = ANY(%s)", list(partner_ids))
            if partner_ids
            else SQL()
        )
        return self.env.execute_query_dict(
            SQL(
                """
                WITH receivable AS (
                    SELECT p.commercial_partner_id AS partner_id, l.id, l.move_id, l.balance,
                           l.amount_residual, COALESCE(l.date_maturity, l.date) AS due,
                           m.move_type, m.invoice_date, m.payment_state,
                           reversed.payment_state AS reversed_state
                      FROM account_move_line l
                      JOIN account_account a ON a.id = l.account_id
                      JOIN account_move m ON m.id = l.move_id
                      JOIN res_partner p ON p.id = l.partner_id
                 LEFT JOIN account_move reversed ON reversed.id = m.reversed_entry_id
                     WHERE a.account_type = 'asset_receivable'
                       AND l.parent_state = 'posted'
                       AND l.company_id = %(company)s
                       -- as of today: not what is dated after it
                       AND l.date <= %(today)s
                       %(partner_filter)s
                ),
                invoices AS (
                    -- an invoice cancelled by a credit note was neither a sale
                    -- nor paid (late or not); one row per instalment
                    SELECT *, COUNT(*) OVER (PARTITION BY move_id) AS terms
                      FROM receivable
                     WHERE move_type = 'out_invoice'
                       AND payment_state IS DISTINCT FROM 'reversed'
                ),
                refunds AS (
                    -- credit notes of the window (returns, discounts), but not
                    -- the ones cancelling a whole invoice
                    SELECT partner_id, SUM(balance) AS amount
                      FROM receivable
                     WHERE move_type = 'out_refund'
                       AND reversed_state IS DISTINCT FROM 'reversed'
                       AND invoice_date >= %(window_start)s
                     GROUP BY partner_id
                ),
                paid AS (
                    -- each paid instalment: its days beyond terms weighted by
                    -- what each payment paid, and what was paid after its due date
                    SELECT i.partner_id, i.move_id, i.terms, i.balance, i.due,
                           SUM(pr.amount * GREATEST(pr.max_date - i.due, 0)) AS late_amount,
                           SUM(pr.amount) AS paid_amount,
                           COALESCE(SUM(pr.amount) FILTER (WHERE pr.max_date > i.due), 0)
                               AS paid_late
                      FROM invoices i
                      JOIN account_partial_reconcile pr ON pr.debit_move_id = i.id
                     WHERE i.amount_residual = 0
                       AND pr.max_date <= %(today)s
                       AND i.invoice_date >= %(window_start)s
                     GROUP BY i.id, i.partner_id, i.move_id, i.terms, i.balance, i.due
                ),
                paid_invoice AS (
                    -- invoices with every instalment paid, on time when each was
                    -- but for a small remainder (bank charges written off later)
                    SELECT partner_id,
                           BOOL_AND(paid_late <= balance * %(tolerance)s / 100) AS on_time
                      FROM paid
                     GROUP BY partner_id, move_id
                    HAVING COUNT(*) = MAX(terms)
                ),
                paid_stats AS (
                    SELECT partner_id,
                           SUM(late_amount) / NULLIF(SUM(paid_amount), 0) AS days_beyond_terms
                      FROM paid GROUP BY partner_id
                ),
                paid_invoice_stats AS (
                    SELECT partner_id, COUNT(*) AS paid_count,
                           100.0 * COUNT(*) FILTER (WHERE on_time) / COUNT(*) AS on_time_rate
                      FROM paid_invoice GROUP BY partner_id
                ),
                invoice_stats AS (
                    SELECT partner_id,
                           COUNT(DISTINCT move_id) FILTER (WHERE invoice_date >= %(window_start)s)
                               AS invoice_count,
                           COALESCE(SUM(balance) FILTER (WHERE invoice_date >= %(window_start)s),
                                    0) AS window_sales,
                           MIN(invoice_date) AS first_invoice
                      FROM invoices GROUP BY partner_id
                ),
                gross_stats AS (
                    SELECT partner_id,
                           SUM(amount_residual) AS net_open,
                           COALESCE(SUM(amount_residual)
                               FILTER (WHERE amount_residual > 0 AND due < %(today)s), 0)
                               AS overdue_amount,
                           COALESCE(MAX(%(today)s - due)
                               FILTER (WHERE amount_residual > 0 AND due < %(today)s), 0)
                               AS oldest_overdue_days
                      FROM receivable GROUP BY partner_id
                ),
                open_stats AS (
                    -- net of credit notes and payments not matched yet: a
                    -- customer whose unmatched payment covers its invoices
                    -- owes nothing and is overdue with nothing
                    SELECT partner_id,
                           GREATEST(net_open, 0) AS open_amount,
                           LEAST(overdue_amount, GREATEST(net_open, 0)) AS overdue_amount,
                           CASE WHEN net_open > 0 THEN oldest_overdue_days ELSE 0 END
                               AS oldest_overdue_days
                      FROM gross_stats
                ),
                statement_stats AS (
                    SELECT s.partner_id, COUNT(*) AS statement_count,
                           COUNT(*) FILTER (WHERE EXISTS (
                               SELECT 1 FROM customer_statement_dispute d
                                WHERE d.statement_id = s.id)) AS disputed_count,
                           COUNT(*) FILTER (WHERE s.state IN ('confirmed', 'deemed'))
                               AS confirmed_count,
                           AVG(CASE
                               WHEN s.state = 'confirmed'
                                   THEN s.confirmed_date::date - s.sent_date::date
                               WHEN s.state = 'deemed'
                                   THEN s.reply_deadline - s.sent_date::date
                               WHEN s.state = 'sent'
                                   THEN %(today)s - s.sent_date::date
                               END) AS confirmation_days
                      FROM customer_statement s
                     WHERE s.company_id = %(company)s
                       AND s.sent_date IS NOT NULL
                       AND s.date_to >= %(window_start)s
                       AND s.state IN ('sent', 'confirmed', 'disputed', 'deemed', 'superseded')
                     GROUP BY s.partner_id
                )
                SELECT o.partner_id,
                       COALESCE(i.invoice_count, 0) AS invoice_count,
                       COALESCE(pis.paid_count, 0) AS paid_invoice_count,
                       ps.days_beyond_terms, pis.on_time_rate,
                       o.open_amount, o.overdue_amount, o.oldest_overdue_days,
                       CASE WHEN o.open_amount > 0
                            THEN 100.0 * o.overdue_amount / o.open_amount ELSE 0 END
                           AS overdue_ratio,
                       CASE WHEN COALESCE((cp.credit_limit ->> %(company_key)s)::numeric,
                                          %(default_limit)s) > 0
                            THEN 100.0 * o.open_amount
                                 / COALESCE((cp.credit_limit ->> %(company_key)s)::numeric,
                                            %(default_limit)s) END
                           AS limit_utilisation,
                       CASE WHEN i.first_invoice IS NOT NULL
                            THEN (%(today)s - i.first_invoice) / 30.4375 END
                           AS tenure_months,
                       GREATEST(COALESCE(i.window_sales, 0) + COALESCE(r.amount, 0), 0)
                           / %(window_months)s AS monthly_sales,
                       CASE WHEN COALESCE(i.window_sales, 0) + COALESCE(r.amount, 0) > 0
                            THEN o.open_amount / (i.window_sales + COALESCE(r.amount, 0))
                                 * %(window_days)s END AS dso,
                       COALESCE(ss.statement_count, 0) AS statement_count,
                       100.0 * ss.disputed_count / NULLIF(ss.statement_count, 0)
                           AS dispute_rate,
                       100.0 * ss.confirmed_count / NULLIF(ss.statement_count, 0)
                           AS confirmation_rate,
                       ss.confirmation_days
                  FROM open_stats o
                  JOIN res_partner cp ON cp.id = o.partner_id
                  LEFT JOIN invoice_stats i ON i.partner_id = o.partner_id
                  LEFT JOIN paid_stats ps ON ps.partner_id = o.partner_id
                  LEFT JOIN paid_invoice_stats pis ON pis.partner_id = o.partner_id
                  LEFT JOIN refunds r ON r.partner_id = o.partner_id
                  LEFT JOIN statement_stats ss ON ss.partner_id = o.partner_id
                 ORDER BY o.partner_id
                """,
                company=company.id,
                company_key=str(company.id),
                # The company's default credit limit, for customers without one.
                default_limit=self.env["res.partner"]
                ._fields["credit_limit"]
                .get_company_dependent_fallback(self.env["res.partner"].with_company(company))
                or 0.0,
                partner_filter=partner_filter,
                window_start=window_start,
                tolerance=on_time_tolerance or 0,
                window_months=window_months,
                window_days=window_days,
                today=today,
            )
        )

    # ------------------------------------------------------------------
    # Scores
    # ------------------------------------------------------------------
    @api.model
    def _score(self, values, factors):
        """``(score, points)`` of one customer; factors without a value are left out
        and the weights of the others are scaled up to 100."""
        points = {}
        total = weight_sum = 0.0
        for factor in factors:
            value = values.get(factor["code"])
            value = None if value is None else float(value)
            factor_pts = factor_points(value, factor["best"], factor["worst"])
            points[factor["code"]] = [
                None if value is None else round(value, 2),
                factor_pts,
                factor["weight"],
            ]
            if factor_pts is not None:
                total += factor_pts * factor["weight"]
                weight_sum += factor["weight"]
        score = round(total / weight_sum, 1) if weight_sum else None
        return score, points

    @api.model
    def _rate_company(self, company, partner_ids=None, today=None):
        """Rate the customers of ``company`` (or only ``partner_ids``).

        Writes one current rating per customer, keeps the previous ones as
        history, notifies salespeople of downgrades and, if the policy says
        so, applies the grade's credit limit and payment term.
        """
        policy = self.env["customer.credit.policy"]._get_policy(company)
        today = today or company._reconciliation_today()
        factors = [
            {"code": f.code, "weight": f.weight, "best": f.best, "worst": f.worst}
            for f in policy.factor_ids.filtered("active")
        ]
        grades = policy.grade_ids.sorted("min_score", reverse=True)
        rows = self._factor_values(
            company,
            today,
            policy.window_months,
            partner_ids,
            on_time_tolerance=policy.on_time_tolerance,
        )
        previous = {
            rating.partner_id.id: rating
            for rating in self.env["customer.credit.rating"].search(
                [("company_id", "=", company.id), ("is_current", "=", True)]
                + ([("partner_id", "in", list(partner_ids))] if partner_ids else [])
            )
        }
        now = fields.Datetime.now()
        records = []
        summary = {"rated": 0, "not_rated": 0, "downgraded": 0}
        downgraded, changed = [], {}
        for row in rows:
            old = previous.get(row["partner_id"])
            old_grade = old.grade_id if old else grades.browse()
            rated = row["invoice_count"] >= policy.min_invoices
            score, points = self._score(row, factors)
            grade = grades.browse()
            kept = False
            if rated and score is not None:
                grade = next((g for g in grades if score >= g.min_score), grades[-1:])
            elif old and old.rated and old_grade in grades:
                # Too little new history: the last grade stands (a blocked
                # customer must not get its credit back by not buying).
                grade, score, kept = old_grade, old.score, True
            is_down = bool(old_grade and grade and grade.min_score < old_grade.min_score)
            suggested = float(row["monthly_sales"] or 0) * (grade.limit_months or 0.0)
            summary["rated" if grade else "not_rated"] += 1
            if is_down:
                summary["downgraded"] += 1
                downgraded.append((row["partner_id"], old_grade, grade, score))
            if grade and grade != old_grade:
                changed[row["partner_id"]] = (grade, suggested)
            records.append(
                {
                    **{code: row.get(code) for code in FACTOR_CODES},
                    "partner_id": row["partner_id"],
                    "company_id": company.id,
                    "date": now,
                    "is_current": True,
                    "rated": bool(grade),
                    "score": score if grade else None,
                    "grade_id": grade.id or None,
                    "previous_grade_id": old_grade.id or None,
                    "downgraded": is_down,
                    "grade_kept": kept,
                    "invoice_count": row["invoice_count"],
                    "paid_invoice_count": row["paid_invoice_count"],
                    "open_amount": row["open_amount"],
                    "overdue_amount": row["overdue_amount"],
                    "dso": row["dso"],
                    "statement_count": row["statement_count"],
                    "confirmation_rate": row["confirmation_rate"],
                    "suggested_limit": round(suggested, 2),
                    "points": points,
                }
            )
        failed = self._after_rating(company, policy, downgraded, changed, today)
        records = [record for record in records if record["partner_id"] not in failed]
        self._write_ratings(company, records, [r["partner_id"] for r in records])
        # A branch rated with its parent's policy leaves the parent's failure.
        done = {"last_run": now}
        if policy.company_id == company:
            done["last_failure"] = False
        policy.sudo().write(done)
        summary["follow_up_failed"] = len(failed)
        return summary

    @api.model
    def _write_ratings(self, company, records, partner_ids):
        """Retire the current ratings of the partners and insert the new ones."""
        Rating = self.env["customer.credit.rating"]
        Rating.flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE customer_credit_rating SET is_current = FALSE
                 WHERE company_id = %s AND is_current AND partner_id = ANY(%s)
                """,
                company.id,
                partner_ids,
            )
        )
        if records:
            columns = SQL(", ").join(SQL.identifier(column) for column in RATING_COLUMNS)
            payload = json.dumps(records, default=str)
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO customer_credit_rating (%(columns)s, create_uid, write_uid,
                                                        create_date, write_date)
                    SELECT %(columns)s, %(uid)s, %(uid)s, %(now)s, %(now)s
                      FROM json_populate_recordset(NULL::customer_credit_rating, %(rows)s)
                    """,
                    columns=columns,
                    uid=self.env.uid,
                    now=fields.Datetime.now(),
                    rows=payload,
                )
            )
        Rating.invalidate_model()
        Partner = self.env["res.partner"]
        Partner.invalidate_model(Partner._credit_rating_fields())

    @api.model
    def _after_rating(self, company, policy, downgraded, changed, today):
        """Activities for downgrades; limits and terms when the policy applies them.

        It runs before the ratings are written, each customer in its own
        savepoint: a customer whose follow-up fails (a constraint of another
        addon on the partner, say) is noted on its chatter and keeps its
        previous rating, limit and term, so that the next rating finds the
        same change and tries again; the other customers go on.

        :return: the ids of the customers whose follow-up failed
        """
        Partner = self.env["res.partner"].with_company(company)
        follow_ups = defaultdict(dict)
        for partner_id, old_grade, grade, score in downgraded:
            follow_ups[partner_id]["downgrade"] = (old_grade, grade, score)
        if policy.apply_suggestions:
            for partner_id, change in changed.items():
                follow_ups[partner_id]["change"] = change
        failed = set()
        for partner_id, follow_up in follow_ups.items():
            partner = Partner.browse(partner_id)
            try:
                with self.env.cr.savepoint():
                    if "downgrade" in follow_up:
                        self._notify_downgrade(partner, *follow_up["downgrade"], today)
                    if "change" in follow_up:
                        self._apply_grade(partner, *follow_up["change"])
            except Exception as error:  # noqa: BLE001 - one customer must not stop the others
                failed.add(partner_id)
                _logger.warning("Credit follow-up failed for %s: %s", partner, error)
                with self.env.cr.savepoint():
                    partner._message_log(
                        body=Markup("<p>%s</p>")
                        % self.env._(
                            "The new credit grade could not be applied (activity, credit "
                            "limit, payment term); the previous rating stays and the next "
                            "rating tries again: %(error)s",
                            error=str(error)[:500],
                        )
                    )
        return failed

    @api.model
    def _notify_downgrade(self, partner, old_grade, grade, score, today):
        # The salesperson, else the statement responsible, else whoever
        # runs the rating, if an active internal user (not the scheduler's).
        user = (partner.user_id | partner.statement_user_id | self.env.user).filtered(
            lambda u: u.active and not u.share
        )[:1]
        partner.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=today + timedelta(days=2),
            summary=self.env._(
                "Credit grade down from %(old)s to %(new)s",
                old=old_grade.name,
                new=grade.name,
            ),
            note=self.env._("New credit score: %(score)s.", score=score),
            **({"user_id": user.id} if user else {}),
        )

    @api.model
    def _apply_grade(self, partner, grade, suggested):
        if partner.credit_grade_override_id:
            return
        values = grade._partner_values(suggested)
        if values:
            partner.write(values)
