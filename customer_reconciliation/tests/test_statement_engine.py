from datetime import date

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger
from odoo.tools.safe_eval import safe_eval

from .common import StatementCommon

D_FROM = date(2026, 9, 1)
D_TO = date(2026, 9, 30)


@tagged("post_install", "-at_install")
class TestStatementEngine(StatementCommon):
    """Figures of generated statements against the receivable ledger."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("华东机电有限公司", vat="91310000123456789X")
        cls.contact = cls.env["res.partner"].create(
            {"name": "王会计", "parent_id": cls.customer.id, "type": "invoice"}
        )
        # Before the period: paid in full before the period (nets to zero).
        cls.inv_paid = cls._invoice(cls.customer, "2026-07-15", 1000, due="2026-08-14")
        cls._pay(cls.inv_paid, 1000, "2026-08-20")
        # Before the period, paid 500 before and 1500 after the cut-off:
        # 1500 open at the cut-off although fully paid today; 26 days overdue.
        cls.inv_late = cls._invoice(cls.customer, "2026-08-05", 2000, due="2026-09-04")
        cls._pay(cls.inv_late, 500, "2026-08-25")
        # A credit note to the contact, never applied: -300 open, 33 days.
        cls.refund = cls._invoice(cls.contact, "2026-08-28", 300, move_type="out_refund")
        # In the period: 4000 to the contact, 1000 paid in the period.
        cls.inv_period = cls._invoice(cls.contact, "2026-09-10", 4000, due="2026-10-10")
        cls.payment = cls._pay(cls.inv_period, 1000, "2026-09-20")
        # On the cut-off day, due that day: not overdue.
        cls.inv_cutoff = cls._invoice(cls.customer, "2026-09-30", 100, due="2026-09-30")
        # After the cut-off: not on the statement; pays the rest of inv_late.
        cls.inv_after = cls._invoice(cls.customer, "2026-10-02", 700)
        cls._pay(cls.inv_late, 1500, "2026-10-05")
        cls.company_data_2 = cls.setup_other_company(name="北京分公司")

    def _generate(self, partners=None, date_from=D_FROM, date_to=D_TO, **kwargs):
        partners = partners or self.customer
        return self.Statement.generate_statements(partners.ids, date_from, date_to, **kwargs)

    def test_figures_equal_ledger(self):
        statement = self._generate()
        self.assertEqual(len(statement), 1)
        self.assertEqual(statement.partner_id, self.customer)
        self.assertEqual(statement.currency_id.name, "CNY")
        self.assertEqual(statement.state, "draft")
        self.assertRegex(statement.name, r"^DZ/2026/09/\d{4}$")

        # By hand.
        self.assertAlmostEqual(statement.opening_balance, 1200.0)
        self.assertAlmostEqual(statement.total_debit, 4100.0)
        self.assertAlmostEqual(statement.total_credit, 1000.0)
        self.assertAlmostEqual(statement.closing_balance, 4300.0)
        self.assertAlmostEqual(statement.overdue_amount, 1200.0)  # 1500 - 300
        self.assertAlmostEqual(statement.not_due_amount, 3100.0)  # 3000 + 100

        # Straight from account.move.line.
        lines = self._ledger_lines(self.customer, D_TO)
        before = lines.filtered(lambda ln: ln.date < D_FROM)
        period = lines - before
        self.assertAlmostEqual(statement.opening_balance, sum(before.mapped("balance")))
        self.assertAlmostEqual(statement.total_debit, sum(period.mapped("debit")))
        self.assertAlmostEqual(statement.total_credit, sum(period.mapped("credit")))
        self.assertAlmostEqual(statement.closing_balance, sum(lines.mapped("balance")))
        self.assertAlmostEqual(
            statement.closing_balance,
            statement.opening_balance + statement.total_debit - statement.total_credit,
        )

    def test_lines_and_historical_open_amounts(self):
        statement = self._generate()
        lines = statement.line_ids.sorted("sequence")
        ledger = self._ledger_lines(self.customer, D_TO)
        expected = ledger.filtered(
            lambda ln: (
                ln.date >= D_FROM or not self.company.currency_id.is_zero(self._open_at(ln, D_TO))
            )
        )
        self.assertEqual(lines.move_line_id, expected)
        for line in lines:
            self.assertAlmostEqual(
                line.open_amount,
                self._open_at(line.move_line_id, D_TO),
                msg=line.move_name,
            )
            self.assertEqual(line.in_period, line.date >= D_FROM)
        # Older open items first, then the period by date.
        self.assertEqual(lines.mapped("in_period"), sorted(lines.mapped("in_period")))
        late = lines.filtered(lambda ln: ln.move_id == self.inv_late)
        # Fully paid today, but 1500 was still open at the cut-off.
        self.assertEqual(self.inv_late.payment_state, "paid")
        self.assertAlmostEqual(late.open_amount, 1500.0)
        self.assertEqual(late.days_overdue, 26)
        self.assertEqual(late.aging_bucket, 1)
        self.assertFalse(late.in_period)
        self.assertEqual(late.document_type, "invoice")
        refund = lines.filtered(lambda ln: ln.move_id == self.refund)
        self.assertEqual(refund.document_type, "refund")
        self.assertEqual(refund.contact_id, self.contact)
        self.assertAlmostEqual(refund.open_amount, -300.0)
        self.assertFalse(lines.filtered(lambda ln: ln.move_id == self.inv_paid))
        self.assertFalse(lines.filtered(lambda ln: ln.move_id == self.inv_after))
        payment_line = lines.filtered(lambda ln: ln.move_id == self.payment.move_id)
        self.assertEqual(payment_line.document_type, "payment")
        self.assertAlmostEqual(payment_line.credit, 1000.0)
        self.assertAlmostEqual(payment_line.open_amount, 0.0)
        # Running balance of the period, from the opening balance.
        period = lines.filtered("in_period")
        self.assertEqual(
            [round(v, 2) for v in period.mapped("running_balance")],
            [5200.0, 4200.0, 4300.0],
        )
        # In the company's currency, the running balance in currency is the same.
        self.assertEqual(period.currency_id, self.company.currency_id)
        self.assertEqual(
            [round(v, 2) for v in period.mapped("running_balance_currency")],
            [5200.0, 4200.0, 4300.0],
        )
        self.assertAlmostEqual(period[-1].running_balance, statement.closing_balance)
        # Open amounts add up to the closing balance.
        self.assertAlmostEqual(sum(lines.mapped("open_amount")), statement.closing_balance)

    def test_item_reconciled_after_cut_off_listed_once(self):
        """An item that a payment after the cut-off touched is listed once,
        whether it is still open today or dated in the period."""
        customer = self._customer("江南五金有限公司")
        older = self._invoice(customer, "2026-08-10", 800, due="2026-09-09")
        in_period = self._invoice(customer, "2026-09-15", 600, due="2026-10-15")
        self._pay(older, 300, "2026-10-03")  # 500 still open today
        self._pay(in_period, 600, "2026-10-04")  # paid in full today
        statement = self._generate(customer)
        lines = statement.line_ids.sorted("sequence")
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines.move_id.ids, [older.id, in_period.id])
        self.assertEqual(
            [round(amount, 2) for amount in lines.mapped("open_amount")], [800.0, 600.0]
        )
        self.assertEqual(lines.mapped("in_period"), [False, True])
        self.assertAlmostEqual(statement.closing_balance, 1400.0)
        self.assertAlmostEqual(statement.overdue_amount, 800.0)
        self.assertAlmostEqual(statement.not_due_amount, 600.0)
        self.assertEqual(statement.line_count, 2)

    def test_aging_default_buckets(self):
        statement = self._generate()
        aging = {row.bucket: row.amount for row in statement.aging_ids}
        self.assertEqual(sorted(aging), [0, 1, 2, 3, 4, 5])
        self.assertEqual(
            statement.aging_ids.sorted("bucket").mapped("name"),
            ["Not due", "1-30 days", "31-60 days", "61-90 days", "91-180 days", "Over 180 days"],
        )
        self.assertAlmostEqual(aging[0], 3100.0)
        self.assertAlmostEqual(aging[1], 1500.0)
        self.assertAlmostEqual(aging[2], -300.0)
        self.assertAlmostEqual(sum(aging.values()), statement.closing_balance)
        # The overdue figure is net of the credit past its date, but only what
        # the customer owes is flagged overdue (red), not its own money.
        self.assertAlmostEqual(statement.overdue_amount, 1200.0)
        credit = statement.line_ids.filtered(lambda line: line.open_amount < 0)
        self.assertAlmostEqual(sum(credit.mapped("open_amount")), -300.0)
        self.assertTrue(all(line.days_overdue > 30 for line in credit))
        self.assertFalse(any(credit.mapped("is_overdue")))
        overdue = statement.line_ids.filtered("is_overdue")
        self.assertAlmostEqual(sum(overdue.mapped("open_amount")), 1500.0)

    def test_child_contact_consolidated(self):
        by_contact = self.Statement.generate_statements([self.contact.id], D_FROM, D_TO)
        by_customer = self._generate()
        self.assertEqual(by_contact, by_customer)
        self.assertEqual(by_customer.partner_id, self.customer)
        self.assertIn(self.contact, by_customer.line_ids.contact_id)

    def test_regeneration_is_idempotent(self):
        first = self._generate()
        # A draft has no stored hash: it is taken when the content is frozen.
        self.assertFalse(first.content_hash)
        hash_before = first._compute_content_hash()
        self.assertRegex(hash_before, r"^[0-9a-f]{64}$")
        again = self._generate()
        self.assertEqual(again, first)
        self.assertEqual(
            self.Statement.search_count(
                [("partner_id", "=", self.customer.id), ("date_to", "=", D_TO)]
            ),
            1,
        )
        # Nothing changed in the ledger: same content, same hash.
        self.assertEqual(again._compute_content_hash(), hash_before)
        # The database refuses a second live statement for the period (sudo:
        # users never create statements but through the engine).
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.Statement.sudo().create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "date_from": D_FROM,
                    "date_to": D_TO,
                }
            ).flush_recordset()

    def test_draft_recomputed_in_place(self):
        statement = self._generate()
        hash_before = statement._compute_content_hash()
        self._invoice(self.customer, "2026-09-15", 250, due="2026-09-15")
        again = self._generate()
        self.assertEqual(again, statement)
        self.assertAlmostEqual(again.total_debit, 4350.0)
        self.assertAlmostEqual(again.closing_balance, 4550.0)
        self.assertAlmostEqual(again.overdue_amount, 1450.0)
        self.assertNotEqual(again._compute_content_hash(), hash_before)

    def test_sent_statement_is_frozen(self):
        statement = self._generate()
        statement.action_mark_sent()
        self.assertEqual(statement.state, "sent")
        frozen_hash = statement.content_hash
        self.assertRegex(frozen_hash, r"^[0-9a-f]{64}$")
        frozen_lines = statement.line_ids
        self._invoice(self.customer, "2026-09-15", 250, due="2026-09-15")
        again = self._generate()
        self.assertEqual(again, statement)
        self.assertAlmostEqual(again.closing_balance, 4300.0)
        self.assertEqual(again.line_ids, frozen_lines)
        self.assertEqual(again.content_hash, frozen_hash)
        with self.assertRaises(UserError):
            statement.write({"closing_balance": 1.0})
        with self.assertRaises(UserError):
            statement.line_ids[0].write({"debit": 1.0})
        with self.assertRaises(UserError):
            statement.action_recompute()
        with self.assertRaises(UserError):
            statement.unlink()
        # The snapshot still adds up to what was sent.
        self.assertAlmostEqual(sum(statement.line_ids.mapped("open_amount")), 4300.0)

    def _line_count(self, statement_ids):
        [[count]] = self.env.execute_query(
            SQL(
                "SELECT COUNT(*) FROM customer_statement_line WHERE statement_id = ANY(%s)",
                statement_ids,
            )
        )
        return count

    def test_lines_go_with_their_statement(self):
        """The lines have no foreign key to their statement: they are deleted
        with a deleted draft, and kept when its deletion is refused."""
        customer = self._customer("华南电子有限公司")
        self._invoice(customer, "2026-09-03", 800)
        draft, other = self._generate(self.customer | customer)
        self.assertEqual(other.partner_id, customer)
        self.assertEqual(self._line_count(draft.ids), 5)
        self.assertEqual(self._line_count(other.ids), 1)
        other.action_mark_sent()
        with self.assertRaises(UserError):
            (draft | other).unlink()
        self.assertEqual(self._line_count((draft | other).ids), 6)
        draft_id = draft.id
        draft.unlink()
        self.assertEqual(self._line_count([draft_id]), 0)
        self.assertEqual(self._line_count(other.ids), 1)
        self.assertAlmostEqual(other.line_ids.debit, 800.0)
        keys = SQL(
            """
            SELECT COUNT(*) FROM pg_constraint
             WHERE conrelid = 'customer_statement_line'::regclass AND contype = 'f'
            """
        )
        self.assertEqual(self.env.execute_query(keys), [(0,)])
        # A database that still has the key (under any name) loses it on update.
        self.env.cr.execute(
            """
            ALTER TABLE customer_statement_line ADD CONSTRAINT old_statement_key
                FOREIGN KEY (statement_id) REFERENCES customer_statement(id) ON DELETE CASCADE
            """
        )
        self.env["ir.model.constraint"].create(
            {
                "name": "old_statement_key",
                "type": "f",
                "model": self.env["ir.model"]._get_id("customer.statement.line"),
                "module": self.env.ref("base.module_customer_reconciliation").id,
            }
        )
        self.assertEqual(self.env.execute_query(keys), [(1,)])
        self.env["customer.statement.line"].init()
        self.assertEqual(self.env.execute_query(keys), [(0,)])
        self.assertFalse(
            self.env["ir.model.constraint"].search([("name", "=", "old_statement_key")])
        )
        self.assertEqual(self._line_count(other.ids), 1)

    def test_hash_depends_on_content_only(self):
        statement = self._generate()
        first = statement._compute_content_hash()
        # Non-content edits leave the hash alone.
        statement.user_id = self.env.user
        statement.action_recompute()
        self.assertEqual(statement._compute_content_hash(), first)
        # A cent more in the ledger changes it.
        self._invoice(self.customer, "2026-09-16", 0.01)
        statement.action_recompute()
        self.assertNotEqual(statement._compute_content_hash(), first)
        # Frozen, the statement keeps the hash of what was sent.
        latest = statement._compute_content_hash()
        statement.action_mark_sent()
        self.assertEqual(statement.content_hash, latest)

    def test_several_partners_one_pass(self):
        other = self._customer("华南电子有限公司")
        self._invoice(other, "2026-08-01", 800, due="2026-08-31")
        quiet = self._customer("西北物流有限公司")
        statements = self.Statement.generate_statements(
            [other.id, self.customer.id, quiet.id], D_FROM, D_TO
        )
        self.assertEqual(statements.partner_id.ids, [other.id, self.customer.id, quiet.id])
        self.assertAlmostEqual(statements[0].closing_balance, 800.0)
        self.assertAlmostEqual(statements[0].overdue_amount, 800.0)
        self.assertEqual(statements[0].line_ids.days_overdue, 30)
        self.assertAlmostEqual(statements[1].closing_balance, 4300.0)
        self.assertAlmostEqual(statements[2].closing_balance, 0.0)
        self.assertFalse(statements[2].line_ids)
        self.assertEqual(len(statements[2].aging_ids), 6)
        # Skip-empty leaves out the customer with nothing to say.
        skipped = self.env["customer.statement.engine"]._generate(
            [quiet.id, other.id],
            date(2026, 10, 1),
            date(2026, 10, 31),
            self.company,
            skip_empty=True,
        )
        self.assertEqual(skipped.partner_id, other)
        # Nobody with anything to say: nothing created, nothing read further.
        count = self.Statement.search_count([])
        nothing = self.env["customer.statement.engine"]._generate(
            [quiet.id], date(2026, 11, 1), date(2026, 11, 30), self.company, skip_empty=True
        )
        self.assertFalse(nothing)
        self.assertEqual(self.Statement.search_count([]), count)

    def test_bad_input_writes_nothing(self):
        vendor = self.env["res.partner"].create({"name": "只是供应商", "supplier_rank": 1})
        foreign = self.env["res.partner"].create(
            {
                "name": "别家公司的客户",
                "customer_rank": 1,
                "company_id": self.company_data_2["company"].id,
            }
        )
        count = self.Statement.search_count([])
        cases = [
            ([self.customer.id], D_TO, D_FROM, "after its end"),
            ([self.customer.id], "2026-13-45", D_TO, "valid dates"),
            ([99999999], D_FROM, D_TO, "do not exist"),
            ([self.customer.id, 99999999], D_FROM, D_TO, "do not exist"),
            ([], D_FROM, D_TO, "list of partner ids"),
            (["abc"], D_FROM, D_TO, "list of partner ids"),
            ([vendor.id], D_FROM, D_TO, "not customers"),
            ([foreign.id], D_FROM, D_TO, "another company"),
        ]
        for partner_ids, date_from, date_to, message in cases:
            with (
                self.subTest(partner_ids=partner_ids, message=message),
                self.assertRaisesRegex(UserError, message),
            ):
                self.Statement.generate_statements(partner_ids, date_from, date_to)
        self.assertEqual(self.Statement.search_count([]), count)

    def test_second_company_never_appears(self):
        company_2 = self.company_data_2["company"]
        self._invoice(self.customer, "2026-09-12", 9999, company=company_2)
        statement = self._generate()
        self.assertAlmostEqual(statement.closing_balance, 4300.0)
        self.assertNotIn(company_2, statement.line_ids.move_id.company_id)
        # The same customer in the second company has only that invoice.
        other = self.Statement.with_context(
            allowed_company_ids=[company_2.id, self.company.id]
        ).generate_statements([self.customer.id], D_FROM, D_TO, company_id=company_2.id)
        self.assertEqual(other.company_id, company_2)
        self.assertAlmostEqual(other.closing_balance, 9999.0)
        self.assertAlmostEqual(other.opening_balance, 0.0)
        self.assertNotEqual(other, statement)
        # Both drafts recomputed together (one block of the ledger read per
        # company): each keeps its own company's figures and lines.
        self._invoice(self.customer, "2026-09-13", 1, company=company_2)
        both = (statement | other).with_context(allowed_company_ids=[self.company.id, company_2.id])
        self.env["customer.statement.engine"]._compute_statements(both)
        self.assertAlmostEqual(statement.closing_balance, 4300.0)
        self.assertEqual(statement.line_count, 5)
        self.assertAlmostEqual(other.closing_balance, 10000.0)
        self.assertEqual(sorted(other.line_ids.mapped("debit")), [1.0, 9999.0])

    def test_periods_recomputed_together(self):
        """Two cut-offs in one recomputation: each sees the ledger at its date."""
        september = self._generate()
        october = self._generate(date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
        self.env["customer.statement.engine"]._compute_statements(september | october)
        self.assertAlmostEqual(september.closing_balance, 4300.0)
        # inv_late was paid in full on 5 October: 1500 open at the end of
        # September, nothing at the end of October.
        late = september.line_ids.filtered(lambda ln: ln.move_id == self.inv_late)
        self.assertAlmostEqual(late.open_amount, 1500.0)
        self.assertFalse(october.line_ids.filtered(lambda ln: ln.move_id == self.inv_late))
        self.assertAlmostEqual(october.opening_balance, 4300.0)
        self.assertAlmostEqual(october.total_debit, 700.0)
        self.assertAlmostEqual(october.total_credit, 1500.0)
        self.assertAlmostEqual(october.closing_balance, 3500.0)

    def test_wizard_by_policy(self):
        self.customer.with_company(self.company).statement_policy_id = self.policy
        wizard = self.env["customer.statement.generate"].create(
            {
                "mode": "policy",
                "policy_id": self.policy.id,
                "date_from": D_FROM,
                "date_to": D_TO,
            }
        )
        action = wizard.action_generate()
        statement = self.Statement.browse(action["res_id"])
        self.assertEqual(statement.partner_id, self.customer)
        self.assertEqual(statement.policy_id, self.policy)
        self.assertAlmostEqual(statement.closing_balance, 4300.0)
        self.assertEqual(self.customer.statement_count, 1)

    def test_wizard_offers_individual_customers_not_contacts(self):
        person = self.env["res.partner"].create({"name": "王小明", "customer_rank": 1})
        contact = self.env["res.partner"].create(
            {"name": "李会计", "parent_id": self.customer.id, "customer_rank": 1}
        )
        field = self.env["customer.statement.generate"]._fields["partner_ids"]
        domain = safe_eval(field.domain, {"company_id": self.company.id})
        offered = self.env["res.partner"].search(domain)
        self.assertIn(person, offered)
        self.assertIn(self.customer, offered)
        self.assertNotIn(contact, offered)

    def test_cancel_and_regenerate(self):
        statement = self._generate()
        statement.action_cancel()
        fresh = self._generate()
        self.assertNotEqual(fresh, statement)
        self.assertAlmostEqual(fresh.closing_balance, 4300.0)
        with self.assertRaisesRegex(UserError, "already has a statement"):
            statement.action_reset_to_draft()


@tagged("post_install", "-at_install")
class TestStatementAging(StatementCommon):
    """Every aging boundary, default and custom."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("账龄测试客户")
        cls.cutoff = date(2026, 12, 31)
        cls.days = [0, 1, 30, 31, 60, 61, 90, 91, 180, 181, -5]
        for index, days in enumerate(cls.days):
            due = date.fromordinal(cls.cutoff.toordinal() - days)
            cls._invoice(cls.customer, min(due, cls.cutoff), 2**index, due=due)

    def _bucket_sums(self, statement):
        return {row.bucket: round(row.amount, 2) for row in statement.aging_ids}

    def test_default_boundaries(self):
        statement = self.Statement.generate_statements(
            self.customer.ids, date(2026, 12, 1), self.cutoff
        )
        lines = {line.days_overdue: line for line in statement.line_ids}
        expected_bucket = {
            0: 0,
            -5: 0,
            1: 1,
            30: 1,
            31: 2,
            60: 2,
            61: 3,
            90: 3,
            91: 4,
            180: 4,
            181: 5,
        }
        for days, bucket in expected_bucket.items():
            self.assertEqual(lines[days].aging_bucket, bucket, f"{days} days")
        amount = {days: 2**index for index, days in enumerate(self.days)}
        self.assertEqual(
            self._bucket_sums(statement),
            {
                0: amount[0] + amount[-5],
                1: amount[1] + amount[30],
                2: amount[31] + amount[60],
                3: amount[61] + amount[90],
                4: amount[91] + amount[180],
                5: amount[181],
            },
        )
        self.assertAlmostEqual(
            statement.overdue_amount, sum(amount.values()) - amount[0] - amount[-5]
        )

    def test_buckets_read_one_statement_or_several(self):
        """The buckets are the same whether one statement's are read or
        several statements' at once (the view is filtered either way)."""
        other = self._customer("账龄对照客户")
        self._invoice(other, date(2026, 11, 1), 700, due=date(2026, 11, 15))
        statements = self.Statement.generate_statements(
            [self.customer.id, other.id], date(2026, 12, 1), self.cutoff
        )
        together = {}
        self.env.invalidate_all()
        for row in statements.aging_ids:
            together[row.statement_id.id, row.bucket] = round(row.amount, 2)
        alone = {}
        for statement in statements:
            self.env.invalidate_all()
            for row in statement.aging_ids:
                alone[statement.id, row.bucket] = round(row.amount, 2)
        self.assertEqual(together, alone)
        self.assertEqual(alone[statements[1].id, 2], 700.0)  # 46 days past due
        self.assertEqual(sum(alone[statements[0].id, b] for b in range(6)), 2**11 - 1)

    def test_custom_boundaries(self):
        policy = self.env["customer.statement.policy"].create(
            {"name": "15/45", "company_id": self.company.id, "aging_boundaries": "15, 45"}
        )
        self.customer.with_company(self.company).statement_policy_id = policy
        statement = self.Statement.generate_statements(
            self.customer.ids, date(2026, 12, 1), self.cutoff
        )
        amount = {days: 2**index for index, days in enumerate(self.days)}
        self.assertEqual(
            self._bucket_sums(statement),
            {
                0: amount[0] + amount[-5],
                1: amount[1],
                2: amount[30] + amount[31],
                3: sum(amount[d] for d in (60, 61, 90, 91, 180, 181)),
            },
        )
        self.assertEqual(
            statement.aging_ids.sorted("bucket").mapped("name"),
            ["Not due", "1-15 days", "16-45 days", "Over 45 days"],
        )

    def test_invalid_boundaries(self):
        for text in ("30,20", "0,30", "a,b", "-1"):
            with self.subTest(text=text), self.assertRaises(ValidationError):
                self.env["customer.statement.policy"].create(
                    {"name": "bad", "company_id": self.company.id, "aging_boundaries": text}
                ).flush_recordset()


