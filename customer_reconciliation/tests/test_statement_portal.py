import json
import re
from datetime import date

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import D_FROM, D_TO, StatementCommon
from .test_statement_confirmation import SIGNATURE


@tagged("post_install", "-at_install")
class TestStatementPortal(StatementCommon, HttpCase):
    """The portal routes, as customers and strangers reach them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_a = cls._customer("甲方科技有限公司", email="a@example.com")
        cls.customer_b = cls._customer("乙方实业有限公司", email="b@example.com")
        for customer, amounts in ((cls.customer_a, (1000, 2500)), (cls.customer_b, (700,))):
            for day, amount in enumerate(amounts, start=5):
                cls._invoice(customer, date(2026, 10, day), amount, due=date(2026, 11, day))
        cls.portal_a = cls._portal_user("portal_a", "王会计", cls.customer_a)
        cls.portal_b = cls._portal_user("portal_b", "李会计", cls.customer_b)
        cls.statement_a, cls.statement_b = cls.Statement.generate_statements(
            [cls.customer_a.id, cls.customer_b.id], D_FROM, D_TO
        )
        (cls.statement_a | cls.statement_b)._send_by_email()

    @classmethod
    def _portal_user(cls, login, name, customer):
        user = new_test_user(
            cls.env,
            login=login,
            password=login,
            name=name,
            groups="base.group_portal",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        user.partner_id.write({"parent_id": customer.id, "email": f"{login}@example.com"})
        return user

    def _csrf(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)

    def _post_dispute(self, line_ids, customer_amount, files=None, **fields):
        """Post the dispute form of statement A as its portal user."""
        self.authenticate("portal_a", "portal_a")
        url = f"/my/statements/{self.statement_a.id}"
        data = {
            "csrf_token": self._csrf(url),
            "line_ids": line_ids,
            "reason": "amount_differs",
            "customer_amount": customer_amount,
            "hash": self.statement_a.content_hash,
            **fields,
        }
        return self.url_open(f"{url}/dispute", data=data, files=files)

    def _confirm(self, statement, token=None, content_hash=None):
        url = f"/my/statements/{statement.id}/confirm?hash={content_hash or statement.content_hash}"
        if token:
            url += f"&access_token={token}"
        return self.make_jsonrpc_request(url, {"name": "王会计", "signature": SIGNATURE})

    # ------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------
    def test_portal_user_sees_only_own_statements(self):
        self.authenticate("portal_a", "portal_a")
        response = self.url_open("/my/statements")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.statement_a.name, response.text)
        self.assertNotIn(self.statement_b.name, response.text)
        page = self.url_open(f"/my/statements/{self.statement_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.statement_a.content_hash, page.text)
        self.assertIn("3,500.00", page.text)
        xlsx = self.url_open(f"/my/statements/{self.statement_a.id}/xlsx")
        self.assertEqual(xlsx.status_code, 200)
        self.assertEqual(xlsx.content[:2], b"PK")
        # B's statement, by id, with no token or with a wrong one.
        for url in (
            f"/my/statements/{self.statement_b.id}",
            f"/my/statements/{self.statement_b.id}?access_token=forged",
            f"/my/statements/{self.statement_b.id}?access_token={self.statement_a.access_token}",
            f"/my/statements/{self.statement_b.id}/xlsx",
            f"/my/statements/{self.statement_b.id}?report_type=pdf",
            "/my/statements/999999999",
        ):
            with self.subTest(url=url):
                self.assertEqual(self.url_open(url).status_code, 404)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["statement_count"]})
        self.assertEqual(counters["statement_count"], 1)

    def test_draft_statement_is_not_shown(self):
        customer = self._customer("草稿客户")
        self._invoice(customer, "2026-10-10", 10)
        draft = self.Statement.generate_statements(customer.ids, D_FROM, D_TO)
        draft._portal_ensure_token()
        response = self.url_open(f"/my/statements/{draft.id}?access_token={draft.access_token}")
        self.assertEqual(response.status_code, 404)

    def test_portal_rpc_hides_drafts(self):
        customer_draft = self.Statement.generate_statements(
            self.customer_a.ids, date(2026, 11, 1), date(2026, 11, 30)
        )
        self.assertEqual(customer_draft.state, "draft")
        self.authenticate("portal_a", "portal_a")
        rows = self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": "customer.statement",
                "method": "search_read",
                "args": [[]],
                "kwargs": {"fields": ["name", "closing_balance"]},
            },
        )
        self.assertEqual([row["id"] for row in rows], self.statement_a.ids)
        # Exchange differences the policy hides stay hidden over RPC too.
        hidden = self.statement_a.line_ids[0]
        self.env.cr.execute(
            "UPDATE customer_statement_line SET hidden = TRUE WHERE id = %s", [hidden.id]
        )
        lines = self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": "customer.statement.line",
                "method": "search_read",
                "args": [[]],
                "kwargs": {"fields": ["statement_id"]},
            },
        )
        self.assertEqual(
            sorted(row["id"] for row in lines), sorted((self.statement_a.line_ids - hidden).ids)
        )

    def test_generate_statements_over_rpc(self):
        # The accountant of the test company (its password is its login).
        self.authenticate(self.env.user.login, self.env.user.login)
        customer = self._customer("接口客户")
        self._invoice(customer, "2026-10-20", 4321)
        args = [[customer.id], "2026-10-01", "2026-10-31"]
        ids = self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": "customer.statement",
                "method": "generate_statements",
                "args": args,
                "kwargs": {"context": {"allowed_company_ids": [self.company.id]}},
            },
        )
        statement = self.Statement.browse(ids)
        self.assertEqual(statement.partner_id, customer)
        self.assertAlmostEqual(statement.closing_balance, 4321.0)
        again = self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": "customer.statement",
                "method": "generate_statements",
                "args": args,
                "kwargs": {"context": {"allowed_company_ids": [self.company.id]}},
            },
        )
        self.assertEqual(again, ids)

    def test_public_visitor_needs_the_token(self):
        self.assertEqual(self.url_open(f"/my/statements/{self.statement_a.id}").status_code, 404)
        url = f"/my/statements/{self.statement_a.id}?access_token={self.statement_a.access_token}"
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.statement_a.name, response.text)

    # ------------------------------------------------------------------
    # Confirming
    # ------------------------------------------------------------------
    def test_portal_user_confirms_own_statement(self):
        self.authenticate("portal_a", "portal_a")
        result = self._confirm(self.statement_a)
        self.assertTrue(result.get("force_refresh"), result)
        self.assertEqual(self.statement_a.state, "confirmed")
        reply = self.statement_a.reply_ids
        self.assertEqual(reply.channel, "portal_user")
        self.assertEqual(reply.user_id, self.portal_a)
        self.assertEqual(reply.ip_address, "127.0.0.1")
        self.assertTrue(reply.user_agent)
        self.assertEqual(reply.content_hash, self.statement_a.content_hash)
        self.assertTrue(self.statement_a.signature)
        # A second confirmation is refused.
        self.assertIn("not awaiting your reply", self._confirm(self.statement_a)["error"])
        self.assertEqual(len(self.statement_a.reply_ids), 1)

    def test_portal_user_cannot_reply_for_another_customer(self):
        self.authenticate("portal_a", "portal_a")
        for token in (None, "forged", self.statement_a.access_token):
            with self.subTest(token=token):
                self.assertEqual(
                    self._confirm(self.statement_b, token=token)["error"],
                    "This statement is not available.",
                )
        csrf = self._csrf(f"/my/statements/{self.statement_a.id}")
        response = self.url_open(
            f"/my/statements/{self.statement_b.id}/dispute",
            data={
                "csrf_token": csrf,
                "reason": "other",
                "customer_amount": "1",
                "hash": self.statement_b.content_hash,
            },
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.statement_b.state, "sent")
        self.assertFalse(self.statement_b.reply_ids)
        self.assertFalse(self.statement_b.dispute_ids)

    def test_public_visitor_with_token_confirms(self):
        self.assertIn("error", self._confirm(self.statement_a, token="forged"))
        self.assertEqual(self.statement_a.state, "sent")
        result = self._confirm(self.statement_a, token=self.statement_a.access_token)
        self.assertTrue(result.get("force_refresh"), result)
        self.assertEqual(self.statement_a.state, "confirmed")
        self.assertEqual(self.statement_a.reply_ids.channel, "token")
        self.assertFalse(self.statement_a.reply_ids.user_id)

    def test_confirm_with_stale_hash_is_refused(self):
        result = self._confirm(
            self.statement_a, token=self.statement_a.access_token, content_hash="f" * 64
        )
        self.assertIn("changed since you opened it", result["error"])
        self.assertEqual(self.statement_a.state, "sent")

    def test_employee_cannot_reply_in_the_customer_s_place(self):
        """The preview link works for staff, but the reply is the customer's."""
        self.authenticate(self.env.user.login, self.env.user.login)
        result = self._confirm(self.statement_a, token=self.statement_a.access_token)
        self.assertIn("signed in as an employee", result["error"])
        self.assertEqual(self.statement_a.state, "sent")
        self.assertFalse(self.statement_a.reply_ids)

    def test_link_to_a_draft_opens_no_chatter(self):
        """A token a customer kept cannot post on a statement they are not shown,
        nor send it with the composer's flag."""
        draft = self.Statement.generate_statements(
            self.customer_b.ids, date(2026, 11, 1), date(2026, 11, 30)
        )
        draft._portal_ensure_token()
        messages = len(draft.message_ids)
        response = self.url_open(
            "/mail/message/post",
            data=json.dumps(
                {
                    "params": {
                        "thread_model": "customer.statement",
                        "thread_id": draft.id,
                        "post_data": {"body": "hello", "message_type": "comment"},
                        "token": draft.access_token,
                        "context": {"mark_statement_as_sent": True},
                    }
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertIn("error", response.json())
        self.assertEqual(draft.state, "draft")
        self.assertEqual(len(draft.message_ids), messages)

    def test_invalid_signature_is_refused(self):
        url = (
            f"/my/statements/{self.statement_a.id}/confirm?hash={self.statement_a.content_hash}"
            f"&access_token={self.statement_a.access_token}"
        )
        result = self.make_jsonrpc_request(url, {"name": "王会计", "signature": "not base64!"})
        self.assertEqual(result["error"], "The signature could not be read.")
        self.assertEqual(self.statement_a.state, "sent")
        # Base64 that is no image: refused by the image field, after the reply
        # row was written; nothing of it is left.
        result = self.make_jsonrpc_request(url, {"name": "王会计", "signature": "AAAA"})
        self.assertIn("error", result)
        self.assertEqual(self.statement_a.state, "sent")
        self.assertFalse(self.statement_a.reply_ids)

    def test_confirm_refuses_parameters_of_the_wrong_type(self):
        url = (
            f"/my/statements/{self.statement_a.id}/confirm?hash={self.statement_a.content_hash}"
            f"&access_token={self.statement_a.access_token}"
        )
        result = self.make_jsonrpc_request(url, {"name": ["王会计"], "signature": SIGNATURE})
        self.assertEqual(result["error"], "Give the name of the person who confirms.")
        result = self.make_jsonrpc_request(url, {"name": "王会计", "signature": 5})
        self.assertEqual(result["error"], "The signature is missing.")
        self.assertEqual(self.statement_a.state, "sent")
        self.assertFalse(self.statement_a.reply_ids)

    def test_cancelled_statement_is_not_shown(self):
        self.statement_a.action_cancel()
        url = f"/my/statements/{self.statement_a.id}?access_token={self.statement_a.access_token}"
        self.assertEqual(self.url_open(url).status_code, 404)

    # ------------------------------------------------------------------
    # Disputing
    # ------------------------------------------------------------------
    def test_dispute_form_post(self):
        url = f"/my/statements/{self.statement_a.id}"
        line = self.statement_a.line_ids.filtered(lambda ln: ln.debit == 2500)
        response = self._post_dispute(
            [str(line.id)],
            "2000",
            comment="<img src=x onerror=alert(1)>",
            name="王会计",
            files={"attachments": ("对账.txt", "差额说明".encode(), "text/plain")},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("message=disputed", response.url)
        dispute = self.statement_a.dispute_ids
        self.assertEqual(self.statement_a.state, "disputed")
        self.assertEqual(dispute.line_ids, line)
        self.assertAlmostEqual(dispute.difference, 500.0)
        self.assertEqual(dispute.comment, "<img src=x onerror=alert(1)>")
        self.assertEqual(dispute.attachment_ids.name, "对账.txt")
        self.assertEqual(dispute.reply_id.ip_address, "127.0.0.1")
        # The page shows the comment escaped, never as markup.
        page = self.url_open(url).text
        self.assertNotIn("<img src=x onerror=alert(1)>", page)
        # The staff's note quotes it as text, with the amounts formatted.
        note = self.statement_a.message_ids.filtered(
            lambda m: "reports a difference" in (m.body or "")
        )
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;", note.body)
        self.assertNotIn("<img src=x", note.body)
        self.assertIn("500.00", note.body)

    def test_dispute_bad_amount_keeps_statement(self):
        url = f"/my/statements/{self.statement_a.id}"
        response = self._post_dispute([str(self.statement_b.line_ids[0].id)], "100")
        self.assertEqual(response.status_code, 200)
        self.assertIn("error=1", response.url)
        self.assertIn("lines of this statement", response.text)
        # The text comes from the session, not from the link: a crafted link
        # shows nothing.
        self.assertNotIn("lines of this statement", response.url)
        forged = self.url_open(f"{url}?error=Pay+to+account+X")
        self.assertNotIn("Pay to account X", forged.text)
        self.assertEqual(self.statement_a.state, "sent")
        self.assertFalse(self.statement_a.dispute_ids)

    def test_dispute_line_id_not_a_plain_number(self):
        response = self._post_dispute(["²"], "100")
        self.assertEqual(response.status_code, 200)
        self.assertIn("error=1", response.url)
        self.assertIn("The disputed lines are not valid.", response.text)
        self.assertEqual(self.statement_a.state, "sent")
        self.assertFalse(self.statement_a.dispute_ids)

    def test_reply_through_the_link_needs_a_name(self):
        """A dispute or a stated balance is evidence: through the e-mail link
        (no signed-in user) it needs the name of who replies."""
        statement = self.statement_a
        url = f"/my/statements/{statement.id}?access_token={statement.access_token}"
        data = {
            "csrf_token": self._csrf(url),
            "access_token": statement.access_token,
            "line_ids": [],
            "reason": "amount_differs",
            "customer_amount": "3000",
            "hash": statement.content_hash,
            "name": "  ",
        }
        response = self.url_open(f"/my/statements/{statement.id}/dispute", data=data)
        self.assertIn("error=1", response.url)
        self.assertIn("Give the name of the person who replies.", response.text)
        self.assertEqual(statement.state, "sent")
        self.assertFalse(statement.reply_ids)
        statement.sudo().confirmation_mode = "balance"  # set up as if asked so
        with self.assertRaisesRegex(UserError, "Give the name"):
            statement._record_balance(
                "3500", audit={"channel": "token", "content_hash": statement.content_hash}
            )
        data["name"] = "王会计"
        response = self.url_open(f"/my/statements/{statement.id}/dispute", data=data)
        self.assertIn("message=disputed", response.url)
        self.assertEqual(statement.reply_ids.signed_by, "王会计")
        # The note is the customer's (their contact, through the link), not the system's.
        note = statement.message_ids.filtered(lambda m: "reports a difference" in (m.body or ""))
        self.assertEqual(note.author_id, self.customer_a)

    def test_nul_characters_are_dropped_not_a_server_error(self):
        """PostgreSQL cannot store a NUL character: typed into any field, it is
        dropped instead of failing the request with a server error."""
        self.authenticate("portal_a", "portal_a")
        self.assertEqual(self.url_open("/my/statements?search=%00").status_code, 200)
        response = self._post_dispute(
            [],
            "3000",
            comment="差额\x00说明",
            name="王\x00会计",
            files={"attachments": ("a\x00b.txt", b"x", "text/plain")},
        )
        self.assertIn("message=disputed", response.url)
        dispute = self.statement_a.dispute_ids
        self.assertEqual(dispute.comment, "差额说明")
        self.assertEqual(dispute.reply_id.signed_by, "王会计")
        self.assertEqual(dispute.attachment_ids.name, "ab.txt")
        # The portal user's own partner is the note's author.
        note = self.statement_a.message_ids.filtered(
            lambda m: "reports a difference" in (m.body or "")
        )
        self.assertEqual(note.author_id, self.portal_a.partner_id)
        self.logout()
        url = f"/my/statements/{self.statement_b.id}/confirm?hash={self.statement_b.content_hash}"
        result = self.make_jsonrpc_request(
            url,
            {"name": "李\x00会计", "signature": SIGNATURE, "access_token": ["x"]},
        )
        self.assertEqual(result["error"], "This statement is not available.")
        result = self.make_jsonrpc_request(
            url,
            {
                "name": "李\x00会计",
                "signature": SIGNATURE,
                "access_token": self.statement_b.access_token,
            },
        )
        self.assertTrue(result.get("force_refresh"), result)
        self.assertEqual(self.statement_b.confirmed_by, "李会计")
        note = self.statement_b.message_ids.filtered(
            lambda m: "Statement confirmed by" in (m.body or "")
        )
        self.assertEqual(note.author_id, self.customer_b)

    def test_page_shows_the_statement_s_company(self):
        url = f"/my/statements/{self.statement_a.id}?access_token={self.statement_a.access_token}"
        page = self.url_open(url).text
        self.assertIn(f"/logo.png?company={self.company.id}", page)

    def test_replaced_statement_does_not_link_to_an_unsent_one(self):
        """Reissued for review first: the replaced statement's page says a new
        one is coming instead of linking to a page the customer cannot open."""
        statement = self.statement_a
        statement._record_dispute(
            [],
            "amount_differs",
            "3000",
            audit={"channel": "staff", "content_hash": statement.content_hash},
        )
        statement.dispute_ids.write({"resolution_note": "见更正后的对账单"})
        statement.dispute_ids.action_accept()
        self.policy.review_required = True
        statement.partner_id.with_company(self.company).statement_policy_id = self.policy
        statement.action_reissue()
        successor = statement.superseded_by_id
        self.assertEqual(successor.state, "draft")
        page = self.url_open(
            f"/my/statements/{statement.id}?access_token={statement.access_token}"
        ).text
        self.assertIn("a new statement, which we will send you", page)
        self.assertNotIn(f"/my/statements/{successor.id}", page)

    # ------------------------------------------------------------------
    # Tours in the browser
    # ------------------------------------------------------------------
    def test_tour_confirm_and_sign(self):
        self.start_tour(
            f"/my/statements/{self.statement_a.id}",
            "customer_statement_portal_confirm",
            login="portal_a",
        )
        self.assertEqual(self.statement_a.state, "confirmed")
        reply = self.statement_a.reply_ids
        self.assertEqual(reply.signed_by, "王会计")
        self.assertTrue(reply.signature)
        self.assertEqual(reply.ip_address, "127.0.0.1")
        self.assertEqual(reply.content_hash, self.statement_a.content_hash)

    def test_tour_dispute_two_lines(self):
        self.start_tour(
            f"/my/statements/{self.statement_a.id}",
            "customer_statement_portal_dispute",
            login="portal_a",
        )
        self.assertEqual(self.statement_a.state, "disputed")
        dispute = self.statement_a.dispute_ids
        self.assertEqual(len(dispute.line_ids), 2)
        self.assertEqual(dispute.reason, "amount_differs")
        self.assertAlmostEqual(dispute.customer_amount, 3000.0)
        self.assertAlmostEqual(dispute.difference, 500.0)
        self.assertEqual(dispute.comment, "第二张发票金额不对 <b>bold</b>")
        self.assertEqual(dispute.reply_id.content_hash, self.statement_a.content_hash)
