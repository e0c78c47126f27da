"""Aging buckets: pure rules shared by the SQL engine, reports and tests.

Boundaries are the upper day limits of the overdue buckets. With the default
``(30, 60, 90, 180)`` the buckets are: not due (0 days or less past due),
1-30, 31-60, 61-90, 91-180 and over 180 days past due.
"""

from bisect import bisect_left

DEFAULT_BOUNDARIES = (30, 60, 90, 180)
MAX_BUCKETS = 12


def parse_boundaries(text):
    """Return the tuple of boundaries written as ``"30,60,90,180"``.

    Raise ``ValueError`` with a readable message when the text is not a
    strictly increasing list of positive whole numbers.
    """
    if text is None or not str(text).strip():
        return DEFAULT_BOUNDARIES
    parts = [part.strip() for part in str(text).replace("，", ",").split(",")]
    values = []
    for part in parts:
        if part.startswith("-") and part[1:].isdigit():
            raise ValueError("aging boundaries must be positive numbers of days")
        if not part.isdigit():
            raise ValueError(f"'{part}' is not a whole number of days")
        values.append(int(part))
    if any(value <= 0 for value in values):
        raise ValueError("aging boundaries must be positive numbers of days")
    if any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise ValueError("aging boundaries must be strictly increasing")
    if len(values) + 1 > MAX_BUCKETS:
        raise ValueError(f"at most {MAX_BUCKETS - 1} aging boundaries are allowed")
    return tuple(values)


def format_boundaries(boundaries):
    return ",".join(str(int(value)) for value in boundaries)


def bucket_thresholds(boundaries):
    """Lower bounds for PostgreSQL's ``width_bucket(days, thresholds)``.

    ``width_bucket`` returns 0 below the first threshold (not due) and ``i``
    when ``thresholds[i-1] <= days < thresholds[i]``.
    """
    return [1] + [int(value) + 1 for value in boundaries]


def bucket_index(days_overdue, boundaries):
    """Index of the bucket for a line ``days_overdue`` days past due.

    0 is "not due"; ``len(boundaries) + 1`` is the last, open-ended bucket.
    """
    if days_overdue <= 0:
        return 0
    return 1 + bisect_left(list(boundaries), days_overdue)


def bucket_ranges(boundaries):
    """List of ``(index, days_from, days_to)``; ``days_to`` is None when open."""
    ranges = [(0, None, 0)]
    lower = 1
    for index, upper in enumerate(boundaries, start=1):
        ranges.append((index, lower, int(upper)))
        lower = int(upper) + 1
    ranges.append((len(boundaries) + 1, lower, None))
    return ranges
