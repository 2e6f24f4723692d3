"""Input rules shared by the web and the worker: decimals on the wire, and errors that
name the field they are about.

Money travels as JSON *strings* ("0.015"): a JSON float has already lost precision by the
time it is parsed, so floats, NaN, infinities, exponents and signs are refused outright.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from shared.errors import ValidationError

# Up to 30 integer and 18 fractional digits, no sign, no exponent: what NUMERIC stores exactly.
DECIMAL_PATTERN = r"^[0-9]{1,30}(\.[0-9]{1,18})?$"
_DECIMAL_RE = re.compile(DECIMAL_PATTERN)


class FieldValidationError(ValidationError):
    """A value that cannot be accepted; `field` is its dotted path ("config.levels")."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def normalize_decimal(value: Decimal) -> Decimal:
    """One spelling per number ("0.0150" -> "0.015", "1E+2" -> "100"), never an exponent."""
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        normalized = normalized.quantize(Decimal(1))
    return normalized


def parse_decimal(value: object, field: str, *, allow_zero: bool = False) -> Decimal:
    """A decimal JSON string, checked and normalized; anything else names `field`."""
    if not isinstance(value, str):
        raise FieldValidationError(
            field, f'must be a decimal string such as "0.015", not {_json_type(value)}'
        )
    if not _DECIMAL_RE.match(value):
        raise FieldValidationError(
            field, 'must be a non-negative decimal string such as "0.015" (no sign or exponent)'
        )
    try:
        number = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise FieldValidationError(field, "is not a decimal number") from None
    if number == 0 and not allow_zero:
        raise FieldValidationError(field, "must be greater than 0")
    return normalize_decimal(number)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a JSON number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
