from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.customer_reconciliation.models.customer_reconciliation_batch import (
    CustomerReconciliationBatch,
)
from odoo.addons.customer_reconciliation.models.customer_statement import CustomerStatement
from odoo.addons.customer_reconciliation.models.customer_statement_engine import (
    CustomerStatementEngine,
)
from odoo.addons.mail.tests.common import MockEmail

from .common import StatementCommon
from .test_statement_confirmation import SIGNATURE


@tagged("post_install", "-at_install")
class TestStatementGenerationCron(StatementCommon):
    """The scheduled generation: periods, idempotence, failures, resume."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.write({"cutoff_day": 31, "skip_empty": False})
        cls.customers = cls.env["res.partner"]
        for index in range(5):
            customer = cls._customer(f"月结客户{index}")
            customer.with_company(cls.company).statement_policy_id = cls.policy
            cls._invoice(customer, "2026-10-15", 100 * (index + 1))
            cls.customers |= customer

    def _run(self, day, **context):
        with freeze_time(day):
            return self.policy.with_context(**context)._generate_due_statements()

    @staticmethod
    def _failing_for(broken):
        """Generation fails for any chunk holding the customer ``broken``."""
        original = CustomerStatementEngine._generate

        def generate(engine, partner_ids, *args, **kwargs):
            if broken.id in partner_ids:
                raise ValueError("ledger unreadable for this customer")
            return original(engine, partner_ids, *args, **kwargs)

        return patch.object(CustomerStatementEngine, "_generate", generate)

    def _statements(self, date_to=None):
        domain = [("partner_id", "in", self.customers.ids)]
        if date_to:
            domain.append(("date_to", "=", date_to))
        return self.Statement.search(domain)

    def test_twice_same_day_then_next_month(self):
        summary = self._run("2026-11-03")
        self.assertEqual(summary["statements"], 5)
        statements = self._statements()
        self.assertEqual(len(statements), 5)
        self.assertEqual(set(statements.mapped("date_from")), {date(2026, 10, 1)})
        self.assertEqual(set(statements.mapped("date_to")), {date(2026, 10, 31)})
        self.assertEqual(self.policy.last_period_end, date(2026, 10, 31))
        self.assertEqual(
            sorted(statements.mapped("closing_balance")), [100.0, 200.0, 300.0, 400.0, 500.0]
        )
        # Same day again: nothing new.
        summary = self._run("2026-11-03")
        self.assertEqual(summary["statements"], 0)
        self.assertEqual(len(self._statements()), 5)
        # A month later: the next period.
        self._run("2026-12-01")
        november = self._statements(date(2026, 11, 30))
        self.assertEqual(len(november), 5)
        self.assertEqual(set(november.mapped("date_from")), {date(2026, 11, 1)})
        self.assertEqual(
            sorted(november.mapped("opening_balance")), [100.0, 200.0, 300.0, 400.0, 500.0]
        )
        self.assertEqual(len(self._statements()), 10)

    def test_cutoff_25_across_february_and_year_end(self):
        self.policy.cutoff_day = 25
        self._run("2027-03-01")
        self.assertEqual(self.policy.last_period_end, date(2027, 2, 25))
        self.assertEqual(set(self._statements().mapped("date_from")), {date(2027, 1, 26)})
        # Year end: from the 25 November cut-off, December's period follows.
        self.policy.last_period_end = date(2026, 11, 25)
        self._run("2026-12-28")
        december = self._statements(date(2026, 12, 25))
        self.assertEqual(set(december.mapped("date_from")), {date(2026, 11, 26)})
        self._run("2027-01-26")
        january = self._statements(date(2027, 1, 25))
        self.assertEqual(set(january.mapped("date_from")), {date(2026, 12, 26)})

    def test_last_day_cutoff_february_leap_year_and_catch_up(self):
        self._run("2028-03-01")
        statements = self._statements()
        self.assertEqual(set(statements.mapped("date_from")), {date(2028, 2, 1)})
        self.assertEqual(set(statements.mapped("date_to")), {date(2028, 2, 29)})
        # Off for two months over the year end: both periods are made, in order.
        self.policy.last_period_end = date(2026, 10, 31)
        self._run("2027-01-05")
        self.assertEqual(len(self._statements(date(2026, 11, 30))), 5)
        december = self._statements(date(2026, 12, 31))
        self.assertEqual(set(december.mapped("date_from")), {date(2026, 12, 1)})
        self.assertEqual(self.policy.last_period_end, date(2026, 12, 31))

    def test_cut_off_day_is_over_before_its_period_is_made(self):
        # On 31 October, items of that day may still be posted: September is
        # the last closed period.
        self._run("2026-10-31")
        self.assertEqual(self.policy.last_period_end, date(2026, 9, 30))
        self.assertEqual(set(self._statements().mapped("date_to")), {date(2026, 9, 30)})
        late = self._invoice(self.customers[0], "2026-10-31", 50)
        self.assertEqual(late.state, "posted")
        self._run("2026-11-01")
        october = self._statements(date(2026, 10, 31))
        self.assertEqual(set(october.mapped("date_from")), {date(2026, 10, 1)})
        self.assertEqual(
            october.filtered(lambda s: s.partner_id == self.customers[0]).closing_balance, 150.0
        )

    def test_cut_off_day_is_over_in_the_company_time_zone(self):
        self.company.partner_id.tz = "Asia/Shanghai"
        # 23:30 on 31 October in Shanghai: October is still open.
        self._run("2026-10-31 15:30:00")
        self.assertEqual(self.policy.last_period_end, date(2026, 9, 30))
        # 00:30 on 1 November in Shanghai, still 31 October in UTC: October is made.
        self._run("2026-10-31 16:30:00")
        self.assertEqual(self.policy.last_period_end, date(2026, 10, 31))
        self.assertEqual(
            sorted(self._statements(date(2026, 10, 31)).mapped("closing_balance")),
            [100.0, 200.0, 300.0, 400.0, 500.0],
        )

    def test_company_today(self):
        company = self.company
        user = self.env.user
        with freeze_time("2026-10-31 16:30:00"):
            company.partner_id.tz = False
            user.tz = False
            self.assertEqual(company._reconciliation_today(), date(2026, 10, 31))
            # Without a time zone of its own, the company's days are the user's.
            user.tz = "Asia/Shanghai"
            self.assertEqual(company._reconciliation_today(), date(2026, 11, 1))
            # The company's time zone comes first (12:30 in New York).
            company.partner_id.tz = "America/New_York"
            self.assertEqual(company._reconciliation_today(), date(2026, 10, 31))
            settings = self.env["res.config.settings"].create({})
            self.assertEqual(settings.statement_tz, "America/New_York")
            settings.statement_tz = "Asia/Shanghai"
            settings.execute()
            self.assertEqual(company.partner_id.tz, "Asia/Shanghai")

    def test_changed_cut_off_day_leaves_no_gap_nor_overlap(self):
        # Month ends until October, then the 25th.
        self.policy.last_period_end = date(2026, 10, 31)
        self.policy.cutoff_day = 25
        self._run("2026-11-26")
        november = self._statements(date(2026, 11, 25))
        self.assertEqual(set(november.mapped("date_from")), {date(2026, 11, 1)})
        self._run("2026-12-26")
        december = self._statements(date(2026, 12, 25))
        self.assertEqual(set(december.mapped("date_from")), {date(2026, 11, 26)})
        # The 25th until 25 January, then month ends.
        self.policy.cutoff_day = 31
        self.policy.last_period_end = date(2027, 1, 25)
        self._run("2027-02-01")
        january = self._statements(date(2027, 1, 31))
        self.assertEqual(set(january.mapped("date_from")), {date(2027, 1, 26)})
        self.assertEqual(self.policy.last_period_end, date(2027, 1, 31))

    def test_company_default_policy_covers_customers_without_one(self):
        self.company.statement_default_policy_id = self.policy
        plain = self._customer("无政策客户")
        self._invoice(plain, "2026-10-20", 800)
        other_policy = self.env["customer.statement.policy"].create(
            {"name": "季结", "company_id": self.company.id, "frequency": "quarterly"}
        )
        elsewhere = self._customer("季结客户")
        elsewhere.with_company(self.company).statement_policy_id = other_policy
        self._invoice(elsewhere, "2026-10-20", 900)
        self.assertIn(plain, self.policy._get_partners())
        self.assertNotIn(elsewhere, self.policy._get_partners())
        self._run("2026-11-03")
        made = self.Statement.search([("date_to", "=", date(2026, 10, 31))])
        self.assertIn(plain, made.partner_id)
        self.assertNotIn(elsewhere, made.partner_id)
        self.assertEqual(made.filtered(lambda s: s.partner_id == plain).closing_balance, 800.0)
        self.assertEqual(made.filtered(lambda s: s.partner_id == plain).policy_id, self.policy)
        self.assertEqual(self.Statement.search_count([("partner_id", "=", plain.id)]), 1)

    def test_scheduler_is_never_the_responsible(self):
        root = self.env.ref("base.user_root")
        with freeze_time("2026-11-03"):
            self.policy.with_user(root)._generate_due_statements()
        statements = self._statements()
        self.assertEqual(len(statements), 5)
        # No salesperson, no statement responsible: nobody rather than OdooBot,
        # and the e-mails go out from the company.
        self.assertFalse(statements.user_id)
        responsible = statements[0]._get_responsible()
        self.assertTrue(responsible)
        self.assertNotEqual(responsible, root)
        self.assertTrue(responsible.active)
        self.assertFalse(responsible.share)
        salesperson = self.env.user
        self.customers[1].user_id = salesperson
        self.assertEqual(
            statements.filtered(lambda s: s.partner_id == self.customers[1])._get_responsible(),
            salesperson,
        )

    def test_failing_customer_does_not_stop_the_others(self):
        broken = self.customers[2]
        with self._failing_for(broken):
            summary = self._run("2026-11-03")
        self.assertEqual(summary["failed"], 1)
        self.assertEqual(summary["statements"], 4)
        self.assertEqual(self._statements().partner_id, self.customers - broken)
        self.assertFalse(self.policy.last_period_end)  # the period stays open
        note = broken.message_ids.filtered(lambda m: "retried at the next run" in m.body)
        self.assertEqual(len(note), 1)
        self.assertIn("ledger unreadable", note.body)
        # Next run: the failed customer is generated, nothing is duplicated.
        summary = self._run("2026-11-04")
        self.assertEqual(summary["statements"], 1)
        self.assertEqual(len(self._statements()), 5)
        self.assertEqual(self.policy.last_period_end, date(2026, 10, 31))

    def test_scheduled_action_writes_in_its_users_language(self):
        """Odoo runs scheduled actions without a language: the notes are in
        the language of the action's user, here Chinese."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env.ref("base.user_root").lang = "zh_CN"
        self.policy.auto_generate = True
        broken = self.customers[2]
        cron = self.env.ref("customer_reconciliation.ir_cron_generate_statements")
        with self._failing_for(broken), freeze_time("2026-11-03"):
            cron.method_direct_trigger()
        # one note per company whose default or own policy covers the customer
        notes = broken.message_ids.filtered(lambda m: "ledger unreadable" in m.body)
        self.assertIn(
            f"{self.company.name} 截止于 2026-10-31 的期间的对账单未能生成；将在下次运行时重试。",
            "".join(notes.mapped("body")),
        )
        self.assertNotIn("could not", "".join(notes.mapped("body")))

    def test_failing_customer_does_not_hold_back_later_periods(self):
        self.policy.last_period_end = date(2026, 9, 30)
        broken = self.customers[3]
        with self._failing_for(broken):
            summary = self._run("2026-12-02")
        self.assertEqual(summary["failed"], 2)  # October and November
        for date_to in (date(2026, 10, 31), date(2026, 11, 30)):
            self.assertEqual(self._statements(date_to).partner_id, self.customers - broken)
        self.assertEqual(self.policy.last_period_end, date(2026, 9, 30))
        # Mended: both of its periods are made, nothing else, and both close.
        summary = self._run("2026-12-03")
        self.assertEqual(summary["statements"], 2)
        self.assertEqual(len(self._statements()), 10)
        self.assertEqual(self.policy.last_period_end, date(2026, 11, 30))

    def test_killed_run_resumes_without_duplicates_or_gaps(self):
        calls = []

        def commit_then_die(batch):
            calls.append(1)
            if len(calls) == 1:
                # What the first chunk's commit keeps.
                batch.env.cr.execute("SAVEPOINT customer_reconciliation_test_commit")
                return
            raise KeyboardInterrupt("worker killed")

        # Odoo's assertRaises rolls back to a savepoint of its own: catch by hand.
        killed = False
        with patch.object(CustomerReconciliationBatch, "_commit_chunk", commit_then_die):
            try:
                self._run("2026-11-03", customer_reconciliation_chunk_size=2)
            except KeyboardInterrupt:
                killed = True
        self.assertTrue(killed)
        # The worker died: only what was committed remains.
        self.env.cr.execute("ROLLBACK TO SAVEPOINT customer_reconciliation_test_commit")
        self.env.invalidate_all()
        self.assertEqual(len(self._statements()), 2)
        self.assertFalse(self.policy.last_period_end)
        summary = self._run("2026-11-03", customer_reconciliation_chunk_size=2)
        self.assertEqual(summary["statements"], 3)
        statements = self._statements()
        self.assertEqual(len(statements), 5)
        self.assertEqual(statements.partner_id, self.customers)
        self.assertEqual(self.policy.last_period_end, date(2026, 10, 31))

    def test_auto_send_and_run_now(self):
        self.policy.auto_send = True
        with freeze_time("2026-11-03"):
            action = self.policy.action_run_generate()
        self.assertIn("5 statements generated, 5 sent", action["params"]["message"])
        self.assertEqual(set(self._statements().mapped("state")), {"sent"})

    def test_auto_send_sends_drafts_left_behind_and_retries_failures(self):
        self.policy.auto_send = True
        # An earlier run made two drafts and died before sending them.
        left = self.Statement.generate_statements(
            self.customers[:2].ids, date(2026, 10, 1), date(2026, 10, 31)
        )
        self.assertEqual(set(left.mapped("state")), {"draft"})
        broken = self.customers[4]
        original = CustomerStatement._send_by_email

        def send(statements):
            if broken in statements.partner_id:
                raise ValueError("mail server refused")
            return original(statements)

        with patch.object(CustomerStatement, "_send_by_email", send):
            summary = self._run("2026-11-03")
        self.assertEqual(summary["statements"], 3)
        self.assertEqual(summary["sent"], 4)
        self.assertEqual(summary["failed"], 1)
        unsent = self._statements().filtered(lambda s: s.partner_id == broken)
        self.assertEqual(unsent.state, "draft")
        self.assertEqual(set((self._statements() - unsent).mapped("state")), {"sent"})
        self.assertTrue(unsent.message_ids.filtered(lambda m: "could not be sent" in m.body))
        self.assertFalse(self.policy.last_period_end)  # the period stays open
        # Next run: the last one goes out and the period closes.
        summary = self._run("2026-11-04")
        self.assertEqual(summary["sent"], 1)
        self.assertEqual(set(self._statements().mapped("state")), {"sent"})
        self.assertEqual(self.policy.last_period_end, date(2026, 10, 31))

    def test_cron_record_runs(self):
        with freeze_time("2026-11-03"):
            self.env.ref(
                "customer_reconciliation.ir_cron_generate_statements"
            ).method_direct_trigger()
        self.assertEqual(len(self._statements()), 5)