@tagged("post_install", "-at_install")
class TestStatementForeignCurrency(StatementCommon):
    """A EUR customer in a CNY company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency(
            "EUR", rates=[("2026-01-01", 0.125), ("2026-09-15", 0.1)]
        )
        cls.customer = cls._customer("欧洲客户 GmbH")
        # EUR 100 at 8 = 800 CNY; EUR 60 paid at 10 = 600 CNY: a 120 CNY gain.
        cls.invoice = cls._invoice(
            cls.customer, "2026-09-01", 100, due="2026-09-10", currency=cls.eur
        )
        cls._pay(cls.invoice, 60, "2026-09-20", currency=cls.eur)
        cls.cny_invoice = cls._invoice(cls.customer, "2026-09-05", 50, due="2026-10-05")

    def test_company_and_currency_sections(self):
        statement = self.Statement.generate_statements(self.customer.ids, D_FROM, D_TO)
        lines = self._ledger_lines(self.customer, D_TO)
        self.assertAlmostEqual(statement.closing_balance, sum(lines.mapped("balance")))
        self.assertAlmostEqual(statement.closing_balance, 320.0 + 50.0)
        self.assertAlmostEqual(statement.total_debit, sum(lines.mapped("debit")))
        self.assertAlmostEqual(statement.total_credit, sum(lines.mapped("credit")))
        self.assertTrue(statement.has_foreign_currency)
        section = statement.currency_section_ids
        self.assertEqual(section.currency_id, self.eur)
        self.assertEqual(section.partner_id, self.customer)
        self.assertAlmostEqual(section.opening_balance, 0.0)
        self.assertAlmostEqual(section.total_debit, 100.0)
        self.assertAlmostEqual(section.total_credit, 60.0)
        self.assertAlmostEqual(section.closing_balance, 40.0)
        self.assertAlmostEqual(section.open_amount, 40.0)
        self.assertAlmostEqual(section.overdue_amount, 40.0)
        self.assertAlmostEqual(section.closing_balance_company, 320.0)
        exchange = statement.line_ids.filtered(lambda ln: ln.document_type == "exchange")
        self.assertEqual(len(exchange), 1)
        self.assertAlmostEqual(exchange.balance, 120.0)
        self.assertFalse(exchange.hidden)
        eur_lines = statement.line_ids.filtered(lambda ln: ln.currency_id == self.eur)
        self.assertAlmostEqual(
            eur_lines.filtered(lambda ln: ln.move_id == self.invoice).open_amount_currency, 40.0
        )
        # Running balances, in line order: per currency in that currency, and
        # in company currency over all lines.
        ordered = statement.line_ids.sorted("sequence")
        self.assertEqual(ordered.mapped("sequence"), list(range(1, len(ordered) + 1)))
        self.assertEqual(
            [(ln.currency_id.name, ln.running_balance_currency) for ln in ordered],
            [("EUR", 100.0), ("CNY", 50.0), ("EUR", 40.0), ("EUR", 40.0)],
            ordered.mapped("document_type"),
        )
        self.assertEqual(ordered.mapped("running_balance"), [800.0, 850.0, 250.0, 370.0])
        self.assertAlmostEqual(ordered[-1].running_balance, statement.closing_balance)

    def test_balance_confirmation_letter(self):
        """The 询证函 asks about the closing balance in each currency: 50 CNY of
        CNY items, 40 EUR (320 CNY at book value), 370 CNY in all."""
        statement = self.Statement.generate_statements(self.customer.ids, D_FROM, D_TO)
        self.assertEqual(
            [(currency.name, amount) for currency, amount in statement._confirmation_balances()],
            [("CNY", 50.0), ("EUR", 40.0)],
        )
        report = "customer_reconciliation.action_report_customer_balance_confirmation"

        def render():
            html = self.env["ir.actions.report"]._render_qweb_html(report, statement.ids)[0]
            return str(html, "utf-8")

        html = render()
        for text in ("企业询证函", statement.name, "贵公司欠本公司", "并非催款结算", "370.00"):
            self.assertIn(text, html)
        self.assertIn("为核对双方的往来款项", html)
        self.assertIn("(Draft)", html)  # figures that may still change
        self.assertIn(self.company.name, html.split("回函地址")[1])  # replies to the company
        # With an audit firm, the customer replies to the auditors.
        auditor = self.env["res.partner"].create(
            {
                "name": "立信会计师事务所（特殊普通合伙）",
                "is_company": True,
                "street": "南京东路 61 号",
                "city": "上海",
                "email": "confirm@audit.example.com",
            }
        )
        settings = self.env["res.config.settings"].create({"statement_auditor_id": auditor.id})
        settings.execute()
        self.assertEqual(self.company.statement_auditor_id, auditor)
        html = render()
        self.assertIn("正在审计本公司的财务报表", html)
        self.assertIn("南京东路 61 号", html.split("回函地址")[1])
        self.assertIn("confirm@audit.example.com", html)
        # A customer in credit: the balance is what the company owes it.
        self._pay(self.cny_invoice, 80, "2026-09-25")
        statement.action_recompute()
        self.assertEqual(
            [(currency.name, amount) for currency, amount in statement._confirmation_balances()],
            [("CNY", -30.0), ("EUR", 40.0)],
        )
        owed_to_you = render().split("confirmation_balances")[1].split("</tr>")[1]
        self.assertRegex(owed_to_you, r"(?s)<td[^>]*>\s*</td>\s*<td[^>]*>\s*<span[^>]*>.*30\.00")

    def test_balance_confirmation_of_invoices_paid_in_another_currency(self):
        """An invoice of 100 EUR (800 CNY at 8) paid in CNY at 10 to the euro
        stays in the EUR section, but what is owed is its open amount: nothing
        when 1,000 CNY paid it in full, 50 EUR when 500 CNY paid half."""
        paid = self._customer("人民币付清欧元发票客户")
        invoice = self._invoice(paid, "2026-09-01", 100, due="2026-09-10", currency=self.eur)
        self._pay(invoice, 1000, "2026-09-20", currency=self.company.currency_id)
        self.assertEqual(invoice.payment_state, "paid")
        half = self._customer("人民币付一半客户")
        invoice = self._invoice(half, "2026-09-01", 100, due="2026-09-10", currency=self.eur)
        self._pay(invoice, 500, "2026-09-20", currency=self.company.currency_id)
        statements = self.Statement.generate_statements((paid | half).ids, D_FROM, D_TO)
        for statement, closing, section_closing, open_eur, balances in (
            (statements[0], 0.0, 100.0, 0.0, [("CNY", 0.0)]),
            (statements[1], 400.0, 100.0, 50.0, [("EUR", 50.0)]),
        ):
            lines = self._ledger_lines(statement.partner_id, D_TO)
            self.assertAlmostEqual(statement.closing_balance, sum(lines.mapped("balance")))
            self.assertAlmostEqual(statement.closing_balance, closing)
            section = statement.currency_section_ids
            self.assertEqual(section.currency_id, self.eur)
            self.assertAlmostEqual(section.closing_balance, section_closing)
            self.assertAlmostEqual(section.open_amount, open_eur)
            self.assertEqual(
                [(c.name, amount) for c, amount in statement._confirmation_balances()], balances
            )
            # The statement says how much of the section's balance was settled in CNY.
            html = (
                self.env["ir.actions.report"]
                ._render_qweb_html(
                    "customer_reconciliation.action_report_customer_statement", statement.ids
                )[0]
                .decode()
            )
            settled = html.split('name="settled_elsewhere"')[1].split("</p>")[0]
            self.assertIn(f"{section_closing - open_eur:.2f}", settled)

    def test_hash_equals_reference_serialisation(self):
        """The hash PostgreSQL prepares equals the pure-Python reference one."""
        statement = self.Statement.generate_statements(self.customer.ids, D_FROM, D_TO)
        self.assertTrue(statement.currency_section_ids)
        engine = self.env["customer.statement.engine"]
        self.assertEqual(engine._content_hashes(statement), engine._reference_hashes(statement))
        statement.action_mark_sent()
        self.assertEqual(statement.content_hash, engine._reference_hashes(statement)[statement.id])

    def test_hash_writes_dinars_with_three_decimals(self):
        """A Kuwaiti dinar invoice of 12.345: version 2 of the hash writes its
        amounts with the dinar's three decimals, so that a change in the
        third decimal changes the hash; version 1 rounded them to the yuan's
        two. Statements keep the version their hash was taken with, and
        still check by it."""
        kwd = self.setup_other_currency("KWD", rates=[("2026-01-01", 0.04)])
        self.assertEqual(kwd.decimal_places, 3)
        customer = self._customer("科威特客户")
        self.env.ref("product.decimal_price").digits = 3  # a price of 12.345 dinars
        self._invoice(customer, "2026-09-05", 12.345, due="2026-10-05", currency=kwd)
        statement = self.Statement.generate_statements(customer.ids, D_FROM, D_TO)
        line = statement.line_ids.filtered(lambda ln: ln.currency_id == kwd)
        self.assertAlmostEqual(line.amount_currency, 12.345, places=3)
        engine = self.env["customer.statement.engine"]
        content = engine._hash_contents(statement)[statement.id]
        self.assertIn("12.345", content["lines"][0])
        self.assertEqual(content["currencies"][0][:2], ["KWD", "0.000"])
        self.assertEqual(engine._content_hashes(statement), engine._reference_hashes(statement))
        self.assertEqual(
            engine._content_hashes(statement, 1), engine._reference_hashes(statement, 1)
        )
        self.assertIn(
            "12.35", engine._hash_contents(statement, version=1)[statement.id]["lines"][0]
        )
        statement.action_mark_sent()
        self.assertEqual(statement.content_hash_version, 2)
        self.assertEqual(statement.action_check_content_hash()["params"]["type"], "success")
        v1_hash = engine._content_hashes(statement, 1)[statement.id]

        # The dinar amount changed in its third decimal, behind the ORM's back.
        self.env.cr.execute(
            "UPDATE customer_statement_line SET amount_currency = 12.346 WHERE id = %s", [line.id]
        )
        statement.invalidate_recordset()
        with self.assertRaisesRegex(UserError, "no longer gives its hash"):
            statement.action_check_content_hash()
        self.assertEqual(engine._content_hashes(statement, 1)[statement.id], v1_hash)
        # A statement hashed by version 1 checks by version 1.
        self.env.cr.execute(
            "UPDATE customer_statement SET content_hash = %s, content_hash_version = NULL "
            "WHERE id = %s",
            [v1_hash, statement.id],
        )
        statement.invalidate_recordset()
        self.assertEqual(statement.action_check_content_hash()["params"]["type"], "success")

    def test_hidden_exchange_lines_keep_balances(self):
        policy = self.env["customer.statement.policy"].create(
            {"name": "hide", "company_id": self.company.id, "hide_exchange_lines": True}
        )
        self.customer.with_company(self.company).statement_policy_id = policy
        statement = self.Statement.generate_statements(self.customer.ids, D_FROM, D_TO)
        exchange = statement.line_ids.filtered(lambda ln: ln.document_type == "exchange")
        self.assertTrue(exchange.hidden)
        self.assertAlmostEqual(statement.hidden_exchange_amount, 120.0)
        self.assertAlmostEqual(statement.closing_balance, 370.0)
        self.assertEqual(statement.line_count, len(statement.line_ids) - 1)
        # A draft follows its policy when recomputed: exchange lines listed
        # again, two aging buckets.
        policy.write({"hide_exchange_lines": False, "aging_boundaries": "10"})
        statement.action_recompute()
        exchange = statement.line_ids.filtered(lambda ln: ln.document_type == "exchange")
        self.assertFalse(exchange.hidden)
        self.assertAlmostEqual(statement.hidden_exchange_amount, 0.0)
        self.assertAlmostEqual(statement.closing_balance, 370.0)
        self.assertEqual(statement.line_count, len(statement.line_ids))
        self.assertEqual(statement.aging_boundaries, "10")
        self.assertEqual(
            statement.aging_ids.sorted("bucket").mapped("name"),
            ["Not due", "1-10 days", "Over 10 days"],
        )
        self.assertAlmostEqual(sum(statement.aging_ids.mapped("amount")), 370.0)
        # A sent statement keeps what it was sent with.
        statement.action_mark_sent()
        policy.hide_exchange_lines = True
        self.assertFalse(statement.hide_exchange_lines)
        self.assertFalse(exchange.hidden)

    def test_exchange_lines_after_the_exchange_journal_changed(self):
        """The company moves its exchange differences to a new journal: the
        entry a reconciliation made in the former one is still an exchange
        difference (Odoo links it to the reconciliation), an entry of the new
        journal is one too, and a plain entry of the former journal is not."""
        former = self.company.currency_exchange_journal_id
        journal = self.env["account.journal"].create(
            {
                "name": "汇兑损益 2026",
                "code": "FX26",
                "type": "general",
                "company_id": self.company.id,
            }
        )
        self.company.currency_exchange_journal_id = journal
        revaluation = self._entry(journal, "2026-09-30", 5.0, self.customer)
        adjustment = self._entry(former, "2026-09-29", 7.0, self.customer)
        policy = self.env["customer.statement.policy"].create(
            {"name": "hide", "company_id": self.company.id, "hide_exchange_lines": True}
        )
        self.customer.with_company(self.company).statement_policy_id = policy
        statement = self.Statement.generate_statements(self.customer.ids, D_FROM, D_TO)
        exchange = statement.line_ids.filtered(lambda ln: ln.document_type == "exchange")
        self.assertEqual(exchange.move_id.journal_id, former | revaluation.journal_id)
        self.assertNotIn(adjustment, exchange.move_id)
        self.assertEqual(
            statement.line_ids.filtered(lambda ln: ln.move_id == adjustment).document_type,
            "other",
        )
        self.assertTrue(all(exchange.mapped("hidden")))
        self.assertAlmostEqual(statement.hidden_exchange_amount, 125.0)
        self.assertAlmostEqual(statement.closing_balance, 370.0 + 5.0 + 7.0)

    def test_running_balances_of_a_single_foreign_currency(self):
        """A customer billed only in EUR: its running balances start from the
        opening balance, in EUR and in company currency, with one window."""
        customer = self._customer("欧元客户 SARL")
        old = self._invoice(customer, "2026-08-10", 30, due="2026-08-20", currency=self.eur)
        new = self._invoice(customer, "2026-09-03", 20, due="2026-10-03", currency=self.eur)
        statement = self.Statement.generate_statements(customer.ids, D_FROM, D_TO)
        # EUR 30 at 8 = 240 CNY before the period, EUR 20 at 8 = 160 CNY in it.
        self.assertAlmostEqual(statement.opening_balance, 240.0)
        self.assertEqual(statement.currency_section_ids.opening_balance, 30.0)
        ordered = statement.line_ids.sorted("sequence")
        self.assertEqual(ordered.mapped("move_id"), old + new)
        self.assertEqual(
            [(ln.running_balance, ln.running_balance_currency) for ln in ordered],
            [(0.0, 0.0), (400.0, 50.0)],
        )


@tagged("post_install", "-at_install")
class TestStatementPolicyPeriods(StatementCommon):
    def test_policy_periods(self):
        policy = self.env["customer.statement.policy"].create(
            {"name": "25", "company_id": self.company.id, "cutoff_day": 25}
        )
        self.assertEqual(
            policy._last_complete_period(date(2026, 3, 10)),
            (date(2026, 1, 26), date(2026, 2, 25)),
        )
        policy.cutoff_day = 31
        self.assertEqual(
            policy._last_complete_period(date(2028, 3, 10)),
            (date(2028, 2, 1), date(2028, 2, 29)),
        )
        policy.frequency = "quarterly"
        self.assertEqual(
            policy._last_complete_period(date(2027, 1, 15)),
            (date(2026, 10, 1), date(2026, 12, 31)),
        )

    def test_partner_policy_is_per_company(self):
        customer = self._customer("多公司客户")
        customer.with_company(self.company).statement_policy_id = self.policy
        other = self.setup_other_company(name="深圳子公司")["company"]
        self.assertFalse(customer.with_company(other).statement_policy_id)
        self.assertEqual(self.policy._get_partners(), customer)
