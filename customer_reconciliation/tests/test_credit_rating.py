from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ..models.customer_credit_engine import CustomerCreditEngine
from ..models.customer_credit_factor import FACTORS
from .common import StatementCommon
from .test_statement_confirmation import SIGNATURE

TODAY = "2026-11-20"
FIRST = date(2026, 5, 1)
# Months since 1 May 2026 on 20 November 2026, as the engine counts them.
TENURE = (date(2026, 11, 20) - FIRST).days / 30.4375


def points(value, best, worst):
    return max(0.0, min(1.0, (value - worst) / (best - worst))) * 100


@tagged("post_install", "-at_install")
class TestCreditRating(StatementCommon):
    """Scores computed by hand for customers of known behaviour."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.on_time = cls._customer("准时付款客户")
        cls.late = cls._customer("总是晚30天客户")
        cls.big_overdue = cls._customer("大额逾期客户")
        cls.disputer = cls._customer("常有异议客户", email="d@example.com")
        cls.newcomer = cls._customer("新客户")
        for index in range(4):
            day = date(2026, 5 + index, 1)
            due = day + timedelta(days=30)
            for customer, paid_on in (
                (cls.on_time, due),
                (cls.late, due + timedelta(days=30)),
                (cls.disputer, due),
            ):
                invoice = cls._invoice(customer, day, 1000, due=due)
                cls._pay(invoice, 1000, paid_on)
            if index < 3:
                invoice = cls._invoice(cls.big_overdue, day, 1000, due=due)
                cls._pay(invoice, 1000, due)
        # One big invoice, 95 days overdue on 20 November.
        cls._invoice(cls.big_overdue, date(2026, 7, 18), 50000, due=date(2026, 8, 17))
        cls._invoice(cls.newcomer, date(2026, 11, 2), 500, due=date(2026, 12, 2))
        # The disputer disputes a small line of each of two statements.
        for date_from, date_to in (
            (date(2026, 8, 1), date(2026, 8, 31)),
            (date(2026, 9, 1), date(2026, 9, 30)),
        ):
            cls._invoice(cls.disputer, date_to, 10, due=date_to + timedelta(days=30))
            statement = cls.Statement.generate_statements(cls.disputer.ids, date_from, date_to)
            statement._send_by_email()
            line = statement.line_ids.filtered(lambda ln: ln.debit == 10)
            statement._record_dispute(
                line.ids,
                "amount_differs",
                8,
                audit={
                    "channel": "token",
                    "content_hash": statement.content_hash,
                    "name": "王会计",
                },
            )
        cls.engine = cls.env["customer.credit.engine"]

    def _rate(self, **kwargs):
        with freeze_time(TODAY):
            return self.engine._rate_company(self.company, **kwargs)

    def _rating(self, partner):
        return self.env["customer.credit.rating"].search(
            [
                ("partner_id", "=", partner.id),
                ("is_current", "=", True),
                ("company_id", "=", self.company.id),
            ]
        )

    def _expected(self, values):
        """Score from factor values by the documented scales and default weights."""
        scale = {
            "days_beyond_terms": (25, 0, 60),
            "overdue_ratio": (20, 0, 50),
            "oldest_overdue_days": (15, 0, 120),
            "on_time_rate": (15, 100, 50),
            "dispute_rate": (5, 0, 30),
            "confirmation_days": (5, 0, 30),
            "limit_utilisation": (5, 50, 120),
            "tenure_months": (5, 36, 0),
            "monthly_sales": (5, 100000, 0),
        }
        total = weights = 0
        for code, value in values.items():
            weight, best, worst = scale[code]
            total += weight * points(value, best, worst)
            weights += weight
        return round(total / weights, 1)

    def test_always_on_time(self):
        self._rate()
        rating = self._rating(self.on_time)
        expected = self._expected(
            {
                "days_beyond_terms": 0,
                "overdue_ratio": 0,
                "oldest_overdue_days": 0,
                "on_time_rate": 100,
                "tenure_months": TENURE,
                "monthly_sales": 4000 / 12,
            }
        )
        self.assertAlmostEqual(rating.score, expected)
        self.assertAlmostEqual(rating.score, 89.3)
        self.assertEqual(rating.grade_id.name, "A")
        self.assertEqual(self.on_time.credit_grade_id.name, "A")
        self.assertAlmostEqual(self.on_time.credit_score, 89.3)
        self.assertEqual(rating.invoice_count, 4)
        self.assertEqual(rating.paid_invoice_count, 4)
        self.assertAlmostEqual(rating.on_time_rate, 100.0)
        self.assertAlmostEqual(rating.days_beyond_terms, 0.0)
        # The history keeps each factor's value, points and weight.
        self.assertEqual(rating.points["on_time_rate"], [100.0, 100.0, 15])
        self.assertEqual(rating.points["dispute_rate"], [None, None, 5])
        self.assertIn("Paid on time", self.on_time.credit_explanation)

    def test_days_beyond_terms_weigh_each_payment(self):
        """Paid 900 five days before the due date and the last 100 thirty days
        after it: 3 days beyond terms on average (not 30), and not on time."""
        customer = self._customer("尾款晚付客户")
        for month in (3, 4, 5):
            invoice = self._invoice(customer, date(2026, month, 1), 1000, due=date(2026, month, 28))
            self._pay(invoice, 900, date(2026, month, 23))
            self._pay(invoice, 100, date(2026, month, 28) + timedelta(days=30))
        self._rate()
        rating = self._rating(customer)
        self.assertEqual(rating.paid_invoice_count, 3)
        self.assertAlmostEqual(rating.days_beyond_terms, 3.0)
        self.assertAlmostEqual(rating.on_time_rate, 0.0)

    def test_small_late_remainder_is_on_time(self):
        """Paid 995 before the due date; the last 5 (bank charges) written off
        forty days after it. Within the policy's 1 % tolerance the invoices
        were paid on time; their days beyond terms still count the 5."""
        customer = self._customer("银行手续费客户")
        for month in (3, 4, 5):
            invoice = self._invoice(customer, date(2026, month, 1), 1000, due=date(2026, month, 28))
            self._pay(invoice, 995, date(2026, month, 20))
            self._pay(invoice, 5, date(2026, month, 28) + timedelta(days=40))
        policy = self.env["customer.credit.policy"]._get_policy(self.company)
        self.assertEqual(policy.on_time_tolerance, 1.0)
        self._rate()
        rating = self._rating(customer)
        self.assertEqual(rating.paid_invoice_count, 3)
        self.assertAlmostEqual(rating.on_time_rate, 100.0)
        self.assertAlmostEqual(rating.days_beyond_terms, 0.2)  # 5 × 40 / 1000
        # Without a tolerance, any part paid late makes the invoice late.
        policy.on_time_tolerance = 0
        self._rate()
        self.assertAlmostEqual(self._rating(customer).on_time_rate, 0.0)
        with self.assertRaises(ValidationError):
            policy.on_time_tolerance = 100

    def test_entries_dated_after_today_do_not_count(self):
        """Odoo posts invoices dated in the future: a rating as of today counts
        neither them nor a payment dated later."""
        self._invoice(self.on_time, date(2026, 12, 15), 9000, due=date(2027, 1, 15))
        self._rate()
        rating = self._rating(self.on_time)
        self.assertEqual(rating.invoice_count, 4)
        self.assertAlmostEqual(rating.score, 89.3)

    def test_reversed_invoice_is_neither_a_sale_nor_paid_late(self):
        """An invoice cancelled by a credit note a month after its due date."""
        wrong = self._invoice(self.on_time, date(2026, 7, 10), 50000, due=date(2026, 7, 31))
        wrong._reverse_moves(
            default_values_list=[{"date": date(2026, 8, 30), "invoice_date": date(2026, 8, 30)}],
            cancel=True,
        )
        self.assertEqual(wrong.payment_state, "reversed")
        self._rate()
        rating = self._rating(self.on_time)
        self.assertEqual(rating.invoice_count, 4)
        self.assertEqual(rating.paid_invoice_count, 4)
        self.assertAlmostEqual(rating.on_time_rate, 100.0)
        self.assertAlmostEqual(rating.days_beyond_terms, 0.0)
        self.assertAlmostEqual(rating.score, 89.3)

    def test_always_thirty_days_late(self):
        self._rate()
        rating = self._rating(self.late)
        self.assertAlmostEqual(rating.days_beyond_terms, 30.0)
        self.assertAlmostEqual(rating.on_time_rate, 0.0)
        expected = self._expected(
            {
                "days_beyond_terms": 30,
                "overdue_ratio": 0,
                "oldest_overdue_days": 0,
                "on_time_rate": 0,
                "tenure_months": TENURE,
                "monthly_sales": 4000 / 12,
            }
        )
        self.assertAlmostEqual(rating.score, expected)
        self.assertAlmostEqual(rating.score, 57.0)
        self.assertEqual(rating.grade_id.name, "C")

    def test_one_big_invoice_95_days_overdue(self):
        self._rate()
        rating = self._rating(self.big_overdue)
        self.assertAlmostEqual(rating.oldest_overdue_days, 95)
        self.assertAlmostEqual(rating.overdue_ratio, 100.0)
        self.assertAlmostEqual(rating.open_amount, 50000.0)
        self.assertAlmostEqual(rating.overdue_amount, 50000.0)
        expected = self._expected(
            {
                "days_beyond_terms": 0,
                "overdue_ratio": 100,
                "oldest_overdue_days": 95,
                "on_time_rate": 100,
                "tenure_months": TENURE,
                "monthly_sales": 53000 / 12,
            }
        )
        self.assertAlmostEqual(rating.score, expected)
        self.assertEqual(rating.grade_id.name, "C")
        # DSO by hand: open receivable / sales of the window × days of the window.
        window_days = (date(2026, 11, 20) - date(2025, 11, 20)).days
        self.assertAlmostEqual(rating.dso, 50000 / 53000 * window_days, places=1)

    def test_only_small_invoices_disputed(self):
        self._rate()
        rating = self._rating(self.disputer)
        self.assertEqual(rating.statement_count, 2)
        self.assertAlmostEqual(rating.dispute_rate, 100.0)
        self.assertAlmostEqual(rating.confirmation_rate, 0.0)
        # Both statements are disputed: no reply time to count.
        self.assertIsNone(rating.points["confirmation_days"][0])
        # Both small invoices are overdue on 20 November (due 30 September and
        # 30 October).
        open_amount = 20.0
        overdue = 20.0
        self.assertAlmostEqual(rating.open_amount, open_amount)
        self.assertAlmostEqual(rating.overdue_amount, overdue)
        self.assertAlmostEqual(rating.overdue_ratio, 100.0)
        expected = self._expected(
            {
                "days_beyond_terms": 0,
                "overdue_ratio": 100 * overdue / open_amount,
                "oldest_overdue_days": 51,
                "on_time_rate": 100,
                "dispute_rate": 100,
                "tenure_months": TENURE,
                "monthly_sales": 4020 / 12,
            }
        )
        self.assertAlmostEqual(rating.score, expected)
        self.assertAlmostEqual(rating.score, 55.1, places=1)

    def test_instalments_credit_notes_and_unmatched_credit(self):
        """Three invoices of two instalments (30 % at once, 70 % in 60 days),
        one of them paid 10 days late; an overdue invoice of 500; a credit
        note of 600 not matched to anything."""
        customer = self._customer("分期付款客户")
        term = self.env.ref("account.account_payment_term_advance_60days")
        for index, late_days in enumerate((0, 10, 0)):
            day = date(2026, 5 + index, 1)
            invoice = self._draft_invoice(customer, 1000)
            invoice.write({"invoice_date": day, "date": day, "invoice_payment_term_id": term.id})
            invoice.action_post()
            self._pay(invoice, 300, day)
            self._pay(invoice, 700, day + timedelta(days=60 + late_days))
            self.assertEqual(invoice.payment_state, "paid")
        self._invoice(customer, date(2026, 9, 1), 500, due=date(2026, 10, 1))
        self._invoice(customer, date(2026, 8, 1), 600, move_type="out_refund")
        self._rate()
        rating = self._rating(customer)
        self.assertRecordValues(
            rating,
            [
                {
                    # invoices, not instalments
                    "invoice_count": 4,
                    "paid_invoice_count": 3,
                    # 700 paid 10 days late out of 3,000 paid
                    "days_beyond_terms": round(700 * 10 / 3000, 1),
                    "on_time_rate": round(200 / 3, 1),
                    # the credit note of 600 covers the overdue 500: nothing is owed
                    "open_amount": 0.0,
                    "overdue_amount": 0.0,
                    "oldest_overdue_days": 0.0,
                    "overdue_ratio": 0.0,
                    # sales net of the credit note
                    "monthly_sales": round((3000 + 500 - 600) / 12, 2),
                }
            ],
        )

    def test_newcomer_is_not_rated(self):
        self._rate()
        rating = self._rating(self.newcomer)
        self.assertFalse(rating.rated)
        self.assertFalse(rating.grade_id)
        self.assertTrue(self.newcomer.credit_not_rated)
        self.assertFalse(self.newcomer.credit_grade_id)
        self.assertEqual(self.newcomer.credit_score, 0.0)

    def test_too_few_invoices_keep_the_last_grade(self):
        """A customer that stops buying keeps its grade (and a block with it)."""
        self._rate()
        self.assertEqual(self._rating(self.big_overdue).grade_id.name, "C")
        policy = self.env["customer.credit.policy"]._get_policy(self.company)
        policy.min_invoices = 10
        summary = self._rate()
        rating = self._rating(self.big_overdue)
        self.assertRecordValues(
            rating,
            [{"rated": True, "grade_kept": True, "downgraded": False, "invoice_count": 4}],
        )
        self.assertEqual(rating.grade_id.name, "C")
        self.assertEqual(rating.previous_grade_id.name, "C")
        self.assertAlmostEqual(
            rating.score,
            rating.search(
                [("partner_id", "=", self.big_overdue.id), ("is_current", "=", False)]
            ).score,
        )
        self.assertEqual(self.big_overdue.credit_grade_id.name, "C")
        self.assertIn("too few to rate", self.big_overdue.credit_explanation)
        # Without a grade before, still not rated.
        self.assertFalse(self._rating(self.newcomer).rated)
        self.assertEqual(summary["not_rated"], 1)

    def test_explanation_in_the_users_number_format(self):
        self._rate()
        self.env["res.lang"]._activate_lang("fr_FR")
        rating = self._rating(self.on_time).with_context(lang="fr_FR")
        # the rows follow the factors' order; labels aside, in French
        rows = {
            code: row[1:3] for (code, __), row in zip(FACTORS, rating._factor_rows(), strict=True)
        }
        self.assertEqual(rows["on_time_rate"], ("100,0", "100"))
        self.assertEqual(rows["monthly_sales"][0], "333,3")  # 4,000 a year
        self.assertEqual(rows["dispute_rate"], ("n/a", "–"))  # no statement

    def test_thresholds_and_weights_edited(self):
        self._rate()
        self.assertEqual(self._rating(self.late).grade_id.name, "C")
        policy = self.env["customer.credit.policy"]._get_policy(self.company)
        policy.grade_ids.filtered(lambda g: g.name == "B").min_score = 55
        self._rate()
        late = self._rating(self.late)
        self.assertEqual(late.grade_id.name, "B")
        self.assertEqual(late.previous_grade_id.name, "C")
        # Weights must add up to 100.
        factor = policy.factor_ids.filtered(lambda f: f.code == "on_time_rate")
        with self.assertRaisesRegex(ValidationError, "add up to 100"):
            policy.write({"factor_ids": [(1, factor.id, {"weight": 30})]})
        # Move 15 points from on-time to days beyond terms: the late payer loses more.
        days = policy.factor_ids.filtered(lambda f: f.code == "days_beyond_terms")
        policy.write({"factor_ids": [(1, factor.id, {"weight": 0}), (1, days.id, {"weight": 40})]})
        self._rate()
        expected = round(
            (
                40 * 50
                + 20 * 100
                + 15 * 100
                + 0 * 0
                + 5 * points(TENURE, 36, 0)
                + 5 * points(4000 / 12, 100000, 0)
            )
            / 85,
            1,
        )
        self.assertAlmostEqual(self._rating(self.late).score, expected)

    def test_history_and_downgrade_activity(self):
        self._rate()
        first = self._rating(self.big_overdue)
        self.big_overdue.user_id = self.env.user
        # A second big invoice makes things worse.
        self._invoice(self.big_overdue, date(2026, 6, 1), 80000, due=date(2026, 7, 1))
        self._rate()
        second = self._rating(self.big_overdue)
        self.assertNotEqual(first, second)
        self.assertFalse(first.is_current)
        self.assertEqual(
            self.env["customer.credit.rating"].search_count(
                [("partner_id", "=", self.big_overdue.id)]
            ),
            2,
        )
        self.assertLess(second.score, first.score)
        self.assertEqual(second.grade_id.name, "D")
        self.assertTrue(second.downgraded)
        activity = self.big_overdue.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertIn("from C to D", activity.summary)
        self.assertEqual(activity.user_id, self.env.user)

    def test_manual_override_needs_reason(self):
        self._rate()
        grade_a = self._rating(self.on_time).grade_id
        with self.assertRaisesRegex(ValidationError, "reason"):
            self.late.write({"credit_grade_override_id": grade_a.id})
        self.late.write(
            {"credit_grade_override_id": grade_a.id, "credit_override_reason": "老客户，有担保"}
        )
        self.assertEqual(self.late.credit_grade_id.name, "A")
        self.assertIn("老客户", self.late.credit_explanation)

    def test_customers_found_by_grade_and_score(self):
        """Contacts ▸ search "Credit Grade", and the API's `credit_grade`."""
        self._rate()
        contact = self.env["res.partner"].create({"name": "采购部", "parent_id": self.late.id})
        customers = self.on_time | self.late | contact | self.big_overdue | self.newcomer

        def found(domain):
            return self.env["res.partner"].search([("id", "in", customers.ids), *domain])

        self.assertEqual((customers - contact).mapped("credit_grade"), ["A", "C", "C", False])
        self.assertEqual(contact.credit_grade, "C")
        grade_a, grade_c = self._rating(self.on_time).grade_id, self._rating(self.late).grade_id
        self.assertEqual(
            found([("credit_grade", "=", "C")]), self.late | contact | self.big_overdue
        )
        self.assertEqual(
            found([("credit_grade", "ilike", "c")]), self.late | contact | self.big_overdue
        )
        self.assertEqual(found([("credit_grade_id", "=", grade_a.id)]), self.on_time)
        self.assertEqual(found([("credit_grade", "=", False)]), self.newcomer)
        self.assertEqual(found([("credit_grade", "!=", False)]), customers - self.newcomer)
        self.assertEqual(
            found([("credit_grade_id", "in", [False, grade_a.id])]), self.on_time | self.newcomer
        )
        self.assertEqual(
            found([("credit_grade_id", "!=", grade_c.id)]), self.on_time | self.newcomer
        )
        self.assertEqual(found([("credit_grade_id.min_score", ">=", 85)]), self.on_time)  # grade A
        self.assertEqual(
            found([("credit_grade_id.name", "!=", "A")]), self.late | contact | self.big_overdue
        )
        # Scores: 89.3 on time, 57.0 always late; the newcomer has none, not 0.
        self.assertEqual(found([("credit_score", ">=", 85)]), self.on_time)
        self.assertEqual(
            found([("credit_score", "<", 60)]), self.late | contact | self.big_overdue
        )  # 57.0 and 52.1; not the newcomer
        self.assertEqual(found([("credit_score", "=", False)]), self.newcomer)
        # A manual grade wins over the rating's.
        self.late.write(
            {"credit_grade_override_id": grade_a.id, "credit_override_reason": "有担保"}
        )
        self.assertEqual(found([("credit_grade", "=", "A")]), self.on_time | self.late | contact)
        self.assertEqual(found([("credit_grade", "=", "C")]), self.big_overdue)
        # Another company rated nobody.
        other = self.setup_other_company(name="深圳子公司")["company"]
        self.env.user.company_ids |= other
        elsewhere = self.env["res.partner"].with_company(other)
        self.assertFalse(
            elsewhere.search([("id", "in", customers.ids), ("credit_grade", "!=", False)])
        )
        self.assertFalse(elsewhere.browse(self.on_time.id).credit_grade)

    def test_lowest_grade_limits_and_never_unlimits(self):
        grades = self.env["customer.credit.policy"]._get_policy(self.company).grade_ids
        grade_d = grades.filtered(lambda g: g.name == "D")
        immediate = self.env.ref("account.account_payment_term_immediate")
        self.assertRecordValues(
            grade_d,
            [{"limit_months": 0.5, "sale_policy": "block", "payment_term_id": immediate.id}],
        )
        # A suggested limit of 0 would mean "no limit" to Odoo: the smallest amount instead.
        self.assertEqual(
            grade_d._partner_values(0.0),
            {"credit_limit": 0.01, "property_payment_term_id": immediate.id},
        )
        self.assertEqual(grade_d._partner_values(1234.5)["credit_limit"], 1234.5)

    def test_suggested_limit_applied(self):
        policy = self.env["customer.credit.policy"]._get_policy(self.company)
        term = self.env.ref("account.account_payment_term_30days")
        policy.grade_ids.filtered(lambda g: g.name == "A").payment_term_id = term
        policy.apply_suggestions = True
        self._rate()
        partner = self.on_time.with_company(self.company)
        self.assertAlmostEqual(partner.credit_limit, 3 * 4000 / 12, places=2)
        self.assertEqual(partner.property_payment_term_id, term)

    def test_failing_follow_up_keeps_the_previous_rating_and_is_retried(self):
        """One customer's limit cannot be written: the others' ratings and limits stand."""
        policy = self.env["customer.credit.policy"]._get_policy(self.company)
        policy.apply_suggestions = True
        original = CustomerCreditEngine._apply_grade

        def apply_grade(engine, partner, grade, suggested):
            if partner == self.on_time:
                raise ValueError("credit limit refused by another addon")
            return original(engine, partner, grade, suggested)

        with patch.object(CustomerCreditEngine, "_apply_grade", apply_grade):
            summary = self._rate()
        self.assertEqual(summary["follow_up_failed"], 1)
        on_time = self.on_time.with_company(self.company)
        self.assertFalse(self._rating(self.on_time), "no rating without its follow-up")
        self.assertEqual(on_time.credit_limit, 0.0)
        self.assertIn("credit limit refused by another addon", on_time.message_ids[0].body)
        self.assertIn("could not be applied", on_time.message_ids[0].body)
        # The others are rated and get their limits.
        disputer = self._rating(self.disputer)
        self.assertTrue(disputer.grade_id)
        self.assertGreater(disputer.suggested_limit, 0)
        self.assertAlmostEqual(
            self.disputer.with_company(self.company).credit_limit, disputer.suggested_limit
        )
        self.assertEqual(self._rating(self.late).grade_id.name, "C")
        # The next rating finds the same change and applies it.
        summary = self._rate()
        self.assertEqual(summary["follow_up_failed"], 0)
        self.assertEqual(self._rating(self.on_time).grade_id.name, "A")
        self.assertAlmostEqual(on_time.credit_limit, 3 * 4000 / 12, places=2)

    def test_branch_without_policy_is_rated_with_its_parents(self):
        """A branch with no rating policy of its own rates its customers, on
        its own invoices, with its parent company's policy (here a grade A
        from 95 points only); its people read the grades but do not change
        them."""
        policy = self.env["customer.credit.policy"]._get_policy(self.company)
        grade_a = policy.grade_ids.filtered(lambda g: g.name == "A")
        grade_a.min_score = 95
        branch = self.env["res.company"].create(
            {"name": "宁波分公司", "parent_id": self.company.id}
        )
        self.env.user.company_ids |= branch
        self.env["account.journal"].create(
            {"name": "分公司销售", "code": "BRS", "type": "sale", "company_id": branch.id}
        )
        customer = self._customer("分公司客户")
        receivable = customer.with_company(self.company).property_account_receivable_id
        customer.with_company(branch).property_account_receivable_id = receivable
        for index in range(3):
            day = date(2026, 6 + index, 1)
            invoice = self._invoice(customer, day, 1000, due=day, company=branch)
            self._pay(invoice.with_company(branch), 1000, day)
        Policy = self.env["customer.credit.policy"]
        self.assertEqual(Policy._get_policy(branch), policy)
        with freeze_time(TODAY):
            self.engine.with_company(branch)._rate_company(branch)
        self.assertFalse(Policy.sudo().search([("company_id", "=", branch.id)]))
        rating = self.env["customer.credit.rating"].search(
            [("partner_id", "=", customer.id), ("company_id", "=", branch.id)]
        )
        self.assertEqual(rating.invoice_count, 3)
        self.assertLess(rating.score, 95)
        self.assertGreaterEqual(rating.score, 85)
        self.assertEqual(rating.grade_id, policy.grade_ids.filtered(lambda g: g.name == "B"))
        clerk = self._user(
            "branch_credit_clerk", "customer_reconciliation.group_statement_manager", branch
        )
        self.assertEqual(customer.with_user(clerk).with_company(branch).credit_grade, "B")
        with self.assertRaises(AccessError):
            grade_a.with_user(clerk).write({"min_score": 50})
        # In the branch, a manual grade is one of the policy it is rated with.
        in_branch = customer.with_company(branch)
        in_branch.write(
            {"credit_grade_override_id": grade_a.id, "credit_override_reason": "集团担保"}
        )
        self.assertEqual(in_branch.credit_grade, "A")

    def test_company_weights_do_not_leak(self):
        other = self.setup_other_company(name="深圳子公司")["company"]
        policy = self.env["customer.credit.policy"]._get_policy(self.company)
        factor = policy.factor_ids.filtered(lambda f: f.code == "on_time_rate")
        days = policy.factor_ids.filtered(lambda f: f.code == "days_beyond_terms")
        policy.write({"factor_ids": [(1, factor.id, {"weight": 0}), (1, days.id, {"weight": 40})]})
        customer = self._customer("两地客户")
        for index in range(3):
            day = date(2026, 6 + index, 1)
            invoice = self._invoice(customer, day, 1000, due=day, company=other)
            self._pay(invoice.with_company(other), 1000, day + timedelta(days=30))
        self.assertEqual(
            self.env["customer.credit.policy"]
            ._get_policy(other)
            .factor_ids.filtered(lambda f: f.code == "on_time_rate")
            .weight,
            15,
        )
        with freeze_time(TODAY):
            self.engine.with_company(other)._rate_company(other)
        rating = self.env["customer.credit.rating"].search(
            [("partner_id", "=", customer.id), ("company_id", "=", other.id)]
        )
        tenure = (date(2026, 11, 20) - date(2026, 6, 1)).days / 30.4375
        expected = round(
            (
                25 * 50
                + 20 * 100
                + 15 * 100
                + 15 * 0
                + 5 * points(tenure, 36, 0)
                + 5 * points(3000 / 12, 100000, 0)
            )
            / 85,
            1,
        )
        self.assertAlmostEqual(rating.score, expected)
        self.assertFalse(self._rating(customer))  # nothing in the first company

    def test_cron_rates_every_company(self):
        with freeze_time(TODAY):
            self.env.ref("customer_reconciliation.ir_cron_credit_rating").method_direct_trigger()
        self.assertEqual(self._rating(self.on_time).grade_id.name, "A")

    def test_company_that_fails_is_noted_on_its_policy(self):
        """A company whose rating fails is rated once, not twice, the reason is
        shown on its credit policy, and the next good run clears it. Its
        branch, rated with the same policy right after it, leaves it."""
        branch = self.env["res.company"].create(
            {"name": "宁波分公司", "parent_id": self.company.id}
        )
        original = CustomerCreditEngine._rate_company
        calls = []

        def rate_company(engine, company, *args, **kwargs):
            if company == self.company:
                calls.append(company)
                raise ValueError("factor query failed")
            return original(engine, company, *args, **kwargs)

        with freeze_time(TODAY), patch.object(CustomerCreditEngine, "_rate_company", rate_company):
            # as the scheduler's user, who works in every company
            summary = self.engine.sudo()._cron_rate_customers()
        self.assertEqual((summary["failed"], len(calls)), (1, 1))
        policy = self.env["customer.credit.policy"]._get_policy(self.company)
        self.assertEqual(self.env["customer.credit.policy"]._get_policy(branch), policy)
        self.assertIn("factor query failed", policy.last_failure)
        self.assertNotIn(branch.name, policy.last_failure)
        with freeze_time(TODAY):
            self.assertEqual(self.engine.sudo()._cron_rate_customers()["failed"], 0)
        self.assertFalse(policy.last_failure)
        self.assertEqual(self._rating(self.on_time).grade_id.name, "A")

    def test_confirmation_factors(self):
        customer = self._customer("确认快客户", email="c@example.com")
        for month in (8, 9):
            day = date(2026, month, 5)
            invoice = self._invoice(customer, day, 100, due=day)
            self._pay(invoice, 100, day)
        self._invoice(customer, date(2026, 10, 5), 100, due=date(2026, 12, 5))
        statement = self.Statement.generate_statements(
            customer.ids, date(2026, 10, 1), date(2026, 10, 31)
        )
        with freeze_time("2026-11-02"):
            statement._send_by_email()
        with freeze_time("2026-11-06"):
            statement._record_confirmation(
                "会计",
                signature=SIGNATURE,
                audit={"channel": "token", "content_hash": statement.content_hash},
            )
        self._rate()
        rating = self._rating(customer)
        self.assertEqual(rating.statement_count, 1)
        self.assertAlmostEqual(rating.confirmation_rate, 100.0)
        self.assertAlmostEqual(rating.confirmation_days, 4.0)
        self.assertAlmostEqual(rating.dispute_rate, 0.0)

    def test_limit_used_against_the_company_default_limit(self):
        # 50,000 open; no limit of its own, the company's default is 100,000.
        self.env["ir.default"].set(
            "res.partner", "credit_limit", 100000.0, company_id=self.company.id
        )
        self._rate()
        self.assertAlmostEqual(self._rating(self.big_overdue).limit_utilisation, 50.0)
        # A limit of its own wins: 50,000 of 40,000 is 125 %.
        self.big_overdue.with_company(self.company).credit_limit = 40000
        self._rate()
        self.assertAlmostEqual(self._rating(self.big_overdue).limit_utilisation, 125.0)

    def test_block_grade_on_invoice_posting(self):
        self._rate()
        customer = self.late.with_company(self.company)
        grade = customer.credit_grade_id
        self.assertEqual(grade.name, "C")
        customer.credit_limit = 500
        self.company.account_use_credit_limit = True
        billing = self._billing_user("credit_billing")
        # A warning grade warns (Odoo's banner) and posts.
        grade.sale_policy = "warn"
        invoice = self._draft_invoice(customer, 800)
        self.assertIn("credit limit", invoice.partner_credit_warning)
        invoice.with_user(billing).action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(
            len(invoice.message_ids.filtered(lambda m: "confirmed by" in (m.body or ""))), 1
        )
        # A blocking grade refuses the user, with Odoo's message and ours.
        grade.sale_policy = "block"
        invoice = self._draft_invoice(customer, 800)
        with self.assertRaisesRegex(UserError, "does not allow going over the limit"):
            invoice.with_user(billing).action_post()
        self.assertEqual(invoice.state, "draft")
        # A manager may go over it; the override is noted.
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertTrue(invoice.message_ids.filtered(lambda m: "allowed by" in m.body))
        # Under the limit nothing stands in the way.
        customer.credit_limit = 100000
        invoice = self._draft_invoice(customer, 800)
        invoice.with_user(billing).action_post()
        self.assertEqual(invoice.state, "posted")

    def test_block_follows_the_invoice_s_company_not_the_user_s(self):
        """A billing user working in another company posts an invoice of this
        one: the customer's limit and receivables of this company count."""
        self._rate()
        customer = self.late.with_company(self.company)
        customer.credit_grade_id.sale_policy = "block"
        customer.credit_limit = 500
        self.company.account_use_credit_limit = True
        other = self.setup_other_company(name="香港贸易有限公司")["company"]
        other.account_use_credit_limit = True
        billing = self._billing_user("credit_billing_two")
        billing.company_ids |= other
        invoice = self._draft_invoice(customer, 800)
        elsewhere = invoice.with_user(billing).with_context(
            allowed_company_ids=[other.id, self.company.id]
        )
        with self.assertRaisesRegex(UserError, "does not allow going over the limit"):
            elsewhere.action_post()
        self.assertEqual(invoice.state, "draft")

    def test_block_counts_invoices_posted_together(self):
        self._rate()
        customer = self.late.with_company(self.company)
        customer.credit_grade_id.sale_policy = "block"
        customer.credit_limit = 1000
        self.company.account_use_credit_limit = True
        billing = self._billing_user("credit_batch")
        first, second = self._draft_invoice(customer, 600), self._draft_invoice(customer, 600)
        # Each alone is under the limit; posted together they are 1,200.
        self.assertFalse(first.partner_credit_warning)
        self.assertFalse(second.partner_credit_warning)
        with self.assertRaisesRegex(UserError, "does not allow going over the limit"):
            (first | second).with_user(billing).action_post()
        self.assertEqual((first | second).mapped("state"), ["draft", "draft"])
        # Another customer's invoice in the same batch does not count.
        other = self._draft_invoice(self.on_time.with_company(self.company), 600)
        (first | other).with_user(billing).action_post()
        self.assertEqual((first | other).mapped("state"), ["posted", "posted"])
        self.env.invalidate_all()  # the next request: the first one is in the credit now
        with self.assertRaisesRegex(UserError, "does not allow going over the limit"):
            second.with_user(billing).action_post()

    def _billing_user(self, login):
        """A billing user of the company, who may not read credit grades."""
        return self._user(login, "account.group_account_invoice")

    def _draft_invoice(self, partner, amount):
        return self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": "2026-11-20",
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "货物",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [(5, 0, 0)],
                            "account_id": self.revenue.id,
                        },
                    )
                ],
            }
        )
