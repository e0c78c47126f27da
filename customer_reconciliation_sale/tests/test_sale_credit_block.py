from datetime import date

from freezegun import freeze_time

from odoo import SUPERUSER_ID
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.customer_reconciliation.tests.common import StatementCommon


@tagged("post_install", "-at_install")
class TestSaleCreditBlock(StatementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("受限客户")
        for month in (5, 6, 7):
            cls._invoice(cls.customer, date(2026, month, 1), 1000, due=date(2026, month, 2))
        cls.policy_credit = cls.env["customer.credit.policy"]._get_policy(cls.company)
        with freeze_time("2026-11-20"):
            cls.env["customer.credit.engine"]._rate_company(cls.company)
        cls.grade = cls.customer.credit_grade_id
        cls.customer.with_company(cls.company).credit_limit = 5000
        cls.company.account_use_credit_limit = True
        cls.salesman = new_test_user(
            cls.env,
            login="credit_salesman",
            # a salesman only: he may not read credit grades, and still confirms
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def _invoice_of_100(self):
        """A draft invoice of the customer, not billing any order."""
        return self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_line_ids": [
                    (0, 0, {"product_id": self.product_a.id, "price_unit": 100, "tax_ids": []})
                ],
            }
        )

    def _order(self, amount, env=None):
        return (env or self.env)["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "user_id": self.salesman.id,
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": self.product_a.id,
                            "product_uom_qty": 1,
                            "price_unit": amount,
                            "tax_id": [(5, 0, 0)],
                        },
                    )
                ],
            }
        )

    def test_block_grade_refuses_salesman_allows_manager(self):
        self.assertTrue(self.grade)
        self.grade.sale_policy = "block"
        order = self._order(2500)  # 3000 open + 2500 > 5000
        with self.assertRaisesRegex(UserError, "does not allow going over the limit"):
            order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")
        order.action_confirm()  # the administrator is a statement manager
        self.assertEqual(order.state, "sale")
        self.assertTrue(order.message_ids.filtered(lambda m: "allowed by" in m.body))

    def test_under_limit_or_warning_grade_confirms(self):
        self.grade.sale_policy = "block"
        small = self._order(1000)
        small.with_user(self.salesman).action_confirm()
        self.assertEqual(small.state, "sale")
        self.grade.sale_policy = "warn"
        big = self._order(9000)
        self.assertIn("credit limit", big.partner_credit_warning)
        big.with_user(self.salesman).action_confirm()
        self.assertEqual(big.state, "sale")
        self.assertEqual(
            len(big.message_ids.filtered(lambda m: "confirmed by" in (m.body or ""))), 1
        )

    def test_invoice_of_a_confirmed_order_is_counted_once(self):
        """3,000 open + an order of 1,500 = 4,500 under the 5,000 limit: invoicing
        the order adds nothing (the order was already counted), so a blocking
        grade lets the invoice through."""
        self.grade.sale_policy = "block"
        order = self._order(1500)
        order.with_user(self.salesman).action_confirm()
        order.order_line.qty_delivered = 1
        invoice = order._create_invoices()
        self.assertFalse(invoice.partner_credit_warning)
        billing = self._user("credit_billing_sale", "account.group_account_invoice")
        invoice.with_user(billing).action_post()
        self.assertEqual(invoice.state, "posted")

    def test_invoice_of_an_order_allowed_over_the_limit_posts(self):
        """A manager allowed an order over the limit and the goods went out:
        its invoice adds nothing new and is posted by the billing clerk."""
        self.grade.sale_policy = "block"
        order = self._order(2500)  # 3000 open + 2500 > 5000
        order.action_confirm()  # allowed by the manager
        order.order_line.qty_delivered = 1
        invoice = order._create_invoices()
        billing = self._user("credit_billing_allowed", "account.group_account_invoice")
        invoice.with_user(billing).action_post()
        self.assertEqual(invoice.state, "posted")
        # An invoice beyond what the order committed is tested again.
        extra = self._invoice_of_100()
        with self.assertRaisesRegex(UserError, "does not allow going over the limit"):
            extra.with_user(billing).action_post()

    def test_orders_confirmed_together_count_each_other(self):
        """3,000 open: an order of 1,500 alone stays under the 5,000 limit, two
        of them confirmed together (6,000) do not."""
        self.grade.sale_policy = "block"
        first, second = self._order(1500), self._order(1500)
        self.assertFalse(first.partner_credit_warning)
        self.assertFalse(second.partner_credit_warning)
        with self.assertRaisesRegex(UserError, "does not allow going over the limit"):
            (first | second).with_user(self.salesman).action_confirm()
        self.assertEqual((first | second).mapped("state"), ["draft", "draft"])
        first.with_user(self.salesman).action_confirm()
        self.assertEqual(first.state, "sale")
        # Confirmed one after the other in one transaction (an import, a
        # server action), the second still counts the first.
        with self.assertRaisesRegex(UserError, "does not allow going over the limit"):
            second.with_user(self.salesman).action_confirm()
        self.assertEqual(second.state, "draft")

    def test_orders_odoo_leaves_out_are_counted(self):
        """3,000 open, an order of 1,500 invoiced on delivery and not
        delivered yet, and one of 500 placed by a contact of the customer:
        Odoo's credit test counts neither (no warning on a new order of 400),
        the grade counts both (5,400 over the 5,000 limit)."""
        self.grade.sale_policy = "block"
        self.product_a.invoice_policy = "delivery"
        undelivered = self._order(1500)
        undelivered.with_user(self.salesman).action_confirm()
        self.assertAlmostEqual(undelivered.amount_to_invoice, 0.0)
        self.env.flush_all()  # its quantity to invoice follows the policy at confirmation
        self.product_a.invoice_policy = "order"
        buyer = self.env["res.partner"].create(
            {"name": "采购部 李经理", "parent_id": self.customer.id, "type": "contact"}
        )
        by_contact = self._order(500)
        by_contact.partner_id = buyer
        by_contact.with_user(self.salesman).action_confirm()  # 5,000: at the limit
        self.assertEqual(by_contact.state, "sale")
        customer = self.customer.with_company(self.company)
        self.assertAlmostEqual(customer._credit_uncounted(self.company), 2000.0)
        order = self._order(400)
        self.assertFalse(
            self.env["account.move"]._build_credit_warning_message(
                order.sudo(), current_amount=400.0
            ),
            "Odoo's own test sees 3,400",
        )
        self.assertIn("5,400.00", order.partner_credit_warning)
        with self.assertRaisesRegex(UserError, "(?s)5,400.00.*does not allow going over"):
            order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")
        # An invoice of 100 not billing any order is refused too (5,100).
        billing = self._user("credit_billing_uncounted", "account.group_account_invoice")
        with self.assertRaisesRegex(UserError, "does not allow going over the limit"):
            self._invoice_of_100().with_user(billing).action_post()
        # The goods go out and are invoiced: the order is counted once, by Odoo.
        undelivered.order_line.qty_delivered = 1
        self.assertAlmostEqual(customer._credit_uncounted(self.company), 500.0)
        invoice = undelivered._create_invoices()
        invoice.with_user(billing).action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertAlmostEqual(customer._credit_uncounted(self.company), 500.0)

    def test_subsidiary_orders_are_its_own(self):
        """A subsidiary of the customer (a company of its own under it) has
        its own credit: its confirmed order of 1,500 does not count against
        the customer's limit."""
        subsidiary = self.env["res.partner"].create(
            {"name": "受限客户上海子公司", "is_company": True, "parent_id": self.customer.id}
        )
        self.assertEqual(subsidiary.commercial_partner_id, subsidiary)
        order = self._order(1500)
        order.partner_id = subsidiary
        order.action_confirm()
        customer = self.customer.with_company(self.company)
        self.assertAlmostEqual(customer._credit_uncounted(self.company), 0.0)

    def test_banner_adds_what_odoo_leaves_out_when_it_warns_too(self):
        """3,000 open and an undelivered order of 1,500 invoiced on delivery:
        a new order of 2,500 is over the limit for Odoo too (5,500), and the
        banner says the grade's total, 7,000."""
        self.grade.sale_policy = "block"
        self.product_a.invoice_policy = "delivery"
        self._order(1500).action_confirm()
        self.env.flush_all()  # its quantity to invoice follows the policy at confirmation
        self.product_a.invoice_policy = "order"
        order = self._order(2500)
        self.assertIn(
            "5,500.00",
            self.env["account.move"]._build_credit_warning_message(
                order.sudo(), current_amount=2500.0
            ),
        )
        self.assertIn("7,000.00", order.partner_credit_warning)

    def test_odoo_refuses_what_it_may_not_confirm_first(self):
        """An order confirmed already, with one over the limit: Odoo's own
        refusal is the one given."""
        self.grade.sale_policy = "block"
        done = self._order(100)
        done.with_user(self.salesman).action_confirm()
        with self.assertRaisesRegex(UserError, "not in a state requiring confirmation"):
            (done | self._order(2500)).with_user(self.salesman).action_confirm()

    def test_order_paid_online_adds_only_what_is_left(self):
        """3,000 open: an order of 2,500 paid online in full adds nothing to
        the customer's credit, and is confirmed when the payment is."""
        self.grade.sale_policy = "block"
        order = self._order(2500)
        # what Odoo reads from the order's done payment transactions
        self.env.cache.set(order, order._fields["amount_paid"], 2500.0)
        self.assertAlmostEqual(order._credit_added(), 0.0)
        order.with_user(SUPERUSER_ID).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_manual_grade_does_not_stop_salesmen(self):
        """A manager set the customer's grade by hand: a salesman, who may not
        read grades, still confirms an order under the limit."""
        other = self.grade.policy_id.grade_ids - self.grade
        self.customer.with_company(self.company).write(
            {"credit_grade_override_id": other[0].id, "credit_override_reason": "集团担保"}
        )
        other[0].sale_policy = "block"
        order = self._order(1000)
        self.env.invalidate_all()  # what the salesman reads is computed for him
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(self.customer.with_user(self.salesman).credit_grade, other[0].name)

    def test_order_adding_nothing_confirms_over_the_limit(self):
        """3,000 open over a 2,500 limit: a free replacement still goes out."""
        self.grade.sale_policy = "block"
        self.customer.with_company(self.company).credit_limit = 2500
        with self.assertRaisesRegex(UserError, "does not allow going over the limit"):
            self._order(100).with_user(self.salesman).action_confirm()
        free = self._order(0)
        free.with_user(self.salesman).action_confirm()
        self.assertEqual(free.state, "sale")

    def test_invoices_posted_together_count_what_they_add(self):
        """3,000 open, an order of 1,500 confirmed and invoiced, and another
        invoice of 100, posted together: 4,600 under the 5,000 limit (the
        order's invoice adds nothing; it was counted as 6,100)."""
        self.grade.sale_policy = "block"
        order = self._order(1500)
        order.with_user(self.salesman).action_confirm()
        order.order_line.qty_delivered = 1
        invoice = order._create_invoices()
        extra = self._invoice_of_100()
        billing = self._user("credit_billing_together", "account.group_account_invoice")
        (invoice | extra).with_user(billing).action_post()
        self.assertEqual((invoice | extra).mapped("state"), ["posted", "posted"])

    def test_portal_and_scheduled_actions_do_not_go_over_the_limit(self):
        """The customer accepting on the portal, or paying online, confirms the
        order through Odoo's scheduled action user: neither is a manager. The
        order stays a quotation and its salesperson is asked to have it
        confirmed; the customer gets no error. An invoice the scheduler posts
        is refused (Odoo notes it on the invoice)."""
        self.grade.sale_policy = "block"
        order = self._order(2500)  # 3000 open + 2500 > 5000
        public = self.env.ref("base.public_user")
        order.with_user(public).sudo().action_confirm()
        self.assertEqual(order.state, "draft")
        activity = order.activity_ids
        self.assertEqual(activity.user_id, self.salesman)
        self.assertIn("needs a manager", activity.summary)
        order.with_user(SUPERUSER_ID).action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertEqual(len(order.activity_ids), 1)  # asked once
        # An order without a salesperson (a web shop's) asks a manager, never
        # the customer who made it.
        portal = self._user("credit_portal_customer", "base.group_portal")
        shop_order = self._order(2500, env=self.env(user=portal, su=True))
        shop_order.write({"user_id": False, "team_id": False})
        self.assertEqual(shop_order.create_uid, portal)
        shop_order.with_user(portal).sudo().action_confirm()
        self.assertEqual(shop_order.state, "draft")
        self.assertTrue(shop_order.activity_ids.user_id._is_internal())
        self.assertFalse(order.message_ids.filtered(lambda m: "allowed by" in (m.body or "")))
        # A person who is a manager confirms it.
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        invoice = self._invoice_of_100()
        with self.assertRaisesRegex(UserError, "does not allow going over the limit"):
            invoice.with_user(SUPERUSER_ID)._post()
