"""Canonical serialisation of a statement's content, and its SHA-256.

The hash printed on the PDF and shown on the portal is computed from this
serialisation only, so that anyone holding the same figures can recompute it:
UTF-8 JSON, keys sorted, no whitespace, amounts as fixed-point strings with
the currency's decimals, dates as ISO strings, lines in statement order.

The version is part of what is hashed. Version 1 wrote every amount with the
decimals of the statement's currency; version 2 writes the amounts in a
foreign currency (a line's amount and open amount in its currency, and a
currency section's figures) with that currency's own decimals, so that a
change in the third decimal of a Kuwaiti dinar amount changes the hash. A
statement keeps the version its hash was taken with.
"""

import hashlib
import json
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

HASH_VERSION = 2


def fixed(amount, digits=2):
    """An amount as a fixed-point string, ``-0`` normalised to ``0``."""
    quantum = Decimal(1).scaleb(-int(digits))
    value = Decimal(str(amount or 0)).quantize(quantum, rounding=ROUND_HALF_UP)
    if value == 0:
        value = abs(value)
    return f"{value:.{int(digits)}f}"


def _normalise(value, digits):
    if isinstance(value, dict):
        return {str(k): _normalise(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v, digits) for v in value]
    if isinstance(value, float | Decimal):
        return fixed(value, digits)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def serialise(content, digits=2, version=HASH_VERSION):
    """The canonical bytes of ``content`` (a dict of plain values).

    Floats and Decimals are amounts and become fixed-point strings; integers
    stay integers (they are ids and counts: pass amounts as Decimal or float,
    as the database gives them); booleans stay booleans and an empty value
    is ``None`` (``null``), as the database gives them. Amounts with other
    decimals than ``digits`` are passed already written, by :func:`fixed`.
    """
    payload = {"v": version, "content": _normalise(content, digits)}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def content_hash(content, digits=2, version=HASH_VERSION):
    return hashlib.sha256(serialise(content, digits, version)).hexdigest()


def normalised_hash(content, version=HASH_VERSION):
    """SHA-256 of ``content`` whose values are already canonical.

    Amounts must be fixed-point strings and dates ISO strings (as
    :func:`serialise` would write them); the bytes hashed are then exactly
    those of :func:`serialise`, without walking every value in Python.
    """
    payload = {"v": version, "content": content}
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()
