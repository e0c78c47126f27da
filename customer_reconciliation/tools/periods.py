"""Statement periods: the cut-off rules of a statement policy, as pure dates.

A period ends on a cut-off date and starts the day after the previous one.
Monthly and quarterly cut-offs fall on ``cutoff_day`` of the month (clamped
to the month's last day, so 31 always means the last day); weekly cut-offs
fall on ``cutoff_weekday`` (0 = Monday).
"""

import calendar
from datetime import date, timedelta

FREQUENCIES = ("monthly", "quarterly", "weekly", "on_demand")


def _cutoff_in_month(year, month, cutoff_day):
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(int(cutoff_day), last))


def _shift_month(year, month, delta):
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def last_cutoff(on_date, frequency, cutoff_day=31, cutoff_weekday=6):
    """The latest cut-off date on or before ``on_date``."""
    if frequency == "weekly":
        return on_date - timedelta(days=(on_date.weekday() - int(cutoff_weekday)) % 7)
    step = 3 if frequency == "quarterly" else 1
    year, month = on_date.year, on_date.month
    if frequency == "quarterly":
        # quarters end in March, June, September and December
        year, month = _shift_month(year, month, (3 - month % 3) % 3)
    while True:
        cutoff = _cutoff_in_month(year, month, cutoff_day)
        if cutoff <= on_date:
            return cutoff
        year, month = _shift_month(year, month, -step)


def previous_cutoff(cutoff, frequency, cutoff_day=31, cutoff_weekday=6):
    """The cut-off date that precedes the cut-off ``cutoff``."""
    if frequency == "weekly":
        return cutoff - timedelta(days=7)
    step = 3 if frequency == "quarterly" else 1
    year, month = _shift_month(cutoff.year, cutoff.month, -step)
    return _cutoff_in_month(year, month, cutoff_day)


def next_cutoff(cutoff, frequency, cutoff_day=31, cutoff_weekday=6):
    """The cut-off date that follows the cut-off ``cutoff``."""
    if frequency == "weekly":
        return cutoff + timedelta(days=7)
    step = 3 if frequency == "quarterly" else 1
    year, month = _shift_month(cutoff.year, cutoff.month, step)
    return _cutoff_in_month(year, month, cutoff_day)


def period_ending(cutoff, frequency, cutoff_day=31, cutoff_weekday=6):
    """``(date_from, date_to)`` of the period that ends on ``cutoff``."""
    start = previous_cutoff(cutoff, frequency, cutoff_day, cutoff_weekday)
    return start + timedelta(days=1), cutoff


def last_complete_period(on_date, frequency, cutoff_day=31, cutoff_weekday=6):
    """The last period whose cut-off is on or before ``on_date``."""
    cutoff = last_cutoff(on_date, frequency, cutoff_day, cutoff_weekday)
    return period_ending(cutoff, frequency, cutoff_day, cutoff_weekday)
