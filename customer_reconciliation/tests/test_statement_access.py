from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.mail.tests.common import MockEmail

from ..models.customer_statement_line import CUSTOMER_FIELDS
from .common import D_FROM, D_TO, StatementCommon


@tagged("post_install", "-at_install")
class TestStatementAccess(StatementCommon, MockEmail):
    """What each kind of user may change, outside the statements' own actions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("宁波远航物流有限公司", email="ap@yuanhang.example.com")
        cls.invoice = cls._invoice(cls.customer, "2026-10-09", 1800, due="2026-11-08")
        cls.customer.with_company(cls.company).statement_policy_id = cls.policy
        cls.user = cls._user(
            "access_statement_user", "customer_reconciliation.group_statement_user"
        )
        cls.reader = cls._user("access_reader", "account.group_account_readonly")
        cls.manager = cls._user(
            "access_manager", "account.group_account_manager,base.group_partner_manager"
        )
        cls.portal = cls._user("access_portal", "base.group_portal")
        cls.portal.partner_id.parent_id = cls.customer

    def _statement(self):
        return self.Statement.generate_statements(self.customer.ids, D_FROM, D_TO)

    def test_status_fields_change_through_actions_only(self):
        self.policy.review_required = True
        statement = self._statement()
        self.assertTrue(statement.review_required)
        as_user = statement.with_user(self.user)
        # A review cannot be skipped, nor a confirmation made up, by editing.
        for values in (
            {"review_required": False},
            {"reviewer_id": self.user.id},
            {"state": "confirmed", "confirmed_by": "王会计"},
            {"closing_balance": 0},
        ):
            with self.assertRaisesRegex(AccessError, "changed by its actions only"):
                as_user.write(values)
        with self.assertRaises(AccessError):
            self.Statement.with_user(self.user).create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "date_from": "2026-09-01",
                    "date_to": "2026-09-30",
                }
            )
        # Fields that are the user's to set stay editable.
        deadline = fields.Date.today() + timedelta(days=20)
        as_user.write({"user_id": self.user.id, "reply_deadline": deadline})
        self.assertEqual(statement.user_id, self.user)
        # The actions still work for the same user.
        as_user.action_submit_review()
        self.assertEqual(statement.state, "to_review")
        self.assertEqual(statement.prepared_by_id, self.user)
        self.assertAlmostEqual(statement.closing_balance, 1800.0)

    def test_terms_settle_once_approved_or_sent(self):
        """How the customer is asked, whom and by when cannot be changed to
        make up a confirmation: a sent positive statement switched to
        negative with a past deadline would be deemed confirmed at once."""
        statement = self._statement().with_user(self.user)
        today = fields.Date.today()
        statement.write({"confirmation_mode": "negative"})  # still being prepared
        with self.assertRaisesRegex(ValidationError, "cannot be a past day"):
            statement.reply_deadline = today - timedelta(days=1)
        # A deadline that passed while the statement waited is refused at sending.
        statement.sudo().reply_deadline = today - timedelta(days=2)
        with self.mock_mail_gateway(), self.assertRaisesRegex(UserError, "is over"):
            statement._send_by_email()
        statement.reply_deadline = today + timedelta(days=5)
        with self.mock_mail_gateway():
            statement._send_by_email()
        self.assertEqual(statement.reply_deadline, today + timedelta(days=5))
        for values in (
            {"confirmation_mode": "positive"},
            {"contact_id": self.customer.id},
        ):
            with self.assertRaisesRegex(UserError, "approved or sent"):
                statement.write(values)
        with self.assertRaisesRegex(UserError, "only be moved later"):
            statement.reply_deadline = today + timedelta(days=1)
        with self.assertRaisesRegex(UserError, "only be moved later"):
            statement.reply_deadline = False
        statement.reply_deadline = today + timedelta(days=15)
        self.assertEqual(statement.confirmation_mode, "negative")

    def test_read_only_accountant_cannot_generate_nor_act(self):
        # They find the statements, disputes and dunning history to read,
        # not the actions.
        visible = self.env["ir.ui.menu"].with_user(self.reader)._visible_menu_ids()
        for xmlid, shown in (
            ("menu_customer_statement", True),
            ("menu_customer_statement_dispute", True),
            ("menu_customer_dunning_record", True),
            ("menu_customer_statement_generate", False),
            ("menu_customer_dunning_run", False),
        ):
            menu = self.env.ref(f"customer_reconciliation.{xmlid}")
            self.assertEqual(menu.id in visible, shown, xmlid)
        statement = self._statement()
        with self.assertRaises(AccessError):
            self.Statement.with_user(self.reader).generate_statements(
                self.customer.ids, D_FROM, D_TO
            )
        with self.assertRaises(AccessError):
            statement.with_user(self.reader).action_recompute()
        with self.assertRaises(AccessError):
            statement.with_user(self.reader).action_cancel()
        self.assertEqual(statement.state, "draft")

    def test_read_only_accountant_cannot_send_nor_make_a_link(self):
        statement = self._statement()
        as_reader = statement.with_user(self.reader)
        for action in ("action_send", "action_mark_sent", "action_preview"):
            with self.assertRaises(AccessError):
                getattr(as_reader, action)()
        self.assertFalse(statement.access_token)
        self.assertFalse(statement.content_hash)
        self.assertEqual(statement.state, "draft")
        # Once the statement has its link, anyone who reads it may preview it.
        statement._portal_ensure_token()
        self.assertIn(statement.access_token, as_reader.action_preview()["url"])
        portal = self.Statement.with_user(self.portal)
        with self.assertRaises(AccessError):
            portal.action_run_reminders()

    def test_statement_content_is_written_by_the_engine_only(self):
        """Lines and currency sections are what the customer was sent: nobody
        adds, edits or deletes them, not even as superuser."""
        statement = self._statement()
        with self.mock_mail_gateway():
            statement._send_by_email()
        line = statement.line_ids
        self.assertEqual(len(line), 1)
        self.assertAlmostEqual(line.debit, 1800.0)
        as_user = line.with_user(self.user).with_context(customer_statement_engine=True)
        with self.assertRaises(AccessError):
            as_user.write({"debit": 999999})
        with self.assertRaises(AccessError):
            as_user.unlink()
        with self.assertRaises(AccessError):
            as_user.create({"statement_id": statement.id, "debit": 1})
        for model in ("customer.statement.line", "customer.statement.currency"):
            rows = self.env[model].sudo()
            with self.assertRaisesRegex(UserError, "come from the ledger only"):
                rows.create({"statement_id": statement.id})
        with self.assertRaisesRegex(UserError, "cannot be edited"):
            line.sudo().write({"hidden": True})
        with self.assertRaisesRegex(UserError, "deleted with their draft statement only"):
            line.sudo().unlink()
        with self.assertRaises(AccessError):
            self.env["customer.statement.currency"].with_user(self.user).create(
                {"statement_id": statement.id, "currency_id": self.company.currency_id.id}
            )
        self.assertAlmostEqual(line.debit, 1800.0)
        self.assertFalse(line.hidden)
        hashes = self.env["customer.statement.engine"]._content_hashes(statement)
        self.assertEqual(hashes[statement.id], statement.content_hash)

    def test_a_statement_the_customer_replied_to_is_kept(self):
        statement = self._statement()
        with self.mock_mail_gateway():
            statement._send_by_email()
        self.assertFalse(statement.has_customer_reply)
        audit = {"channel": "token", "content_hash": statement.content_hash, "name": "王会计"}
        statement._record_dispute(statement.line_ids.ids, "amount_differs", 1500, audit=audit)
        reply = statement.reply_ids
        self.assertEqual(len(reply), 1)
        # (its dispute is answered before the statement is cancelled)
        statement.dispute_ids.resolution_note = "以更正后的对账单为准"
        with self.mock_mail_gateway():
            statement.dispute_ids.action_reject()
        statement.with_user(self.user).action_cancel()
        self.assertEqual(statement.state, "cancelled")
        # The form offers no Reset to Draft, which would be refused.
        self.assertTrue(statement.with_user(self.user).has_customer_reply)
        arch = etree.fromstring(
            self.Statement.with_user(self.user).get_view(view_type="form")["arch"]
        )
        (button,) = arch.xpath("//button[@name='action_reset_to_draft']")
        self.assertEqual(button.get("invisible"), "state != 'cancelled' or has_customer_reply")
        with self.assertRaisesRegex(UserError, "replied to statement"):
            statement.with_user(self.user).action_reset_to_draft()
        with self.assertRaisesRegex(UserError, "replied to statement"):
            statement.with_user(self.user).unlink()
        with self.assertRaisesRegex(UserError, "replied to statement"):
            statement.sudo().unlink()
        self.assertTrue(reply.exists())
        self.assertEqual(statement.state, "cancelled")
        self.assertEqual(reply.content_hash, statement.content_hash)
        # A new statement for the period is generated beside it.
        fresh = self._statement()
        self.assertNotEqual(fresh, statement)
        self.assertAlmostEqual(fresh.closing_balance, 1800.0)

    def test_branch_ledger_needs_access_to_the_branch(self):
        """A statement covers its company's branches: a user who may not work
        in one of them would see its journal items, so is refused."""
        branch = self.env["res.company"].create(
            {"name": "宁波分公司", "parent_id": self.company.id}
        )
        self.env.user.company_ids |= branch
        self.env["account.journal"].create(
            {"name": "分公司销售", "code": "BRS", "type": "sale", "company_id": branch.id}
        )
        # the branch books on its parent's receivable account
        receivable = self.customer.with_company(self.company).property_account_receivable_id
        self.customer.with_company(branch).property_account_receivable_id = receivable
        self._invoice(self.customer, "2026-10-20", 777, company=branch)
        Statement = self.Statement.with_user(self.user)
        with self.assertRaisesRegex(UserError, "branches 宁波分公司"):
            Statement.generate_statements(self.customer.ids, D_FROM, D_TO)
        self.assertFalse(self.Statement.search([("partner_id", "=", self.customer.id)]))
        self.user.company_ids |= branch
        statement = Statement.generate_statements(self.customer.ids, D_FROM, D_TO)
        self.assertAlmostEqual(statement.closing_balance, 2577.0)
        self.assertEqual(statement.line_ids.mapped("debit"), [1800.0, 777.0])
        # Recomputing the draft is refused too once the access is gone.
        self.user.company_ids -= branch
        with self.assertRaisesRegex(UserError, "branches 宁波分公司"):
            statement.with_user(self.user).action_recompute()

    def test_branch_statement_of_a_customer_of_its_parent(self):
        """A customer of the parent company, shared with its branches, invoiced
        by a branch: the branch's statement, policy and wizard take it."""
        branch = self.env["res.company"].create(
            {"name": "宁波分公司", "parent_id": self.company.id}
        )
        self.env.user.company_ids |= branch
        self.env["account.journal"].create(
            {"name": "分公司销售", "code": "BRS", "type": "sale", "company_id": branch.id}
        )
        self.customer.company_id = self.company
        receivable = self.customer.with_company(self.company).property_account_receivable_id
        self.customer.with_company(branch).property_account_receivable_id = receivable
        self._invoice(self.customer, "2026-10-20", 777, company=branch)
        statement = self.Statement.generate_statements(
            self.customer.ids, D_FROM, D_TO, company_id=branch.id
        )
        self.assertEqual(statement.company_id, branch)
        self.assertAlmostEqual(statement.closing_balance, 777.0)
        policy = self.env["customer.statement.policy"].create(
            {"name": "分公司月结", "company_id": branch.id}
        )
        branch.statement_default_policy_id = policy
        self.assertIn(self.customer, policy._get_partners())
        domain = self.env["customer.statement.generate"]._fields["partner_ids"].domain
        offered = self.env["res.partner"].search(safe_eval(domain, {"company_id": branch.id}))
        self.assertIn(self.customer, offered)
        # The parent's default policy takes neither the branch's own customers
        # (the branch's policy does) nor their statements twice.
        branch_own = self.env["res.partner"].create(
            {"name": "分公司客户", "is_company": True, "customer_rank": 1, "company_id": branch.id}
        )
        self.assertIn(branch_own, policy._get_partners())
        parent_policy = self.env["customer.statement.policy"].create(
            {"name": "总公司月结", "company_id": self.company.id}
        )
        self.company.statement_default_policy_id = parent_policy
        parent_own = self.env["res.partner"].create(
            {
                "name": "总公司客户",
                "is_company": True,
                "customer_rank": 1,
                "company_id": self.company.id,
            }
        )
        # as the scheduled action reads them (no record rule in the way)
        self.assertIn(parent_own, parent_policy.sudo()._get_partners())
        self.assertNotIn(branch_own, parent_policy.sudo()._get_partners())
        # A customer of another company stays refused.
        other = self.setup_other_company(name="深圳子公司")["company"]
        stranger = self.env["res.partner"].create(
            {"name": "外部客户", "is_company": True, "customer_rank": 1, "company_id": other.id}
        )
        with self.assertRaisesRegex(UserError, "belong to another company"):
            self.Statement.generate_statements(stranger.ids, D_FROM, D_TO, company_id=branch.id)

    def test_dispute_currency_is_the_customers(self):
        """The currency of what the customer stated is not relabelled."""
        statement = self._statement()
        with self.mock_mail_gateway():
            statement._send_by_email()
        audit = {"channel": "token", "content_hash": statement.content_hash, "name": "王会计"}
        dispute = statement._record_dispute([], "amount_differs", 1500, audit=audit)
        other = self.setup_other_currency("EUR")
        with self.assertRaisesRegex(AccessError, "not by editing"):
            dispute.with_user(self.user).write({"currency_id": other.id})
        self.assertEqual(dispute.currency_id, statement.currency_id)

    def test_statement_user_cannot_run_a_policy(self):
        """Refused before any work, not after statements were made and sent."""
        # Not assertRaises: it rolls back what was done before the error.
        try:
            self.policy.with_user(self.user).action_run_generate()
        except AccessError as error:
            self.assertIn("Statement Policy", str(error))
        else:
            self.fail("a statement user ran a policy")
        self.assertFalse(self.Statement.search([("partner_id", "=", self.customer.id)]))
        self.assertFalse(self.policy.last_period_end)

    def test_replies_and_disputes_are_evidence(self):
        statement = self._statement()
        with self.mock_mail_gateway():
            statement._send_by_email()
        audit = {"channel": "token", "content_hash": statement.content_hash, "name": "王会计"}
        dispute = statement._record_dispute(
            statement.line_ids.ids, "amount_differs", 1500, comment="少了 300", audit=audit
        )
        self.assertEqual(statement.state, "disputed")
        Reply = self.env["customer.statement.reply"].with_user(self.user)
        with self.assertRaises(AccessError):
            Reply.create(
                {
                    "statement_id": statement.id,
                    "kind": "confirm",
                    "channel": "portal_user",
                    "signed_by": "王会计",
                }
            )
        as_user = dispute.with_user(self.user)
        for values in ({"state": "accepted"}, {"customer_amount": 1800}, {"comment": "ok"}):
            with self.assertRaisesRegex(AccessError, "not by editing"):
                as_user.write(values)
        # Working the dispute stays the user's.
        as_user.write({"resolution_note": "发票已补寄", "user_id": self.user.id})
        with self.mock_mail_gateway():
            as_user.action_reject()
        self.assertEqual(dispute.state, "rejected")
        self.assertEqual(dispute.resolved_by_id, self.user)
        self.assertAlmostEqual(dispute.customer_amount, 1500.0)

    def test_portal_user_reads_the_customer_s_fields_only(self):
        """Over RPC a customer reads what the portal shows, not the back office's work."""
        statement = self._statement()
        with self.mock_mail_gateway():
            statement._send_by_email()
        statement._record_dispute(
            statement.line_ids.ids,
            "amount_differs",
            1500,
            comment="少了 300",
            audit={"channel": "token", "content_hash": statement.content_hash, "name": "王会计"},
        )
        dispute = statement.dispute_ids
        dispute.write({"user_id": self.user.id, "resolution_note": "发票已补寄"})
        as_portal = statement.with_user(self.portal)
        [values] = as_portal.read(["name", "closing_balance", "state", "hidden_exchange_amount"])
        self.assertEqual((values["closing_balance"], values["state"]), (1800.0, "disputed"))
        internal = [
            "prepared_by_id",
            "reviewer_id",
            "reviewed_date",
            "review_required",
            "reminder_count",
            "last_reminder_date",
            "escalated",
            "policy_id",
            "hide_exchange_lines",
            "reply_ids",
        ]
        self.assertFalse(set(internal) & set(as_portal.fields_get()))
        for field in internal:
            with self.subTest(field=field), self.assertRaises(AccessError):
                as_portal.read([field])
        with self.assertRaises(AccessError):
            as_portal.search([("escalated", "=", False)])
        Line = self.env["customer.statement.line"].with_user(self.portal)
        [line] = Line.search_read([("statement_id", "=", statement.id)], CUSTOMER_FIELDS)
        self.assertEqual((line["debit"], line["open_amount"]), (1800.0, 1800.0))
        self.assertEqual(line["currency_id"][0], statement.currency_id.id)
        for field in ("name", "move_line_id", "move_id", "move_line_ref", "contact_id", "hidden"):
            with self.subTest(field=field), self.assertRaises(AccessError):
                Line.browse(line["id"]).read([field])
        [seen] = dispute.with_user(self.portal).read(["customer_amount", "resolution_note"])
        self.assertEqual((seen["customer_amount"], seen["resolution_note"]), (1500.0, "发票已补寄"))
        for field in ("user_id", "resolved_by_id", "reply_id"):
            with self.subTest(field=field), self.assertRaises(AccessError):
                dispute.with_user(self.portal).read([field])
        # Staff read them all.
        staff_line = statement.with_user(self.user).line_ids
        self.assertEqual(staff_line.move_id, self.invoice)
        self.assertEqual(staff_line.contact_id, self.customer)
        self.assertEqual(statement.with_user(self.user).dispute_ids.user_id, self.user)

    def test_customer_post_cannot_send_a_statement(self):
        """The composer's "mark as sent" flag in a post through a link does nothing."""
        statement = self._statement()
        statement._portal_ensure_token()
        statement.with_user(self.portal).sudo().with_context(
            mark_statement_as_sent=True
        ).message_post(body="看看", message_type="comment")
        self.assertEqual(statement.state, "draft")
        self.assertFalse(statement.content_hash)
        # A token kept from an earlier sending no longer opens it once it is a draft again.
        with self.mock_mail_gateway():
            statement._send_by_email()
        token = statement.access_token
        statement.action_cancel()
        statement.action_reset_to_draft()
        self.assertFalse(statement.access_token)
        Statement = self.Statement.with_user(self.env.ref("base.public_user"))
        self.assertFalse(Statement._get_thread_with_access(statement.id, token=token))
        statement._portal_ensure_token()
        self.assertFalse(
            Statement._get_thread_with_access(statement.id, token=statement.access_token),
            "a draft is not shown to the customer",
        )

    def test_statement_contact_is_the_customer_s(self):
        """The e-mail carries the portal link: no contact of another customer."""
        stranger = self._customer("无关公司", email="x@stranger.example.com")
        own = self.env["res.partner"].create(
            {"name": "财务部", "parent_id": self.customer.id, "email": "cw@yuanhang.example.com"}
        )
        statement = self._statement()
        with self.assertRaisesRegex(ValidationError, "must be 宁波远航物流有限公司"):
            statement.contact_id = stranger
        statement.contact_id = own
        self.assertEqual(statement.contact_id, own)
        with self.assertRaisesRegex(ValidationError, "one of its own contacts"):
            self.customer.statement_contact_id = stranger
        self.customer.statement_contact_id = own

    def test_credit_rating_is_internal(self):
        with self.assertRaises(AccessError):
            self.customer.with_user(self.portal).read(["credit_score", "credit_explanation"])
        policy = self.env["customer.credit.policy"]._get_policy(self.company)
        grade = policy.grade_ids[:1]
        with self.assertRaisesRegex(AccessError, "Only statement managers"):
            self.customer.with_user(self.user).write(
                {"credit_grade_override_id": grade.id, "credit_override_reason": "老客户"}
            )
        self.customer.with_user(self.manager).write(
            {"credit_grade_override_id": grade.id, "credit_override_reason": "老客户"}
        )
        self.assertEqual(self.customer.with_user(self.user).credit_grade_id, grade)
        other = self.setup_other_company(name="深圳子公司")["company"]
        foreign = self.env["customer.credit.policy"]._get_policy(other).grade_ids[:1]
        with self.assertRaisesRegex(ValidationError, "must be a grade of"):
            self.customer.write(
                {"credit_grade_override_id": foreign.id, "credit_override_reason": "x"}
            )
