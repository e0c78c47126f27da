import io
import re
from datetime import datetime
from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger
from odoo.tools.misc import format_amount
from odoo.tools.safe_eval import safe_eval

from odoo.addons.account.tests.common import AccountTestInvoicingHttpCommon
from odoo.addons.customer_reconciliation.report import customer_statement_xlsx as xlsx_module

from .common import D_FROM, D_TO

try:
    import openpyxl
except ImportError:  # pragma: no cover - openpyxl ships with Odoo's requirements
    openpyxl = None

REPORT = "customer_reconciliation.report_customer_statement"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@tagged("post_install", "-at_install")
class TestStatementReport(AccountTestInvoicingHttpCommon):
    """The PDF/HTML statement and the XLSX export show the statement's figures."""

    @classmethod
    def setup_independent_company(cls, **kwargs):
        cls._enable_currency("CNY")
        return super().setup_independent_company(currency_id=cls.env.ref("base.CNY").id, **kwargs)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.name = "杭州对账测试科技有限公司"
        cls.usd = cls.setup_other_currency(
            "USD", rates=[("2026-01-01", 0.14), ("2026-10-20", 0.15)]
        )
        cls.Statement = cls.env["customer.statement"]
        cls.Xlsx = cls.env["customer.statement.xlsx"]

        cls.customer = cls.env["res.partner"].create(
            {
                "name": "上海华东贸易有限公司",
                "is_company": True,
                "street": "浦东新区世纪大道 88 号",
                "city": "上海",
                "zip": "200120",
                "country_id": cls.env.ref("base.cn").id,
                "vat": "91310115MA1K000001",
            }
        )
        # Before the period, still open at the cut-off: brought forward.
        cls.inv_old = cls._invoice(cls.customer, "2026-09-10", [1280.0])
        # In the period: two invoices, one in USD, a credit note and a
        # partial payment of the first invoice.
        cls.inv_a = cls._invoice(cls.customer, "2026-10-05", [3560.5, 420.0])
        cls.inv_usd = cls._invoice(cls.customer, "2026-10-10", [150.0], currency=cls.usd)
        cls.inv_b = cls._invoice(cls.customer, "2026-10-18", [998.0], due="2026-11-17")
        cls.refund = cls._invoice(cls.customer, "2026-10-22", [120.0], move_type="out_refund")
        cls.payment = cls._pay(cls.inv_a, 2000.0, "2026-10-25")

        # A second customer whose policy hides exchange differences: a USD
        # invoice paid in part after the rate changed.
        cls.hiding_policy = cls.env["customer.statement.policy"].create(
            {
                "name": "月结（不列汇兑差额）",
                "company_id": cls.company.id,
                "hide_exchange_lines": True,
            }
        )
        cls.customer_b = cls.env["res.partner"].create(
            {"name": "深圳南方电子有限公司", "is_company": True}
        )
        cls.customer_b.statement_policy_id = cls.hiding_policy
        cls.inv_b_usd = cls._invoice(cls.customer_b, "2026-09-15", [200.0], currency=cls.usd)
        cls._pay(cls.inv_b_usd, 100.0, "2026-10-26", currency=cls.usd)

    @classmethod
    def _invoice(
        cls, partner, invoice_date, amounts, due=None, move_type="out_invoice", currency=None
    ):
        move = cls.init_invoice(
            move_type, partner, invoice_date, amounts=amounts, taxes=[], currency=currency
        )
        # Without payment terms the due date would be today's.
        move.invoice_date_due = due or invoice_date
        move.action_post()
        return move

    @classmethod
    def _pay(cls, invoices, amount, payment_date, currency=None):
        values = {
            "payment_date": payment_date,
            "amount": amount,
            "payment_difference_handling": "open",
        }
        if currency:
            values["currency_id"] = currency.id
        return (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(values)
            ._create_payments()
        )

    def _statement(self, partner=None):
        return self.Statement.generate_statements((partner or self.customer).ids, D_FROM, D_TO)

    def _amount_html(self, amount, currency):
        """``amount`` as Odoo's monetary widget writes it."""
        return self.env["ir.qweb.field.monetary"].value_to_html(
            amount, {"display_currency": currency}
        )

    # ------------------------------------------------------------------
    # PDF / HTML
    # ------------------------------------------------------------------
    def test_html_report(self):
        statement = self._statement()
        currency = statement.currency_id
        self.assertEqual(currency.name, "CNY")
        # The figures the report must show, from the ledger by hand.
        usd_in_cny = currency.round(150.0 / 0.14)
        self.assertAlmostEqual(statement.opening_balance, 1280.0)
        self.assertAlmostEqual(statement.total_debit, 3980.5 + 998.0 + usd_in_cny)
        self.assertAlmostEqual(statement.total_credit, 2120.0)
        self.assertAlmostEqual(
            statement.closing_balance, 1280.0 + 3980.5 + 998.0 + usd_in_cny - 2120.0
        )
        # Sent, the statement carries the hash of its content.
        statement.action_mark_sent()
        self.assertTrue(statement.content_hash)

        html = self.env["ir.actions.report"]._render_qweb_html(REPORT, statement.ids)[0]
        html = html.decode()
        self.assertIn(statement.name, html)
        self.assertIn(statement.content_hash, html)
        for amount in (
            statement.opening_balance,
            statement.total_debit,
            statement.total_credit,
            statement.closing_balance,
            statement.overdue_amount,
        ):
            self.assertIn(self._amount_html(amount, currency), html)
        self.assertGreater(statement.overdue_amount, 0.0)
        # With items in USD the closing balance is a book value in yuan: it
        # is not written out in words as an amount owed.
        self.assertTrue(statement.has_foreign_currency)
        self.assertFalse(statement.amount_in_words)
        self.assertNotIn("人民币大写", html)
        self.assertIn(self.customer.name, html)
        self.assertIn(self.customer.street, html)

        lines = statement.line_ids.filtered(lambda line: not line.hidden)
        self.assertEqual(len(lines), 6)
        for line in lines:
            self.assertIn(line.move_name, html)
        # Brought-forward items come before the period movements.
        forward = lines.filtered(lambda line: not line.in_period)
        self.assertEqual(forward.move_id, self.inv_old)
        self.assertLess(html.index("Open items brought forward"), html.index(self.inv_old.name))
        self.assertLess(html.index(self.inv_old.name), html.index("Period movements"))
        self.assertLess(html.index("Period movements"), html.index(self.inv_a.name))

        # Aging: one column per bucket.
        for bucket in statement.aging_ids:
            self.assertIn(bucket.name, html)
        # The USD section, in dollars.
        section = statement.currency_section_ids
        self.assertEqual(section.currency_id, self.usd)
        self.assertIn("Foreign currency", html)
        self.assertIn(self._amount_html(150.0, self.usd), html)
        # Confirmation block and no exchange footnote.
        self.assertIn("盖章", html)
        self.assertIn("Signature", html)
        self.assertNotIn("are included in the balances but not listed", html)

    def test_amount_in_words_of_a_statement_in_yuan_only(self):
        customer = self.env["res.partner"].create({"name": "人民币客户", "is_company": True})
        self._invoice(customer, "2026-10-12", [1234.5])
        statement = self._statement(customer)
        self.assertFalse(statement.has_foreign_currency)
        self.assertEqual(statement.amount_in_words, "壹仟贰佰叁拾肆元伍角整")
        html = self.env["ir.actions.report"]._render_qweb_html(REPORT, statement.ids)[0].decode()
        self.assertIn("人民币大写", html)
        self.assertIn("壹仟贰佰叁拾肆元伍角整", html)

    def test_lines_in_a_foreign_currency_are_disputed_in_it(self):
        """The customer disputes the USD invoice (150 dollars) saying 140: the
        difference is 10 dollars, not 140 against its value in yuan. Lines of
        two currencies are disputed one currency at a time."""
        self.customer.email = "ap@huadong.example.com"  # the reply is posted as theirs
        statement = self._statement()
        statement.action_mark_sent()
        usd_line = statement.line_ids.filtered(lambda line: line.currency_id == self.usd)
        yuan_line = statement.line_ids.filtered(
            lambda line: line.move_name == self.inv_b.name and line.in_period
        )
        self.assertEqual(len(usd_line), 1)
        self.assertEqual(len(yuan_line), 1)
        page = self.url_open(statement.get_portal_url()).text
        self.assertIn(format_amount(self.env, 150.0, self.usd), page)
        audit = {"channel": "token", "content_hash": statement.content_hash, "name": "王会计"}
        with self.assertRaisesRegex(ValidationError, "one currency at a time"):
            statement._record_dispute(
                (usd_line | yuan_line).ids, "amount_differs", "140", audit=audit
            )
        dispute = statement._record_dispute(usd_line.ids, "amount_differs", "140", audit=audit)
        self.assertEqual(dispute.currency_id, self.usd)
        self.assertAlmostEqual(dispute.statement_amount, 150.0)
        self.assertAlmostEqual(dispute.customer_amount, 140.0)
        self.assertAlmostEqual(dispute.difference, 10.0)
        self.assertEqual(dispute.reply_id.currency_id, self.usd)
        self.assertAlmostEqual(dispute.reply_id.difference, 10.0)
        note = statement.message_ids.filtered(lambda m: "reports a difference" in (m.body or ""))
        self.assertIn("difference $&nbsp;10.00", note.body)
        # In yuan at the cut-off's rate (0.15 dollar to the yuan): 66.67. The
        # totals of the dispute list add that, not dollars to yuan.
        self.assertAlmostEqual(dispute.difference_company, 66.67)
        yuan_dispute = statement._create_dispute(
            dispute.reply_id, "amount_differs", 998.0, 900.0, None, lines=yuan_line
        )
        self.assertEqual(yuan_dispute.currency_id, self.company.currency_id)
        self.assertAlmostEqual(yuan_dispute.difference_company, 98.0)
        Dispute = self.env["customer.statement.dispute"]
        ((total,),) = Dispute._read_group(
            [("statement_id", "=", statement.id)], aggregates=["difference_company:sum"]
        )
        self.assertAlmostEqual(total, 164.67)
        measures = [
            name
            for name, field in Dispute.fields_get(attributes=["aggregator"]).items()
            if field.get("aggregator")
        ]
        self.assertIn("difference_company", measures)
        self.assertNotIn("difference", measures)
        self.assertNotIn("statement_amount", measures)
        # The analysis opens on measures that can be summed.
        analysis = self.env.ref(
            "customer_reconciliation.action_customer_statement_dispute_analysis"
        )
        wanted = safe_eval(analysis.context)["pivot_measures"]
        self.assertEqual(set(wanted) - {"__count"} - set(measures), set())

    def test_balance_of_a_customer_owing_in_dollars_is_stated_in_dollars(self):
        """A customer whose items are all in USD owes 100 dollars: the balance
        confirmation asks for it, and the balance they state is compared with
        it, not with its book value in yuan."""
        self.customer_b.email = "ap@nanfang.example.com"  # the reply is posted as theirs
        statement = self._statement(self.customer_b)
        statement.confirmation_mode = "balance"
        statement.action_mark_sent()
        self.assertEqual(statement._confirmation_balances(), [(self.usd, 100.0)])
        self.assertNotAlmostEqual(statement.closing_balance, 100.0)
        page = self.url_open(statement.get_portal_url()).text
        self.assertIn("in USD", page)
        audit = {"channel": "token", "content_hash": statement.content_hash, "name": "王会计"}
        reply = statement._record_balance("90", audit=audit)
        self.assertEqual(statement.state, "disputed")
        self.assertEqual(reply.currency_id, self.usd)
        self.assertAlmostEqual(reply.difference, 10.0)
        self.assertEqual(statement.customer_balance_currency_id, self.usd)
        self.assertAlmostEqual(statement.balance_difference, 10.0)
        dispute = statement.dispute_ids
        self.assertEqual(dispute.currency_id, self.usd)
        self.assertAlmostEqual(dispute.statement_amount, 100.0)

    def _post_balance(self, statement, amounts):
        """Post the portal's balance form through the e-mail's link."""
        url = statement.get_portal_url()
        page = self.url_open(url).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        data = {"csrf_token": csrf, "hash": statement.content_hash, "name": "王会计"}
        data.update(
            {f"customer_balance_{currency.id}": amount for currency, amount in amounts.items()}
        )
        return self.url_open(url.replace("?", "/balance?"), data=data)

    def test_balance_of_a_customer_owing_in_two_currencies_is_stated_in_each(self):
        """The customer owes 4,138.50 yuan and 150 dollars: the form asks for
        both, each is compared in its own currency, and only the dollars,
        stated as 140, are disputed (a difference of 10 dollars)."""
        self.customer.email = "ap@huadong.example.com"  # the reply is posted as theirs
        statement = self._statement()
        statement.confirmation_mode = "balance"
        statement.action_mark_sent()
        cny = self.company.currency_id
        self.assertEqual(statement._confirmation_balances(), [(cny, 4138.5), (self.usd, 150.0)])
        # The PDF's reply slip asks for each balance too.
        html = self.env["ir.actions.report"]._render_qweb_html(REPORT, statement.ids)[0].decode()
        slip = re.findall(r'name="balance_in_your_records">(.*?)</div>', html, re.S)
        self.assertEqual(
            [re.sub(r"\s+", " ", line).strip() for line in slip],
            [
                "<span>贵方账面余额 Balance in your records</span> <span> (CNY) </span>",
                "<span>贵方账面余额 Balance in your records</span> <span> (USD) </span>",
            ],
        )
        page = self.url_open(statement.get_portal_url()).text
        self.assertIn(f'name="customer_balance_{cny.id}"', page)
        self.assertIn(f'name="customer_balance_{self.usd.id}"', page)
        audit = {"channel": "token", "content_hash": statement.content_hash, "name": "王会计"}
        with self.assertRaisesRegex(ValidationError, "in each currency: CNY, USD"):
            statement._record_balance("4138.50", audit=audit)
        with self.assertRaisesRegex(ValidationError, "State your balance in USD"):
            statement._record_balance({cny.id: "4138.50", self.usd.id: " "}, audit=audit)
        eur = self.setup_other_currency("EUR")
        with self.assertRaisesRegex(ValidationError, "not in EUR"):
            statement._record_balance(
                {cny.id: "4138.50", self.usd.id: "150", eur.id: "1"}, audit=audit
            )
        with self.assertRaisesRegex(ValidationError, "“99999999999” is not a currency"):
            statement._record_balance({cny.id: "4138.50", "99999999999": "150"}, audit=audit)
        with self.assertRaisesRegex(ValidationError, "“<b>usd</b>” is not a currency"):
            statement._record_balance({cny.id: "4138.50", "<b>usd</b>": "150"}, audit=audit)
        self.assertFalse(statement.reply_ids)
        self.assertEqual(statement.state, "sent")

        response = self._post_balance(statement, {cny: "4,138.50", self.usd: "140"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(statement.state, "disputed")
        reply = statement.reply_ids
        self.assertEqual(reply.kind, "balance")
        self.assertTrue(reply.by_currency)
        self.assertEqual(
            [
                (b.currency_id, b.statement_balance, b.customer_balance, b.difference)
                for b in reply.balance_ids
            ],
            [(cny, 4138.5, 4138.5, 0.0), (self.usd, 150.0, 140.0, 10.0)],
        )
        self.assertTrue(statement.balance_by_currency)
        self.assertEqual(statement.stated_balance_ids, reply.balance_ids)
        dispute = statement.dispute_ids
        self.assertEqual(len(dispute), 1)
        self.assertEqual(dispute.currency_id, self.usd)
        self.assertAlmostEqual(dispute.statement_amount, 150.0)
        self.assertAlmostEqual(dispute.customer_amount, 140.0)
        self.assertAlmostEqual(dispute.difference, 10.0)
        self.assertEqual(dispute.reply_id, reply)

    def test_balance_differing_in_two_currencies_opens_two_disputes(self):
        """Both balances differ: a dispute for each currency, and one note,
        one activity and one e-mail to the customer for the reply."""
        self.customer.email = "ap@huadong.example.com"
        statement = self._statement()
        statement.confirmation_mode = "balance"
        statement.action_mark_sent()
        cny = self.company.currency_id
        mails_before = statement.message_ids
        audit = {"channel": "token", "content_hash": statement.content_hash, "name": "王会计"}
        statement._record_balance({cny.id: "4000", str(self.usd.id): 160}, audit=audit)
        self.assertEqual(statement.state, "disputed")
        disputes = statement.dispute_ids.sorted("currency_id")
        self.assertEqual(
            sorted((d.currency_id.name, d.difference) for d in disputes),
            [("CNY", 138.5), ("USD", -10.0)],
        )
        new = statement.message_ids - mails_before
        notes = new.filtered(lambda m: "reports a difference" in (m.body or ""))
        self.assertEqual(len(notes), 1)
        self.assertEqual(notes.body.count("reports a difference"), 2)
        self.assertEqual(
            len(new.filtered(lambda m: "We received your remarks" in (m.subject or ""))), 1
        )
        self.assertEqual(
            len(
                statement.activity_ids.filtered(
                    lambda a: (
                        a.activity_type_id
                        == self.env.ref("customer_reconciliation.mail_activity_statement_dispute")
                    )
                )
            ),
            1,
        )

    def test_balance_equal_in_every_currency_confirms(self):
        self.customer.email = "ap@huadong.example.com"
        statement = self._statement()
        statement.confirmation_mode = "balance"
        statement.action_mark_sent()
        cny = self.company.currency_id
        audit = {"channel": "token", "content_hash": statement.content_hash, "name": "王会计"}
        statement._record_balance({cny.id: "4,138.50", self.usd.id: "150.00"}, audit=audit)
        self.assertEqual(statement.state, "confirmed")
        self.assertFalse(statement.dispute_ids)
        self.assertEqual(statement.reply_ids.balance_ids.mapped("difference"), [0.0, 0.0])

    def test_html_report_hidden_exchange(self):
        statement = self._statement(self.customer_b)
        hidden = statement.line_ids.filtered("hidden")
        self.assertTrue(hidden, "the partial payment at a new rate books an exchange difference")
        self.assertFalse(statement.currency_id.is_zero(statement.hidden_exchange_amount))
        html = self.env["ir.actions.report"]._render_qweb_html(REPORT, statement.ids)[0]
        html = html.decode()
        self.assertIn("are included in the balances but not listed", html)
        self.assertIn(
            self._amount_html(statement.hidden_exchange_amount, statement.currency_id), html
        )
        for line in hidden:
            self.assertNotIn(line.move_name, html)
        for line in statement.line_ids - hidden:
            self.assertIn(line.move_name, html)
        # The portal page says so too: its period totals count them.
        statement.action_mark_sent()
        page = self.url_open(statement.get_portal_url()).text
        self.assertIn("The balances include exchange differences of", page)
        self.assertIn(
            self._amount_html(statement.hidden_exchange_amount, statement.currency_id), page
        )
        for line in hidden:
            self.assertNotIn(line.move_name, page)

    def test_pdf_speaks_the_language_of_the_statement_contact(self):
        """The PDF goes to the statement's contact, like its e-mail: in their
        language, not the customer company's."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.customer_b.lang = "zh_CN"
        statement = self._statement(self.customer_b)
        english = "are included in the balances but not listed"

        def render():
            return self.env["ir.actions.report"]._render_qweb_html(REPORT, statement.ids)[0]

        self.assertNotIn(english, render().decode())
        statement.contact_id = self.env["res.partner"].create(
            {"name": "Jane Lee", "parent_id": self.customer_b.id, "lang": "en_US"}
        )
        self.assertIn(english, render().decode())

    def test_file_names_hold_no_character_a_system_refuses(self):
        self.customer_b.name = 'ABC/DEF: "Trading" Ltd.'
        statement = self._statement(self.customer_b)
        number = statement.name.replace("/", "-")
        self.assertEqual(
            statement._get_report_file_name("对账单"), f"对账单 {number} ABC-DEF- -Trading- Ltd"
        )
        self.assertEqual(self.Xlsx._filename(statement), f"对账单 {number}.xlsx")

    def test_template_without_report_values(self):
        """The template splits the lines itself when rendered without the report model."""
        statement = self._statement()
        html = str(
            self.env["ir.qweb"]._render(
                REPORT, {"docs": statement, "doc_model": statement._name, "report_type": "html"}
            )
        )
        for line in statement.line_ids:
            self.assertIn(line.move_name, html)
        self.assertLess(html.index(self.inv_old.name), html.index("Period movements"))
        self.assertLess(html.index("Period movements"), html.index(self.inv_a.name))
        self.assertIn(self._amount_html(150.0, self.usd), html)

    def test_pdf_rendering(self):
        Report = self.env["ir.actions.report"]
        if Report.get_wkhtmltopdf_state() != "ok":
            self.skipTest("wkhtmltopdf is not available")
        statement = self._statement()
        pdf, report_format = Report.with_context(force_report_rendering=True)._render_qweb_pdf(
            REPORT, statement.ids
        )
        self.assertEqual(report_format, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))

    # ------------------------------------------------------------------
    # XLSX
    # ------------------------------------------------------------------
    def _open_workbook(self, content):
        if openpyxl is None:
            self.skipTest("openpyxl is not installed")
        return openpyxl.load_workbook(io.BytesIO(content))

    def _line_rows(self, sheet):
        """``(header row number, [row cells])`` of the lines table of a statement sheet.

        Line rows are the rows of the table whose first cell is a date; the
        table ends at the first empty row.
        """
        labels = [label for _key, label, _width in self.Xlsx._line_columns()]
        header = self._row_number(sheet, labels)
        lines = []
        for cells in sheet.iter_rows(min_row=header + 1):
            values = [cell.value for cell in cells]
            if not any(values):
                break
            if isinstance(values[0], datetime):
                lines.append(cells)
        return header, lines

    def _row_number(self, sheet, starts_with):
        """Number of the first row whose first cells are ``starts_with``."""
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if list(row[: len(starts_with)]) == list(starts_with):
                return number
        raise AssertionError(f"no row starts with {starts_with}")

    def _row_values(self, sheet, number):
        return [cell.value for cell in sheet[number]]

    def test_xlsx_figures(self):
        statement = self._statement()
        statement.action_mark_sent()
        currency = statement.currency_id
        workbook = self._open_workbook(self.Xlsx._build_workbook(statement))
        self.assertEqual(workbook.sheetnames, [statement.name.replace("/", "-")])
        sheet = workbook.worksheets[0]

        # Header block
        header_values = {
            row[0]: row[1] for row in sheet.iter_rows(max_row=15, values_only=True) if row[0]
        }
        self.assertEqual(header_values["Number"], statement.name)
        self.assertEqual(header_values["Customer"], self.customer.display_name)
        self.assertEqual(header_values["Company"], self.company.name)
        self.assertEqual(header_values["Hash (SHA-256)"], statement.content_hash)
        self.assertEqual(header_values["Period"].date(), D_FROM)

        # Summary figures, below their labels
        labels = self._row_number(sheet, ["Opening Balance", "Period Debit", "Period Credit"])
        figures = self._row_values(sheet, labels + 1)
        expected = [
            statement.opening_balance,
            statement.total_debit,
            statement.total_credit,
            statement.closing_balance,
            statement.overdue_amount,
        ]
        for value, amount in zip(figures[:5], expected, strict=True):
            self.assertAlmostEqual(value, amount, places=2)

        # Lines: every listed line once, in order, with its figures.
        header, rows = self._line_rows(sheet)
        self.assertEqual(sheet.freeze_panes, f"A{header + 1}")
        lines = statement.line_ids.filtered(lambda line: not line.hidden).sorted("sequence")
        self.assertEqual([row[1].value for row in rows], lines.mapped("move_name"))
        columns = [key for key, _label, _width in self.Xlsx._line_columns()]
        debit, credit = columns.index("debit"), columns.index("credit")
        balance, open_amount = columns.index("running_balance"), columns.index("open_amount")
        period_rows = [row for row, line in zip(rows, lines, strict=True) if line.in_period]
        self.assertAlmostEqual(
            sum(row[debit].value or 0.0 for row in period_rows), statement.total_debit, places=2
        )
        self.assertAlmostEqual(
            sum(row[credit].value or 0.0 for row in period_rows),
            statement.total_credit,
            places=2,
        )
        self.assertAlmostEqual(period_rows[-1][balance].value, statement.closing_balance, places=2)
        self.assertAlmostEqual(
            sum(row[open_amount].value or 0.0 for row in rows),
            sum(lines.mapped("open_amount")),
            places=2,
        )
        for row, line in zip(rows, lines, strict=True):
            self.assertEqual(row[0].value.date(), line.date)
            self.assertEqual(row[0].number_format, "yyyy-mm-dd")
            if line.debit:
                self.assertAlmostEqual(row[debit].value, line.debit, places=2)
                self.assertEqual(row[debit].number_format, "#,##0.00;[Red]-#,##0.00")

        # Totals row
        total = self._row_values(sheet, self._row_number(sheet, ["Period total / closing balance"]))
        self.assertAlmostEqual(total[debit], statement.total_debit, places=2)
        self.assertAlmostEqual(total[credit], statement.total_credit, places=2)
        self.assertAlmostEqual(total[balance], statement.closing_balance, places=2)

        # Aging: bucket names, then their amounts
        aging = statement.aging_ids
        aging_row = self._row_number(sheet, aging.mapped("name"))
        for value, bucket in zip(self._row_values(sheet, aging_row + 1), aging, strict=False):
            self.assertAlmostEqual(value, bucket.amount, places=2)

        # The USD section, in dollars, and its line
        section = statement.currency_section_ids
        section_row = self._row_number(sheet, ["Foreign Currency USD"])
        values = self._row_values(sheet, section_row + 2)
        self.assertAlmostEqual(values[3], section.closing_balance, places=2)
        self.assertAlmostEqual(values[3], 150.0, places=2)
        self.assertTrue(currency.is_zero(values[6] - section.closing_balance_company))
        usd_line = self._row_values(sheet, section_row + 5)
        self.assertEqual(usd_line[1], self.inv_usd.name)
        self.assertAlmostEqual(usd_line[5], 150.0, places=2)

    def test_xlsx_several_statements(self):
        statements = self.Statement.generate_statements(
            (self.customer | self.customer_b).ids, D_FROM, D_TO
        )
        self.assertEqual(len(statements), 2)
        workbook = self._open_workbook(self.Xlsx._build_workbook(statements))
        self.assertEqual(
            workbook.sheetnames,
            ["Summary"] + [name.replace("/", "-") for name in statements.mapped("name")],
        )
        summary = workbook["Summary"]
        self.assertEqual(summary.freeze_panes, "A2")
        rows = list(summary.iter_rows(min_row=2, values_only=True))
        self.assertEqual(len(rows), 2)
        keys = [key for key, _label, _width in self.Xlsx._summary_columns()]
        for row, statement in zip(rows, statements, strict=True):
            values = dict(zip(keys, row, strict=True))
            self.assertEqual(values["name"], statement.name)
            self.assertEqual(values["partner"], statement.partner_id.display_name)
            self.assertEqual(values["date_to"].date(), D_TO)
            for field in (
                "opening_balance",
                "total_debit",
                "total_credit",
                "closing_balance",
                "overdue_amount",
            ):
                self.assertAlmostEqual(values[field], statement[field], places=2)
        # The hidden exchange line is not listed on the second sheet.
        statement_b = statements[1]
        _header, rows_b = self._line_rows(workbook.worksheets[2])
        self.assertEqual(
            [row[1].value for row in rows_b],
            statement_b.line_ids.filtered(lambda line: not line.hidden).mapped("move_name"),
        )
        # Above the sheet limit, the lines of all statements share one sheet,
        # each row with its statement, customer and currency.
        with patch.object(xlsx_module, "MAX_STATEMENT_SHEETS", 1):
            workbook = self._open_workbook(self.Xlsx._build_workbook(statements))
        self.assertEqual(len(workbook.sheetnames), 2)
        rows = list(workbook.worksheets[1].iter_rows(values_only=True))
        self.assertEqual(rows[0][:4], ("Statement", "Customer", "Currency", "Date"))
        listed = statements.line_ids.filtered(lambda line: not line.hidden)
        self.assertEqual(len(rows) - 1, len(listed))
        self.assertEqual({row[0] for row in rows[1:]}, set(statements.mapped("name")))
        self.assertEqual({row[2] for row in rows[1:]}, {"CNY"})
        self.assertEqual(self.Xlsx._filename(statements), "Statements 2026-10-31.xlsx")
        self.assertEqual(
            self.Xlsx._filename(statements[0]),
            f"对账单 {statements[0].name.replace('/', '-')}.xlsx",
        )

    def test_xlsx_sheet_names(self):
        reserved = set()
        names = [
            self.Xlsx._unique_sheet_name(name, reserved)
            for name in ("Summary", "summary", "DZ/2026/10:0001?", "x" * 40, "x" * 40, "'")
        ]
        self.assertEqual(names[0], "Summary")
        self.assertEqual(names[1], "summary (2)")
        self.assertEqual(names[2], "DZ-2026-10-0001-")
        self.assertEqual(names[3], "x" * 31)
        self.assertEqual(names[4], "x" * 27 + " (2)")
        self.assertTrue(names[5])
        self.assertTrue(all(len(name) <= 31 for name in names))
        self.assertEqual(len({name.lower() for name in names}), len(names))

    def test_xlsx_controller(self):
        statement = self._statement()
        url = f"/customer_reconciliation/statements/xlsx?ids={statement.id}"
        self.authenticate("accountman", "accountman")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], XLSX_MIMETYPE)
        self.assertIn(".xlsx", response.headers["Content-Disposition"])
        workbook = self._open_workbook(response.content)
        self.assertEqual(workbook.sheetnames, [statement.name.replace("/", "-")])

        # An internal user without accounting rights gets no statement.
        new_test_user(
            self.env,
            login="no_statements",
            password="no_statements",
            groups="base.group_user",
            company_id=self.company.id,
        )
        self.authenticate("no_statements", "no_statements")
        with mute_logger("odoo.http"):
            response = self.url_open(url)
        self.assertEqual(response.status_code, 403)
        self.assertNotEqual(response.headers.get("Content-Type"), XLSX_MIMETYPE)
