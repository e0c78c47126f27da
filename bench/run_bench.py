"""Benchmark customer statements against OCA partner_statement and the SQL floor.

Usage (from the repository root, on a database made by ``build_ledger.py``)::

    python3 bench/run_bench.py --db cr_bench_10k

In one process, on one database, it times:

* the floor: one bare SQL aggregate of the same receivable journal items
  (per customer: opening, period debit and credit, closing, open amount at
  the cut-off);
* ``customer.statement.generate_statements`` for every customer and the
  benchmark month, cold (the period's statements are deleted first, so all
  are created) and warm (called again: it finds the drafts and recomputes
  them in place), each the best of three runs;
* OCA ``partner_statement``'s outstanding and activity statement data
  (``_get_report_values``, no rendering) for the same customers, contacts
  included, and the same period;
* the XLSX export of 50,000 statement lines
  (``customer.statement.xlsx._build_workbook``);
* the portal page and the credit-rating recompute, once they exist.

It checks that every statement's figures equal the floor's aggregates and
OCA's outstanding amounts, prints a table and writes it to
``bench/RESULTS.md`` (one section per database).
"""

import argparse
import cProfile
import gc
import importlib.metadata
import io
import json
import os
import platform
import pstats
import re
import resource
import subprocess
import sys
import time
import traceback
from collections import defaultdict
from datetime import date, datetime

import bench_env

from odoo.tools import SQL

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
PARAM_PREFIX = "customer_reconciliation_bench."
# What the portal stage changed, until it is undone (JSON).
UNDO_PARAM = "customer_reconciliation_bench_undo.portal"
TOLERANCE = 0.005

TARGETS = {
    "generation_seconds": 60.0,
    "floor_ratio": 3.0,
    "oca_speedup": 5.0,
    "xlsx_seconds": 5.0,
    "portal_seconds": 0.3,
    "rating_seconds": 30.0,
    "memory_growth": 1.5,  # peak RSS of the full size over the quick size, at most
}

FLOOR_SQL = """
    WITH ledger AS (
        SELECT p.commercial_partner_id AS partner_id, l.id, l.date, l.debit, l.credit,
               l.balance, l.amount_residual
          FROM account_move_line l
          JOIN account_account a ON a.id = l.account_id
          JOIN res_partner p ON p.id = l.partner_id
         WHERE a.account_type = 'asset_receivable'
           AND l.parent_state = 'posted'
           AND l.company_id = %(company)s
           AND l.date <= %(date_to)s
           AND p.commercial_partner_id = ANY(%(partners)s)
    ),
    later AS (
        SELECT id, sum(amount) AS amount
          FROM (SELECT debit_move_id AS id, amount
                  FROM account_partial_reconcile WHERE max_date > %(date_to)s
                 UNION ALL
                SELECT credit_move_id, -amount
                  FROM account_partial_reconcile WHERE max_date > %(date_to)s) x
         GROUP BY id
    )
    SELECT l.partner_id, count(*),
           COALESCE(sum(l.balance) FILTER (WHERE l.date < %(date_from)s), 0),
           COALESCE(sum(l.debit) FILTER (WHERE l.date >= %(date_from)s), 0),
           COALESCE(sum(l.credit) FILTER (WHERE l.date >= %(date_from)s), 0),
           sum(l.balance),
           sum(l.amount_residual) + COALESCE(sum(later.amount), 0)
      FROM ledger l
      LEFT JOIN later ON later.id = l.id
     GROUP BY l.partner_id
"""
HISTORY_MARKER = "<!-- history -->"
FLOOR_RUNS = 3  # the floor is the best of these runs
XLSX_RUNS = 3  # so is the XLSX export (the first one follows the generation's writes)
GEN_RUNS = 3  # and each generation, cold and warm
STATEMENT_TABLES = ["customer_statement", "customer_statement_line", "customer_statement_currency"]
FIGURES = ("opening", "debit", "credit", "closing", "open")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--xlsx-lines", type=int, default=50000)
    parser.add_argument(
        "--oca-chunk",
        type=int,
        default=1000,
        help="customers per partner_statement call (0: all in one call)",
    )
    parser.add_argument("--skip-oca", action="store_true")
    parser.add_argument(
        "--update",
        action="store_true",
        help="upgrade customer_reconciliation on the database first",
    )
    parser.add_argument("--results", default=RESULTS, help="markdown file to update")
    parser.add_argument("--no-results", action="store_true", help="do not write the file")
    parser.add_argument(
        "--cprofile",
        type=int,
        default=0,
        metavar="N",
        help="profile the cold generation and print its N costliest calls",
    )
    parser.add_argument("--log-level", default="warn")
    return parser.parse_args(argv)


