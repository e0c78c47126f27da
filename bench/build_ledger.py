"""Build a receivable ledger for the statement benchmark.

Usage (from the repository root)::

    python3 bench/build_ledger.py --db cr_bench_1k --customers 1000 --lines 100 --recreate

What it does, on a database of its own:

1. creates the database (if needed) with ``account``, ``l10n_cn`` (the
   company is Chinese, in CNY, on the ``cn`` chart), ``customer_reconciliation``
   and ``partner_statement``, without demo data;
2. creates the customers through the ORM: Chinese company names, some with
   contacts, a few invoiced in EUR;
3. for a few *template* customers (one or more per payment behaviour) builds a
   year of documents through the ORM: invoices, credit notes, payments, the
   reconciliations between them (partial and full, with exchange
   differences for EUR), so Odoo itself writes every row;
4. replicates the template customers' rows to all other customers with
   set-based ``INSERT ... SELECT`` statements: new ids from the tables'
   sequences, dates shifted by a few days and amounts multiplied by a whole
   factor per customer (the template amounts are chosen so that taxes,
   currency conversions and exchange differences stay exact), new move
   numbers (unique, gap-free, by journal and year), reconciliation links and
   matching numbers remapped;
5. checks the result: every move balances, every receivable residual equals
   its balance less its partial reconciliations, foreign keys resolve, and
   for a random sample the ORM recomputes exactly the stored residuals,
   reconciliation flags, matching numbers and payment states.

The statement period the benchmark uses (the last full month) and the
builder's figures are stored in ``ir.config_parameter`` under
``customer_reconciliation_bench.*``.
"""

import argparse
import logging
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import bench_env
from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.tools import SQL

_logger = logging.getLogger("bench.build")

PARAM_PREFIX = "customer_reconciliation_bench."

# (behaviour, share of the customers)
PROFILES = [
    ("prompt", 0.30),  # pays what falls due, on time
    ("late", 0.20),  # pays a month or more after the due date
    ("partial", 0.15),  # pays round amounts, part of what is due
    ("overdue", 0.10),  # stopped paying four months before the cut-off
    ("advance", 0.08),  # pays on time, sometimes in advance
    ("contacts", 0.15),  # invoices to a contact; some payments by the contact
    ("eur", 0.02),  # invoiced and paying in EUR
]
PAYMENT_TERM_DAYS = {
    "prompt": 30,
    "late": 30,
    "partial": 45,
    "overdue": 30,
    "advance": 15,
    "contacts": 45,
    "eur": 30,
}
PAYMENT_TERMS = {
    0: "account.account_payment_term_immediate",
    15: "account.account_payment_term_15days",
    30: "account.account_payment_term_30days",
    45: "account.account_payment_term_45days",
}
MAX_SHIFT = 9  # days a copy's dates move forward at most
CNY_UNIT = 113  # CNY cents: unit prices are multiples of 1.13 (13% VAT included)
EUR_UNIT = 11300  # EUR cents: whole multiples of 113 EUR, exact at any 2-decimal rate
SALE_VAT = 13.0

CITIES = list("沪京深穗杭苏宁锦渝蓉汉津厦青甬合长福济郑") + [
    "上海",
    "北京",
    "深圳",
    "广州",
    "杭州",
    "苏州",
    "南京",
    "宁波",
    "无锡",
    "东莞",
    "佛山",
    "厦门",
    "青岛",
    "天津",
    "重庆",
    "成都",
    "武汉",
    "长沙",
    "合肥",
    "郑州",
]
TRADE_NAMES = list("华鑫达宏盛泰和恒信诚德利丰隆昌兴永安嘉瑞通祥福荣欣源茂腾鼎汇博远")
INDUSTRIES = [
    "科技",
    "贸易",
    "电子",
    "机械",
    "化工",
    "纺织",
    "食品",
    "五金",
    "包装",
    "建材",
    "医疗器械",
    "汽车配件",
    "塑胶",
    "光电",
    "家具",
    "物流",
    "服饰",
    "印刷",
    "新材料",
    "电气",
]
SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "实业有限公司"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "志强",
    "海燕",
    "晓东",
]
PRODUCTS = [
    "电子元件",
    "五金配件",
    "包装材料",
    "纺织面料",
    "化工原料",
    "机械零件",
    "办公用品",
    "食品原料",
]

# Tables whose template rows are replicated, in insertion order, with the
# column giving the move a row belongs to (its number is in its text).
COPIED_TABLES = {
    "account_full_reconcile": None,
    "account_move": "id",
    "account_payment": "move_id",
    "account_move_line": "move_id",
    "account_partial_reconcile": None,
    "mail_followers": None,
}
# Numeric columns that are not amounts (never scaled).
NOT_AMOUNTS = {"quantity", "discount", "invoice_currency_rate"}
# New id of a copied row: its pattern's block, the copy's slice, the row's rank.
NEW_ID = "(tr.base + c.rank * tr.cnt + tr.rank)"
# Columns copied by a rule of their own: (expression, extra joins).
SPECIAL_COLUMNS = {(table, "id"): (NEW_ID, []) for table in COPIED_TABLES} | {
    ("account_move", "name"): ("nm.name", []),
    ("account_move", "sequence_prefix"): ("nm.prefix", []),
    ("account_move", "sequence_number"): ("nm.number", []),
    ("account_move", "access_token"): ("NULL", []),
    ("account_move", "made_sequence_gap"): ("FALSE", []),
    ("account_move_line", "move_name"): ("nm.name", []),
    ("account_move_line", "matching_number"): (
        "CASE t.matching_number ~ '^P' WHEN TRUE"
        " THEN 'P' || (mp.base + c.rank * tr.m_cnt + tr.m_rank)"
        " ELSE (mf.base + c.rank * tr.m_cnt + tr.m_rank)::text END",
        [
            "LEFT JOIN (SELECT DISTINCT pattern, base FROM bench_tr_account_partial_reconcile) mp"
            " ON mp.pattern = c.pattern AND tr.m_kind = 'P'",
            "LEFT JOIN (SELECT DISTINCT pattern, base FROM bench_tr_account_full_reconcile) mf"
            " ON mf.pattern = c.pattern AND tr.m_kind = 'F'",
        ],
    ),
    ("mail_followers", "res_id"): (
        "COALESCE(fm.base + c.rank * fm.cnt + fm.rank, fp.base + c.rank * fp.cnt + fp.rank)",
        [
            "LEFT JOIN bench_tr_account_move fm"
            " ON t.res_model = 'account.move' AND fm.tmpl_id = t.res_id",
            "LEFT JOIN bench_tr_account_payment fp"
            " ON t.res_model = 'account.payment' AND fp.tmpl_id = t.res_id",
        ],
    ),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="database (created when missing)")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument(
        "--lines", type=int, default=100, help="receivable journal items per customer (about)"
    )
    parser.add_argument(
        "--templates",
        type=int,
        default=2,
        help="template customers built through the ORM per behaviour",
    )
    parser.add_argument("--seed", type=int, default=20261)
    parser.add_argument(
        "--sample",
        type=int,
        default=200,
        help="journal items checked against Odoo's own computation",
    )
    parser.add_argument("--recreate", action="store_true", help="drop the database first")
    parser.add_argument(
        "--keep-indexes",
        action="store_true",
        help="do not drop and rebuild the indexes around the bulk copy",
    )
    parser.add_argument("--log-level", default="warn")
    return parser.parse_args(argv)