@tagged("post_install", "-at_install")
class TestStatementSendQueue(StatementCommon, MockEmail):
    """Several statements sent from the list go out in the background."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls._user("queue_user", "customer_reconciliation.group_statement_user")
        cls.customers = cls.env["res.partner"]
        for index in range(4):
            customer = cls._customer(f"批量客户{index}", email=f"ap{index}@example.com")
            cls._invoice(customer, "2026-10-15", 100 * (index + 1))
            cls.customers |= customer
        cls.statements = cls.Statement.generate_statements(
            cls.customers.ids, date(2026, 10, 1), date(2026, 10, 31)
        )
        cls.cron = cls.env.ref("customer_reconciliation.ir_cron_send_statements")

    def _triggers(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])

    def test_several_statements_are_sent_in_the_background(self):
        reader = self._user("queue_reader", "account.group_account_readonly")
        with self.assertRaises(AccessError):
            self.statements.with_user(reader).action_send()
        self.assertFalse(self.statements.sending_user_id)
        triggers = self._triggers()
        with self.mock_mail_gateway():
            action = self.statements.with_user(self.user).action_send()
        self.assertIn("4 statements are being sent in the background", action["params"]["message"])
        self.assertFalse(self._new_mails)
        self.assertEqual(set(self.statements.mapped("state")), {"draft"})
        self.assertEqual(self.statements.sending_user_id, self.user)
        self.assertEqual(self._triggers(), triggers + 1)
        # Meanwhile the first is sent by hand and the second cancelled.
        first, second, third, fourth = self.statements
        with self.mock_mail_gateway():
            first._send_by_email()
        second.action_cancel()
        original = CustomerStatement._send_by_email

        def send(statements):
            if fourth in statements:
                raise ValueError("mail server refused")
            return original(statements)

        Users = type(self.env["res.users"])
        with (
            self.mock_mail_gateway(),
            patch.object(CustomerStatement, "_send_by_email", send),
            patch.object(Users, "_bus_send", autospec=True) as bus_send,
        ):
            summary = self.Statement._cron_send_queued()
        self.assertEqual(summary, {"sent": 1, "failed": 1})
        self.assertEqual(self.statements.mapped("state"), ["sent", "cancelled", "sent", "draft"])
        self.assertFalse(self.statements.sending_user_id)
        # One e-mail, to the third customer, sent as the user who asked for it.
        self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(self._new_mails.recipient_ids, third.partner_id)
        self.assertEqual(self._new_mails.mail_message_id.create_uid, self.user)
        self.assertIn("300.00", self._new_mails.body_html)
        self.assertTrue(fourth.message_ids.filtered(lambda m: "could not be sent" in m.body))
        (user, kind, payload), __ = bus_send.call_args
        self.assertEqual(
            (user, kind, payload["type"]), (self.user, "simple_notification", "warning")
        )
        self.assertIn("Statements sent: 1; not sent: 1", payload["message"])
        # in the language of the user who asked
        self.env["res.lang"]._activate_lang("zh_CN")
        self.user.lang = "zh_CN"
        self.statements[3].with_user(self.user)._queue_sending()
        with (
            self.mock_mail_gateway(),
            patch.object(CustomerStatement, "_send_by_email", send),
            patch.object(Users, "_bus_send", autospec=True) as bus_send,
        ):
            self.Statement._cron_send_queued()
        (__, __, payload), __ = bus_send.call_args
        self.assertIn("已发送对账单：0 张；未发送：1 张", payload["message"])
        # Nothing left: the scheduled action sends nothing more.
        with self.mock_mail_gateway():
            self.cron.method_direct_trigger()
        self.assertFalse(self._new_mails)

    def test_queue_is_worked_through_run_after_run(self):
        self.statements.with_user(self.user).action_send()
        triggers = self._triggers()
        with self.mock_mail_gateway():
            summary = self.Statement._cron_send_queued(job_count=3)
        self.assertEqual(summary, {"sent": 3, "failed": 0})
        self.assertEqual(len(self._new_mails), 3)
        self.assertEqual(len(self.statements.filtered("sending_user_id")), 1)
        self.assertEqual(self._triggers(), triggers + 1, "the action calls itself again")
        with self.mock_mail_gateway():
            summary = self.Statement._cron_send_queued(job_count=3)
        self.assertEqual(summary, {"sent": 1, "failed": 0})
        self.assertEqual(set(self.statements.mapped("state")), {"sent"})

    def test_statement_held_elsewhere_is_sent_at_a_run_soon_after(self):
        """A statement another transaction holds stays queued, and the
        action runs again a minute later instead of at its next day."""
        self.statements.with_user(self.user).action_send()
        held = self.statements[1]
        lock = CustomerStatement._lock_for_update
        triggers = self._triggers()
        with (
            self.mock_mail_gateway(),
            patch.object(CustomerStatement, "_lock_for_update", lambda recs: lock(recs - held)),
        ):
            summary = self.Statement._cron_send_queued()
        self.assertEqual(summary, {"sent": 3, "failed": 0})
        self.assertEqual(held.state, "draft")
        self.assertEqual(held.sending_user_id, self.user)
        self.assertEqual(self._triggers(), triggers + 1)
        with self.mock_mail_gateway():
            self.assertEqual(self.Statement._cron_send_queued(), {"sent": 1, "failed": 0})
        self.assertEqual(held.state, "sent")

    def test_failure_that_cannot_be_recorded_does_not_stop_the_run(self):
        Batch = self.env["customer.reconciliation.batch"]

        def process(statements):
            if self.statements[0] in statements:
                raise ValueError("mail server refused")
            statements._write_status({"reminder_count": 1})

        def on_failure(statement, error):
            raise ValueError("chatter unavailable")

        with self.assertLogs(
            "odoo.addons.customer_reconciliation.models.customer_reconciliation_batch"
        ) as logs:
            done, failed = Batch._run_in_chunks(self.statements, process, on_failure=on_failure)
        self.assertEqual(failed, self.statements[0])
        self.assertEqual(done, self.statements[1:])
        self.assertEqual(self.statements.mapped("reminder_count"), [0, 1, 1, 1])
        self.assertTrue(any("Could not record the failure" in line for line in logs.output))


@tagged("post_install", "-at_install")
class TestStatementReminderCron(StatementCommon, MockEmail):
    """Reminders, escalation and deemed confirmation, day by day."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("催复客户", email="ap@example.com")
        cls._invoice(cls.customer, "2026-10-15", 800)
        cls.customer.with_company(cls.company).statement_policy_id = cls.policy
        cls.policy.write(
            {
                "reply_days": 10,
                "reminder_first_days": 3,
                "reminder_interval_days": 5,
                "reminder_max": 2,
            }
        )

    def _sent(self):
        statement = self.Statement.generate_statements(
            self.customer.ids, date(2026, 10, 1), date(2026, 10, 31)
        )
        with freeze_time("2026-11-02 09:00:00"):
            statement._send_by_email()
        return statement

    def _run(self, day):
        with freeze_time(f"{day} 01:00:00"), self.mock_mail_gateway():
            summary = self.Statement._cron_send_reminders()
        reminders = self._new_mails.filtered(lambda m: "Reminder" in (m.subject or ""))
        return summary, len(reminders)

    def test_reminder_schedule_follows_policy(self):
        statement = self._sent()
        expected = {
            "2026-11-04": (0, 0),
            "2026-11-05": (1, 1),  # 3 days after sending
            "2026-11-06": (0, 1),
            "2026-11-09": (0, 1),
            "2026-11-10": (1, 2),  # 5 days later
            "2026-11-14": (0, 2),
        }
        for day, (mails, count) in expected.items():
            __, sent = self._run(day)
            self.assertEqual(sent, mails, day)
            self.assertEqual(statement.reminder_count, count, day)
        self.assertFalse(statement.activity_ids)
        # At the next date after the last reminder: an activity, no third e-mail.
        summary, sent = self._run("2026-11-15")
        self.assertEqual((sent, summary["escalated"]), (0, 1))
        self.assertTrue(statement.escalated)
        self.assertEqual(statement.activity_ids.user_id, statement.user_id)
        summary, sent = self._run("2026-11-25")
        self.assertEqual((sent, summary["escalated"]), (0, 0))
        self.assertEqual(len(statement.activity_ids), 1)

    def test_replied_statement_is_not_reminded(self):
        statement = self._sent()
        statement._record_confirmation(
            "王会计",
            signature=SIGNATURE,
            audit={"channel": "token", "content_hash": statement.content_hash},
        )
        __, sent = self._run("2026-11-05")
        self.assertEqual(sent, 0)
        self.assertEqual(statement.reminder_count, 0)

    def test_deadline_is_over_in_the_company_time_zone(self):
        self.company.partner_id.tz = "Asia/Shanghai"
        self.policy.confirmation_mode = "negative"
        statement = self._sent()  # 17:00 on 2 November in Shanghai
        self.assertEqual(statement.reply_deadline, date(2026, 11, 12))
        for moment, deemed in (("2026-11-12 15:30:00", 0), ("2026-11-12 16:30:00", 1)):
            with freeze_time(moment), self.mock_mail_gateway():
                self.assertEqual(self.Statement._cron_send_reminders()["deemed"], deemed, moment)
        self.assertEqual(statement.state, "deemed")

    def test_reminders_after_a_pause_keep_their_interval(self):
        """The scheduler was down for a week: one reminder when it is back,
        the next one the policy's interval after it, not the day after."""
        statement = self._sent()
        for day, mails in (("2026-11-12", 1), ("2026-11-13", 0), ("2026-11-16", 0)):
            __, sent = self._run(day)
            self.assertEqual(sent, mails, day)
        self.assertEqual(statement.last_reminder_date, date(2026, 11, 12))
        __, sent = self._run("2026-11-17")
        self.assertEqual((sent, statement.reminder_count), (1, 2))

    def test_failed_reminder_is_noted_on_the_statement(self):
        statement = self._sent()

        def send_reminder(statements, today=None):
            raise ValueError("mail server refused")

        with patch.object(CustomerStatement, "_send_reminder", send_reminder):
            summary, __ = self._run("2026-11-05")
        self.assertEqual((summary["reminded"], summary["failed"]), (0, 1))
        self.assertEqual(statement.reminder_count, 0)
        note = statement.message_ids.filtered(lambda m: "reminders failed" in (m.body or ""))
        self.assertIn("mail server refused", note.body)
        # the next run sends it
        summary, sent = self._run("2026-11-06")
        self.assertEqual((summary["reminded"], sent), (1, 1))

    def test_reply_after_selection_is_not_overwritten(self):
        """A customer disputes while the run works on earlier chunks: the
        statement's chunk finds it disputed and leaves it so."""
        self.policy.confirmation_mode = "negative"
        statement = self._sent()
        other = self._customer("另一客户", email="ap2@example.com")
        self._invoice(other, "2026-10-16", 300)
        other.with_company(self.company).statement_policy_id = self.policy
        late = self.Statement.generate_statements(other.ids, date(2026, 10, 1), date(2026, 10, 31))
        with freeze_time("2026-11-02 09:00:00"):
            late._send_by_email()
        lock = type(self.Statement)._lock_for_update

        def dispute_then_lock(statements):
            # the customer's reply, committed after the run selected them
            late._write_status({"state": "disputed"})
            return lock(statements)

        with patch.object(type(self.Statement), "_lock_for_update", dispute_then_lock):
            summary, __ = self._run("2026-11-13")
        self.assertEqual(summary["deemed"], 1)
        self.assertEqual(statement.state, "deemed")
        self.assertEqual(late.state, "disputed")
        self.assertFalse(late.message_ids.filtered(lambda m: "deemed confirmed" in m.body))

    def test_deemed_after_the_deadline_not_on_it(self):
        self.policy.confirmation_mode = "negative"
        statement = self._sent()
        self.assertEqual(statement.reply_deadline, date(2026, 11, 12))
        summary, sent = self._run("2026-11-11")
        self.assertEqual(statement.state, "sent")
        self.assertEqual((summary["deemed"], sent), (0, 0))  # no reminders in negative mode
        # The customer may still reply on the deadline day.
        summary, __ = self._run("2026-11-12")
        self.assertEqual(summary["deemed"], 0)
        self.assertEqual(statement.state, "sent")
        summary, __ = self._run("2026-11-13")
        self.assertEqual(summary["deemed"], 1)
        self.assertEqual(statement.state, "deemed")
        self.assertTrue(statement.confirmed_date)
        self.assertTrue(statement.message_ids.filtered(lambda m: "deemed confirmed" in m.body))
