from datetime import date

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import D_FROM, D_TO, StatementCommon


@tagged("post_install", "-at_install")
class TestPartnerMerge(StatementCommon, MockEmail):
    """Merging duplicate customers (Contacts ▸ Merge) keeps every statement."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kept = cls._customer("杭州恒丰纺织有限公司", email="ap@hengfeng.example.com")
        cls.duplicate = cls._customer("杭州恒丰纺织", email="ap@hengfeng.example.com")
        cls._invoice(cls.kept, "2026-10-09", 1800, due="2026-11-08")
        cls._invoice(cls.duplicate, "2026-10-12", 700, due="2026-11-11")
        cls.Merge = cls.env["base.partner.merge.automatic.wizard"]

    def _merge(self):
        self.Merge._merge((self.kept | self.duplicate).ids, self.kept)

    def test_merge_moves_the_statements_of_other_periods(self):
        september = self.Statement.generate_statements(
            self.duplicate.ids, date(2026, 9, 1), date(2026, 9, 30)
        )
        with self.mock_mail_gateway():
            september._send_by_email()
        october = self.Statement.generate_statements(self.kept.ids, D_FROM, D_TO)
        self._merge()
        self.assertFalse(self.duplicate.exists())
        self.assertEqual(september.partner_id, self.kept)
        self.assertEqual(september.state, "sent")
        self.assertEqual(october.partner_id, self.kept)
        # The kept customer's ledger now has both invoices: a new October
        # statement (after cancelling the old one) says so.
        october.action_cancel()
        again = self.Statement.generate_statements(self.kept.ids, D_FROM, D_TO)
        self.assertEqual(again.closing_balance, 2500.0)
        self.assertEqual(sorted(again.line_ids.mapped("debit")), [700.0, 1800.0])

    def test_merge_refuses_two_statements_of_one_period(self):
        kept = self.Statement.generate_statements(self.kept.ids, D_FROM, D_TO)
        duplicate = self.Statement.generate_statements(self.duplicate.ids, D_FROM, D_TO)
        # Two drafts: Odoo's merge would have deleted the duplicate's.
        with self.assertRaisesRegex(UserError, duplicate.name):
            self._merge()
        self.assertTrue(duplicate.exists())
        with self.mock_mail_gateway():
            duplicate._send_by_email()
        duplicate._record_confirmation(
            signed_by="王会计", audit={"channel": "staff", "content_hash": duplicate.content_hash}
        )
        with self.assertRaisesRegex(UserError, duplicate.name) as caught:
            self._merge()
        self.assertIn(kept.name, str(caught.exception))
        self.assertTrue(self.duplicate.exists())
        self.assertEqual(duplicate.partner_id, self.duplicate)
        self.assertEqual(duplicate.state, "confirmed")
        self.assertEqual(duplicate.closing_balance, 700.0)
        # Once one of them is cancelled, the merge goes through and keeps both.
        kept.action_cancel()
        self._merge()
        self.assertEqual((kept | duplicate).partner_id, self.kept)
        self.assertEqual(duplicate.state, "confirmed")
        self.assertEqual(len(duplicate.reply_ids), 1)

    def test_merge_into_a_contact_of_a_company_is_refused(self):
        statement = self.Statement.generate_statements(self.duplicate.ids, D_FROM, D_TO)
        buyer = self.env["res.partner"].create(
            {"name": "采购部", "parent_id": self.kept.id, "email": "ap@hengfeng.example.com"}
        )
        with self.assertRaisesRegex(UserError, "杭州恒丰纺织有限公司"):
            self.Merge._merge((buyer | self.duplicate).ids, buyer)
        self.assertEqual(statement.partner_id, self.duplicate)