def ledger_window(today):
    """(date_from, date_to) of the benchmark period and the ledger's span."""
    date_to = today.replace(day=1) - timedelta(days=1)
    date_from = date_to.replace(day=1)
    start = date_from - relativedelta(months=12)
    end = min(today - timedelta(days=1), date_to + timedelta(days=20))
    return date_from, date_to, start, end


# ----------------------------------------------------------------------
# The documents of one template customer, planned in Python
# ----------------------------------------------------------------------
@dataclass
class Doc:
    kind: str  # invoice, refund, payment
    date: date
    amount: int  # cents, in the document's currency
    slot: int = 0  # 0: the customer, 1: its invoice contact
    due: date = None
    lines: list = field(default_factory=list)  # (product index, unit cents, quantity)
    target: int = None  # refund: the invoice it credits
    residual: int = 0
    record: object = None


def plan_documents(profile, lines, start, end, rng):
    """Invoices, credit notes, payments and allocations of one customer.

    Returns ``(docs, allocations)``; an allocation is ``(date, credit doc
    index, invoice index, cents)``, in the order the reconciliations happen.
    """
    eur = profile == "eur"
    unit = EUR_UNIT if eur else CNY_UNIT
    term = PAYMENT_TERM_DAYS[profile]
    last = end - timedelta(days=MAX_SHIFT if not eur else 0)
    span = (last - start).days
    n_refunds = max(1, round(lines * 0.05))
    n_payments_target = max(1, round(lines * 0.35))
    gap = max(3, span // (n_payments_target + 1))
    stop = last - timedelta(days=120) if profile == "overdue" else last
    pay_dates = []
    day = start + timedelta(days=gap)
    while day <= stop and len(pay_dates) < n_payments_target:
        pay_dates.append(day)
        day += timedelta(days=gap)
    n_invoices = max(1, lines - n_refunds - len(pay_dates))

    docs = []
    for offset in sorted(rng.randrange(span + 1) for _ in range(n_invoices)):
        invoice_date = start + timedelta(days=offset)
        doc_lines = []
        for _line in range(rng.choice((1, 1, 2, 3))):
            units = rng.randint(1, 8) if eur else rng.randint(20, 900)
            doc_lines.append((rng.randrange(len(PRODUCTS)), unit * units, rng.randint(1, 12)))
        amount = sum(price * qty for _p, price, qty in doc_lines)
        slot = 1 if profile == "contacts" and rng.random() < 0.7 else 0
        docs.append(
            Doc(
                "invoice",
                invoice_date,
                amount,
                slot=slot,
                due=invoice_date + timedelta(days=term),
                lines=doc_lines,
            )
        )
    invoices = list(range(len(docs)))
    for _refund in range(n_refunds):
        target = rng.choice(invoices)
        credited = docs[target]
        refund_date = min(last, credited.date + timedelta(days=rng.randint(3, 40)))
        units = max(1, credited.amount * rng.randint(5, 30) // 100 // unit)
        product = credited.lines[0][0]
        docs.append(
            Doc(
                "refund",
                refund_date,
                unit * units,
                slot=credited.slot,
                due=refund_date,
                lines=[(product, unit * units, 1)],
                target=target,
            )
        )
    for pay_date in pay_dates:
        slot = 1 if profile == "contacts" and rng.random() < 0.5 else 0
        docs.append(Doc("payment", pay_date, 0, slot=slot))

    order = {"invoice": 0, "refund": 1, "payment": 2}
    events = sorted(range(len(docs)), key=lambda i: (docs[i].date, order[docs[i].kind], i))
    allocations = []
    payment_count = 0
    for index in events:
        doc = docs[index]
        if doc.kind == "invoice":
            doc.residual = doc.amount
        elif doc.kind == "refund":
            doc.residual = doc.amount
            target = docs[doc.target]
            amount = min(doc.residual, target.residual)
            if amount > 0:
                allocations.append((doc.date, index, doc.target, amount))
                doc.residual -= amount
                target.residual -= amount
        else:
            payment_count += 1
            _pay(docs, index, profile, payment_count, allocations, rng, eur)
    return docs, allocations


def _pay(docs, index, profile, payment_count, allocations, rng, eur):
    """Set the amount of payment ``index`` and allocate it, oldest due first."""
    doc = docs[index]
    open_invoices = sorted(
        (
            i
            for i, d in enumerate(docs)
            if d.kind == "invoice" and d.residual > 0 and d.date <= doc.date
        ),
        key=lambda i: (docs[i].due, docs[i].date, i),
    )
    if profile == "late":
        limit = doc.date - timedelta(days=30)
    else:
        limit = doc.date + timedelta(days=5)
    due = [i for i in open_invoices if docs[i].due <= limit]
    amount = sum(docs[i].residual for i in due)
    whole = 100 if eur else 1  # EUR payments are whole euros
    if profile == "partial" and amount:
        amount = amount * rng.randint(60, 90) // 100 // 10000 * 10000 or amount
    if profile == "advance" and payment_count % 4 == 0:
        amount += rng.randint(5, 50) * 100000
    if not amount:
        if open_invoices:
            amount = max(whole, docs[open_invoices[0]].residual // 2 // whole * whole)
        else:
            amount = rng.randint(5, 50) * 100000 if not eur else rng.randint(5, 50) * 10000
    doc.amount = amount
    left = amount
    for i in open_invoices:
        if left <= 0:
            break
        part = min(left, docs[i].residual)
        allocations.append((doc.date, index, i, part))
        docs[i].residual -= part
        left -= part
    doc.residual = left


# ----------------------------------------------------------------------
# The builder
# ----------------------------------------------------------------------
class LedgerBuilder:
    def __init__(self, env, args):
        self.env = env
        self.cr = env.cr
        self.args = args
        self.rng = random.Random(args.seed)
        self.today = date.today()
        self.date_from, self.date_to, self.start, self.end = ledger_window(self.today)
        self.company = env.company
        self.timings = {}

    def log(self, message, *args):
        print(("[%7.1fs] " + message) % ((time.perf_counter() - START,) + args), flush=True)

    # -- company data -----------------------------------------------------
    def prepare_company(self):
        env = self.env
        company = self.company
        if company.currency_id.name != "CNY" or company.chart_template != "cn":
            raise SystemExit("the main company must be in CNY on the 'cn' chart")
        self.eur = env.ref("base.EUR")
        self.eur.active = True
        rates = []
        month = self.start.replace(day=1)
        while month <= self.end:
            # 2-decimal CNY per EUR: conversions of whole euros stay exact
            inverse = self.rng.randint(770, 795) / 100
            rates.append(
                {
                    "name": month,
                    "currency_id": self.eur.id,
                    "inverse_company_rate": inverse,
                    "company_id": company.id,
                }
            )
            month += relativedelta(months=1)
        env["res.currency.rate"].create(rates)
        tax = company.account_sale_tax_id
        if tax.amount != SALE_VAT or not tax.price_include:
            raise SystemExit("the company's default sale tax must be 13% included in price")
        self.products = env["product.product"].create(
            [
                {
                    "name": name,
                    "type": "consu",
                    "list_price": 113,
                    "taxes_id": [Command.set(tax.ids)],
                }
                for name in PRODUCTS
            ]
        )
        self.terms = {days: env.ref(xmlid) for days, xmlid in PAYMENT_TERMS.items()}
        self.bank = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        self.sale = env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )

    # -- customers --------------------------------------------------------
    def _company_names(self, count):
        names = set()
        while len(names) < count:
            names.add(
                self.rng.choice(CITIES)
                + "".join(self.rng.sample(TRADE_NAMES, 2))
                + self.rng.choice(INDUSTRIES)
                + self.rng.choice(SUFFIXES)
            )
        return sorted(names, key=lambda _n: self.rng.random())

    def _person(self):
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def create_customers(self):
        """All customers through the ORM; returns ``[(profile, partner)]``."""
        count = self.args.customers
        counts = {name: max(self.args.templates, round(count * share)) for name, share in PROFILES}
        counts["prompt"] += count - sum(counts.values())
        if counts["prompt"] < self.args.templates:
            raise SystemExit("too few customers for the template customers")
        ordered = [name for name, number in counts.items() for _i in range(number)]
        self.rng.shuffle(ordered)
        names = self._company_names(count)
        Partner = self.env["res.partner"].with_context(tracking_disable=True)
        customers = Partner.create(
            [
                {
                    "name": name,
                    "is_company": True,
                    "country_id": self.env.ref("base.cn").id,
                    "ref": f"C{index + 1:05d}",
                }
                for index, name in enumerate(names)
            ]
        )
        contacts = []
        for profile, customer in zip(ordered, customers, strict=True):
            if profile == "contacts":
                contacts.append(
                    {
                        "name": self._person(),
                        "parent_id": customer.id,
                        "type": "invoice",
                        "function": "财务",
                    }
                )
                contacts.append(
                    {
                        "name": self._person(),
                        "parent_id": customer.id,
                        "type": "contact",
                        "function": "采购",
                    }
                )
            elif self.rng.random() < 0.1:
                contacts.append(
                    {
                        "name": self._person(),
                        "parent_id": customer.id,
                        "type": "contact",
                        "function": "采购",
                    }
                )
        Partner.create(contacts)
        return list(zip(ordered, customers, strict=True))

    # -- templates --------------------------------------------------------
    def build_template(self, profile, customer, index):
        rng = random.Random(self.args.seed * 1000 + index)
        docs, allocations = plan_documents(profile, self.args.lines, self.start, self.end, rng)
        partners = {
            0: customer,
            1: customer.child_ids.filtered(lambda p: p.type == "invoice")[:1] or customer,
        }
        currency = self.eur if profile == "eur" else self.company.currency_id
        Move = self.env["account.move"].with_context(tracking_disable=True)
        invoice_vals, invoice_docs = [], []
        for doc in sorted((d for d in docs if d.kind != "payment"), key=lambda d: d.date):
            vals = {
                "move_type": "out_invoice" if doc.kind == "invoice" else "out_refund",
                "partner_id": partners[doc.slot].id,
                "journal_id": self.sale.id,
                "invoice_date": doc.date,
                "date": doc.date,
                "currency_id": currency.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.products[p].id,
                            "quantity": qty,
                            "price_unit": price / 100,
                        }
                    )
                    for p, price, qty in doc.lines
                ],
            }
            if doc.kind == "invoice":
                vals["invoice_payment_term_id"] = self.terms[PAYMENT_TERM_DAYS[profile]].id
            else:
                vals["invoice_payment_term_id"] = self.terms[0].id
                vals["ref"] = "退货"
            invoice_vals.append(vals)
            invoice_docs.append(doc)
        moves = Move.create(invoice_vals)
        moves.action_post()
        for doc, move in zip(invoice_docs, moves, strict=True):
            doc.record = move
            if move.currency_id.compare_amounts(move.amount_total, doc.amount / 100):
                raise SystemExit(f"{move.name}: total {move.amount_total} != {doc.amount / 100}")
        payment_docs = [d for d in docs if d.kind == "payment"]
        payments = (
            self.env["account.payment"]
            .with_context(tracking_disable=True)
            .create(
                [
                    {
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": partners[d.slot].id,
                        "amount": d.amount / 100,
                        "currency_id": currency.id,
                        "date": d.date,
                        "journal_id": self.bank.id,
                        "memo": "货款",
                    }
                    for d in payment_docs
                ]
            )
        )
        payments.action_post()
        for doc, payment in zip(payment_docs, payments, strict=True):
            doc.record = payment.move_id

        def receivable(move):
            return move.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            )

        for _day, credit, invoice, cents in allocations:
            lines = receivable(docs[credit].record) + receivable(docs[invoice].record)
            before = receivable(docs[invoice].record).amount_residual_currency
            lines.reconcile()
            paid = before - receivable(docs[invoice].record).amount_residual_currency
            if currency.compare_amounts(paid, cents / 100):
                raise SystemExit(f"allocation of {cents / 100} reconciled {paid}")
        self.env.flush_all()
        return customer

    # -- replication --------------------------------------------------------
    def columns(self, table):
        rows = self.env.execute_query(
            SQL(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
                table,
            )
        )
        return dict(rows)

    def foreign_keys(self, table):
        """``{column: referenced table}`` of the single-column foreign keys of ``table``."""
        rows = self.env.execute_query(
            SQL(
                """
            SELECT a.attname, c.confrelid::regclass::text
              FROM pg_constraint c
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
             WHERE c.contype = 'f' AND c.conrelid = %s::regclass
               AND cardinality(c.conkey) = 1
            """,
                table,
            )
        )
        return dict(rows)

    def stage_templates(self, templates, customers):
        """Temporary tables mapping each template row to its pattern and rank."""
        cr = self.cr
        cr.execute("""
            CREATE TEMPORARY TABLE bench_pattern (
                pattern int PRIMARY KEY, profile varchar, shift_dates bool,
                t0 int, t1 int, t2 int, td0 varchar, td1 varchar, td2 varchar)
        """)
        rows = []
        for pattern, (profile, customer) in enumerate(templates):
            slots = self._slots(customer)
            rows.append(
                (
                    pattern,
                    profile,
                    profile != "eur",
                    *[p.id if p else None for p in slots],
                    *[p.display_name if p else None for p in slots],
                )
            )
        cr.execute_values("INSERT INTO bench_pattern VALUES %s", rows)
        # the copies: every customer that is not a template
        cr.execute("""
            CREATE TEMPORARY TABLE bench_copy (
                copy_no int PRIMARY KEY, pattern int, rank int, k int, shift int,
                p0 int, p1 int, p2 int, d0 varchar, d1 varchar, d2 varchar)
        """)
        by_profile = {}
        for pattern, (profile, _customer) in enumerate(templates):
            by_profile.setdefault(profile, []).append(pattern)
        template_ids = {customer.id for _p, customer in templates}
        counters = {}
        rows = []
        for profile, customer in customers:
            if customer.id in template_ids:
                continue
            patterns = by_profile[profile]
            pattern = patterns[len(rows) % len(patterns)]
            rank = counters.get(pattern, 0)
            counters[pattern] = rank + 1
            slots = self._slots(customer)
            rows.append(
                (
                    len(rows),
                    pattern,
                    rank,
                    self.rng.randint(1, 12),
                    self.rng.randint(0, MAX_SHIFT) if profile != "eur" else 0,
                    *[p.id if p else None for p in slots],
                    *[p.display_name if p else None for p in slots],
                )
            )
        if rows:
            cr.execute_values("INSERT INTO bench_copy VALUES %s", rows, page_size=5000)
        cr.execute("ANALYZE bench_copy")
        self.copies_per_pattern = counters

        # template rows of each table, with their pattern
        partner_pattern = """
            SELECT p.id AS partner_id, bp.pattern
              FROM bench_pattern bp JOIN res_partner p ON p.commercial_partner_id = bp.t0
        """
        selects = {
            "account_move": f"""
                SELECT l.move_id, min(pp.pattern), max(pp.pattern)
                  FROM account_move_line l JOIN ({partner_pattern}) pp
                    ON pp.partner_id = l.partner_id
                 GROUP BY l.move_id""",
            "account_payment": """
                SELECT p.id, tm.pattern, tm.pattern FROM account_payment p
                  JOIN bench_tr_account_move tm ON tm.tmpl_id = p.move_id""",
            "account_move_line": """
                SELECT l.id, tm.pattern, tm.pattern FROM account_move_line l
                  JOIN bench_tr_account_move tm ON tm.tmpl_id = l.move_id""",
            "account_partial_reconcile": """
                SELECT pr.id, min(tl.pattern), max(tl.pattern)
                  FROM account_partial_reconcile pr
                  JOIN bench_tr_account_move_line tl
                    ON tl.tmpl_id IN (pr.debit_move_id, pr.credit_move_id)
                 GROUP BY pr.id""",
            "account_full_reconcile": """
                SELECT l.full_reconcile_id, min(tl.pattern), max(tl.pattern)
                  FROM account_move_line l
                  JOIN bench_tr_account_move_line tl ON tl.tmpl_id = l.id
                 WHERE l.full_reconcile_id IS NOT NULL
                 GROUP BY l.full_reconcile_id""",
            "mail_followers": """
                SELECT f.id, t.pattern, t.pattern FROM mail_followers f
                  JOIN bench_tr_account_move t
                    ON f.res_model = 'account.move' AND t.tmpl_id = f.res_id
                 UNION ALL
                SELECT f.id, t.pattern, t.pattern FROM mail_followers f
                  JOIN bench_tr_account_payment t
                    ON f.res_model = 'account.payment' AND t.tmpl_id = f.res_id""",
        }
        order = [
            "account_move",
            "account_payment",
            "account_move_line",
            "account_partial_reconcile",
            "account_full_reconcile",
            "mail_followers",
        ]
        for table in order:
            cr.execute(f"""
                CREATE TEMPORARY TABLE bench_tr_{table} AS
                SELECT s.tmpl_id, s.pattern,
                       (row_number() OVER (PARTITION BY s.pattern ORDER BY s.tmpl_id) - 1)::int
                           AS rank,
                       (count(*) OVER (PARTITION BY s.pattern))::int AS cnt,
                       0 AS base
                  FROM ({selects[table]}) AS s(tmpl_id, pattern, pattern_max)
                 WHERE s.pattern = s.pattern_max
            """)
            cr.execute(f"SELECT count(*) FROM ({selects[table]}) AS s(a, b, c) WHERE b <> c")
            if cr.fetchone()[0]:
                raise SystemExit(f"{table}: template rows shared between customers")
            cr.execute(f"ALTER TABLE bench_tr_{table} ADD PRIMARY KEY (tmpl_id)")
        # every row that references a template row must be replicated too
        self._check_references()
        # template move names, and the moves' numbering
        cr.execute("""
            ALTER TABLE bench_tr_account_move
              ADD COLUMN name varchar, ADD COLUMN prefix varchar, ADD COLUMN year int,
              ADD COLUMN journal_id int, ADD COLUMN date date, ADD COLUMN width int;
            UPDATE bench_tr_account_move t
               SET name = m.name, prefix = m.sequence_prefix, journal_id = m.journal_id,
                   date = m.date, year = extract(year FROM m.date),
                   width = length(m.name) - length(m.sequence_prefix)
              FROM account_move m WHERE m.id = t.tmpl_id;
        """)
        cr.execute("""
            SELECT name, prefix FROM bench_tr_account_move
             WHERE name IS NULL OR name = '/'
                OR (prefix NOT LIKE '%/' || year || '/'
                    AND prefix NOT LIKE '%/' || to_char(date, 'YYYY/MM/'))
        """)
        wrong = cr.fetchall()
        if wrong:
            raise SystemExit(f"template moves need yearly or monthly numbers: {wrong[:5]}")
        # matching numbers: which partial or full reconcile each one names
        cr.execute("""
            ALTER TABLE bench_tr_account_move_line
              ADD COLUMN m_kind char, ADD COLUMN m_rank int, ADD COLUMN m_cnt int;
            UPDATE bench_tr_account_move_line t
               SET m_kind = 'P', m_rank = p.rank, m_cnt = p.cnt
              FROM account_move_line l
              JOIN bench_tr_account_partial_reconcile p
                ON p.tmpl_id = substr(l.matching_number, 2)::int
             WHERE l.id = t.tmpl_id AND l.matching_number LIKE 'P%';
            UPDATE bench_tr_account_move_line t
               SET m_kind = 'F', m_rank = f.rank, m_cnt = f.cnt
              FROM account_move_line l
              JOIN bench_tr_account_full_reconcile f ON f.tmpl_id = l.full_reconcile_id
             WHERE l.id = t.tmpl_id AND l.matching_number ~ '^[0-9]+$';
        """)
        cr.execute("""
            SELECT count(*) FROM account_move_line l
              JOIN bench_tr_account_move_line t ON t.tmpl_id = l.id
             WHERE l.matching_number IS NOT NULL AND t.m_kind IS NULL
        """)
        if cr.fetchone()[0]:
            raise SystemExit("a template matching number names no template reconciliation")

    def _slots(self, customer):
        invoice = customer.child_ids.filtered(lambda p: p.type == "invoice")[:1]
        other = (customer.child_ids - invoice)[:1]
        return [customer, invoice or None, other or None]

    def _check_references(self):
        """Refuse template rows referenced from tables that are not replicated."""
        cr = self.cr
        targets = [t for t in COPIED_TABLES if t != "mail_followers"]
        cr.execute(
            """
            SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text
              FROM pg_constraint c
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
             WHERE c.contype = 'f' AND c.confrelid::regclass::text = ANY(%s)
        """,
            [targets + ["mail_followers"]],
        )
        self.relations = {}
        for table, column, target in cr.fetchall():
            if table in COPIED_TABLES:
                continue
            cr.execute(
                SQL(
                    "SELECT count(*) FROM %s x JOIN %s t ON t.tmpl_id = x.%s",
                    SQL.identifier(table),
                    SQL.identifier(f"bench_tr_{target}"),
                    SQL.identifier(column),
                )
            )
            if not cr.fetchone()[0]:
                continue
            if "id" in self.columns(table):
                raise SystemExit(f"{table}.{column} references template rows: not handled")
            self.relations.setdefault(table, {})[column] = target
        for model in ("account.move", "account.payment"):
            cr.execute(
                "SELECT count(*) FROM mail_message WHERE model = %s AND res_id IN "
                "(SELECT tmpl_id FROM bench_tr_account_move UNION ALL "
                " SELECT tmpl_id FROM bench_tr_account_payment)",
                [model],
            )
            if cr.fetchone()[0]:
                raise SystemExit(f"template {model} records have messages: not handled")

    def allocate_ids(self):
        """Reserve the ids of every copied row from the tables' sequences."""
        cr = self.cr
        for table in COPIED_TABLES:
            cr.execute(f"SELECT DISTINCT pattern, cnt FROM bench_tr_{table} ORDER BY pattern")
            blocks = cr.fetchall()
            cr.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cr.fetchone()[0]
            cr.execute(
                f"SELECT GREATEST((SELECT max(id) FROM {table}), "
                f"(SELECT last_value FROM {sequence}))"
            )
            base = cr.fetchone()[0] + 1
            for pattern, cnt in blocks:
                cr.execute(
                    f"UPDATE bench_tr_{table} SET base = %s WHERE pattern = %s", [base, pattern]
                )
                base += cnt * self.copies_per_pattern.get(pattern, 0)
            cr.execute("SELECT setval(%s, %s)", [sequence, base - 1])

    def number_moves(self):
        """New names of the copied moves: by journal and year, in date order."""
        self.cr.execute("""
            CREATE TEMPORARY TABLE bench_new_move AS
            WITH n AS (
                SELECT t.base + c.rank * t.cnt + t.rank AS id, t.journal_id, t.width,
                       CASE WHEN t.prefix LIKE '%/' || to_char(t.date, 'YYYY/MM/')
                            THEN replace(t.prefix, to_char(t.date, 'YYYY/MM/'),
                                         to_char(t.date + c.shift, 'YYYY/MM/'))
                            ELSE replace(t.prefix, t.year || '/',
                                         to_char(t.date + c.shift, 'YYYY/'))
                       END AS prefix,
                       t.date + c.shift AS date
                  FROM bench_copy c
                  JOIN bench_tr_account_move t ON t.pattern = c.pattern
            ),
            last AS (
                SELECT journal_id, sequence_prefix, max(sequence_number) AS number
                  FROM account_move
                 GROUP BY journal_id, sequence_prefix
            ),
            numbered AS (
                SELECT n.id, n.prefix, n.width,
                       (COALESCE(last.number, 0) + row_number() OVER (
                           PARTITION BY n.journal_id, n.prefix ORDER BY n.date, n.id))::int
                           AS number
                  FROM n
                  LEFT JOIN last ON last.journal_id = n.journal_id
                                AND last.sequence_prefix = n.prefix
            )
            SELECT id, prefix, number,
                   prefix || lpad(number::text, GREATEST(width, length(number::text)), '0')
                       AS name
              FROM numbered
        """)
        self.cr.execute("ALTER TABLE bench_new_move ADD PRIMARY KEY (id)")

    def _text_columns_with(self, table, owner, columns):
        """Text columns of template rows holding their move's number / partner names."""
        cr = self.cr
        texts = [c for c, t in columns.items() if t in ("character varying", "text")]
        names, partners = set(), set()
        for column in texts:
            if owner:
                join = "t.id" if owner == "id" else f"t.{owner}"
                cr.execute(f"""
                    SELECT 1 FROM {table} t
                      JOIN bench_tr_{table} tr ON tr.tmpl_id = t.id
                      JOIN bench_tr_account_move tm ON tm.tmpl_id = {join}
                     WHERE strpos(t.{column}, tm.name) > 0 LIMIT 1""")
                if cr.fetchone():
                    names.add(column)
            cr.execute(f"""
                SELECT 1 FROM {table} t
                  JOIN bench_tr_{table} tr ON tr.tmpl_id = t.id
                  JOIN bench_pattern bp ON bp.pattern = tr.pattern
                 WHERE strpos(t.{column}, bp.td0) > 0
                    OR strpos(t.{column}, bp.td1) > 0 LIMIT 1""")
            if cr.fetchone():
                partners.add(column)
        return names, partners

    def copy_table(self, table, owner):
        columns = self.columns(table)
        fks = self.foreign_keys(table)
        names, partner_texts = self._text_columns_with(table, owner, columns)
        joins = [
            "JOIN bench_pattern bp ON bp.pattern = c.pattern",
            f"JOIN bench_tr_{table} tr ON tr.pattern = c.pattern",
            f"JOIN {table} t ON t.id = tr.tmpl_id",
        ]
        if owner == "id":
            joins.append(f"JOIN bench_new_move nm ON nm.id = {NEW_ID}")
            joins.append("JOIN bench_tr_account_move own ON own.tmpl_id = t.id")
        elif owner:
            joins.append(f"JOIN bench_tr_account_move own ON own.tmpl_id = t.{owner}")
            joins.append("JOIN bench_new_move nm ON nm.id = own.base + c.rank * own.cnt + own.rank")
        exprs = {}
        for column, kind in columns.items():
            if (table, column) in SPECIAL_COLUMNS:
                exprs[column], extra_joins = SPECIAL_COLUMNS[table, column]
                joins += extra_joins
            elif fks.get(column) in COPIED_TABLES:
                alias = f"fk_{column}"
                joins.append(
                    f"LEFT JOIN bench_tr_{fks[column]} {alias} ON {alias}.tmpl_id = t.{column}"
                )
                exprs[column] = (
                    f"CASE WHEN {alias}.tmpl_id IS NULL THEN t.{column} "
                    f"ELSE {alias}.base + c.rank * {alias}.cnt + {alias}.rank END"
                )
            else:
                exprs[column] = self._plain_expression(
                    column, kind, fks.get(column), column in names, column in partner_texts
                )
        query = "INSERT INTO {table} ({cols})\nSELECT {exprs}\n  FROM bench_copy c\n  {joins}"
        query = query.format(
            table=table,
            cols=", ".join(f'"{c}"' for c in exprs),
            exprs=",\n       ".join(exprs.values()),
            joins="\n  ".join(joins),
        )
        self.cr.execute(query)
        return self.cr.rowcount

    @staticmethod
    def _plain_expression(column, kind, target, has_name, has_partner):
        """The copy of a column that is not a key: shifted, scaled or renamed."""
        source = f"t.{column}"
        if target == "res_partner":
            return (
                f"CASE {source} WHEN bp.t0 THEN c.p0 WHEN bp.t1 THEN c.p1 "
                f"WHEN bp.t2 THEN c.p2 ELSE {source} END"
            )
        if kind == "date":
            return f"{source} + c.shift"
        if kind == "numeric" and column not in NOT_AMOUNTS:
            return f"{source} * c.k"
        expr = source
        if has_name:
            expr = f"replace({expr}, own.name, nm.name)"
        if has_partner:
            for slot in (1, 2, 0):  # contacts first: their names include the company's
                expr = f"replace({expr}, COALESCE(bp.td{slot}, ''), COALESCE(c.d{slot}, ''))"
        return expr

    def copy_relation(self, table, mapping):
        """Copy the rows of a relation table (no id) linking template rows."""
        columns = list(self.columns(table))
        joins, exprs, conditions = [], [], []
        for column in columns:
            if column in mapping:
                alias = f"r_{column}"
                joins.append(
                    f"JOIN bench_tr_{mapping[column]} {alias} "
                    f"ON {alias}.tmpl_id = x.{column} AND {alias}.pattern = c.pattern"
                )
                exprs.append(f"{alias}.base + c.rank * {alias}.cnt + {alias}.rank")
            else:
                exprs.append(f"x.{column}")
        query = (
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(exprs)} "
            f"FROM bench_copy c CROSS JOIN {table} x {' '.join(joins)}"
        )
        if conditions:
            query += " WHERE " + " AND ".join(conditions)
        self.cr.execute(query)
        return self.cr.rowcount

    def drop_indexes(self, tables):
        """Drop the plain indexes of ``tables``; returns their definitions."""
        self.cr.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
              FROM pg_index i
              LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid
             WHERE i.indrelid::regclass::text = ANY(%s) AND c.oid IS NULL
               AND NOT i.indisprimary AND NOT i.indisunique
        """,
            [list(tables)],
        )
        definitions = self.cr.fetchall()
        for name, _definition in definitions:
            self.cr.execute(f"DROP INDEX {name}")
        return definitions

    def replicate(self):
        cr = self.cr
        keep = self.args.keep_indexes
        indexes = (
            [] if keep else self.drop_indexes([t for t in COPIED_TABLES] + list(self.relations))
        )
        # the rows are consistent by construction and checked afterwards:
        # load them without firing the foreign-key triggers row by row
        cr.execute("SET LOCAL session_replication_role = replica")
        counts = {}
        for table, owner in COPIED_TABLES.items():
            started = time.perf_counter()
            counts[table] = self.copy_table(table, owner)
            self.log(
                "copied %s rows of %s in %.1fs", counts[table], table, time.perf_counter() - started
            )
        for table, mapping in self.relations.items():
            started = time.perf_counter()
            counts[table] = self.copy_relation(table, mapping)
            self.log(
                "copied %s rows of %s in %.1fs", counts[table], table, time.perf_counter() - started
            )
        cr.execute("SET LOCAL session_replication_role = DEFAULT")
        started = time.perf_counter()
        for _name, definition in indexes:
            cr.execute(definition)
        if indexes:
            self.log("rebuilt %s indexes in %.1fs", len(indexes), time.perf_counter() - started)
        # customer ranks as posting the invoices would have left them
        cr.execute("""
            UPDATE res_partner p
               SET customer_rank = t.customer_rank
              FROM bench_copy c
              JOIN bench_pattern bp ON bp.pattern = c.pattern
              CROSS JOIN LATERAL (VALUES (c.p0, bp.t0), (c.p1, bp.t1), (c.p2, bp.t2))
                   AS m(new_id, tmpl_id)
              JOIN res_partner t ON t.id = m.tmpl_id
             WHERE p.id = m.new_id
        """)
        for table in list(COPIED_TABLES) + list(self.relations) + ["res_partner"]:
            cr.execute(f"ANALYZE {table}")
        self.env.invalidate_all()
        return counts

    # -- checks -------------------------------------------------------------
    def check_integrity(self):
        """Set-based checks over the whole ledger; raises on any failure."""
        cr = self.cr
        checks = {
            "unbalanced moves": """
                SELECT count(*) FROM (
                    SELECT move_id FROM account_move_line GROUP BY move_id
                    HAVING sum(balance) <> 0 OR sum(debit) <> sum(credit)) x""",
            "invoices whose total differs from their receivable": """
                SELECT count(*) FROM account_move m
                  LEFT JOIN (SELECT move_id, sum(abs(amount_currency)) AS total
                               FROM account_move_line WHERE display_type = 'payment_term'
                              GROUP BY move_id) t ON t.move_id = m.id
                 WHERE m.move_type IN ('out_invoice', 'out_refund')
                   AND m.amount_total IS DISTINCT FROM t.total""",
            "receivable residuals not equal to balance less partials": """
                WITH d AS (SELECT debit_move_id AS id, sum(amount) AS amount,
                                  sum(debit_amount_currency) AS amount_currency
                             FROM account_partial_reconcile GROUP BY 1),
                     c AS (SELECT credit_move_id AS id, sum(amount) AS amount,
                                  sum(credit_amount_currency) AS amount_currency
                             FROM account_partial_reconcile GROUP BY 1)
                SELECT count(*) FROM account_move_line l
                  JOIN account_account a ON a.id = l.account_id
                  LEFT JOIN d ON d.id = l.id
                  LEFT JOIN c ON c.id = l.id
                 WHERE a.account_type = 'asset_receivable'
                   AND (l.amount_residual <> l.balance - COALESCE(d.amount, 0)
                                            + COALESCE(c.amount, 0)
                        OR l.amount_residual_currency <> l.amount_currency
                           - COALESCE(d.amount_currency, 0) + COALESCE(c.amount_currency, 0))""",
            "reconciled flags not matching residuals": """
                SELECT count(*) FROM account_move_line l
                  JOIN account_account a ON a.id = l.account_id
                 WHERE a.account_type = 'asset_receivable'
                   AND l.reconciled <> (l.amount_residual = 0
                                        AND l.amount_residual_currency = 0)""",
            "lines without their move": """
                SELECT count(*) FROM account_move_line l
                 WHERE NOT EXISTS (SELECT 1 FROM account_move m WHERE m.id = l.move_id)""",
            "partials without their lines": """
                SELECT count(*) FROM account_partial_reconcile p
                 WHERE NOT EXISTS (SELECT 1 FROM account_move_line l
                                    WHERE l.id = p.debit_move_id)
                    OR NOT EXISTS (SELECT 1 FROM account_move_line l
                                    WHERE l.id = p.credit_move_id)
                    OR (p.full_reconcile_id IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM account_full_reconcile f
                         WHERE f.id = p.full_reconcile_id))
                    OR (p.exchange_move_id IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM account_move m WHERE m.id = p.exchange_move_id))""",
            "payments without their move": """
                SELECT count(*) FROM account_payment p
                 WHERE NOT EXISTS (SELECT 1 FROM account_move m WHERE m.id = p.move_id)
                    OR NOT EXISTS (SELECT 1 FROM account_move m
                                    WHERE m.origin_payment_id = p.id)""",
            "lines of unknown partners, payments or reconciliations": """
                SELECT count(*) FROM account_move_line l
                 WHERE (l.partner_id IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM res_partner p WHERE p.id = l.partner_id))
                    OR (l.payment_id IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM account_payment p WHERE p.id = l.payment_id))
                    OR (l.full_reconcile_id IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM account_full_reconcile f
                         WHERE f.id = l.full_reconcile_id))""",
            "moves of another customer's partner": """
                SELECT count(*) FROM account_move m
                  JOIN res_partner p ON p.id = m.partner_id
                 WHERE m.commercial_partner_id <> p.commercial_partner_id""",
            "duplicate move numbers": """
                SELECT count(*) FROM (SELECT 1 FROM account_move WHERE state = 'posted'
                 GROUP BY journal_id, name HAVING count(*) > 1) x""",
            "ids beyond their sequence": """
                SELECT count(*) FROM (VALUES
                    ((SELECT max(id) FROM account_move),
                     (SELECT last_value FROM account_move_id_seq)),
                    ((SELECT max(id) FROM account_move_line),
                     (SELECT last_value FROM account_move_line_id_seq)),
                    ((SELECT max(id) FROM account_partial_reconcile),
                     (SELECT last_value FROM account_partial_reconcile_id_seq))) v(m, s)
                 WHERE v.m > v.s""",
        }
        failures = {}
        for label, query in checks.items():
            cr.execute(query)
            count = cr.fetchone()[0]
            self.log("check: %-58s %s", label, "ok" if not count else f"{count} FAILED")
            if count:
                failures[label] = count
        if failures:
            raise SystemExit(f"ledger checks failed: {failures}")

    def check_sample(self, size):
        """Odoo recomputes a random sample: the stored values must not change."""
        env, cr = self.env, self.cr
        cr.execute(
            """
            SELECT l.id FROM account_move_line l
              JOIN account_account a ON a.id = l.account_id
             WHERE a.account_type = 'asset_receivable'
             ORDER BY md5(l.id::text || %s) LIMIT %s
        """,
            [str(self.args.seed), size],
        )
        lines = env["account.move.line"].browse([r[0] for r in cr.fetchall()])
        moves = lines.move_id
        payments = moves.origin_payment_id
        partials = lines.matched_debit_ids | lines.matched_credit_ids
        # (table, records, fields recomputed, fields only compared)
        probes = [
            (
                "account_move_line",
                lines,
                ["amount_residual", "amount_residual_currency", "reconciled"],
                ["matching_number", "balance", "amount_currency", "full_reconcile_id"],
            ),
            (
                "account_move",
                moves,
                [
                    "amount_residual",
                    "amount_residual_signed",
                    "amount_total",
                    "amount_untaxed",
                    "amount_tax",
                    "amount_total_signed",
                    "payment_state",
                ],
                ["name"],
            ),
            ("account_payment", payments, ["is_reconciled", "is_matched"], ["state"]),
            ("account_partial_reconcile", partials, ["max_date"], ["amount"]),
        ]

        def read():
            values = {}
            for table, records, computed, compared in probes:
                fnames = computed + compared
                if not records:
                    continue
                cr.execute(
                    SQL(
                        "SELECT id, %s FROM %s WHERE id = ANY(%s) ORDER BY id",
                        SQL(", ").join(SQL.identifier(f) for f in fnames),
                        SQL.identifier(table),
                        records.ids,
                    )
                )
                values[table] = cr.fetchall()
            return values

        env.flush_all()
        before = read()
        cr.execute("SAVEPOINT bench_sample")
        env.invalidate_all()
        for _table, records, computed, _compared in probes:
            for fname in computed:
                env.add_to_compute(records._fields[fname], records)
        env["account.partial.reconcile"]._update_matching_number(lines)
        env.flush_all()
        after = read()
        cr.execute("ROLLBACK TO SAVEPOINT bench_sample")
        env.invalidate_all()
        differences = []
        for table, rows in before.items():
            for old, new in zip(rows, after[table], strict=True):
                if old != new:
                    differences.append((table, old, new))
        self.log(
            "check: Odoo recomputed %s lines, %s moves, %s payments, %s partials: %s",
            len(lines),
            len(moves),
            len(payments),
            len(partials),
            "identical" if not differences else f"{len(differences)} DIFFER",
        )
        if differences:
            for difference in differences[:20]:
                self.log("  %s", difference)
            raise SystemExit("sample differs from Odoo's computation")
        return len(lines)

    # -- all steps ----------------------------------------------------------
    def run(self):
        self.prepare_company()
        started = time.perf_counter()
        customers = self.create_customers()
        self.log(
            "created %s customers and their contacts in %.1fs",
            len(customers),
            time.perf_counter() - started,
        )
        started = time.perf_counter()
        templates = []
        seen = {}
        for profile, customer in customers:
            if seen.get(profile, 0) < self.args.templates:
                seen[profile] = seen.get(profile, 0) + 1
                self.build_template(profile, customer, len(templates))
                templates.append((profile, customer))
        self.log(
            "built %s template customers through the ORM in %.1fs",
            len(templates),
            time.perf_counter() - started,
        )
        started = time.perf_counter()
        self.stage_templates(templates, customers)
        self.allocate_ids()
        self.number_moves()
        counts = self.replicate()
        self.log(
            "replicated to %s customers in %.1fs",
            len(customers) - len(templates),
            time.perf_counter() - started,
        )
        return counts


def store_parameters(env, values):
    params = env["ir.config_parameter"].sudo()
    for key, value in values.items():
        params.set_param(PARAM_PREFIX + key, str(value))


def setup_database(dbname):
    """Create the database with a Chinese company in CNY on the 'cn' chart."""
    if not bench_env.database_exists(dbname):
        bench_env.install(dbname, [])
        with bench_env.environment(dbname) as env:
            env.ref("base.CNY").active = True
            env.company.write(
                {
                    "name": "上海示例贸易有限公司",
                    "country_id": env.ref("base.cn").id,
                    "currency_id": env.ref("base.CNY").id,
                    "city": "上海",
                }
            )
    with bench_env.environment(dbname) as env:
        missing = set(bench_env.BENCH_MODULES) - bench_env.installed_modules(
            env, bench_env.BENCH_MODULES
        )
    if missing:
        if bench_env.oca_addons_dir() is None:
            raise SystemExit("partner_statement is not installed: see bench/requirements.txt")
        bench_env.install(dbname, sorted(missing))


START = time.perf_counter()


def main(argv=None):
    args = parse_args(argv)
    bench_env.configure(args.db, log_level=args.log_level)
    if args.recreate:
        bench_env.drop_database(args.db)
    setup_database(args.db)
    print(f"[{time.perf_counter() - START:7.1f}s] database {args.db} ready", flush=True)
    with bench_env.environment(args.db, context={"tracking_disable": True}) as env:
        if env["account.move"].search_count([]):
            raise SystemExit(f"{args.db} already has journal entries: use --recreate")
        builder = LedgerBuilder(env, args)
        counts = builder.run()
        builder.check_integrity()
        checked = builder.check_sample(args.sample)
        env.cr.execute("""
            SELECT count(*) FILTER (WHERE a.account_type = 'asset_receivable'), count(*)
              FROM account_move_line l JOIN account_account a ON a.id = l.account_id
        """)
        receivable, total = env.cr.fetchone()
        store_parameters(
            env,
            {
                "date_from": builder.date_from,
                "date_to": builder.date_to,
                "customers": args.customers,
                "lines_per_customer": args.lines,
                "receivable_lines": receivable,
                "journal_items": total,
                "moves": env["account.move"].search_count([]),
                "partials": env["account.partial.reconcile"].search_count([]),
                "templates": args.templates,
                "seed": args.seed,
                "sample_checked": checked,
            },
        )
    bench_env.vacuum(args.db, list(COPIED_TABLES) + ["res_partner"])
    print(
        f"[{time.perf_counter() - START:7.1f}s] done: {args.customers} customers, "
        f"{receivable} receivable journal items ({total} in all), copied rows {counts}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
