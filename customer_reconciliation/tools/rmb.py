"""Amounts in Chinese capital numerals (人民币大写), as printed on vouchers.

Follows the usual rules of Chinese financial writing: 零 for skipped places,
元/角/分, 整 when there are no 分, 负 for negative amounts.
"""

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
BIG_UNITS = ("", "万", "亿", "万亿")


def _four_digits(number):
    """Capitals for 0 < number < 10000; a leading zero run gives one 零."""
    text = ""
    zero = False
    for position in range(3, -1, -1):
        digit = number // 10**position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += DIGITS[0]
            zero = False
        text += DIGITS[digit] + SMALL_UNITS[position]
    return text


def integer_capitals(number):
    if number == 0:
        return DIGITS[0]
    groups = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    if len(groups) > len(BIG_UNITS):
        raise ValueError("amount too large")
    text = ""
    pending_zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(text)
            continue
        if text and (pending_zero or group < 1000):
            text += DIGITS[0]
        text += _four_digits(group) + BIG_UNITS[index]
        pending_zero = False
    return text


def amount_in_words(amount):
    """``Decimal('1004.50')`` → ``'壹仟零肆元伍角整'``; ``0`` → ``'零元整'``."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "负" if value < 0 else ""
    value = abs(value)
    cents = int(value * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    text = ""
    if yuan:
        text = integer_capitals(yuan) + "元"
    if not jiao and not fen:
        return sign + (text or "零元") + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan:
        text += DIGITS[0]
    if fen:
        text += DIGITS[fen] + "分"
    else:
        text += "整"
    return sign + text
