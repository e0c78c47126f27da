from datetime import date
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import sql_db
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MockEmail

from ..models.customer_dunning_record import CustomerDunningRecord
from .common import StatementCommon

DUE = "2026-11-20"


@tagged("post_install", "-at_install")
class TestDunning(StatementCommon, MockEmail):
    """Dunning levels, the dunning run and its history."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Level = cls.env["customer.dunning.level"]
        level = {"company_id": cls.company.id}
        cls.level_friendly = Level.create(
            {
                **level,
                "name": "Friendly Reminder",
                "sequence": 10,
                "days": -3,
                "channel": "email",
                "mail_template_id": cls.env.ref(
                    "customer_reconciliation.mail_template_dunning_reminder"
                ).id,
            }
        )
        cls.level_second = Level.create(
            {
                **level,
                "name": "Second Reminder",
                "sequence": 20,
                "days": 7,
                "channel": "email",
                "mail_template_id": cls.env.ref(
                    "customer_reconciliation.mail_template_dunning_overdue"
                ).id,
            }
        )
        cls.level_call = Level.create(
            {
                **level,
                "name": "Salesperson Call",
                "sequence": 30,
                "days": 30,
                "channel": "activity",
                "activity_user": "salesperson",
            }
        )
        cls.level_legal = Level.create(
            {
                **level,
                "name": "Final Notice",
                "sequence": 40,
                "days": 60,
                "channel": "letter",
                "activity_user": "responsible",
                "legal_notice": True,
                "payment_days": 5,
            }
        )
        cls.customer = cls._customer("杭州华信贸易有限公司", email="boss@huaxin.example.com")
        cls.accountant = cls.env["res.partner"].create(
            {
                "name": "王会计",
                "type": "invoice",
                "parent_id": cls.customer.id,
                "email": "finance@huaxin.example.com",
            }
        )
        cls.inv_1 = cls._invoice(cls.customer, "2026-10-21", 1000, due=DUE)
        cls.inv_2 = cls._invoice(cls.customer, "2026-10-25", 2500, due=DUE)
        cls.inv_later = cls._invoice(cls.customer, "2026-11-20", 800, due="2026-12-20")

    def _run(self, day):
        """Run the dunning of the test company on ``day``, mails mocked."""
        with freeze_time(day), self.mock_mail_gateway():
            return self.env["customer.dunning.level"]._run_dunning(self.company)

    def _instalment_invoice(self, customer):
        """10,000 invoiced on 1 October, 30 % due at once and 70 % in 60 days."""
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": "2026-10-01",
                "date": "2026-10-01",
                "invoice_payment_term_id": self.env.ref(
                    "account.account_payment_term_advance_60days"
                ).id,
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "货物",
                            "quantity": 1,
                            "price_unit": 10000,
                            "tax_ids": [(5, 0, 0)],
                            "account_id": self.revenue.id,
                        },
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _unmatched_payment(self, partner, amount, date):
        """A payment of ``partner`` posted and not matched to any invoice."""
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partner.id,
                "amount": amount,
                "date": date,
            }
        )
        payment.action_post()
        return payment

    def _records(self, partner=None):
        return self.env["customer.dunning.record"].search(
            [("partner_id", "=", (partner or self.customer).id)], order="id"
        )

    def _mails_to(self, partner):
        """Emails queued by the last run for ``partner`` (rolled back ones left out)."""
        return self._new_mails.exists().filtered(lambda mail: partner in mail.recipient_ids)

    # ------------------------------------------------------------------
    # The ladder
    # ------------------------------------------------------------------
    def test_friendly_then_second_never_twice(self):
        # Four days before the due date: no level is reached yet.
        self.assertEqual(self._run("2026-11-16"), {"customers": 0, "messages": 0, "failed": 0})
        self.assertFalse(self._records())

        # Three days before: one friendly reminder for both invoices.
        summary = self._run("2026-11-17")
        self.assertEqual(summary, {"customers": 1, "messages": 1, "failed": 0})
        friendly = self._records()
        self.assertEqual(len(friendly), 1)
        self.assertEqual(friendly.level_id, self.level_friendly)
        self.assertEqual(friendly.invoice_ids, self.inv_1 | self.inv_2)
        self.assertAlmostEqual(friendly.amount_due, 3500.0)
        self.assertEqual(friendly.contact_id, self.accountant)
        self.assertEqual(friendly.channel, "email")
        self.assertEqual(str(friendly.date), "2026-11-17 00:00:00")
        mail = self._mails_to(self.accountant)
        self.assertEqual(len(mail), 1, "one email for the customer's invoices")
        self.assertFalse(self._mails_to(self.customer))
        self.assertIn("Invoices falling due soon", mail.subject)
        for text in (self.inv_1.name, self.inv_2.name, "1,000.00", "2,500.00", "3,500.00"):
            self.assertIn(text, mail.body_html)
        self.assertNotIn(self.inv_later.name, mail.body_html)
        self.assertEqual(friendly.mail_message_id.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertIn(friendly.mail_message_id, friendly.message_ids)
        # The invoices' salesperson follows the replies, without a copy of the reminder.
        self.assertTrue(self.inv_1.invoice_user_id)
        self.assertEqual(friendly.responsible_id, self.inv_1.invoice_user_id)
        self.assertEqual(friendly.message_partner_ids, friendly.responsible_id.partner_id)
        self.assertFalse(self._mails_to(friendly.responsible_id.partner_id))

        # Run again the same day, then on the due date: nothing new.
        for day in ("2026-11-17", DUE):
            self.assertEqual(self._run(day)["messages"], 0)
            self.assertFalse(self._mails_to(self.accountant))
        self.assertEqual(len(self._records()), 1)

        # Seven days overdue: the second level, once.
        self.assertEqual(self._run("2026-11-27")["messages"], 1)
        second = self._records() - friendly
        self.assertEqual(second.level_id, self.level_second)
        self.assertEqual(second.invoice_ids, self.inv_1 | self.inv_2)
        mail = self._mails_to(self.accountant)
        self.assertEqual(len(mail), 1)
        self.assertIn("Overdue invoices", mail.subject)
        self.assertIn("3,500.00", mail.body_html)
        self.assertEqual(self._run("2026-11-28")["messages"], 0)
        self.assertEqual(len(self._records()), 2)

        # The history, on the invoice and on the customer.
        self.assertEqual(self.inv_1.dunning_record_ids, friendly | second)
        self.assertEqual(self.inv_1.dunning_level_id, self.level_second)
        self.assertEqual(str(self.inv_1.dunning_date), "2026-11-27 00:00:00")
        self.assertEqual(self.inv_1.dunning_count, 2)
        self.assertFalse(self.inv_later.dunning_record_ids)
        self.assertFalse(self.inv_later.dunning_level_id)
        self.assertEqual(self.customer.dunning_record_ids, friendly | second)
        self.assertEqual(self.customer.dunning_record_count, 2)
        self.assertEqual(self.accountant.dunning_record_count, 2)
        action = self.inv_1.action_view_dunning_records()
        self.assertEqual(
            self.env["customer.dunning.record"].search(action["domain"]), friendly | second
        )
        action = self.accountant.action_view_dunning_records()
        self.assertEqual(
            self.env["customer.dunning.record"].search(action["domain"]), friendly | second
        )

    def test_late_invoice_gets_highest_level_only(self):
        """First seen ten days overdue: the second level, never the friendly one after."""
        self.assertEqual(self._run("2026-11-30")["messages"], 1)
        self.assertEqual(self._records().level_id, self.level_second)
        self.assertEqual(self._run("2026-12-01")["messages"], 0)
        # The invoice falling due on 20 December gets its own friendly reminder.
        self._run("2026-12-17")
        last = self._records()[-1]
        self.assertEqual(last.level_id, self.level_friendly)
        self.assertEqual(last.invoice_ids, self.inv_later)
        self.assertAlmostEqual(last.amount_due, 800.0)

    def test_archived_level_keeps_its_place_in_the_ladder(self):
        """An invoice that had a level since archived gets no lower one."""
        self.assertEqual(self._run("2026-11-27")["messages"], 1)
        second = self._records()
        self.assertEqual(second.level_id, self.level_second)
        self.level_second.active = False
        # Only the friendly level is reached and active: it is not sent after the second.
        self.assertEqual(self._run("2026-11-28"), {"customers": 0, "messages": 0, "failed": 0})
        self.assertEqual(self._records(), second)
        # Thirty days overdue: the call; the invoice due that day gets its friendly reminder.
        self.assertEqual(self._run("2026-12-20")["messages"], 2)
        later = self._records() - second
        self.assertEqual(
            {record.level_id: record.invoice_ids for record in later},
            {self.level_call: self.inv_1 | self.inv_2, self.level_friendly: self.inv_later},
        )

    def test_days_count_in_the_company_time_zone(self):
        self.company.partner_id.tz = "Asia/Shanghai"
        # 23:30 on 16 November in Shanghai: four days before the due date.
        self.assertEqual(self._run("2026-11-16 15:30:00")["messages"], 0)
        # 00:30 on 17 November in Shanghai, still the 16th in UTC: three days before.
        self.assertEqual(self._run("2026-11-16 16:30:00")["messages"], 1)
        record = self._records()
        self.assertEqual(record.level_id, self.level_friendly)
        # The letter is dated in Shanghai's day too.
        self.assertEqual(record._letter_date(), date(2026, 11, 17))
        self.assertTrue(record.name.endswith("2026-11-17"))

    def test_one_message_per_customer_and_level(self):
        other = self._customer("苏州恒通机械有限公司", email="ap@hengtong.example.com")
        self._invoice(other, "2026-10-01", 300, due="2026-11-01")
        self._invoice(other, "2026-10-05", 700, due="2026-11-01")
        # Ten days overdue for the other customer; the first one gets its friendly reminder.
        summary = self._run("2026-11-17")
        self.assertEqual(summary, {"customers": 2, "messages": 2, "failed": 0})
        self.assertEqual(len(self._mails_to(self.accountant)), 1)
        mail = self._mails_to(other)
        self.assertEqual(len(mail), 1)
        self.assertIn("1,000.00", mail.body_html)  # 300 + 700
        record = self._records(other)
        self.assertEqual(record.level_id, self.level_second)
        self.assertEqual(len(record.invoice_ids), 2)
        # Two levels due the same day for one customer: one message per level.
        third = self._customer("宁波远洋贸易有限公司", email="cw@yuanyang.example.com")
        soon = self._invoice(third, "2026-11-01", 100, due="2026-11-20")
        late = self._invoice(third, "2026-10-01", 200, due="2026-11-05")
        summary = self._run("2026-11-17")
        self.assertEqual(summary, {"customers": 1, "messages": 2, "failed": 0})
        records = self._records(third)
        self.assertEqual(records.mapped("level_id"), self.level_friendly | self.level_second)
        by_level = {record.level_id: record.invoice_ids for record in records}
        self.assertEqual(by_level[self.level_friendly], soon)
        self.assertEqual(by_level[self.level_second], late)
        self.assertEqual(len(self._mails_to(third)), 2)

    def test_invoice_addressed_to_a_contact_is_reminded_to_it(self):
        """An invoice made out to a branch reminds the branch; the customer's
        other invoices still go to its invoice address."""
        branch = self.env["res.partner"].create(
            {
                "name": "华信宁波分公司",
                "type": "other",
                "parent_id": self.customer.id,
                "email": "nb@huaxin.example.com",
            }
        )
        nobody = self.env["res.partner"].create(
            {"name": "采购员", "type": "contact", "parent_id": self.customer.id}
        )
        branch_invoice = self._invoice(branch, "2026-10-26", 600, due=DUE)
        no_email_invoice = self._invoice(nobody, "2026-10-27", 400, due=DUE)
        summary = self._run("2026-11-17")
        self.assertEqual(summary, {"customers": 1, "messages": 2, "failed": 0})
        by_contact = {record.contact_id: record for record in self._records()}
        self.assertEqual(set(by_contact), {self.accountant, branch})
        self.assertEqual(
            by_contact[self.accountant].invoice_ids, self.inv_1 | self.inv_2 | no_email_invoice
        )
        self.assertEqual(by_contact[branch].invoice_ids, branch_invoice)
        self.assertAlmostEqual(by_contact[branch].amount_due, 600.0)
        mail = self._mails_to(branch)
        self.assertEqual(len(mail), 1)
        self.assertIn(branch_invoice.name, mail.body_html)
        self.assertNotIn(self.inv_1.name, mail.body_html)
        self.assertEqual(len(self._mails_to(self.accountant)), 1)
        # Both sent: the next level goes the same way, nothing is sent twice.
        self.assertEqual(self._run("2026-11-18")["messages"], 0)

    # ------------------------------------------------------------------
    # What is left out
    # ------------------------------------------------------------------
    def _audit(self, statement):
        return {
            "channel": "token",
            "ip_address": "127.0.0.1",
            "user_agent": "Mozilla/5.0 test",
            "content_hash": statement.content_hash,
            "name": "王会计",
        }

    def _sent_statement(self):
        self.customer.with_company(self.company).statement_policy_id = self.policy
        statement = self.Statement.generate_statements(
            self.customer.ids, date(2026, 10, 1), date(2026, 10, 31)
        )
        with freeze_time("2026-11-02"), self.mock_mail_gateway():
            statement._send_by_email()
        return statement

    def test_disputed_invoice_is_skipped(self):
        statement = self._sent_statement()
        line = statement.line_ids.filtered(lambda ln: ln.move_id == self.inv_2)
        with self.mock_mail_gateway():
            dispute = statement._record_dispute(
                line.ids, "amount_differs", "2,000.00", audit=self._audit(statement)
            )
        self.assertEqual(dispute.state, "open")
        self._run("2026-11-27")
        record = self._records()
        self.assertEqual(record.invoice_ids, self.inv_1)
        self.assertAlmostEqual(record.amount_due, 1000.0)
        mail = self._mails_to(self.accountant)
        self.assertIn(self.inv_1.name, mail.body_html)
        self.assertNotIn(self.inv_2.name, mail.body_html)
        self.assertNotIn("2,500.00", mail.body_html)
        # Once the dispute is resolved, the invoice is dunned again.
        dispute.resolution_note = "单价无误"
        with self.mock_mail_gateway():
            dispute.action_reject()
        self.assertEqual(self._run("2026-11-27")["messages"], 1)
        self.assertEqual(self._records()[-1].invoice_ids, self.inv_2)

    def test_dispute_of_whole_statement_skips_its_invoices(self):
        statement = self._sent_statement()
        with self.mock_mail_gateway():
            statement._record_dispute([], "already_paid", 0, audit=self._audit(statement))
        # The two invoices listed on the disputed statement wait; the later one does not.
        self._run("2026-12-17")
        self.assertEqual(self._records().invoice_ids, self.inv_later)

    def test_balance_disputed_in_one_currency_holds_that_currency_only(self):
        """The customer owes 3,500 yuan and 100 euros, agrees with the yuan
        and states 80 euros: the euro invoice waits for the dispute, the
        yuan invoices are dunned."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 0.125)])
        eur_invoice = self._invoice(self.customer, "2026-10-23", 100, due=DUE, currency=eur)
        self.policy.confirmation_mode = "balance"
        statement = self._sent_statement()
        self.assertEqual(statement.confirmation_mode, "balance")
        self.assertEqual(
            statement._confirmation_balances(), [(self.company.currency_id, 3500.0), (eur, 100.0)]
        )
        with self.mock_mail_gateway():
            statement._record_balance(
                {self.company.currency_id.id: "3,500", eur.id: "80"}, audit=self._audit(statement)
            )
        self.assertEqual(statement.dispute_ids.currency_id, eur)
        self._run("2026-11-27")
        records = self._records()
        self.assertEqual(records.invoice_ids, self.inv_1 | self.inv_2)
        self.assertNotIn(eur_invoice, records.invoice_ids)

    def test_balance_disputed_in_yuan_holds_the_yuan_invoices(self):
        """The same customer agrees with the euros and states 3,000 yuan: the
        yuan invoices wait for the dispute, the euro invoice is dunned."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 0.125)])
        eur_invoice = self._invoice(self.customer, "2026-10-23", 100, due=DUE, currency=eur)
        self.policy.confirmation_mode = "balance"
        statement = self._sent_statement()
        with self.mock_mail_gateway():
            statement._record_balance(
                {self.company.currency_id.id: "3,000", eur.id: "100"}, audit=self._audit(statement)
            )
        self.assertEqual(statement.dispute_ids.currency_id, self.company.currency_id)
        self._run("2026-11-27")
        self.assertEqual(self._records().invoice_ids, eur_invoice)

    def _branch(self, name, code):
        """A branch of the test company, booking on its receivable account."""
        branch = self.env["res.company"].create({"name": name, "parent_id": self.company.id})
        self.env.user.company_ids |= branch
        self.env["account.journal"].create(
            {"name": f"{name}销售", "code": code, "type": "sale", "company_id": branch.id}
        )
        receivable = self.customer.with_company(self.company).property_account_receivable_id
        self.customer.with_company(branch).property_account_receivable_id = receivable
        return branch

    def test_branch_without_levels_is_dunned_with_its_parents(self):
        """A branch with no dunning levels of its own is dunned by its parent
        company's ladder, by the scheduled action; its reminders are its own.
        A branch with a ladder of its own keeps it."""
        branch = self._branch("宁波分公司", "NBS")
        branch_invoice = self._invoice(self.customer, "2026-10-20", 777, due=DUE, company=branch)
        own = self._branch("温州分公司", "WZS")
        own_level = self.env["customer.dunning.level"].create(
            {
                "company_id": own.id,
                "name": "分公司催款",
                "days": 20,
                "channel": "activity",
                "activity_user": "salesperson",
            }
        )
        own_invoice = self._invoice(self.customer, "2026-10-20", 555, due=DUE, company=own)
        Level = self.env["customer.dunning.level"]
        self.assertEqual(
            Level._ladder_companies(self.company | branch | own),
            {self.company.id: self.company.id, branch.id: self.company.id, own.id: own.id},
        )
        cron = self.env.ref("customer_reconciliation.ir_cron_customer_dunning")
        with freeze_time("2026-11-27"), self.mock_mail_gateway():
            cron.method_direct_trigger()
        records = self._records()
        by_company = {record.company_id: record for record in records}
        self.assertEqual(set(by_company), {self.company, branch})
        record = by_company[branch]
        self.assertEqual(record.level_id, self.level_second)
        self.assertEqual(record.invoice_ids, branch_invoice)
        self.assertAlmostEqual(record.amount_due, 777.0)
        self.assertEqual(by_company[self.company].invoice_ids, self.inv_1 | self.inv_2)
        # Someone of the branch only reads its reminder and the parent's level.
        clerk = self._user(
            "branch_dunning_clerk", "customer_reconciliation.group_statement_user", branch
        )
        self.assertEqual(record.with_user(clerk).level_id.name, "Second Reminder")
        # ... but only the parent's people change it.
        manager = self._user(
            "branch_dunning_manager", "customer_reconciliation.group_statement_manager", branch
        )
        with self.assertRaises(AccessError):
            self.level_second.with_user(manager).write({"days": 3})
        with self.assertRaises(AccessError):
            self.env["customer.dunning.level"].with_user(manager).create(
                {"company_id": self.company.id, "name": "越权", "days": 1}
            )
        self.assertFalse(
            by_company[self.company].with_user(clerk).exists()._filtered_access("read")
        )
        # The branch with its own ladder is not reminded before its own 20 days.
        self.assertNotIn(own_invoice, records.invoice_ids)
        with freeze_time("2026-12-10"), self.mock_mail_gateway():
            cron.method_direct_trigger()
        own_record = self._records().filtered(lambda r: r.company_id == own)
        self.assertEqual(own_record.level_id, own_level)
        self.assertEqual(own_record.invoice_ids, own_invoice)

    def test_parents_unmatched_payment_pays_its_branchs_invoice(self):
        """A payment of 777 booked by the parent company and not matched yet
        pays the customer's most overdue invoice, the branch's: Odoo's credit
        counts the receivables of a company and its branches together. The
        branch's invoice is not reminded, the parent's are, in full."""
        branch = self._branch("宁波分公司", "NBS")
        branch_invoice = self._invoice(
            self.customer, "2026-10-01", 777, due="2026-10-10", company=branch
        )
        self._unmatched_payment(self.customer, 777, "2026-11-01")
        self._run_companies(self.company | branch, "2026-11-27")
        records = self._records()
        self.assertNotIn(branch_invoice, records.invoice_ids)
        self.assertEqual(records.invoice_ids, self.inv_1 | self.inv_2)
        self.assertEqual(records.line_ids.mapped("amount_applied"), [0.0, 0.0])
        self.assertAlmostEqual(sum(records.mapped("amount_due")), 3500.0)
        # Dunning the branch alone counts the parent's payment the same way.
        self.assertEqual(
            self.env["customer.dunning.level"]._get_dunning_groups(branch, date(2026, 11, 27)),
            [],
        )

    def _run_companies(self, companies, day):
        with freeze_time(day), self.mock_mail_gateway():
            return self.env["customer.dunning.level"]._run_dunning(companies)

    def test_do_not_dun(self):
        self.customer.with_company(self.company).dunning_blocked = True
        self.assertEqual(self._run("2026-11-27")["messages"], 0)
        self.assertFalse(self._records())
        self.assertFalse(self._mails_to(self.accountant))
        # The switch belongs to the company: another company would still dun.
        self.assertFalse(
            self.customer.sudo().with_company(self.env.ref("base.main_company")).dunning_blocked
        )
        self.customer.with_company(self.company).dunning_blocked = False
        self.inv_2.dunning_excluded = True
        self._run("2026-11-27")
        self.assertEqual(self._records().invoice_ids, self.inv_1)
        self.assertFalse(self.inv_2.copy().dunning_excluded)

    def test_paid_and_draft_invoices_are_not_dunned(self):
        self._pay(self.inv_1, 1000, "2026-11-10")
        self._pay(self.inv_2, 500, "2026-11-10")
        draft = self.inv_1.copy({"invoice_date": "2026-10-21", "invoice_date_due": DUE})
        self.assertEqual(draft.state, "draft")
        self._run("2026-11-27")
        record = self._records()
        self.assertEqual(record.invoice_ids, self.inv_2)
        self.assertAlmostEqual(record.amount_due, 2000.0)
        self.assertIn("2,000.00", self._mails_to(self.accountant).body_html)

    def test_instalments_are_dunned_from_the_oldest_unpaid_one(self):
        """30 % due at once, 70 % in 60 days: the first part is overdue first."""
        customer = self._customer("分期付款客户", email="ap@fenqi.example.com")
        invoice = self._instalment_invoice(customer)
        self.assertEqual(str(invoice.invoice_date_due), "2026-11-30")
        self.assertEqual(str(invoice._dunning_due_date()), "2026-10-01")
        # Ten days after the first instalment fell due: the second level.
        self._run("2026-10-11")
        record = self._records(customer)
        self.assertEqual((record.level_id, record.invoice_ids), (self.level_second, invoice))
        # It asks for the 30 % due, not for the balance that is not due yet.
        self.assertAlmostEqual(record.amount_due, 3000.0)
        self.assertRecordValues(
            record.line_ids,
            [
                {
                    "move_id": invoice.id,
                    "due_date": date(2026, 10, 1),
                    "days_overdue": 10,
                    "amount_total": 10000.0,
                    "amount_residual": 10000.0,
                    "amount_due": 3000.0,
                }
            ],
        )
        # The e-mail gives the instalment's due date, not the invoice's last one.
        body = self._mails_to(customer).body_html
        self.assertNotIn("11/30/2026", body)
        self.assertIn("10/01/2026", body)
        self.assertIn("3,000.00", body)
        self.assertIn("Balance", body)
        # The first instalment paid: the rest counts from its own due date.
        self._pay(invoice, 3000, "2026-10-12")
        self.assertEqual(str(invoice._dunning_due_date()), "2026-11-30")
        self.assertEqual(self._run("2026-11-27")["messages"], 1)  # the others' second level
        self.assertEqual(len(self._records(customer)), 1)
        self.assertEqual(self._run("2026-12-07")["messages"], 0)  # second level already sent
        # 30 days after: the call (and for the others, the call and the later one's second)
        self.assertEqual(self._run("2026-12-30")["messages"], 3)
        call = self._records(customer)[-1]
        self.assertEqual(call.level_id, self.level_call)
        self.assertAlmostEqual(call.amount_due, 7000.0)
        self.assertIn("7,000.00", call.activity_id.note)
        # What the first reminder asked for stays as it was.
        self.assertAlmostEqual(record.line_ids.amount_due, 3000.0)
        self.assertAlmostEqual(record.line_ids.amount_residual, 10000.0)

    def test_reminders_are_kept_as_sent(self):
        """Statement users read reminders and write in their chatter; they
        cannot change what a reminder asked for, and nobody deletes one."""
        self._run("2026-11-27")
        record = self._records()
        clerk = self._user("dunning_reader_user", "customer_reconciliation.group_statement_user")
        as_clerk = record.with_user(clerk)
        self.assertAlmostEqual(as_clerk.amount_due, 3500.0)
        self.assertEqual(as_clerk.line_ids.mapped("amount_due"), [1000.0, 2500.0])
        with self.assertRaises(AccessError):
            as_clerk.write({"amount_due": 1.0})
        with self.assertRaises(AccessError):
            as_clerk.line_ids[0].write({"amount_due": 1.0})
        with self.assertRaises(AccessError):
            self.env["customer.dunning.record.line"].with_user(clerk).create(
                {"record_id": record.id, "move_id": self.inv_1.id, "amount_due": 1.0}
            )
        as_clerk.message_post(body="客户说下周付款", message_type="comment")
        self.assertIn("客户说下周付款", record.message_ids[0].body)
        self.assertAlmostEqual(record.amount_due, 3500.0)
        # A statement user of another company sees neither the reminder nor
        # what it asked for.
        other = self.setup_other_company(name="深圳子公司")["company"]
        outsider = self._user(
            "dunning_outsider_user", "customer_reconciliation.group_statement_user", company=other
        )
        Line = self.env["customer.dunning.record.line"].with_user(outsider)
        self.assertFalse(self.env["customer.dunning.record"].with_user(outsider).search([]))
        self.assertFalse(Line.search([]))
        self.assertFalse(Line.search_read([("record_id", "=", record.id)], ["amount_due"]))
        with self.assertRaises(AccessError):
            record.line_ids.with_user(outsider).read(["amount_due"])
        # Nobody deletes what was sent, not even a manager or the superuser:
        # the next run would send the level again.
        manager = self._user(
            "dunning_manager_user", "customer_reconciliation.group_statement_manager"
        )
        with self.assertRaises(AccessError):
            record.with_user(manager).unlink()
        with self.assertRaises(AccessError):
            record.with_user(manager).write({"amount_due": 1.0})
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            record.sudo().unlink()
        self.assertTrue(record.exists())
        self.assertEqual(self.inv_1.dunning_level_id, record.level_id)
        self._run("2026-11-28")
        self.assertEqual(self._records(), record, "the level is not sent twice")

    def test_one_reminder_per_currency(self):
        """A customer billed in CNY and in EUR gets one reminder per currency,
        each in its own currency; only the CNY one has amounts in Chinese words."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 0.125)])
        customer = self._customer("中欧贸易有限公司", email="ap@zhongou.example.com")
        cny_invoice = self._invoice(customer, "2026-10-20", 1000, due=DUE)
        eur_invoices = self._invoice(customer, "2026-10-21", 100, due=DUE, currency=eur)
        eur_invoices |= self._invoice(customer, "2026-10-22", 50.5, due=DUE, currency=eur)
        self._run("2026-11-27")
        records = self._records(customer)
        self.assertRecordValues(
            records,
            [
                {
                    "level_id": self.level_second.id,
                    "currency_id": self.company.currency_id.id,
                    "amount_due": 1000.0,
                    "amount_due_words": "壹仟元整",
                },
                {
                    "level_id": self.level_second.id,
                    "currency_id": eur.id,
                    "amount_due": 150.5,
                    "amount_due_words": False,
                },
            ],
        )
        self.assertEqual(records[0].invoice_ids, cny_invoice)
        self.assertEqual(records[1].invoice_ids, eur_invoices)
        self.assertEqual(records[1].line_ids.mapped("amount_due"), [100.0, 50.5])
        mails = self._mails_to(customer)
        self.assertEqual(len(mails), 2)
        eur_mail = mails.filtered(lambda mail: mail.res_id == records[1].id)
        self.assertIn("150.50", eur_mail.body_html)
        self.assertIn("€", eur_mail.body_html)
        self.assertNotIn("1,204.00", eur_mail.body_html)  # 150.50 EUR at 8: not in CNY

    def test_customer_owing_nothing_net_is_not_dunned(self):
        """A payment not yet matched to the invoices counts against them, the
        most overdue first: only what it leaves unpaid is reminded."""
        self._unmatched_payment(self.customer, 4300, "2026-11-21")
        invoices = self.inv_1 | self.inv_2 | self.inv_later
        self.assertEqual(sum(invoices.mapped("amount_residual")), 4300)
        self.assertEqual(self._run("2026-11-27")["messages"], 0)
        self.assertFalse(self._records())
        # A new invoice due before the last one: the payment covers it too.
        self._invoice(self.customer, "2026-11-22", 500, due="2026-11-30")
        self.assertEqual(self._run("2026-11-28")["messages"], 0)
        # Another: the payment (4,300) pays 1,000 + 2,500 + 500 first, then
        # only 300 of this one. The overdue invoices it pays are not dunned,
        # though the customer owes 1,500 net; this one gets its friendly reminder.
        new = self._invoice(self.customer, "2026-11-22", 1000, due="2026-11-30")
        self.assertEqual(self._run("2026-11-28")["messages"], 1)
        self.assertEqual(
            {record.level_id: record.invoice_ids for record in self._records()},
            {self.level_friendly: new},
        )
        # It is asked for what the payment leaves of it: 700, not 1,000.
        record = self._records()
        self.assertRecordValues(
            record.line_ids,
            [
                {
                    "move_id": new.id,
                    "amount_residual": 1000,
                    "amount_applied": 300,
                    "amount_due": 700,
                }
            ],
        )
        self.assertEqual(record.amount_due, 700)
        mail = self._mails_to(self.accountant)
        self.assertIn("Less unmatched payments", mail.body_html)
        self.assertIn("300.00", mail.body_html)
        letter = str(
            self.env["ir.actions.report"]._render_qweb_html(
                "customer_reconciliation.action_report_customer_dunning_letter", record.ids
            )[0],
            "utf-8",
        )
        self.assertIn("减未核销款项", letter)
        self.assertIn("700.00", letter)

    def test_unmatched_credits_pay_invoices_in_their_currency(self):
        """A yuan payment not matched yet does not pay a euro invoice: the
        euro invoice is reminded in full, the yuan one it pays is not."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 0.125)])
        customer = self._customer("跨币种客户", email="ap@kuabi.example.com")
        eur_invoice = self._invoice(customer, "2026-10-01", 1000, due="2026-10-10", currency=eur)
        self._invoice(customer, "2026-10-20", 5000, due="2026-11-20")
        self._unmatched_payment(customer, 5000, "2026-11-21")
        self._run("2026-11-27")
        records = self._records(customer)
        self.assertEqual(records.invoice_ids, eur_invoice)
        self.assertEqual(records.currency_id, eur)
        self.assertRecordValues(
            records.line_ids, [{"amount_residual": 1000, "amount_applied": 0, "amount_due": 1000}]
        )

    def test_instalments_the_credits_pay_are_not_reminded(self):
        """30 % due now, 70 % in 60 days, and an unmatched payment of 3,000:
        nothing is due before the second instalment (reminders asking 0 sent
        the invoice up the ladder), and the second is reminded from its own
        due date, 30 November, not from the first instalment's, which the
        payment pays."""
        customer = self._customer("分期客户", email="ap@fenqi.example.com")
        invoice = self._instalment_invoice(customer)
        self._unmatched_payment(customer, 3000, "2026-10-02")
        self.assertEqual(str(invoice._dunning_due_date(3000.0)), "2026-11-30")
        self.assertEqual(str(invoice._dunning_due_date(2999.0)), "2026-10-01")
        for day in ("2026-10-11", "2026-10-31", "2026-11-26"):
            self._run(day)
            self.assertFalse(self._records(customer), day)
        # Three days before it falls due: the friendly reminder, not the
        # salesperson's call that 57 days from 1 October would reach.
        self._run("2026-11-27")
        record = self._records(customer)
        self.assertEqual(record.level_id, self.level_friendly)
        self.assertRecordValues(
            record.line_ids,
            [
                {
                    "due_date": date(2026, 11, 30),
                    "days_overdue": -3,
                    "amount_applied": 3000,
                    "amount_due": 7000,
                }
            ],
        )
        self._run("2026-12-07")
        self.assertEqual(self._records(customer)[-1:].level_id, self.level_second)

    # ------------------------------------------------------------------
    # Failure isolation
    # ------------------------------------------------------------------
    def test_failing_customer_is_isolated_and_retried(self):
        second = self._customer("苏州恒通机械有限公司", email="ap@hengtong.example.com")
        third = self._customer("宁波远洋贸易有限公司", email="cw@yuanyang.example.com")
        self._invoice(second, "2026-10-01", 300, due=DUE)
        self._invoice(third, "2026-10-01", 400, due=DUE)
        send_email = CustomerDunningRecord._send_email

        def failing(records):
            if second in records.partner_id:
                raise ConnectionRefusedError("mail server unreachable")
            return send_email(records)

        with patch.object(CustomerDunningRecord, "_send_email", failing):
            summary = self._run("2026-11-27")
        self.assertEqual(summary, {"customers": 2, "messages": 2, "failed": 1})
        self.assertEqual(len(self._records()), 1)
        self.assertEqual(len(self._records(third)), 1)
        self.assertFalse(self._records(second))
        self.assertEqual(len(self._mails_to(self.accountant)), 1)
        self.assertEqual(len(self._mails_to(third)), 1)
        self.assertFalse(self._mails_to(second))
        note = second.message_ids.filtered(lambda m: "Dunning failed" in m.body)
        self.assertEqual(len(note), 1)
        self.assertIn("mail server unreachable", note.body)

        # The next run sends the failed customer only.
        summary = self._run("2026-11-28")
        self.assertEqual(summary, {"customers": 1, "messages": 1, "failed": 0})
        self.assertEqual(self._records(second).level_id, self.level_second)
        self.assertEqual(len(self._mails_to(second)), 1)
        self.assertEqual(len(self._records()), 1)
        self.assertEqual(len(self._records(third)), 1)

    def test_customer_without_email_gets_an_activity(self):
        silent = self._customer("无邮箱客户")
        self._invoice(silent, "2026-10-01", 600, due=DUE)
        self._run("2026-11-27")
        record = self._records(silent)
        self.assertEqual(record.channel, "activity")
        self.assertIn("no email address", record.note)
        self.assertEqual(record.activity_id.res_id, silent.id)

    def test_level_without_template_gives_an_activity(self):
        template = self.level_second.mail_template_id
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            template.unlink()
        # A level left without one (written before this rule): an activity, no empty e-mail.
        self.env.cr.execute(
            "UPDATE customer_dunning_level SET mail_template_id = NULL WHERE id = %s",
            [self.level_second.id],
        )
        self.level_second.invalidate_recordset()
        self._run("2026-11-27")
        record = self._records()
        self.assertEqual((record.level_id, record.channel), (self.level_second, "activity"))
        self.assertIn("no email template", record.note)
        self.assertEqual(record.activity_id.res_id, self.customer.id)
        self.assertFalse(self._mails_to(self.accountant))

    # ------------------------------------------------------------------
    # Activities and letters
    # ------------------------------------------------------------------
    def test_activity_for_the_salesperson(self):
        salesperson = self._user("dunning_sales", "base.group_user")
        self.customer.user_id = salesperson
        self._run("2026-12-20")  # 30 days overdue; the later invoice is due that day
        record = self._records().filtered(lambda r: r.level_id == self.level_call)
        self.assertEqual(record.invoice_ids, self.inv_1 | self.inv_2)
        self.assertEqual(record.channel, "activity")
        activity = record.activity_id
        self.assertEqual(activity.res_model, "res.partner")
        self.assertEqual(activity.res_id, self.customer.id)
        self.assertEqual(activity.user_id, salesperson)
        self.assertEqual(record.responsible_id, salesperson)
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("customer_reconciliation.mail_activity_dunning"),
        )
        self.assertEqual(str(activity.date_deadline), "2026-12-20")
        self.assertIn("3,500.00", activity.summary)
        self.assertIn(self.inv_1.name, activity.note)
        self.assertIn(self.inv_2.name, activity.note)
        # No email for the call level: the only one is the later invoice's friendly reminder.
        mail = self._mails_to(self.accountant)
        self.assertEqual(len(mail), 1)
        self.assertIn(self.inv_later.name, mail.body_html)
        self.assertNotIn(self.inv_1.name, mail.body_html)
        # The salesperson sees the activity on the customer without dunning rights.
        self.assertTrue(self.customer.with_user(salesperson).activity_ids)

    def test_legal_notice_letter(self):
        responsible = self._user(
            "dunning_responsible", "customer_reconciliation.group_statement_user"
        )
        self.customer.statement_user_id = responsible
        big = self._invoice(self.customer, "2026-09-01", 12345.6, due="2026-10-01")
        # 60 days overdue for the big one, 10 for the others: never reminded
        # before, it gets the call first, not a notice saying it was reminded.
        self._run("2026-11-30")
        self.assertEqual(
            {record.level_id: record.invoice_ids for record in self._records()},
            {self.level_call: big, self.level_second: self.inv_1 | self.inv_2},
        )
        self._run("2026-12-01")
        letter = self._records().filtered(lambda r: r.level_id == self.level_legal)
        self.assertEqual(letter.invoice_ids, big)
        self.assertEqual(letter.channel, "letter")
        # The notice states the whole overdue debt: the other overdue invoices
        # are listed, not sent the notice (the later one is not due yet).
        self.assertEqual(
            [(line.move_id, line.level_reached, line.amount_due) for line in letter.line_ids],
            [(big, True, 12345.6), (self.inv_1, False, 1000.0), (self.inv_2, False, 2500.0)],
        )
        self.assertAlmostEqual(letter.amount_due, 15845.6)
        self.assertEqual(letter.amount_due_words, "壹万伍仟捌佰肆拾伍元陆角整")
        self.assertEqual(self.inv_1.dunning_level_id, self.level_second)
        # The letter is on the customer's chatter, with an activity to print and send it.
        message = letter.mail_message_id
        self.assertEqual(message.model, "res.partner")
        self.assertEqual(message.res_id, self.customer.id)
        self.assertEqual(letter.letter_attachment_id, message.attachment_ids)
        self.assertTrue(letter.letter_attachment_id.name.startswith("Final Notice"))
        self.assertEqual(letter.activity_id.user_id, responsible)
        self.assertEqual(
            letter.activity_id.activity_type_id,
            self.env.ref("customer_reconciliation.mail_activity_dunning_letter"),
        )

        def letter_html():
            return str(
                self.env["ir.actions.report"]._render_qweb_html(
                    "customer_reconciliation.action_report_customer_dunning_letter", letter.ids
                )[0],
                "utf-8",
            )

        html = letter_html()
        for text in (
            "最后催款通知函",
            big.name,
            self.inv_1.name,
            "12,345.60",
            "15,845.60",
            "壹万伍仟捌佰肆拾伍元陆角整",
            self.company.name,
            "5</strong> 日内",
        ):
            self.assertIn(text, html)
        self.assertNotIn(self.inv_later.name, html)
        self.assertNotIn("催款函 Payment Reminder", html)
        # Printed again after a part payment, the letter still says what it asked for.
        self._pay(big, 345.6, "2026-12-02")
        html = letter_html()
        self.assertIn("12,345.60", html)
        self.assertNotIn("12,000.00", html)
        # The printed reminder of a non-legal letter level is the milder letter.
        self.level_legal.legal_notice = False
        html = letter_html()
        self.assertIn("催款函 Payment Reminder", html)
        self.assertNotIn("最后催款通知函", html)

    # ------------------------------------------------------------------
    # Running it
    # ------------------------------------------------------------------
    def test_run_now_waits_for_the_scheduled_action(self):
        """While the scheduler runs the dunning (it holds the action's row),
        running it by hand is refused, and nothing is sent twice."""
        cron = self.env.ref("customer_reconciliation.ir_cron_customer_dunning")
        with sql_db.db_connect(self.env.cr.dbname).cursor() as scheduler_cr:
            scheduler_cr.execute(
                "SELECT id FROM ir_cron WHERE id = %s FOR NO KEY UPDATE", [cron.id]
            )
            with (
                freeze_time("2026-11-27"),
                self.mock_mail_gateway(),
                self.assertRaisesRegex(UserError, "is running right now"),
            ):
                self.env["customer.dunning.level"].action_run_now()
            scheduler_cr.rollback()
        self.assertFalse(self._records())
        with freeze_time("2026-11-27"), self.mock_mail_gateway():
            self.env["customer.dunning.level"].action_run_now()
        self.assertEqual(len(self._records()), 1)

    def test_run_now_and_cron(self):
        with freeze_time("2026-11-27"), self.mock_mail_gateway():
            action = (
                self.env["customer.dunning.level"]
                .with_context(allowed_company_ids=self.company.ids)
                .action_run_now()
            )
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("1 reminder(s) sent to 1 customer(s)", action["params"]["message"])
        self.assertEqual(len(self._records()), 1)
        # A billing user runs it too, activities on customers included; others may not.
        clerk = self._user("dunning_clerk", "account.group_account_invoice")
        self.assertFalse(clerk.has_group("base.group_partner_manager"))
        with freeze_time("2026-12-20"), self.mock_mail_gateway():
            action = self.env["customer.dunning.level"].with_user(clerk).action_run_now()
        self.assertIn("2 reminder(s) sent to 1 customer(s)", action["params"]["message"])
        call = self._records().filtered(lambda r: r.level_id == self.level_call)
        self.assertEqual(call.user_id, clerk)
        self.assertTrue(call.activity_id)
        reader = self._user("dunning_reader", "base.group_user")
        with self.assertRaises(AccessError):
            self.env["customer.dunning.level"].with_user(reader).action_run_now()
        cron = self.env.ref("customer_reconciliation.ir_cron_customer_dunning")
        self.assertEqual(cron.code, "model._cron_dun()")
        self.assertEqual(cron.interval_type, "days")
        with freeze_time("2027-01-20"), self.mock_mail_gateway():
            cron.method_direct_trigger()
        by_cron = self._records().filtered(lambda r: r.user_id == self.env.ref("base.user_root"))
        self.assertEqual(by_cron.level_id, self.level_call | self.level_legal)
        self.assertEqual(by_cron.filtered("legal_notice").invoice_ids, self.inv_1 | self.inv_2)

    def test_levels(self):
        Level = self.env["customer.dunning.level"]
        main = self.env.ref("base.main_company")
        levels = Level.sudo().search([("company_id", "=", main.id)])
        self.assertEqual(levels.mapped("days"), [-3, 7, 30, 60])
        self.assertEqual(levels.mapped("channel"), ["email", "email", "activity", "letter"])
        self.assertEqual(levels.mapped("legal_notice"), [False, False, False, True])
        self.assertEqual(
            Level.search([("company_id", "=", self.company.id)]),
            self.level_friendly | self.level_second | self.level_call | self.level_legal,
        )
        empty = self.env["res.company"].create({"name": "No Levels Ltd"})
        self.assertEqual(
            self.env["customer.dunning.level"]._run_dunning(empty),
            {"customers": 0, "messages": 0, "failed": 0},
        )
        with self.assertRaisesRegex(ValidationError, "needs an email template"):
            self.env["customer.dunning.level"].create(
                {
                    "name": "No template",
                    "days": 3,
                    "channel": "email",
                    "mail_template_id": False,
                    "company_id": self.company.id,
                }
            )
