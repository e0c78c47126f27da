"""Pure rules of customer_reconciliation, checked without Odoo.

The modules in ``customer_reconciliation/tools`` import nothing from Odoo, but
importing them through the addon package would import Odoo (the package's
``__init__`` loads the models). They are therefore loaded by file path.
"""

import importlib.util
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent / "customer_reconciliation" / "tools"


def _load(name):
    spec = importlib.util.spec_from_file_location(
        f"customer_reconciliation_tools_{name}", TOOLS / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


aging = _load("aging")
periods = _load("periods")
canonical = _load("canonical")
rmb = _load("rmb")
scheduler = _load("scheduler")
filenames = _load("filenames")


def test_tools_import_nothing_from_odoo():
    for path in TOOLS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import odoo" not in text and "from odoo" not in text, path.name


# ----------------------------------------------------------------------
# aging
# ----------------------------------------------------------------------
class TestParseBoundaries:
    @pytest.mark.parametrize(
        "text, expected",
        [
            ("30,60,90,180", (30, 60, 90, 180)),
            (" 30 , 60 ,90, 180 ", (30, 60, 90, 180)),
            ("30，60，90，180", (30, 60, 90, 180)),  # full-width commas
            ("30,60，90", (30, 60, 90)),  # mixed commas
            ("7", (7,)),
            ("1,2", (1, 2)),
            ("30,60,90,180,365", (30, 60, 90, 180, 365)),
        ],
    )
    def test_valid(self, text, expected):
        assert aging.parse_boundaries(text) == expected

    @pytest.mark.parametrize("text", [None, "", "   "])
    def test_empty_gives_default(self, text):
        assert aging.parse_boundaries(text) == aging.DEFAULT_BOUNDARIES == (30, 60, 90, 180)

    @pytest.mark.parametrize(
        "text",
        ["60,30", "30,30,60", "30,60,60", "90,60,30", "30,90,60,180"],
    )
    def test_not_strictly_increasing(self, text):
        with pytest.raises(ValueError, match="increasing"):
            aging.parse_boundaries(text)

    @pytest.mark.parametrize("text", ["0", "0,30", "30,0"])
    def test_zero_is_not_positive(self, text):
        with pytest.raises(ValueError, match="positive"):
            aging.parse_boundaries(text)

    @pytest.mark.parametrize("text", ["-30", "-30,60", "30,-60"])
    def test_negative(self, text):
        with pytest.raises(ValueError):
            aging.parse_boundaries(text)

    @pytest.mark.parametrize(
        "text",
        ["abc", "30,abc", "30.5,60", "30;60", "30 60", "30,,60", "30,60,", ",30", "1e2", "三十"],
    )
    def test_not_whole_numbers(self, text):
        with pytest.raises(ValueError):
            aging.parse_boundaries(text)

    def test_message_names_the_bad_part(self):
        with pytest.raises(ValueError, match="'abc'"):
            aging.parse_boundaries("30,abc,90")

    def test_too_many(self):
        allowed = ",".join(str(10 * i) for i in range(1, aging.MAX_BUCKETS))
        assert len(aging.parse_boundaries(allowed)) == aging.MAX_BUCKETS - 1
        too_many = ",".join(str(10 * i) for i in range(1, aging.MAX_BUCKETS + 1))
        with pytest.raises(ValueError, match="at most"):
            aging.parse_boundaries(too_many)

    def test_format_round_trip(self):
        for boundaries in [(30, 60, 90, 180), (7,), (15, 45, 365)]:
            text = aging.format_boundaries(boundaries)
            assert aging.parse_boundaries(text) == boundaries
        assert aging.format_boundaries((30, 60, 90, 180)) == "30,60,90,180"


def width_bucket(value, thresholds):
    """PostgreSQL's ``width_bucket(value, thresholds)``: thresholds <= value."""
    return sum(1 for threshold in thresholds if threshold <= value)


DEFAULT_EXPECTED = {
    -400: 0,
    -1: 0,
    0: 0,
    1: 1,
    30: 1,
    31: 2,
    60: 2,
    61: 3,
    90: 3,
    91: 4,
    180: 4,
    181: 5,
    1000: 5,
}


class TestBuckets:
    @pytest.mark.parametrize("days, expected", sorted(DEFAULT_EXPECTED.items()))
    def test_default_boundaries(self, days, expected):
        assert aging.bucket_index(days, aging.DEFAULT_BOUNDARIES) == expected

    @pytest.mark.parametrize(
        "days, expected",
        [(0, 0), (1, 1), (15, 1), (16, 2), (45, 2), (46, 3), (365, 3), (366, 4), (9999, 4)],
    )
    def test_custom_boundaries(self, days, expected):
        assert aging.bucket_index(days, (15, 45, 365)) == expected

    def test_single_boundary(self):
        assert [aging.bucket_index(d, (7,)) for d in (0, 1, 7, 8)] == [0, 1, 1, 2]

    def test_thresholds(self):
        assert aging.bucket_thresholds((30, 60, 90, 180)) == [1, 31, 61, 91, 181]
        assert aging.bucket_thresholds((15, 45, 365)) == [1, 16, 46, 366]

    @pytest.mark.parametrize(
        "boundaries",
        [aging.DEFAULT_BOUNDARIES, (15, 45, 365), (7,), (30, 60, 90, 180, 365), (1, 2, 3)],
    )
    def test_agrees_with_width_bucket(self, boundaries):
        thresholds = aging.bucket_thresholds(boundaries)
        for days in range(-10, 500):
            assert aging.bucket_index(days, boundaries) == width_bucket(days, thresholds), days

    @pytest.mark.parametrize(
        "boundaries", [aging.DEFAULT_BOUNDARIES, (15, 45, 365), (7,), (1, 2, 3)]
    )
    def test_ranges_cover_every_day_once(self, boundaries):
        ranges = aging.bucket_ranges(boundaries)
        assert [index for index, _lo, _hi in ranges] == list(range(len(boundaries) + 2))
        assert ranges[0] == (0, None, 0)
        assert ranges[-1][2] is None
        for days in range(-5, 500):
            matching = [
                index
                for index, low, high in ranges
                if (low is None or days >= low) and (high is None or days <= high)
            ]
            assert matching == [aging.bucket_index(days, boundaries)], days

    def test_default_ranges(self):
        assert aging.bucket_ranges((30, 60, 90, 180)) == [
            (0, None, 0),
            (1, 1, 30),
            (2, 31, 60),
            (3, 61, 90),
            (4, 91, 180),
            (5, 181, None),
        ]


# ----------------------------------------------------------------------
# periods
# ----------------------------------------------------------------------
D = date


class TestMonthlyCutoff25:
    @pytest.mark.parametrize(
        "on_date, cutoff",
        [
            (D(2027, 3, 10), D(2027, 2, 25)),
            (D(2027, 3, 24), D(2027, 2, 25)),
            (D(2027, 3, 25), D(2027, 3, 25)),
            (D(2027, 3, 26), D(2027, 3, 25)),
            (D(2027, 1, 10), D(2026, 12, 25)),  # across the year end
            (D(2026, 12, 31), D(2026, 12, 25)),
            (D(2028, 2, 29), D(2028, 2, 25)),
        ],
    )
    def test_last_cutoff(self, on_date, cutoff):
        assert periods.last_cutoff(on_date, "monthly", 25) == cutoff

    @pytest.mark.parametrize(
        "cutoff, period",
        [
            (D(2027, 2, 25), (D(2027, 1, 26), D(2027, 2, 25))),
            (D(2027, 3, 25), (D(2027, 2, 26), D(2027, 3, 25))),
            (D(2028, 3, 25), (D(2028, 2, 26), D(2028, 3, 25))),
            (D(2027, 1, 25), (D(2026, 12, 26), D(2027, 1, 25))),  # year end
        ],
    )
    def test_period_ending(self, cutoff, period):
        assert periods.period_ending(cutoff, "monthly", 25) == period

    def test_last_complete_period(self):
        assert periods.last_complete_period(D(2027, 1, 10), "monthly", 25) == (
            D(2026, 11, 26),
            D(2026, 12, 25),
        )
        assert periods.last_complete_period(D(2027, 1, 25), "monthly", 25) == (
            D(2026, 12, 26),
            D(2027, 1, 25),
        )


class TestMonthlyLastDay:
    @pytest.mark.parametrize(
        "on_date, cutoff",
        [
            (D(2027, 2, 27), D(2027, 1, 31)),
            (D(2027, 2, 28), D(2027, 2, 28)),  # non-leap February
            (D(2027, 3, 1), D(2027, 2, 28)),
            (D(2028, 2, 28), D(2028, 1, 31)),
            (D(2028, 2, 29), D(2028, 2, 29)),  # leap February
            (D(2028, 3, 1), D(2028, 2, 29)),
            (D(2026, 12, 31), D(2026, 12, 31)),
            (D(2027, 1, 1), D(2026, 12, 31)),  # year end
            (D(2026, 4, 30), D(2026, 4, 30)),
        ],
    )
    def test_last_cutoff(self, on_date, cutoff):
        assert periods.last_cutoff(on_date, "monthly", 31) == cutoff

    @pytest.mark.parametrize(
        "cutoff, period",
        [
            (D(2027, 2, 28), (D(2027, 2, 1), D(2027, 2, 28))),
            (D(2027, 3, 31), (D(2027, 3, 1), D(2027, 3, 31))),
            (D(2028, 2, 29), (D(2028, 2, 1), D(2028, 2, 29))),
            (D(2028, 3, 31), (D(2028, 3, 1), D(2028, 3, 31))),
            (D(2027, 1, 31), (D(2027, 1, 1), D(2027, 1, 31))),
            (D(2026, 12, 31), (D(2026, 12, 1), D(2026, 12, 31))),
        ],
    )
    def test_period_ending(self, cutoff, period):
        assert periods.period_ending(cutoff, "monthly", 31) == period

    @pytest.mark.parametrize(
        "on_date, period",
        [
            (D(2028, 3, 15), (D(2028, 2, 1), D(2028, 2, 29))),
            (D(2027, 3, 15), (D(2027, 2, 1), D(2027, 2, 28))),
            (D(2027, 1, 5), (D(2026, 12, 1), D(2026, 12, 31))),
            (D(2026, 11, 23), (D(2026, 10, 1), D(2026, 10, 31))),
        ],
    )
    def test_last_complete_period(self, on_date, period):
        assert periods.last_complete_period(on_date, "monthly", 31) == period

    def test_cutoff_30_across_february(self):
        # 30 is clamped to 28/29 in February; the next period starts the day after
        assert periods.period_ending(D(2027, 3, 30), "monthly", 30) == (
            D(2027, 3, 1),
            D(2027, 3, 30),
        )
        assert periods.period_ending(D(2027, 2, 28), "monthly", 30) == (
            D(2027, 1, 31),
            D(2027, 2, 28),
        )
        assert periods.period_ending(D(2028, 2, 29), "monthly", 30) == (
            D(2028, 1, 31),
            D(2028, 2, 29),
        )

    def test_consecutive_periods_tile_the_calendar(self):
        for cutoff_day in (1, 15, 25, 28, 29, 30, 31):
            cutoff = periods.last_cutoff(D(2026, 1, 15), "monthly", cutoff_day)
            for _ in range(40):
                nxt = periods.next_cutoff(cutoff, "monthly", cutoff_day)
                start, end = periods.period_ending(nxt, "monthly", cutoff_day)
                assert start == cutoff + timedelta(days=1), (cutoff_day, cutoff)
                assert end == nxt
                assert periods.previous_cutoff(nxt, "monthly", cutoff_day) == cutoff
                cutoff = nxt


class TestQuarterly:
    @pytest.mark.parametrize(
        "on_date, cutoff",
        [
            (D(2026, 11, 23), D(2026, 9, 30)),
            (D(2026, 12, 30), D(2026, 9, 30)),
            (D(2026, 12, 31), D(2026, 12, 31)),
            (D(2027, 1, 15), D(2026, 12, 31)),  # year end
            (D(2027, 3, 31), D(2027, 3, 31)),
            (D(2027, 4, 1), D(2027, 3, 31)),
            (D(2027, 6, 29), D(2027, 3, 31)),
            (D(2027, 6, 30), D(2027, 6, 30)),
        ],
    )
    def test_last_cutoff(self, on_date, cutoff):
        assert periods.last_cutoff(on_date, "quarterly", 31) == cutoff

    @pytest.mark.parametrize(
        "cutoff, period",
        [
            (D(2026, 12, 31), (D(2026, 10, 1), D(2026, 12, 31))),
            (D(2027, 3, 31), (D(2027, 1, 1), D(2027, 3, 31))),
            (D(2028, 3, 31), (D(2028, 1, 1), D(2028, 3, 31))),
            (D(2027, 6, 30), (D(2027, 4, 1), D(2027, 6, 30))),
        ],
    )
    def test_period_ending(self, cutoff, period):
        assert periods.period_ending(cutoff, "quarterly", 31) == period

    def test_last_complete_period(self):
        assert periods.last_complete_period(D(2027, 2, 10), "quarterly", 31) == (
            D(2026, 10, 1),
            D(2026, 12, 31),
        )

    def test_quarterly_25th(self):
        assert periods.last_cutoff(D(2027, 3, 24), "quarterly", 25) == D(2026, 12, 25)
        assert periods.last_complete_period(D(2027, 3, 26), "quarterly", 25) == (
            D(2026, 12, 26),
            D(2027, 3, 25),
        )


class TestWeekly:
    # 2026-11-22 is a Sunday, 2026-11-23 a Monday.
    def test_sunday_cutoff(self):
        assert D(2026, 11, 22).weekday() == 6
        assert periods.last_cutoff(D(2026, 11, 22), "weekly", cutoff_weekday=6) == D(2026, 11, 22)
        assert periods.last_cutoff(D(2026, 11, 23), "weekly", cutoff_weekday=6) == D(2026, 11, 22)
        assert periods.last_cutoff(D(2026, 11, 28), "weekly", cutoff_weekday=6) == D(2026, 11, 22)

    def test_friday_cutoff(self):
        assert periods.last_cutoff(D(2026, 11, 23), "weekly", cutoff_weekday=4) == D(2026, 11, 20)
        assert periods.last_cutoff(D(2026, 11, 20), "weekly", cutoff_weekday=4) == D(2026, 11, 20)

    def test_period_is_seven_days(self):
        assert periods.period_ending(D(2026, 11, 22), "weekly", cutoff_weekday=6) == (
            D(2026, 11, 16),
            D(2026, 11, 22),
        )
        assert periods.last_complete_period(D(2027, 1, 2), "weekly", cutoff_weekday=3) == (
            D(2026, 12, 25),
            D(2026, 12, 31),
        )

    def test_every_weekday(self):
        for weekday in range(7):
            for offset in range(14):
                on_date = D(2028, 2, 20) + timedelta(days=offset)
                cutoff = periods.last_cutoff(on_date, "weekly", cutoff_weekday=weekday)
                assert cutoff.weekday() == weekday
                assert 0 <= (on_date - cutoff).days < 7
                start, end = periods.period_ending(cutoff, "weekly", cutoff_weekday=weekday)
                assert (end - start).days == 6


# ----------------------------------------------------------------------
# canonical
# ----------------------------------------------------------------------
def _content(**overrides):
    content = {
        "partner": "苏州恒通精密机械有限公司",
        "date_from": D(2026, 10, 1),
        "date_to": D(2026, 10, 31),
        "opening_balance": 1200.5,
        "closing_balance": 800.0,
        "lines": [
            {"ref": "INV/2026/00001", "debit": 100.0, "credit": 0.0, "date": D(2026, 10, 3)},
            {"ref": "PAY/2026/00002", "debit": 0.0, "credit": 500.5, "date": D(2026, 10, 9)},
        ],
    }
    content.update(overrides)
    return content


class TestCanonical:
    def test_stable_under_key_order(self):
        content = _content()
        reordered = dict(reversed(list(content.items())))
        reordered["lines"] = [dict(reversed(list(line.items()))) for line in content["lines"]]
        assert canonical.serialise(content) == canonical.serialise(reordered)
        assert canonical.content_hash(content) == canonical.content_hash(reordered)

    def test_hash_is_sha256_hex(self):
        value = canonical.content_hash(_content())
        assert len(value) == 64
        int(value, 16)

    def test_negative_zero_equals_zero(self):
        assert canonical.fixed(-0.0) == canonical.fixed(0.0) == "0.00"
        assert canonical.fixed(Decimal("-0.00")) == "0.00"
        assert canonical.fixed(-0.001) == "0.00"
        assert canonical.content_hash(_content(closing_balance=-0.0)) == canonical.content_hash(
            _content(closing_balance=0.0)
        )

    def test_one_cent_changes_the_hash(self):
        base = canonical.content_hash(_content())
        assert canonical.content_hash(_content(closing_balance=800.01)) != base
        assert canonical.content_hash(_content(opening_balance=1200.49)) != base
        lines = _content()["lines"]
        lines[0] = dict(lines[0], debit=100.01)
        assert canonical.content_hash(_content(lines=lines)) != base

    def test_float_noise_does_not_change_the_hash(self):
        assert canonical.content_hash(
            _content(closing_balance=0.1 + 0.2)
        ) == canonical.content_hash(_content(closing_balance=0.3))
        assert canonical.content_hash(_content(closing_balance=800.0)) == canonical.content_hash(
            _content(closing_balance=Decimal("800.00"))
        )

    def test_line_order_matters(self):
        content = _content()
        swapped = _content(lines=list(reversed(content["lines"])))
        assert canonical.content_hash(content) != canonical.content_hash(swapped)

    def test_version_is_part_of_the_hash(self):
        content = _content()
        assert canonical.serialise(content, version=1).startswith(b'{"content":')
        assert b'"v":1}' in canonical.serialise(content, version=1)
        assert canonical.content_hash(content, version=1) != canonical.content_hash(content)
        assert canonical.content_hash(content) == canonical.content_hash(
            content, version=canonical.HASH_VERSION
        )

    def test_amounts_written_with_their_own_decimals_pass_through(self):
        """Version 2 writes a Kuwaiti dinar amount with three decimals: the
        caller passes it written, and a change in the third decimal shows."""
        dinars = canonical.fixed(Decimal("1.2345"), 3)
        assert dinars == "1.235"
        lines = _content()["lines"]
        lines[0] = dict(lines[0], amount_currency=dinars)
        changed = [dict(lines[0], amount_currency=canonical.fixed(Decimal("1.236"), 3))] + lines[1:]
        assert b'"amount_currency":"1.235"' in canonical.serialise(_content(lines=lines))
        assert canonical.content_hash(_content(lines=lines)) != canonical.content_hash(
            _content(lines=changed)
        )

    def test_fixed(self):
        assert canonical.fixed(1.005) == "1.01"  # half up, from the decimal text
        assert canonical.fixed(2.5, 0) == "3"
        assert canonical.fixed(1234.5) == "1234.50"
        assert canonical.fixed(None) == "0.00"
        assert canonical.fixed(False) == "0.00"
        assert canonical.fixed(-12.345) == "-12.35"
        assert canonical.fixed(1.23456, 3) == "1.235"

    def test_serialisation(self):
        data = canonical.serialise(
            {"b": 1.5, "a": D(2026, 1, 2), "c": False, "d": 3, "e": "对账", "f": None}
        )
        assert (
            data
            == (
                '{"content":{"a":"2026-01-02","b":"1.50","c":false,"d":3,"e":"对账","f":null},"v":2}'
            ).encode()
        )

    def test_normalised_hash_equals_serialisation(self):
        raw = {"amount": 12.5, "day": D(2026, 1, 2), "flag": False, "lines": [[1, -0.0, None]]}
        ready = {
            "amount": "12.50",
            "day": "2026-01-02",
            "flag": False,
            "lines": [[1, "0.00", None]],
        }
        assert canonical.normalised_hash(ready) == canonical.content_hash(raw)


# ----------------------------------------------------------------------
# rmb
# ----------------------------------------------------------------------
RMB_CASES = [
    (0, "零元整"),
    (0.05, "伍分"),
    (1, "壹元整"),
    (10, "壹拾元整"),
    (100.5, "壹佰元伍角整"),
    (1004.5, "壹仟零肆元伍角整"),
    (10001, "壹万零壹元整"),
    (100010, "壹拾万零壹拾元整"),
    (105000.07, "壹拾万伍仟元零柒分"),
    (1234567.89, "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
    (100000000, "壹亿元整"),
    (-12.3, "负壹拾贰元叁角整"),
    (10.01, "壹拾元零壹分"),
    (0.5, "伍角整"),
    (1100, "壹仟壹佰元整"),
    (101000, "壹拾万壹仟元整"),
    (100000001, "壹亿零壹元整"),
    (Decimal("1004.50"), "壹仟零肆元伍角整"),
    ("2.345", "贰元叁角伍分"),  # rounded half up to the cent
]


class TestRmb:
    @pytest.mark.parametrize("amount, words", RMB_CASES)
    def test_amount_in_words(self, amount, words):
        assert rmb.amount_in_words(amount) == words

    def test_too_large(self):
        with pytest.raises(ValueError):
            rmb.amount_in_words(10**16)

    @pytest.mark.parametrize("amount", [amount for amount, _words in RMB_CASES[:17]])
    def test_agrees_with_cn2an(self, amount):
        cn2an = pytest.importorskip("cn2an")

        def normalise(text):
            # both forms are in use: "伍角整" and "伍角"
            return text[:-1] if text.endswith("角整") else text

        assert normalise(rmb.amount_in_words(amount)) == normalise(cn2an.an2cn(amount, "rmb"))


# ----------------------------------------------------------------------
# xlsx_sheet
# ----------------------------------------------------------------------


def _workbook_parts(worksheet_class, options):
    """The parts of a workbook that uses every kind of cell, written with
    ``worksheet_class``: ``{part name: bytes}`` (without the creation time)."""
    import io
    import zipfile
    from datetime import datetime

    xlsxwriter = pytest.importorskip("xlsxwriter")
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, options)
    money = workbook.add_format({"num_format": "#,##0.00;[Red]-#,##0.00"})
    bold = workbook.add_format({"bold": True})
    red = workbook.add_format({"font_color": "#C00000"})
    for name in ("对账单", "Other"):
        sheet = workbook.add_worksheet(name, worksheet_class=worksheet_class)
        sheet.set_column(0, 3, 16)
        sheet.set_column(6, 6, 12, red)
        sheet.set_row(4, 30)
        sheet.set_row(5, None, bold)
        rows = [
            ["DZ-2026-10-0001", '客户 & <Co> "quoted"', 1234.5, -0.1, 46000, "  lead"],
            ["", "x" * 40, 10**15 + 0.25, 1 / 3, 0, "trail  "],
            ["A&B", "第二行", -1e-7, 12345678901234567890, 3, "\u4e2d"],
        ]
        for row, values in enumerate(rows * 3):
            for col, value in enumerate(values):
                cell_format = money if isinstance(value, float) and row % 2 else None
                if isinstance(value, str):
                    if value:
                        sheet._write_string(row, col, value, bold if col == 0 else None)
                else:
                    sheet._write_number(row, col, value, cell_format)
            sheet.write_number(row, 6, row)
            sheet.write_string(row, 7, "col 7")
        sheet.write_formula(10, 0, "=SUM(C1:C9)", money, 42)
        sheet.write_blank(10, 1, None, bold)
        sheet.write_datetime(10, 2, datetime(2026, 10, 31, 12, 0), money)
        sheet.write_boolean(10, 3, True)
        sheet.write_url(10, 4, "https://example.com/a?b=1&c=2", string="link")
        sheet.write_rich_string(10, 5, "plain ", bold, "bold", " end")
        sheet.merge_range(11, 0, 11, 3, "merged", bold)
        sheet.autofilter(0, 0, 9, 7)
        sheet.freeze_panes(1, 2)
    workbook.close()
    archive = zipfile.ZipFile(io.BytesIO(output.getvalue()))
    return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


class TestQuickWorksheet:
    @pytest.mark.parametrize("options", [{"in_memory": True}, {"constant_memory": True}])
    def test_same_file_as_xlsxwriter(self, options):
        xlsxwriter = pytest.importorskip("xlsxwriter")
        xlsx_sheet = _load("xlsx_sheet")
        expected = _workbook_parts(xlsxwriter.worksheet.Worksheet, options)
        assert _workbook_parts(xlsx_sheet.QuickWorksheet, options) == expected

    def test_plain_cells_skip_the_general_routine(self, monkeypatch):
        xlsxwriter = pytest.importorskip("xlsxwriter")
        xlsx_sheet = _load("xlsx_sheet")
        general = []
        original = xlsxwriter.worksheet.Worksheet._write_cell

        def count(self, row, col, cell):
            general.append((row, col))
            return original(self, row, col, cell)

        monkeypatch.setattr(xlsxwriter.worksheet.Worksheet, "_write_cell", count)
        _workbook_parts(xlsx_sheet.QuickWorksheet, {"in_memory": True})
        general = set(general)
        # Numbers and shared strings styled by themselves or not at all: quick.
        plain = {(row, col) for row in range(9) if row not in (4, 5) for col in range(6)}
        assert not general & plain
        # The formula, blank and boolean, the cells of column 6 (styled by its
        # column) and the cells of rows 4 and 5 (which have settings of their
        # own) without a format of their own: xlsxwriter's general routine.
        # (Links, dates and rich strings are stored as shared strings or
        # numbers by some versions of xlsxwriter: then quick, to the same XML.)
        assert {(10, 0), (10, 1), (10, 3)} | {(row, 6) for row in range(9)} <= general
        assert {(4, col) for col in range(1, 8)} | {(5, col) for col in (1, 3, 4, 5, 7)} <= general
        assert not general & {(5, 0), (5, 2)}


# ----------------------------------------------------------------------
# scheduled actions
# ----------------------------------------------------------------------
class _Records:
    """Just enough of a recordset: an environment with a context and a user."""

    def __init__(self, context, user_lang):
        self.env = type("Env", (), {"context": context, "user": type("U", (), {"lang": user_lang})})

    def with_context(self, **values):
        return _Records({**self.env.context, **values}, self.env.user.lang)


def test_scheduled_action_runs_in_its_users_language():
    @scheduler.in_user_language
    def action(records, name, suffix="!"):
        return records.env.context.get("lang"), name + suffix

    assert action(_Records({}, "zh_CN"), "run") == ("zh_CN", "run!")
    # a call that brings a language keeps it; a user without one changes nothing
    assert action(_Records({"lang": "fr_FR"}, "zh_CN"), "run", suffix="?") == ("fr_FR", "run?")
    assert action(_Records({}, False), "run") == (None, "run!")
    assert action.__name__ == "action"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("对账单 DZ/2026/11/0001 华信贸易", "对账单 DZ-2026-11-0001 华信贸易"),
        ('ABC: "Trading" <HK>?', "ABC- -Trading- -HK-"),
        ("tab\there\x00", "tab-here-"),
        ("ends with dots... ", "ends with dots"),
        ("", "-"),
        (None, "-"),
    ],
)
def test_file_names_are_valid_everywhere(text, expected):
    assert filenames.file_name(text) == expected


def test_file_names_are_cut_to_length():
    assert filenames.file_name("对" * 300) == "对" * 150
