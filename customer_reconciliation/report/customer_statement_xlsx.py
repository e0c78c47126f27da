import gc
import io
from contextlib import contextmanager
from datetime import date

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import xlsxwriter

from ..models.customer_statement_line import CUSTOMER_FIELDS
from ..tools.filenames import file_name
from ..tools.xlsx_sheet import QuickWorksheet

RELATIONAL_FIELDS = ("statement_id", "currency_id")
# The columns of the rows of lines (plain tuples), in their order: the
# statement, the currency, then the other listed fields, the way they are read.
LINE_FIELDS = (
    *RELATIONAL_FIELDS,
    *(name for name in CUSTOMER_FIELDS if name not in RELATIONAL_FIELDS),
)
LINE_INDEX = {name: index for index, name in enumerate(LINE_FIELDS)}

# Characters Excel refuses in a sheet name, and its length limit.
SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "-"))
SHEET_NAME_MAX = 31
# Day 0 of Excel's date serial numbers (1900 date system).
EXCEL_EPOCH = date(1899, 12, 30)
# From this many lines on, rows are streamed to temporary files instead of
# being kept in memory until the workbook is closed.
CONSTANT_MEMORY_LINES = 20000
# Above this many statements, the lines go on one sheet instead of one each.
MAX_STATEMENT_SHEETS = 50

# Columns of the lines tables written as amounts (right-aligned headers).
AMOUNT_KEYS = {
    "debit",
    "credit",
    "running_balance",
    "open_amount",
    "amount_currency",
    "running_balance_currency",
    "open_amount_currency",
}


