import base64
import io
from datetime import date

import openpyxl
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools.misc import format_date

from odoo.addons.mail.tests.common import MockEmail

from .common import D_FROM, D_TO, StatementCommon

# A 1x1 transparent PNG, as the portal signature widget sends it.
SIGNATURE = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
    "60e6kgAAAABJRU5ErkJggg=="
)


@tagged("post_install", "-at_install")
class TestStatementConfirmation(StatementCommon, MockEmail):
    """Sending, confirming, disputing, resolving and reissuing statements."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("杭州华信贸易有限公司", email="finance@huaxin.example.com")
        cls.inv_1 = cls._invoice(cls.customer, "2026-10-05", 1000, due="2026-10-20")
        cls.inv_2 = cls._invoice(cls.customer, "2026-10-12", 2500, due="2026-11-11")
        cls.customer.with_company(cls.company).statement_policy_id = cls.policy
        cls.policy.reply_days = 10

    def _statement(self, partner=None):
        return self.Statement.generate_statements((partner or self.customer).ids, D_FROM, D_TO)

    def _sent_statement(self, partner=None):
        statement = self._statement(partner)
        with freeze_time("2026-11-02"):
            statement._send_by_email()
        return statement

    def _audit(self, statement, **values):
        return {
            "channel": "token",
            "ip_address": "127.0.0.1",
            "user_agent": "Mozilla/5.0 test",
            "content_hash": statement.content_hash,
            "name": "王会计",
            **values,
        }

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    def test_send_freezes_and_mails_pdf_and_xlsx(self):
        statement = self._statement()
        with self.mock_mail_gateway(), freeze_time("2026-11-02"):
            statement._send_by_email()
        self.assertEqual(statement.state, "sent")
        self.assertEqual(statement.reply_deadline, date(2026, 11, 12))
        self.assertTrue(statement.access_token)
        mail = self._new_mails.filtered(lambda m: self.customer in m.recipient_ids)
        self.assertEqual(len(mail), 1)
        names = mail.attachment_ids.mapped("name")
        self.assertEqual(len(names), 2, names)
        self.assertTrue(any(name.endswith(".xlsx") for name in names), names)
        self.assertTrue(any(name.startswith("对账单") for name in names), names)
        self.assertIn(statement.get_portal_url(), mail.body_html)
        self.assertIn(statement.content_hash, mail.body_html)
        # The XLSX attached is the statement's.
        xlsx = mail.attachment_ids.filtered(lambda a: a.name.endswith(".xlsx"))
        self.assertEqual(base64.b64decode(xlsx.datas)[:2], b"PK")

    @staticmethod
    def _xlsx_header(content):
        """The label: value rows at the top of a statement workbook."""
        sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
        return {
            row[0]: row[1]
            for row in sheet.iter_rows(min_row=3, max_row=12, max_col=2, values_only=True)
            if row[0]
        }

    @freeze_time("2026-11-03 02:00:00")
    def test_composer_send(self):
        """The e-mail prepared in the composer, before the statement is sent,
        states the deadline the statement gets, and its attachments show it
        as sent, not as a draft."""
        self.policy.confirmation_mode = "negative"
        statement = self._statement()
        deadline = date(2026, 11, 13)  # today, 3 November, plus the policy's 10 days
        self.assertFalse(statement.reply_deadline)
        self.assertEqual(statement.reply_by, deadline)
        action = statement.action_send()
        composer = self.env["mail.compose.message"].with_context(**action["context"]).create({})
        self.assertEqual(composer.template_id, statement._get_mail_template())
        shown = format_date(self.env, deadline)
        self.assertIn(shown, composer.body)
        # the PDF, which tests render as HTML
        pdf = composer.attachment_ids.filtered(lambda a: not a.name.endswith(".xlsx"))
        html = base64.b64decode(pdf.datas).decode()
        self.assertIn(shown, html)
        self.assertNotIn("(Draft)", html)
        with self.mock_mail_gateway():
            composer._action_send_mail()
        self.assertEqual(statement.state, "sent")
        self.assertEqual(statement.reply_deadline, deadline)
        mail = self._new_mails.filtered(lambda m: self.customer in m.recipient_ids)
        self.assertEqual(len(mail.attachment_ids), 2)
        xlsx = mail.attachment_ids.filtered(lambda a: a.name.endswith(".xlsx"))
        header = self._xlsx_header(base64.b64decode(xlsx.datas))
        self.assertEqual(header["Status"], "Sent")
        self.assertEqual(header["Reply By"].date(), deadline)

    def test_composer_refuses_changed_statement(self):
        statement = self._statement()
        action = statement.action_send()
        self._invoice(self.customer, "2026-10-30", 10)
        statement.action_recompute()
        composer = self.env["mail.compose.message"].with_context(**action["context"]).create({})
        with self.assertRaisesRegex(UserError, "changed since"):
            composer._action_send_mail()

    # ------------------------------------------------------------------
    # Review
    # ------------------------------------------------------------------
    def test_review_preparer_cannot_approve(self):
        self.policy.review_required = True
        statement = self._statement()
        self.assertTrue(statement.review_required)
        with self.assertRaisesRegex(UserError, "internal review"):
            statement._send_by_email()
        self.assertFalse(statement.prepared_by_id)
        statement.action_submit_review()
        self.assertEqual(statement.prepared_by_id, self.env.user)
        with self.assertRaisesRegex(UserError, "not approved"):
            statement.action_mark_sent()
        with self.assertRaisesRegex(UserError, "another reviewer"):
            statement.action_approve()
        user = self._user("statement_user", "customer_reconciliation.group_statement_user")
        with self.assertRaises(AccessError):
            statement.with_user(user).action_approve()
        reviewer = self._user(
            "statement_reviewer", "customer_reconciliation.group_statement_reviewer"
        )
        statement.with_user(reviewer).action_approve()
        self.assertEqual(statement.reviewer_id, reviewer)
        statement._send_by_email()
        self.assertEqual(statement.state, "sent")
        deadline = statement.reply_deadline
        self.assertTrue(deadline)
        # Cancelled and back to draft, it is a new draft: the approval and the
        # sending are gone, so the new figures need a new review.
        statement.action_cancel()
        statement.action_reset_to_draft()
        self.assertFalse(statement.reviewer_id)
        self.assertFalse(statement.sent_date)
        self.assertFalse(statement.reply_deadline)
        self.assertEqual(statement.reminder_count, 0)
        statement.action_submit_review()
        with self.assertRaisesRegex(UserError, "not approved"):
            statement.action_mark_sent()

    # ------------------------------------------------------------------
    # Confirmation
    # ------------------------------------------------------------------
    def test_confirm_records_evidence(self):
        statement = self._sent_statement()
        with freeze_time("2026-11-05 10:00:00"), self.mock_mail_gateway():
            reply = statement._record_confirmation(
                "王会计", signature=SIGNATURE, audit=self._audit(statement)
            )
        self.assertEqual(statement.state, "confirmed")
        self.assertEqual(statement.confirmed_by, "王会计")
        self.assertTrue(statement.signature)
        self.assertFalse(statement.confirmation_late)
        self.assertEqual(reply.ip_address, "127.0.0.1")
        self.assertEqual(reply.user_agent, "Mozilla/5.0 test")
        self.assertEqual(reply.content_hash, statement.content_hash)
        self.assertEqual(reply.channel, "token")
        self.assertTrue(reply.signature)
        self.assertEqual(str(reply.reply_date), "2026-11-05 10:00:00")
        self.assertTrue(self._new_mails.filtered(lambda m: "Thank you" in (m.subject or "")))
        # A second confirmation is refused, nothing changes.
        with self.assertRaisesRegex(UserError, "not awaiting your reply"):
            statement._record_confirmation(
                "王会计", signature=SIGNATURE, audit=self._audit(statement)
            )
        self.assertEqual(len(statement.reply_ids), 1)

    def test_late_confirmation_is_flagged(self):
        statement = self._sent_statement()
        with freeze_time("2026-11-20"):
            reply = statement._record_confirmation(
                "王会计", signature=SIGNATURE, audit=self._audit(statement)
            )
        self.assertEqual(statement.state, "confirmed")
        self.assertTrue(reply.late)
        self.assertTrue(statement.confirmation_late)

    def test_confirm_refused_on_wrong_hash_or_missing_signature(self):
        statement = self._sent_statement()
        with self.assertRaisesRegex(UserError, "changed since you opened it"):
            statement._record_confirmation(
                "王会计", signature=SIGNATURE, audit=self._audit(statement, content_hash="0" * 64)
            )
        with self.assertRaisesRegex(UserError, "signature is missing"):
            statement._record_confirmation("王会计", audit=self._audit(statement))
        with self.assertRaisesRegex(UserError, "name of the person"):
            statement._record_confirmation("  ", signature=SIGNATURE, audit=self._audit(statement))
        self.assertEqual(statement.state, "sent")
        self.assertFalse(statement.reply_ids)

    def test_offline_confirmation_by_staff(self):
        statement = self._sent_statement()
        wizard = self.env["customer.statement.confirm"].create(
            {
                "statement_id": statement.id,
                "signed_by": "李经理",
                "scan": base64.b64encode(b"%PDF-1.4 signed slip"),
                "scan_name": "回执.pdf",
            }
        )
        wizard.action_record()
        self.assertEqual(statement.state, "confirmed")
        reply = statement.reply_ids
        self.assertEqual(reply.channel, "staff")
        self.assertEqual(reply.user_id, self.env.user)
        self.assertEqual(reply.attachment_ids.name, "回执.pdf")

    def test_open_dispute_is_resolved_before_cancelling_and_stays_as_told(self):
        statement = self._sent_statement()
        dispute = statement._record_dispute([], "already_paid", 0, audit=self._audit(statement))
        with self.assertRaisesRegex(UserError, "dispute of .* is open"):
            statement.action_cancel()
        self.assertEqual(statement.state, "disputed")
        dispute.write({"resolution_note": "款项尚未到账"})
        with self.mock_mail_gateway():
            dispute.action_reject()
        with self.assertRaisesRegex(UserError, "no longer changes"):
            dispute.resolution_note = "款项已到账"
        self.assertEqual(dispute.resolution_note, "款项尚未到账")
        statement.action_cancel()
        self.assertEqual(statement.state, "cancelled")

    def test_reply_evidence_cannot_be_replaced_nor_deleted(self):
        """The signed slip staff recorded, and the signature kept on the
        statement, cannot be replaced or deleted from the chatter by anyone
        who may edit the statement."""
        clerk = self._user("evidence_clerk", "customer_reconciliation.group_statement_user")
        statement = self._sent_statement()
        self.env["customer.statement.confirm"].with_user(clerk).create(
            {
                "statement_id": statement.id,
                "signed_by": "李经理",
                "scan": base64.b64encode(b"%PDF-1.4 signed slip"),
                "scan_name": "回执.pdf",
            }
        ).action_record()
        scan = statement.reply_ids.attachment_ids.with_user(clerk)
        with self.assertRaisesRegex(UserError, "cannot be changed or deleted"):
            scan.write({"raw": b"%PDF-1.4 another slip"})
        with self.assertRaisesRegex(UserError, "cannot be changed or deleted"):
            scan.unlink()
        scan.name = "回执（盖章）.pdf"  # renaming changes nothing that was received
        self.assertEqual(scan.raw, b"%PDF-1.4 signed slip")
        # A signature confirmed on the portal, kept on the statement.
        other = self._customer("签字客户", email="s@example.com")
        self._invoice(other, "2026-10-08", 100)
        signed = self._sent_statement(other)
        signed._record_confirmation(
            "王会计", signature=SIGNATURE, audit=self._audit(signed, name="王会计")
        )
        kept = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "customer.statement"),
                    ("res_id", "=", signed.id),
                    ("res_field", "=", "signature"),
                ]
            )
        )
        self.assertTrue(kept)
        with self.assertRaisesRegex(UserError, "cannot be changed or deleted"):
            kept.with_user(clerk).unlink()

    # ------------------------------------------------------------------
    # Disputes
    # ------------------------------------------------------------------
    def test_dispute_resolve_reissue_confirm(self):
        statement = self._sent_statement()
        line = statement.line_ids.filtered(lambda ln: ln.move_id == self.inv_2)
        with self.mock_mail_gateway():
            dispute = statement._record_dispute(
                line.ids,
                "amount_differs",
                "2,000.00",
                comment="<script>alert('x')</script> 单价不对",
                audit=self._audit(statement, name="王会计"),
            )
        self.assertEqual(statement.state, "disputed")
        self.assertEqual(dispute.line_ids, line)
        self.assertAlmostEqual(dispute.statement_amount, 2500.0)
        self.assertAlmostEqual(dispute.customer_amount, 2000.0)
        self.assertAlmostEqual(dispute.difference, 500.0)
        self.assertEqual(dispute.reply_id.signed_by, "王会计")
        # The comment is kept as the customer wrote it, and shown escaped.
        self.assertEqual(dispute.comment, "<script>alert('x')</script> 单价不对")
        note = statement.message_ids.filtered(lambda m: "reports a difference" in m.body)
        self.assertIn("&lt;script&gt;", note.body)
        self.assertNotIn("<script>", note.body)
        activity = statement.activity_ids
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("customer_reconciliation.mail_activity_statement_dispute"),
        )
        self.assertTrue(
            self._new_mails.filtered(lambda m: "received your remarks" in (m.subject or ""))
        )
        with self.assertRaisesRegex(UserError, "Resolve every dispute"):
            statement.action_reissue()
        with self.assertRaisesRegex(UserError, "resolution note"):
            dispute.action_accept()
        # Staff agree and issue a credit note of 500.
        refund = self._invoice(self.customer, "2026-10-31", 500, move_type="out_refund")
        dispute.write({"resolution_note": "单价调整 500", "credit_note_id": refund.id})
        with self.mock_mail_gateway():
            dispute.action_accept()
        self.assertEqual(dispute.state, "accepted")
        self.assertFalse(statement.activity_ids)
        with self.mock_mail_gateway():
            statement.action_reissue()
        self.assertEqual(statement.state, "superseded")
        new = statement.superseded_by_id
        self.assertEqual(new.previous_statement_id, statement)
        self.assertEqual(new.version, 2)
        self.assertEqual(new.state, "sent")
        self.assertAlmostEqual(new.closing_balance, 3000.0)
        self.assertAlmostEqual(statement.closing_balance, 3500.0)  # the old one is kept
        self.assertNotEqual(new.content_hash, statement.content_hash)
        # The superseded statement refuses replies, the new one is confirmed.
        with self.assertRaisesRegex(UserError, "replaced by"):
            statement._record_confirmation(
                "王会计", signature=SIGNATURE, audit=self._audit(statement)
            )
        new._record_confirmation("王会计", signature=SIGNATURE, audit=self._audit(new))
        self.assertEqual(new.state, "confirmed")

    def test_dispute_rejected_then_reissued(self):
        statement = self._sent_statement()
        dispute = statement._record_dispute([], "already_paid", 0, audit=self._audit(statement))
        self.assertAlmostEqual(dispute.statement_amount, 3500.0)
        dispute.resolution_note = "未收到付款"
        dispute.action_reject()
        self.assertEqual(dispute.state, "rejected")
        statement.action_reissue()
        self.assertAlmostEqual(statement.superseded_by_id.closing_balance, 3500.0)

    def test_dispute_bad_input(self):
        statement = self._sent_statement()
        other_customer = self._customer("另一个客户", email="x@example.com")
        self._invoice(other_customer, "2026-10-08", 100)
        other = self._sent_statement(other_customer)
        self.assertTrue(other.line_ids)
        line = statement.line_ids[0]
        cases = [
            (other.line_ids.ids, "amount_differs", "100", "lines of this statement"),
            ([999999999], "amount_differs", "100", "lines of this statement"),
            (line.ids, "because", "100", "reason"),
            (line.ids, "amount_differs", "-100", "opposite sign"),
            (line.ids, "amount_differs", "1e15", "not plausible"),
            (line.ids, "amount_differs", "nan", "not plausible"),
            (line.ids, "amount_differs", "abc", "not an amount"),
            (line.ids, "amount_differs", "", "not an amount"),
        ]
        for line_ids, reason, amount, message in cases:
            with (
                self.subTest(amount=amount, message=message),
                self.assertRaisesRegex(ValidationError, message),
            ):
                statement._record_dispute(line_ids, reason, amount, audit=self._audit(statement))
        with self.assertRaisesRegex(ValidationError, "too long"):
            statement._record_dispute(
                line.ids, "other", "1", comment="x" * 6000, audit=self._audit(statement)
            )
        self.assertEqual(statement.state, "sent")
        self.assertFalse(statement.dispute_ids)
        self.assertFalse(statement.reply_ids)

    def test_dispute_repeated_lines_and_comment_markup(self):
        statement = self._sent_statement()
        line = statement.line_ids.filtered(lambda ln: ln.move_id == self.inv_2)
        self.assertAlmostEqual(line.open_amount, 2500.0)
        comment = '<a href="https://evil.example/pay">new bank account</a><img src="x">'
        dispute = statement._record_dispute(
            line.ids * 3, "amount_differs", "2000", comment=comment, audit=self._audit(statement)
        )
        # A line sent three times is disputed once.
        self.assertEqual(dispute.line_ids, line)
        self.assertAlmostEqual(dispute.statement_amount, 2500.0)
        self.assertAlmostEqual(dispute.customer_amount, 2000.0)
        self.assertAlmostEqual(dispute.difference, 500.0)
        # The staff's activity shows the comment as text, never as markup.
        activity = statement.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertNotIn("<a ", activity.note)
        self.assertNotIn("<img", activity.note)
        self.assertIn("&lt;a href=", activity.note)
        self.assertIn("new bank account", activity.note)

    def test_amounts_read_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("de_DE")
        statement = self._sent_statement()
        german = statement.with_context(lang="de_DE")
        self.assertAlmostEqual(german._parse_amount("2.500,00"), 2500.0)
        self.assertAlmostEqual(german._parse_amount("3500"), 3500.0)
        english = statement.with_context(lang="en_US")
        self.assertAlmostEqual(english._parse_amount("2,500.00"), 2500.0)
        self.assertAlmostEqual(english._parse_amount("¥3,500"), 3500.0)
        self.assertAlmostEqual(english._parse_amount("-1,234,567.5"), -1234567.5)
        self.assertAlmostEqual(english._parse_amount("3，500.00"), 3500.0)  # full-width comma
        # Separators that do not group three digits could mean two amounts:
        # refused, never guessed.
        for text, reader in (
            ("1.5", german),
            ("2.500.0", german),
            ("2.500,00", english),
            ("1,5", english),
            ("12,34,567", english),
        ):
            with self.subTest(text=text, lang=reader.env.lang):
                with self.assertRaisesRegex(ValidationError, "is not an amount"):
                    reader._parse_amount(text)
        self.env["res.lang"]._activate_lang("fr_FR")
        french = statement.with_context(lang="fr_FR")
        self.assertAlmostEqual(french._parse_amount("2 500,50"), 2500.5)

    def test_balance_request_cannot_be_signed_away(self):
        self.policy.confirmation_mode = "balance"
        statement = self._sent_statement()
        with self.assertRaisesRegex(UserError, "asks for your balance"):
            statement._record_confirmation(
                "王会计", signature=SIGNATURE, audit=self._audit(statement)
            )
        self.assertEqual(statement.state, "sent")
        self.assertFalse(statement.reply_ids)

    def test_balance_request(self):
        self.policy.confirmation_mode = "balance"
        statement = self._sent_statement()
        self.assertEqual(statement.confirmation_mode, "balance")
        statement._record_balance("3,300.00", audit=self._audit(statement, name="王会计"))
        self.assertEqual(statement.state, "disputed")
        self.assertAlmostEqual(statement.customer_balance, 3300.0)
        self.assertAlmostEqual(statement.balance_difference, 200.0)
        self.assertAlmostEqual(statement.dispute_ids.difference, 200.0)

    def test_balance_request_equal_confirms(self):
        self.policy.confirmation_mode = "balance"
        statement = self._sent_statement()
        statement._record_balance("¥3500", audit=self._audit(statement))
        self.assertEqual(statement.state, "confirmed")
        self.assertAlmostEqual(statement.balance_difference, 0.0)
