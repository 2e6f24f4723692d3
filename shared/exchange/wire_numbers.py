"""Numbers and times as venues write them, read once for every connector.

Venues send decimals as strings or JSON numbers and times as epoch milliseconds (some
as seconds); an empty string means "none". Money is never a float here: a JSON number is
read through its text, and a decimal goes back out in plain notation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

ZERO = Decimal(0)
# Epoch values above this are milliseconds (1973-03-03 in ms); below, seconds.
_MILLISECONDS_FROM = 10**11


class UnreadableNumberError(ValueError):
    """A venue answer carried something that is not a number where one belongs."""


def dec(value: Any) -> Decimal | None:
    """The decimal a venue wrote, None for a missing, empty or non-finite one."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise UnreadableNumberError(f"not a number: {value!r}") from None
    return result if result.is_finite() else None


def dec0(value: Any) -> Decimal:
    return dec(value) or ZERO


def from_epoch(value: Any) -> datetime | None:
    """An epoch timestamp in milliseconds (or seconds, which some answers use)."""
    number = dec(value)
    if number is None or number <= 0:
        return None
    seconds = number / 1000 if number > _MILLISECONDS_FROM else number
    return datetime.fromtimestamp(float(seconds), UTC)


def plain(value: Decimal) -> str:
    """A decimal as venues read it: plain notation, never an exponent ("1E-5")."""
    return format(value.normalize(), "f")