class CustomerStatementXlsx(models.AbstractModel):
    """The statements as an Excel workbook: one sheet per statement.

    With several statements a summary sheet comes first. Every sheet is
    written top to bottom, so a large export can stream its rows.
    """

    _name = "customer.statement.xlsx"
    _description = "Customer Statement XLSX Export"

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------
    @api.model
    def _build_workbook(self, statements):
        """Return the XLSX file of ``statements`` as bytes."""
        # xlsxwriter keeps a small object per cell until the workbook is
        # closed: hundreds of thousands for a large export, each batch of them
        # setting off the cycle collector, which then walks every object of
        # the process again. Nothing here needs it, so it waits until the end.
        with _cycle_collector_paused():
            return self._build_workbook_bytes(statements)

    @api.model
    def _build_workbook_bytes(self, statements):
        output = io.BytesIO()
        # Streaming writes each sheet to a temporary file: worth it for one
        # large sheet, not for thousands of small ones.
        big = max(statements.mapped("line_count") or [0]) >= CONSTANT_MEMORY_LINES
        workbook = xlsxwriter.Workbook(
            output, {"constant_memory": True} if big else {"in_memory": True}
        )
        workbook.set_properties(
            {
                "title": self._filename(statements).rsplit(".", 1)[0],
                "company": ", ".join(statements.company_id.mapped("name")),
            }
        )
        styles = _Styles(workbook)
        reserved = set()
        if len(statements) > 1:
            summary_name = self._unique_sheet_name(self.env._("Summary"), reserved)
            self._write_summary(
                workbook.add_worksheet(summary_name, worksheet_class=QuickWorksheet),
                statements,
                styles,
            )
        lines_by_statement = self._read_lines(statements)
        if len(statements) > MAX_STATEMENT_SHEETS:
            # Thousands of tabs help no one: one filterable sheet of every line.
            sheet = workbook.add_worksheet(
                self._unique_sheet_name(self.env._("Lines"), reserved),
                worksheet_class=QuickWorksheet,
            )
            self._write_all_lines(sheet, statements, lines_by_statement, styles)
        else:
            for statement in statements:
                sheet = workbook.add_worksheet(
                    self._unique_sheet_name(statement.name, reserved),
                    worksheet_class=QuickWorksheet,
                )
                lines, currency_lines = lines_by_statement[statement.id]
                self._write_statement(sheet, statement, lines, currency_lines, styles)
        workbook.close()
        return output.getvalue()

    @api.model
    def _filename(self, statements):
        """``对账单 DZ-2026-11-0001.xlsx`` for one, ``Statements 2026-11-30.xlsx`` for several."""
        if len(statements) == 1:
            return self.env._("对账单 %(number)s.xlsx", number=file_name(statements.name))
        cutoff = max(statements.mapped("date_to"), default=fields.Date.context_today(self))
        return self.env._("Statements %(date)s.xlsx", date=fields.Date.to_string(cutoff))

    # ------------------------------------------------------------------
    # Layout
    # ------------------------------------------------------------------
    @api.model
    def _line_columns(self):
        """Columns of the lines table: ``(key, label, width)``."""
        return [
            ("date", self.env._("Date"), 16),
            ("move_name", self.env._("Number"), 20),
            ("document_type", self.env._("Type"), 16),
            ("ref", self.env._("Reference"), 26),
            ("date_maturity", self.env._("Due Date"), 11),
            ("debit", self.env._("Debit"), 16),
            ("credit", self.env._("Credit"), 16),
            ("running_balance", self.env._("Balance"), 16),
            ("open_amount", self.env._("Open Amount"), 16),
        ]

    @api.model
    def _currency_line_columns(self):
        """Columns of the lines table of a currency section."""
        return [
            ("date", self.env._("Date")),
            ("move_name", self.env._("Number")),
            ("document_type", self.env._("Type")),
            ("ref", self.env._("Reference")),
            ("date_maturity", self.env._("Due Date")),
            ("amount_currency", self.env._("Amount")),
            ("running_balance_currency", self.env._("Balance")),
            ("open_amount_currency", self.env._("Open Amount")),
        ]

    @api.model
    def _summary_columns(self):
        """Columns of the summary sheet: ``(key, label, width)``."""
        return [
            ("name", self.env._("Number"), 20),
            ("partner", self.env._("Customer"), 32),
            ("date_from", self.env._("From"), 11),
            ("date_to", self.env._("Cut-off"), 11),
            ("currency", self.env._("Currency"), 9),
            ("opening_balance", self.env._("Opening Balance"), 16),
            ("total_debit", self.env._("Period Debit"), 16),
            ("total_credit", self.env._("Period Credit"), 16),
            ("closing_balance", self.env._("Closing Balance"), 16),
            ("overdue_amount", self.env._("Overdue"), 16),
            ("state", self.env._("Status"), 16),
        ]

    # ------------------------------------------------------------------
    # Data
    # ------------------------------------------------------------------
    @api.model
    def _read_lines(self, statements):
        """The listed lines of ``statements`` as plain rows, in statement order.

        Returns ``{statement id: (rows, rows by currency id)}``, the second for
        the statement's foreign-currency sections. A row is a tuple of the
        values of ``LINE_FIELDS`` (see ``LINE_INDEX``) as the sheet shows them:
        dates as Excel serial numbers, selections as their labels. One query
        reads the lines of all the statements (an export of 50,000 lines would
        otherwise spend most of its time building records): the user must be
        able to read the statements, whose lines follow them.
        """
        Line = self.env["customer.statement.line"]
        statements.check_access("read")
        Line.check_access("read")
        Line.flush_model()
        result = {statement.id: ([], {}) for statement in statements}
        for section in statements.currency_section_ids:
            result[section.statement_id.id][1][section.currency_id.id] = []
        rows = self.env.execute_query(
            SQL(
                """
                SELECT statement_id, currency_ref, %(columns)s
                  FROM customer_statement_line
                 WHERE statement_id = ANY(%(ids)s) AND NOT hidden
                 ORDER BY statement_id, sequence, id
                """,
                columns=SQL(", ").join(
                    self._line_value_sql(Line._fields[name])
                    for name in LINE_FIELDS[len(RELATIONAL_FIELDS) :]
                ),
                ids=statements.ids,
            )
        )
        statement_index, currency_index = LINE_INDEX["statement_id"], LINE_INDEX["currency_id"]
        for row in rows:
            lines, by_currency = result[row[statement_index]]
            lines.append(row)
            if row[currency_index] in by_currency:
                by_currency[row[currency_index]].append(row)
        return result

    @api.model
    def _line_value_sql(self, field):
        """The column of ``field`` as written: the day number of a date (the
        number of days since Excel's day 0, shown with a date format), the
        label of a selection value (empty without one), the stored value else.
        """
        column = SQL.identifier(field.name)
        if field.type == "date":
            return SQL("%s - %s::date", column, EXCEL_EPOCH)
        if field.type == "selection":
            labels = field._description_selection(self.env)
            return SQL(
                "CASE %s %s ELSE '' END",
                column,
                SQL(" ").join(SQL("WHEN %s THEN %s", key, label) for key, label in labels),
            )
        return column

    # ------------------------------------------------------------------
    # Sheets
    # ------------------------------------------------------------------
    def _write_summary(self, sheet, statements, styles):
        columns = self._summary_columns()
        states = dict(
            self.env["customer.statement"]._fields["state"]._description_selection(self.env)
        )
        for col, (_key, label, width) in enumerate(columns):
            sheet.set_column(col, col, width)
            sheet.write_string(0, col, label, styles.header)
        sheet.freeze_panes(1, 0)
        # The values column by column (a field of all the statements at once
        # is quicker than a field of one statement after the other).
        values = {
            "name": statements.mapped("name"),
            # The stored full name (what display_name shows without context
            # options), read for all partners at once instead of computed.
            "partner": [statement.partner_id.complete_name for statement in statements],
            "date_from": statements.mapped("date_from"),
            "date_to": statements.mapped("date_to"),
            "currency": [statement.currency_id.name for statement in statements],
            "opening_balance": statements.mapped("opening_balance"),
            "total_debit": statements.mapped("total_debit"),
            "total_credit": statements.mapped("total_credit"),
            "closing_balance": statements.mapped("closing_balance"),
            "overdue_amount": statements.mapped("overdue_amount"),
            "state": [states.get(state, state) for state in statements.mapped("state")],
        }
        moneys = [styles.money(statement.currency_id.decimal_places) for statement in statements]
        dates = [col for col, (key, *__) in enumerate(columns) if key in ("date_from", "date_to")]
        write_string, write_number = _cell_writers(sheet)
        epoch = EXCEL_EPOCH.toordinal()
        date_style = styles.date
        rows = zip(moneys, *(values[key] for key, *__ in columns), strict=True)
        for row, (money, *cells) in enumerate(rows, start=1):
            for col, value in enumerate(cells):
                if col in dates:
                    if value:
                        write_number(row, col, value.toordinal() - epoch, date_style)
                elif isinstance(value, float):
                    write_number(row, col, value, money)
                else:
                    write_string(row, col, value or "")
        sheet.autofilter(0, 0, len(statements), len(columns) - 1)

    def _state_label(self, statement):
        """The statement's state, as "sent" in the workbook of the e-mail that
        sends it (prepared before it is marked sent)."""
        states = dict(statement._fields["state"]._description_selection(self.env))
        state = statement.state
        if self.env.context.get("mark_statement_as_sent") and state in ("draft", "to_review"):
            state = "sent"
        return states.get(state, state)

    def _write_statement(self, sheet, statement, lines, currency_lines, styles):
        """One statement, top to bottom; returns the next free row."""
        columns = self._line_columns()
        currency = statement.currency_id
        money = styles.money(currency.decimal_places)
        money_bold = styles.money(currency.decimal_places, bold=True)
        for col, (_key, _label, width) in enumerate(columns):
            sheet.set_column(col, col, width)

        # Header block
        sheet.write_string(0, 0, self.env._("Customer Statement"), styles.title)
        sheet.write_string(0, 3, statement.name, styles.title)
        modes = dict(statement._fields["confirmation_mode"]._description_selection(self.env))
        header = [
            (self.env._("Company"), statement.company_id.name),
            (self.env._("Customer"), statement.partner_id.display_name),
            (self.env._("Period"), (statement.date_from, statement.date_to)),
            (self.env._("Number"), statement.name),
            (self.env._("Status"), self._state_label(statement)),
            (self.env._("Confirmation"), modes.get(statement.confirmation_mode, "")),
        ]
        if statement.reply_by:
            header.append((self.env._("Reply By"), (statement.reply_by,)))
        header += [
            (self.env._("Currency"), currency.name),
            (self.env._("Hash (SHA-256)"), statement.content_hash or ""),
        ]
        row = 2
        for label, value in header:
            sheet.write_string(row, 0, label, styles.label)
            if isinstance(value, tuple):
                for offset, day in enumerate(value):
                    self._write_date(sheet, row, 1 + offset, day, styles.date_left)
            else:
                sheet.write_string(row, 1, value or "")
            row += 1

        # Summary figures
        row += 1
        figures = [
            (self.env._("Opening Balance"), statement.opening_balance),
            (self.env._("Period Debit"), statement.total_debit),
            (self.env._("Period Credit"), statement.total_credit),
            (self.env._("Closing Balance"), statement.closing_balance),
            (self.env._("Overdue"), statement.overdue_amount),
        ]
        for col, (label, _value) in enumerate(figures):
            sheet.write_string(row, col, label, styles.header_right)
        row += 1
        for col, (_label, value) in enumerate(figures):
            sheet.write_number(row, col, value, money_bold if col == 3 else money)
        row += 1
        if currency.name == "CNY" and statement.amount_in_words:
            sheet.write_string(row, 0, self.env._("In Words (RMB)"), styles.label)
            sheet.write_string(row, 1, statement.amount_in_words)
            row += 1

        # Lines
        row += 1
        header_row = row
        column_of = {key: col for col, (key, _label, _width) in enumerate(columns)}
        for col, (key, label, _width) in enumerate(columns):
            style = styles.header_right if key in AMOUNT_KEYS else styles.header
            sheet.write_string(row, col, label, style)
        sheet.freeze_panes(header_row + 1, 0)
        row += 1
        in_period = LINE_INDEX["in_period"]
        forward = [line for line in lines if not line[in_period]]
        period = [line for line in lines if line[in_period]]
        if forward:
            sheet.write_string(row, 0, self.env._("Open items brought forward"), styles.section)
            row += 1
            row = self._write_lines(sheet, row, columns, forward, styles, money)
        sheet.write_string(row, 0, self.env._("Period movements"), styles.section)
        row += 1
        sheet.write_string(row, 0, self.env._("Opening Balance"), styles.label)
        self._write_date(sheet, row, 1, statement.date_from, styles.date_left)
        sheet.write_number(row, column_of["running_balance"], statement.opening_balance, money)
        row += 1
        row = self._write_lines(sheet, row, columns, period, styles, money)
        sheet.write_string(row, 0, self.env._("Period total / closing balance"), styles.label)
        sheet.write_number(row, column_of["debit"], statement.total_debit, money_bold)
        sheet.write_number(row, column_of["credit"], statement.total_credit, money_bold)
        sheet.write_number(row, column_of["running_balance"], statement.closing_balance, money_bold)
        row += 1
        if not currency.is_zero(statement.hidden_exchange_amount):
            sheet.write_string(
                row,
                0,
                self.env._(
                    "Exchange differences of %(amount)s are included in the balances "
                    "but not listed.",
                    amount=currency.format(statement.hidden_exchange_amount),
                ),
                styles.note,
            )
            row += 1

        # Aging
        if statement.aging_ids:
            row += 1
            sheet.write_string(row, 0, self.env._("Aging"), styles.section)
            self._write_date(sheet, row, 1, statement.date_to, styles.date_left)
            row += 1
            for col, bucket in enumerate(statement.aging_ids):
                sheet.write_string(row, col, bucket.name, styles.header_right)
            row += 1
            for col, bucket in enumerate(statement.aging_ids):
                sheet.write_number(row, col, bucket.amount, money)
            row += 1

        # Foreign-currency sections
        for section in statement.currency_section_ids:
            row = self._write_currency_section(
                sheet,
                row + 1,
                statement,
                section,
                currency_lines.get(section.currency_id.id, []),
                styles,
            )
        return row

    def _write_currency_section(self, sheet, row, statement, section, section_lines, styles):
        section_currency = section.currency_id
        money = styles.money(section_currency.decimal_places)
        sheet.write_string(
            row,
            0,
            self.env._("Foreign Currency %(currency)s", currency=section_currency.name),
            styles.section,
        )
        row += 1
        figures = [
            (self.env._("Opening Balance"), section.opening_balance),
            (self.env._("Period Debit"), section.total_debit),
            (self.env._("Period Credit"), section.total_credit),
            (self.env._("Closing Balance"), section.closing_balance),
            (self.env._("Open Amount"), section.open_amount),
            (self.env._("Overdue"), section.overdue_amount),
            (
                self.env._("Book Value (%(currency)s)", currency=statement.currency_id.name),
                section.closing_balance_company,
            ),
        ]
        for col, (label, _value) in enumerate(figures):
            sheet.write_string(row, col, label, styles.header_right)
        row += 1
        company_money = styles.money(statement.currency_id.decimal_places)
        for col, (_label, value) in enumerate(figures):
            sheet.write_number(row, col, value, company_money if col == 6 else money)
        row += 1
        if section_lines:
            row += 1
            columns = self._currency_line_columns()
            for col, (key, label) in enumerate(columns):
                style = styles.header_right if key in AMOUNT_KEYS else styles.header
                sheet.write_string(row, col, label, style)
            row += 1
            row = self._write_lines(sheet, row, columns, section_lines, styles, money)
        return row

    def _write_all_lines(self, sheet, statements, lines_by_statement, styles):
        """Every listed line of ``statements`` on one sheet, with its statement
        and the currency of its amounts (the statements' companies may differ)."""
        columns = [
            ("statement", self.env._("Statement"), 20),
            ("customer", self.env._("Customer"), 30),
            ("currency", self.env._("Currency"), 9),
            *self._line_columns(),
        ]
        for col, (__, label, width) in enumerate(columns):
            sheet.set_column(col, col, width)
            sheet.write_string(0, col, label, styles.header)
        sheet.freeze_panes(1, 2)
        row = 1
        for statement, name, customer in zip(
            statements,
            statements.mapped("name"),
            [statement.partner_id.name for statement in statements],
            strict=True,
        ):
            lines = lines_by_statement[statement.id][0]
            currency = statement.currency_id
            money = styles.money(currency.decimal_places)
            lead = (name, customer, currency.name)
            row = self._write_lines(sheet, row, columns[3:], lines, styles, money, lead)
        if row > 1:
            sheet.autofilter(0, 0, row - 1, len(columns) - 1)

    def _write_lines(self, sheet, row, columns, lines, styles, money, lead=()):
        """Write ``lines`` from ``row`` on; returns the next free row.

        Each row starts with the texts of ``lead`` (the same on every row),
        then the ``columns`` of the line.
        """
        write_string, write_number = _cell_writers(sheet)
        date_style = styles.date
        overdue_style = styles.date_overdue
        in_period = LINE_INDEX["in_period"]
        days_overdue = LINE_INDEX["days_overdue"]
        open_amount = LINE_INDEX["open_amount"]
        texts = [(col, value) for col, value in enumerate(lead) if value]
        text_cols, dates, due_dates, amounts, running, numbers = _line_layout(columns, len(lead))
        for line in lines:
            for col, value in texts:
                write_string(row, col, value)
            for col, index in text_cols:
                value = line[index]
                if value:
                    write_string(row, col, value)
            for col, index in dates:
                value = line[index]
                if value:
                    write_number(row, col, value, date_style)
            for col, index in due_dates:
                value = line[index]
                if value:
                    overdue = line[days_overdue] > 0 and (line[open_amount] or 0) > 0
                    write_number(row, col, value, overdue_style if overdue else date_style)
            for col, index in amounts:
                value = line[index]
                if value:
                    write_number(row, col, value, money)
            if line[in_period]:
                for col, index in running:
                    write_number(row, col, line[index], money)
            for col, index in numbers:
                write_number(row, col, line[index], money)
            row += 1
        return row

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    @api.model
    def _write_date(self, sheet, row, col, value, style):
        if value:
            sheet.write_number(row, col, value.toordinal() - EXCEL_EPOCH.toordinal(), style)

    @api.model
    def _unique_sheet_name(self, name, reserved):
        """A valid sheet name from ``name``, not yet in ``reserved`` (then added).

        Excel compares sheet names without case, refuses ``[]:*?/\\`` and a
        leading or trailing apostrophe, and allows at most 31 characters.
        """
        base = (name or "").translate(SHEET_NAME_FORBIDDEN).strip().strip("'").strip()
        base = base[:SHEET_NAME_MAX] or self.env._("Statement")
        candidate = base
        counter = 1
        while candidate.lower() in reserved:
            counter += 1
            suffix = f" ({counter})"
            candidate = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        reserved.add(candidate.lower())
        return candidate


