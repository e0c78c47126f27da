from datetime import date

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

# The period most tests state: October 2026.
D_FROM = date(2026, 10, 1)
D_TO = date(2026, 10, 31)


@tagged("post_install", "-at_install")
class StatementCommon(AccountTestInvoicingCommon):
    """A CNY company with a receivable ledger the tests can compute by hand."""

    @classmethod
    def setup_independent_company(cls, **kwargs):
        return cls._create_company(
            name="上海测试贸易有限公司", currency_id=cls.env.ref("base.CNY").id, **kwargs
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.receivable = cls.company_data["default_account_receivable"]
        cls.revenue = cls.company_data["default_account_revenue"]
        cls.Statement = cls.env["customer.statement"]
        cls.policy = cls.env["customer.statement.policy"].create(
            {"name": "月结", "company_id": cls.company.id}
        )

    @classmethod
    def _user(cls, login, groups, company=None):
        """A user of ``groups`` working in ``company`` only (the test company)."""
        company = company or cls.company
        return new_test_user(
            cls.env, login=login, groups=groups, company_id=company.id, company_ids=[company.id]
        )

    @classmethod
    def _customer(cls, name, **values):
        return cls.env["res.partner"].create(
            {"name": name, "is_company": True, "customer_rank": 1, **values}
        )

    @classmethod
    def _invoice(
        cls, partner, date, amount, due=None, move_type="out_invoice", currency=None, company=None
    ):
        company = company or cls.company
        revenue = (
            cls.revenue
            if company == cls.company
            else cls.env["account.account"]
            .with_company(company)
            .search(
                [("account_type", "=", "income"), ("company_ids", "parent_of", company.id)], limit=1
            )
        )
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": date,
                    "date": date,
                    "invoice_date_due": due or date,
                    "currency_id": (currency or company.currency_id).id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "货物",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                                "account_id": revenue.id,
                            }
                        )
                    ],
                }
            )
        )
        move.action_post()
        return move

    @classmethod
    def _entry(cls, journal, date, amount, partner):
        """A posted miscellaneous entry of ``journal``: ``amount`` into the
        receivable of ``partner``, against revenue."""
        move = cls.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "date": date,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": cls.receivable.id,
                            "partner_id": partner.id,
                            "debit": amount,
                        }
                    ),
                    Command.create({"account_id": cls.revenue.id, "credit": amount}),
                ],
            }
        )
        move.action_post()
        return move

    @classmethod
    def _pay(cls, invoices, amount, date, currency=None):
        values = {"payment_date": date, "amount": amount}
        if currency:
            values["currency_id"] = currency.id
        wizard = (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(values)
        )
        return wizard._create_payments()

    def _ledger_lines(self, partner, date_to, company=None):
        """Receivable journal items of ``partner`` and its contacts, read by the ORM."""
        return self.env["account.move.line"].search(
            [
                ("partner_id", "child_of", partner.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("company_id", "=", (company or self.company).id),
                ("date", "<=", date_to),
            ]
        )

    @staticmethod
    def _open_at(line, date_to):
        """Historical open amount, literally: balance minus partials up to date_to."""
        date_to = fields.Date.to_date(date_to)
        amount = line.balance
        for partial in line.matched_credit_ids.filtered(lambda p: p.max_date <= date_to):
            amount -= partial.amount
        for partial in line.matched_debit_ids.filtered(lambda p: p.max_date <= date_to):
            amount += partial.amount
        return amount