def delete_statements(cr, ids):
    """Delete statements and what the mail thread keeps of them."""
    if not ids:
        return
    cr.execute("DELETE FROM customer_statement WHERE id = ANY(%s)", [ids])
    # (their lines have no foreign key to cascade: see customer.statement.line)
    cr.execute("DELETE FROM customer_statement_line WHERE statement_id = ANY(%s)", [ids])
    cr.execute(
        "DELETE FROM mail_followers WHERE res_model = 'customer.statement' AND res_id = ANY(%s)",
        [ids],
    )
    cr.execute(
        "DELETE FROM mail_message WHERE model = 'customer.statement' AND res_id = ANY(%s)", [ids]
    )


def peak_rss_mb():
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def speed_probe():
    """Seconds a fixed pure-Python loop takes, best of three: a gauge of how
    fast the (shared) machine runs at the moment."""
    timings = []
    for _run in range(3):
        started = time.perf_counter()
        sum(i * i for i in range(10**7))
        timings.append(time.perf_counter() - started)
    return min(timings)


class Stage:
    def __init__(self, key, label, seconds=None, rows=None, note=""):
        self.key = key
        self.label = label
        self.seconds = seconds
        self.rows = rows
        self.note = note
        self.peak = peak_rss_mb()


class Bench:
    def __init__(self, args):
        self.args = args
        self.db = args.db
        self.stages = []
        self.checks = []
        self.failed = False

    def log(self, message):
        print(f"[{time.perf_counter() - START:7.1f}s] {message}", flush=True)

    # -- context --------------------------------------------------------------
    def load_context(self, env):
        params = env["ir.config_parameter"].sudo()
        self.params = {
            row["key"][len(PARAM_PREFIX) :]: row["value"]
            for row in params.search_read([("key", "=like", PARAM_PREFIX + "%")], ["key", "value"])
        }
        if "date_from" not in self.params:
            raise SystemExit(f"{self.db} was not built by build_ledger.py")
        self.date_from = self.params["date_from"]
        self.date_to = self.params["date_to"]
        self.company = env.company
        env.cr.execute("""
            SELECT p.id FROM res_partner p
             WHERE p.id = p.commercial_partner_id AND p.customer_rank > 0
             ORDER BY p.id
        """)
        self.customers = [row[0] for row in env.cr.fetchall()]
        env.cr.execute(
            """
            SELECT id, commercial_partner_id FROM res_partner
             WHERE commercial_partner_id = ANY(%s) ORDER BY commercial_partner_id, id
        """,
            [self.customers],
        )
        self.contacts = dict(env.cr.fetchall())
        env.cr.execute("SELECT version()")
        self.pg_version = env.cr.fetchone()[0].split(" on ")[0]
        self.pg_settings = {}
        for name in ("shared_buffers", "work_mem", "jit", "max_parallel_workers_per_gather"):
            env.cr.execute(SQL("SHOW %s", SQL.identifier(name)))
            self.pg_settings[name] = env.cr.fetchone()[0]
        installed = bench_env.installed_modules(env, ["partner_statement"])
        self.oca_installed = "partner_statement" in installed and not self.args.skip_oca

    # -- stages ---------------------------------------------------------------
    def reset_statements(self, env):
        """Delete the period's statements so that generation creates them all."""
        cr = env.cr
        cr.execute(
            """
            SELECT id FROM customer_statement
             WHERE company_id = %s AND date_from = %s AND date_to = %s
        """,
            [self.company.id, self.date_from, self.date_to],
        )
        ids = [row[0] for row in cr.fetchall()]
        delete_statements(cr, ids)
        cr.commit()
        env.invalidate_all()
        return len(ids)

    @staticmethod
    def settle(env):
        """Write dirty buffers out before a timed stage, so stages do not pay
        for each other's checkpoints, and start it on a clean heap, as a
        server worker would (the objects earlier stages left behind make
        Python's garbage collector slower for everything after)."""
        env.cr.commit()
        env.cr.execute("CHECKPOINT")
        env.invalidate_all()
        gc.collect()

    def floor_params(self):
        return {
            "company": self.company.id,
            "partners": self.customers,
            "date_from": self.date_from,
            "date_to": self.date_to,
        }

    def time_floor(self, env):
        started = time.perf_counter()
        env.cr.execute(FLOOR_SQL, self.floor_params())
        rows = env.cr.fetchall()
        return time.perf_counter() - started, rows

    def floor(self, env):
        env.cr.execute(FLOOR_SQL, self.floor_params())  # warm-up: stages start on a warm cache
        env.cr.fetchall()
        self.settle(env)
        timings = []
        for _run in range(FLOOR_RUNS):
            seconds, rows = self.time_floor(env)
            timings.append(seconds)
        self.floor_figures = {
            row[0]: dict(zip(FIGURES, map(float, row[2:]), strict=True)) for row in rows
        }
        self.ledger_rows = sum(row[1] for row in rows)
        self.floor_timings = timings
        self.floor_paired = []
        self.stages.append(
            Stage(
                "floor",
                "SQL floor: one aggregate of the receivable items",
                rows=self.ledger_rows,
            )
        )
        self.floor_customers = len(rows)
        self.update_floor()
        self.log(f"floor: {min(timings):.2f}s over {self.ledger_rows} receivable items")

    def update_floor(self):
        """The floor's figure: the best of all its runs, those before the
        generation and those paired with each cold generation."""
        stage = self.stage("floor")
        stage.seconds = min(self.floor_timings + self.floor_paired)
        stage.note = f"{self.floor_customers} customers with items; best of " + ", ".join(
            f"{t:.2f}" for t in self.floor_timings
        )
        if self.floor_paired:
            stage.note += "; then before each cold generation: " + ", ".join(
                f"{t:.2f}" for t in self.floor_paired
            )

    def generate(self, env, key, label):
        """Time ``generate_statements`` for every customer, ``GEN_RUNS`` times.

        Cold, each run starts without the period's statements (those of the
        run before are deleted and their tables vacuumed, untimed), so it
        creates them all; warm, each run recomputes the drafts the cold runs
        left. The best run counts, like the floor's; the notes list them all.
        """
        Statement = env["customer.statement"]
        timings = []
        for run in range(GEN_RUNS):
            if key == "cold" and run:
                self.reset_statements(env)
                bench_env.vacuum(self.db, STATEMENT_TABLES)
            profiler = (
                cProfile.Profile() if self.args.cprofile and key == "cold" and not run else None
            )
            self.settle(env)
            if key == "cold":
                # The machine's speed drifts: the floor runs again right before
                # each cold generation, so that both are timed in the same minute.
                self.floor_paired.append(self.time_floor(env)[0])
                self.update_floor()
                self.settle(env)
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            statements = Statement.generate_statements(self.customers, self.date_from, self.date_to)
            env.flush_all()
            env.cr.commit()
            if profiler:
                profiler.disable()
            timings.append(time.perf_counter() - started)
            self.log(f"generate ({key}), run {run + 1}: {timings[-1]:.2f}s")
            if profiler:
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("cumulative").print_stats(self.args.cprofile)
                print(out.getvalue())
            env.invalidate_all()
        self.statement_ids = statements.ids
        env.cr.execute(
            "SELECT count(*) FROM customer_statement_line WHERE statement_id = ANY(%s)",
            [statements.ids],
        )
        lines = env.cr.fetchone()[0]
        self.statement_lines = lines
        self.stages.append(
            Stage(
                key,
                label,
                min(timings),
                lines,
                f"{len(statements)} statements, {lines} lines; best of "
                + ", ".join(f"{t:.2f}" for t in timings)
                + " s",
            )
        )
        self.log(
            f"generate ({key}): {min(timings):.2f}s, {len(statements)} statements, {lines} lines"
        )

    def xlsx(self, env):
        label = f"XLSX export, {self.args.xlsx_lines:,} lines"
        from odoo.addons.customer_reconciliation.report.customer_statement_xlsx import (
            MAX_STATEMENT_SHEETS,
        )

        model = "customer.statement.xlsx"
        env.cr.execute(
            """
            SELECT id FROM (
                SELECT s.id, sum(s.line_count) OVER (ORDER BY s.id) - s.line_count AS before
                  FROM customer_statement s WHERE s.id = ANY(%s)) x
             WHERE before < %s ORDER BY id
        """,
            [self.statement_ids, self.args.xlsx_lines],
        )
        statements = env["customer.statement"].browse([row[0] for row in env.cr.fetchall()])
        lines = sum(statements.mapped("line_count"))  # the lines the customer sees
        timings = []
        try:
            for _run in range(XLSX_RUNS):
                env.invalidate_all()
                self.settle(env)
                started = time.perf_counter()
                content = env[model]._build_workbook(statements)
                timings.append(time.perf_counter() - started)
        except Exception as error:  # report, go on with the other stages
            traceback.print_exc()
            self.stages.append(Stage("xlsx", label, note=f"n/a (fails: {error!r:.80})"))
            self.log("xlsx: n/a (fails)")
            env.cr.rollback()
            return
        layout = (
            "one sheet each"
            if len(statements) <= MAX_STATEMENT_SHEETS
            else "summary and one lines sheet"
        )
        seconds = min(timings)
        note = (
            f"{len(statements)} statements ({layout}), {len(content) / 2**20:.1f} MiB; "
            "best of " + ", ".join(f"{t:.2f}" for t in timings) + " s"
        )
        if lines < self.args.xlsx_lines:
            note += f"; only {lines:,} lines in the database"
        self.stages.append(Stage("xlsx", f"XLSX export, {lines:,} lines", seconds, lines, note))
        self.log(f"xlsx: {seconds:.2f}s, {lines} lines, {len(content)} bytes")
        env.invalidate_all()

    def portal(self, env, group_size=6, runs=5):
        """Server time of the portal page of a statement of 500-odd lines.

        No customer of the ledger has 500 items, so ``group_size`` customers
        become, for the measure, one customer's contacts (a group invoiced at
        its branches), and the head gets a statement over the whole ledger.
        The page is asked through Odoo's WSGI application in this process,
        with the statement's access token, as a customer's browser would; the
        time is the server's (no network, no browser).

        The page needs the change committed, so what it changes is written
        down first (a system parameter) and undone afterwards, or by the next
        run if this one dies on the way (see :meth:`undo_portal_group`).
        """
        from werkzeug.test import Client

        from odoo import http

        Partner = env["res.partner"]
        group = Partner.browse(self.customers[:group_size])
        head, others = group[0], group[1:]
        # Becoming a contact copies the head's commercial fields: keep them too.
        names = ["parent_id", "is_company", "type", *Partner._commercial_fields()]
        saved = {"statement": None, "partners": {p.id: self.field_values(p, names) for p in others}}
        self.save_undo(env, saved)
        try:
            others.write({"parent_id": head.id, "is_company": False, "type": "invoice"})
            period_start = date.fromisoformat(str(self.date_from))
            date_from = period_start.replace(year=period_start.year - 1)
            statement = env["customer.statement"].generate_statements(
                head.ids, date_from, self.date_to, self.company.id
            )
            saved["statement"] = statement.id
            self.save_undo(env, saved)
            statement.action_mark_sent()
            statement._portal_ensure_token()
            lines = statement.line_count
            url = f"/my/statements/{statement.id}?access_token={statement.access_token}"
            self.settle(env)
            config = bench_env.config
            config["dbfilter"] = f"^{re.escape(self.db)}$"
            client = Client(http.root)
            response = client.get(url)  # warm-up: templates compiled, caches filled
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}")
            timings = []
            for _run in range(runs):
                started = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - started)
            seconds = min(timings)
            self.stages.append(
                Stage(
                    "portal",
                    f"Portal statement page, {lines:,} lines (server)",
                    seconds,
                    lines,
                    f"{len(response.data) / 2**10:,.0f} KiB of HTML; best of "
                    + ", ".join(f"{t * 1000:.0f}" for t in timings)
                    + " ms",
                )
            )
            self.log(f"portal: {seconds * 1000:.0f} ms for {lines} lines")
        except Exception as error:  # report, go on with the other stages
            traceback.print_exc()
            self.stages.append(
                Stage(
                    "portal",
                    "Portal statement page (server)",
                    note=f"n/a (fails: {error!r:.80})",
                )
            )
        finally:
            env.cr.rollback()
            self.undo_portal_group(env)

    @staticmethod
    def field_values(record, names):
        """``record``'s values of ``names`` as ``write()`` takes them."""
        values = {}
        for name in names:
            field, value = record._fields[name], record[name]
            if field.type == "many2one":
                value = value.id
            elif field.type in ("one2many", "many2many"):
                value = [(6, 0, value.ids)]
            values[name] = value
        return values

    @staticmethod
    def save_undo(env, saved):
        env["ir.config_parameter"].sudo().set_param(UNDO_PARAM, json.dumps(saved))
        env.cr.commit()

    def undo_portal_group(self, env):
        """Undo what the portal stage changed, if anything is left to undo."""
        Param = env["ir.config_parameter"].sudo()
        saved = Param.get_param(UNDO_PARAM)
        if not saved:
            return
        saved = json.loads(saved)
        if saved["statement"]:
            delete_statements(env.cr, [saved["statement"]])
        for partner_id, values in saved["partners"].items():
            env["res.partner"].browse(int(partner_id)).write(values)
        Param.set_param(UNDO_PARAM, False)
        env.flush_all()
        env.cr.commit()
        env.invalidate_all()
        self.log(f"portal: {len(saved['partners'])} partners and the group statement restored")

    def rating(self, env):
        """Time the credit-rating recompute of every customer, then undo it."""
        label = "Credit rating recompute, every customer"
        engine = "customer.credit.engine"
        self.settle(env)
        env.cr.execute("SAVEPOINT bench_rating")
        try:
            started = time.perf_counter()
            summary = env[engine]._rate_company(self.company, partner_ids=self.customers)
            env.flush_all()
            seconds = time.perf_counter() - started
        except Exception as error:
            traceback.print_exc()
            env.cr.execute("ROLLBACK TO SAVEPOINT bench_rating")
            env.invalidate_all()
            self.stages.append(Stage("rating", label, note=f"n/a (fails: {error!r:.80})"))
            return
        stage = Stage(
            "rating",
            label,
            seconds,
            len(self.customers),
            "rolled back after timing; "
            + ", ".join(f"{value} {key}" for key, value in (summary or {}).items()),
        )
        env.cr.execute("ROLLBACK TO SAVEPOINT bench_rating")
        env.invalidate_all()
        self.stages.append(stage)
        self.log(f"rating: {seconds:.2f}s")

    def oca_run(self, env, activity):
        report = (
            "report.partner_statement.activity_statement"
            if activity
            else "report.partner_statement.outstanding_statement"
        )
        chunk = self.args.oca_chunk or len(self.customers)
        by_customer = defaultdict(list)
        for partner, commercial in self.contacts.items():
            by_customer[commercial].append(partner)
        totals = defaultdict(float)  # (customer, currency) -> amount
        rows = 0
        seconds = 0.0
        for start in range(0, len(self.customers), chunk):
            partner_ids = [p for c in self.customers[start : start + chunk] for p in by_customer[c]]
            data = {
                "company_id": self.company.id,
                "partner_ids": list(partner_ids),
                "date_end": self.date_to,
                "show_aging_buckets": True,
                "show_only_overdue": False,
                "filter_non_due_partners": False,
                "filter_negative_balances": False,
                "account_type": "asset_receivable",
                "aging_type": "days",
                "excluded_accounts_ids": [],
            }
            if activity:
                data.update(date_start=self.date_from, is_activity=True)
            if start == 0:
                self.settle(env)
            started = time.perf_counter()
            values = env[report]._get_report_values(partner_ids, data)
            seconds += time.perf_counter() - started
            for partner, content in values["data"].items():
                customer = self.contacts[partner]
                for currency, section in content["currencies"].items():
                    rows += len(section["lines"])
                    if activity:
                        amount = section["balance_forward"] + sum(
                            line["amount"] for line in section["lines"]
                        )
                    else:
                        amount = sum(line["open_amount"] for line in section["lines"])
                    totals[customer, currency] += amount
            del values
            env.invalidate_all()
        return seconds, rows, totals

    def oca(self, env):
        if not self.oca_installed:
            for key, label in (
                ("oca_outstanding", "OCA partner_statement: outstanding"),
                ("oca_activity", "OCA partner_statement: activity"),
            ):
                self.stages.append(Stage(key, label, note="n/a (partner_statement not installed)"))
            return
        calls = -(-len(self.customers) // (self.args.oca_chunk or len(self.customers)))
        seconds, rows, self.oca_open = self.oca_run(env, activity=False)
        self.stages.append(
            Stage(
                "oca_outstanding",
                "OCA partner_statement: outstanding data",
                seconds,
                rows,
                f"{calls} call(s)",
            )
        )
        self.log(f"OCA outstanding: {seconds:.2f}s, {rows} lines")
        seconds2, rows2, self.oca_closing = self.oca_run(env, activity=True)
        self.stages.append(
            Stage(
                "oca_activity",
                "OCA partner_statement: activity data",
                seconds2,
                rows2,
                f"{calls} call(s)",
            )
        )
        self.log(f"OCA activity: {seconds2:.2f}s, {rows2} lines")
        self.stages.append(
            Stage(
                "oca",
                "OCA outstanding + activity (the same work)",
                seconds + seconds2,
                rows + rows2,
            )
        )

    # -- correctness ------------------------------------------------------------
    def statement_figures(self, env):
        env.cr.execute(
            """
            SELECT s.partner_id, s.opening_balance, s.total_debit, s.total_credit,
                   s.closing_balance, s.not_due_amount + s.overdue_amount
              FROM customer_statement s WHERE s.id = ANY(%s)
        """,
            [self.statement_ids],
        )
        figures = {
            row[0]: dict(zip(FIGURES, map(float, row[1:]), strict=True))
            for row in env.cr.fetchall()
        }
        env.cr.execute(
            """
            SELECT s.partner_id, l.currency_ref,
                   sum(CASE WHEN l.currency_ref = s.currency_id THEN l.open_amount
                            ELSE l.open_amount_currency END)
              FROM customer_statement_line l
              JOIN customer_statement s ON s.id = l.statement_id
             WHERE s.id = ANY(%s)
             GROUP BY 1, 2
        """,
            [self.statement_ids],
        )
        open_by_currency = {(p, c): float(a) for p, c, a in env.cr.fetchall()}
        env.cr.execute(
            """
            SELECT s.partner_id, s.currency_id,
                   s.closing_balance - COALESCE(sum(sc.closing_balance_company), 0)
              FROM customer_statement s
              LEFT JOIN customer_statement_currency sc ON sc.statement_id = s.id
             WHERE s.id = ANY(%s)
             GROUP BY s.id
             UNION ALL
            SELECT s.partner_id, sc.currency_id, sc.closing_balance
              FROM customer_statement_currency sc
              JOIN customer_statement s ON s.id = sc.statement_id
             WHERE s.id = ANY(%s)
        """,
            [self.statement_ids, self.statement_ids],
        )
        closing_by_currency = {(p, c): float(a) for p, c, a in env.cr.fetchall()}
        return figures, open_by_currency, closing_by_currency

    @staticmethod
    def compare(ours, theirs, keys):
        wrong = []
        for key in keys:
            a, b = ours.get(key, 0.0), theirs.get(key, 0.0)
            if abs(a - b) >= TOLERANCE:
                wrong.append((key, a, b))
        return wrong

    def check(self, env):
        figures, open_by_currency, closing_by_currency = self.statement_figures(env)
        missing = set(self.customers) - set(figures)
        self.record_check(
            "every customer has one statement",
            not missing,
            f"{len(figures)} statements" + (f", {len(missing)} missing" if missing else ""),
        )
        for figure in FIGURES:
            ours = {p: f[figure] for p, f in figures.items()}
            floor = {p: f[figure] for p, f in self.floor_figures.items()}
            wrong = self.compare(ours, floor, self.customers)
            self.record_check(
                f"{figure} equals the floor, every customer", not wrong, self.describe(wrong)
            )
        if self.oca_installed:
            keys = set(open_by_currency) | set(self.oca_open)
            wrong = self.compare(open_by_currency, self.oca_open, keys)
            self.record_check(
                "open amount per currency equals OCA outstanding, every customer",
                not wrong,
                self.describe(wrong),
            )
            company_currency = self.company.currency_id.id
            keys = {
                k
                for k in set(closing_by_currency) | set(self.oca_closing)
                if k[1] == company_currency
            }
            wrong = self.compare(closing_by_currency, self.oca_closing, keys)
            self.record_check(
                "closing balance in CNY equals OCA activity, every customer",
                not wrong,
                self.describe(wrong),
            )
            keys = {
                k
                for k in set(closing_by_currency) | set(self.oca_closing)
                if k[1] != company_currency
            }
            # partner_statement's activity adds the company-currency amount of
            # the period's exchange-difference items (amount_currency 0) to the
            # foreign currency's balance; compare with that quirk reproduced
            env.cr.execute(
                """
                SELECT p.commercial_partner_id, l.currency_id, sum(l.balance)
                  FROM account_move_line l
                  JOIN account_account a ON a.id = l.account_id
                  JOIN res_partner p ON p.id = l.partner_id
                 WHERE a.account_type = 'asset_receivable' AND l.parent_state = 'posted'
                   AND l.currency_id <> %s AND l.amount_currency = 0
                   AND l.date BETWEEN %s AND %s
                   AND p.commercial_partner_id = ANY(%s)
                 GROUP BY 1, 2
            """,
                [company_currency, self.date_from, self.date_to, self.customers],
            )
            exchange = {(p, c): float(a) for p, c, a in env.cr.fetchall()}
            adjusted = {k: closing_by_currency.get(k, 0.0) + exchange.get(k, 0.0) for k in keys}
            wrong = self.compare(adjusted, self.oca_closing, keys)
            self.record_check(
                "foreign-currency closing equals OCA activity, every customer (with OCA's "
                "counting of exchange differences in the foreign currency reproduced)",
                not wrong,
                self.describe(wrong) or f"{len(keys)} customer-currency pairs",
            )

    def describe(self, wrong):
        if not wrong:
            return ""
        return f"{len(wrong)} differ, e.g. " + "; ".join(
            f"{key}: {a:.2f} vs {b:.2f}" for key, a, b in wrong[:3]
        )

    def record_check(self, label, ok, detail=""):
        self.checks.append((label, ok, detail))
        self.failed |= not ok
        self.log(f"check: {label}: {'ok' if ok else 'FAILED'} {detail}")

    # -- report -----------------------------------------------------------------
    def stage(self, key):
        return next((s for s in self.stages if s.key == key), None)

    def table(self):
        floor = self.stage("floor")
        oca = self.stage("oca")
        lines = [
            "| Measure | Wall s | Rows | × floor | × OCA | Peak RSS MiB | Notes |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for stage in self.stages:
            if stage.seconds is None:
                lines.append(f"| {stage.label} | n/a | | | | | {stage.note} |")
                continue
            to_floor = f"{stage.seconds / floor.seconds:.1f}" if floor and floor.seconds else ""
            to_oca = (
                f"{stage.seconds / oca.seconds:.2f}"
                if oca and oca.seconds and stage.key in ("cold", "warm", "floor", "oca")
                else ""
            )
            lines.append(
                f"| {stage.label} | {stage.seconds:.2f} | {stage.rows:,} | {to_floor} | "
                f"{to_oca} | {stage.peak:.0f} | {stage.note} |"
            )
        return "\n".join(lines)

    def targets(self, previous):
        cold = self.stage("cold")
        floor = self.stage("floor")
        oca = self.stage("oca")
        xlsx = self.stage("xlsx")
        rows = []

        def add(label, value, ok):
            rows.append(
                f"| {label} | {value} | {'met' if ok else 'NOT met'} |"
                if ok is not None
                else f"| {label} | {value} | n/a |"
            )

        add(
            "generation (cold) ≤ 60 s",
            f"{cold.seconds:.1f} s",
            cold.seconds <= TARGETS["generation_seconds"],
        )
        add(
            "generation ≤ 3× the SQL floor",
            f"{cold.seconds / floor.seconds:.1f}×",
            cold.seconds / floor.seconds <= TARGETS["floor_ratio"],
        )
        if oca and oca.seconds:
            add(
                "≥ 5× faster than partner_statement",
                f"{oca.seconds / cold.seconds:.1f}×",
                oca.seconds / cold.seconds >= TARGETS["oca_speedup"],
            )
        else:
            add("≥ 5× faster than partner_statement", "n/a", None)
        portal = self.stage("portal")
        if portal and portal.seconds is not None and portal.rows >= 500:
            add(
                "portal page (500+ lines) < 300 ms",
                f"{portal.seconds * 1000:.0f} ms ({portal.rows:,} lines)",
                portal.seconds < TARGETS["portal_seconds"],
            )
        else:
            add("portal page (500+ lines) < 300 ms", "n/a", None)
        rating = self.stage("rating")
        if rating and rating.seconds is not None:
            add(
                "credit rating of every customer < 30 s",
                f"{rating.seconds:.1f} s",
                rating.seconds < TARGETS["rating_seconds"],
            )
        if xlsx and xlsx.seconds is not None and xlsx.rows >= self.args.xlsx_lines:
            add(
                f"XLSX {self.args.xlsx_lines:,} lines < 5 s",
                f"{xlsx.seconds:.1f} s",
                xlsx.seconds < TARGETS["xlsx_seconds"],
            )
        else:
            add(f"XLSX {self.args.xlsx_lines:,} lines < 5 s", "n/a", None)
        # Memory is judged in the larger size's section, against a smaller one
        # (a smaller run would judge against figures it cannot renew).
        others = [
            p
            for db, p in previous.items()
            if db != self.db and "peak_generation" in p and p["customers"] < len(self.customers)
        ]
        if not others:
            add("memory flat as sizes grow", "judged with the larger size", None)
        else:
            other = others[0]
            mine = self.stage("warm").peak
            ratio = max(mine, other["peak_generation"]) / min(mine, other["peak_generation"])
            add(
                f"memory flat: peak RSS through generation vs {other['db']}",
                f"{mine:.0f} vs {other['peak_generation']:.0f} MiB ({ratio:.2f}×) for "
                f"{len(self.customers):,} vs {other['customers']:,} customers",
                ratio <= TARGETS["memory_growth"],
            )
        return "\n".join(["| Target | Measured | |", "|---|---|---|", *rows])

    def section(self, previous):
        sizes = (
            f"{len(self.customers):,} customers ({len(self.contacts) - len(self.customers):,}"
            f" contacts), {int(self.params.get('receivable_lines', 0)):,} receivable "
            f"journal items ({int(self.params.get('journal_items', 0)):,} in all), "
            f"{int(self.params.get('moves', 0)):,} moves, "
            f"{int(self.params.get('partials', 0)):,} partial reconciliations"
        )
        checks = "\n".join(
            f"- {'ok' if ok else 'FAILED'}: {label}" + (f" ({detail})" if detail else "")
            for label, ok, detail in self.checks
        )
        commit, packages = self.versions()
        summary = {
            "db": self.db,
            "customers": len(self.customers),
            "peak_generation": round(self.stage("warm").peak, 1),
        }
        return f"""<!-- bench:{self.db} {json.dumps(summary)} -->
## {self.db}: {len(self.customers):,} customers × {self.params.get("lines_per_customer")} lines

Measured {datetime.now().strftime("%Y-%m-%d %H:%M")} UTC on {os.cpu_count()} cores,
{self.memory()} RAM, {self.cpu()}; {self.pg_version} (settings:
{", ".join(f"{k} {v}" for k, v in sorted(self.pg_settings.items()))}); Odoo {self.odoo_version};
customer_reconciliation at commit {commit}; {packages}.

Ledger: {sizes}. Period {self.date_from} – {self.date_to}; the ledger runs from twelve
months before it to a few weeks after it. Statements: {len(self.statement_ids):,} with
{self.statement_lines:,} lines. partner_statement is called with
{self.args.oca_chunk or "all"} customers (and their contacts) per call.

{self.table()}

Process peak RSS after loading the registry: {self.baseline:.0f} MiB.

Machine speed probe (a fixed pure-Python loop, best of three; the same loop
on the same machine has taken from 0.7 to 1.3 s): {self.probe_note()}.

{self.targets(previous)}

Correctness:

{checks}
<!-- /bench:{self.db} -->
"""

    @staticmethod
    def versions():
        """The measured code: this repository's commit and the OCA packages."""
        try:
            commit = subprocess.run(
                ["git", "-C", bench_env.REPO_ROOT, "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            dirty = subprocess.run(
                [
                    "git",
                    "-C",
                    bench_env.REPO_ROOT,
                    "status",
                    "--porcelain",
                    "--",
                    "customer_reconciliation",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            commit += " with local changes" if dirty else ""
        except (OSError, subprocess.CalledProcessError):
            commit = "unknown"
        packages = []
        for name in (
            "odoo-addon-partner-statement",
            "odoo-addon-report-xlsx",
            "odoo-addon-report-xlsx-helper",
        ):
            try:
                packages.append(f"{name} {importlib.metadata.version(name)}")
            except importlib.metadata.PackageNotFoundError:
                packages.append(f"{name} not installed")
        return commit, ", ".join(packages)

    @staticmethod
    def memory():
        with open("/proc/meminfo") as meminfo:
            total = int(meminfo.readline().split()[1])
        return f"{total / 2**20:.0f} GiB"

    @staticmethod
    def cpu():
        try:
            with open("/proc/cpuinfo") as cpuinfo:
                for line in cpuinfo:
                    if line.startswith("model name"):
                        return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return platform.processor() or platform.machine()

    def probe_note(self):
        start, end = self.probes
        return f"{start:.2f} s at the start, {end:.2f} s at the end"

    def write_results(self, path):
        existing = ""
        if os.path.exists(path):
            with open(path) as current:
                existing = current.read()
        sections, previous = {}, {}
        for match in re.finditer(
            r"<!-- bench:(\S+) (\{.*?\}) -->\n.*?<!-- /bench:\1 -->\n", existing, flags=re.S
        ):
            sections[match.group(1)] = match.group(0)
            previous[match.group(1)] = json.loads(match.group(2))
        sections[self.db] = self.section(previous)
        header = (
            "# Benchmark results\n\n"
            "Written by `bench/run_bench.py` (see `bench/README.md` for what each figure "
            "means).\nWall seconds are measured in one Odoo process around the calls; "
            '"× floor" divides by the SQL floor and "× OCA" by partner_statement\'s '
            "outstanding + activity time; peak RSS is the process's peak so far, stages "
            "run in the order of the table.\n\n"
        )
        order = sorted(sections, key=lambda db: (len(db), db))
        # What follows the history marker is written by hand (profiles, before
        # and after a change) and kept as it is.
        history = existing.find(HISTORY_MARKER)
        with open(path, "w") as out:
            out.write(header + "\n".join(sections[db] for db in order))
            if history >= 0:
                out.write("\n" + existing[history:])
        return sections[self.db]

    # -- main -------------------------------------------------------------------
    def run(self):
        import odoo

        self.odoo_version = odoo.release.version
        with bench_env.environment(self.db) as env:
            self.undo_portal_group(env)  # left by a run that died in the portal stage
            self.load_context(env)
            self.baseline = peak_rss_mb()
            self.probes = [speed_probe()]
            self.log(f"speed probe: {self.probes[0]:.2f}s")
            deleted = self.reset_statements(env)
            bench_env.vacuum(self.db, STATEMENT_TABLES)
            self.log(
                f"{self.db}: {len(self.customers)} customers, period {self.date_from} – "
                f"{self.date_to}; {deleted} old statements deleted"
            )
            self.floor(env)
            self.generate(env, "cold", "generate_statements, cold (creates all)")
            self.generate(env, "warm", "generate_statements, warm (recomputes drafts)")
            # The warm runs leave three generations of dead lines: clear them, as
            # autovacuum would, so the stages after do not depend on its timing.
            bench_env.vacuum(self.db, STATEMENT_TABLES)
            self.portal(env)
            self.xlsx(env)
            self.rating(env)
            self.oca(env)
            self.check(env)
            self.probes.append(speed_probe())
            self.log(f"speed probe: {self.probes[-1]:.2f}s")
        print()
        print(self.table())
        if not self.args.no_results:
            section = self.write_results(self.args.results)
            print(section.split("\n\n", 4)[-1])
        return 1 if self.failed else 0


START = time.perf_counter()


def main(argv=None):
    args = parse_args(argv)
    bench_env.configure(args.db, log_level=args.log_level)
    if not bench_env.database_exists(args.db):
        raise SystemExit(f"{args.db} does not exist: build it with bench/build_ledger.py")
    if args.update:
        bench_env.update(args.db, ["customer_reconciliation"])
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