def _line_layout(columns, first_col):
    """How each of the ``columns`` of a lines table is written, decided once.

    Returns lists of ``(column number, index in a row of lines)``: texts
    (when there are some), dates, due dates (red when overdue and open),
    amounts (left blank when zero), running balances (period movements only)
    and numbers (the amount in currency, always). Only the order of the texts
    within a row matters to the file; the other cells may come in any order.
    """
    layout = {kind: [] for kind in ("text", "date", "due", "amount", "running", "number")}
    for col, (key, *__) in enumerate(columns, start=first_col):
        if key == "date":
            kind = "date"
        elif key == "date_maturity":
            kind = "due"
        elif key in ("debit", "credit", "open_amount", "open_amount_currency"):
            kind = "amount"
        elif key in ("running_balance", "running_balance_currency"):
            kind = "running"
        elif key == "amount_currency":
            kind = "number"
        else:
            kind = "text"
        layout[kind].append((col, LINE_INDEX[key]))
    return tuple(layout.values())


def _cell_writers(sheet):
    """``(write_string, write_number)`` of ``sheet`` for row and column numbers.

    The public writers first check whether they were given a cell name
    ("B7") instead of numbers, a third of their cost; xlsxwriter's own
    unchecked versions skip that, the public ones stand in where missing.
    """
    return (
        getattr(sheet, "_write_string", sheet.write_string),
        getattr(sheet, "_write_number", sheet.write_number),
    )


@contextmanager
def _cycle_collector_paused():
    """Pause Python's cycle collector for the block (reference counting goes on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Styles:
    """The workbook's cell formats, created once and shared by all sheets."""

    def __init__(self, workbook):
        self._workbook = workbook
        self._money = {}
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.label = workbook.add_format({"bold": True})
        self.header = workbook.add_format(
            {"bold": True, "bg_color": "#E9ECEF", "bottom": 1, "text_wrap": True}
        )
        self.header_right = workbook.add_format(
            {"bold": True, "bg_color": "#E9ECEF", "bottom": 1, "align": "right", "text_wrap": True}
        )
        self.section = workbook.add_format({"bold": True, "italic": True})
        self.note = workbook.add_format({"italic": True, "font_color": "#6C757D"})
        self.date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.date_left = workbook.add_format({"num_format": "yyyy-mm-dd", "align": "left"})
        self.date_overdue = workbook.add_format(
            {"num_format": "yyyy-mm-dd", "font_color": "#C00000"}
        )

    def money(self, decimal_places, bold=False):
        """Number format with thousands separators, negatives in red."""
        key = (decimal_places, bold)
        if key not in self._money:
            decimals = "." + "0" * decimal_places if decimal_places else ""
            number = f"#,##0{decimals}"
            self._money[key] = self._workbook.add_format(
                {"num_format": f"{number};[Red]-{number}", "bold": bold}
            )
        return self._money[key]
