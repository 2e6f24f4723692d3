"""Input rules shared by the web and the worker: decimals on the wire, text the database
can store, patterns that match whole strings, and errors that name the field.

Money travels as JSON *strings* ("0.015"): a JSON float has already lost precision by the
time it is parsed, so floats, NaN, infinities, exponents and signs are refused outright.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from shared.errors import ValidationError


def whole_string(body: str) -> str:
    """A pattern (for msgspec `Meta(pattern=…)` and the OpenAPI document) that matches the
    whole string and nothing more.

    msgspec validates with `re.search`, where `$` also matches before a final newline
    ("BTC/USDT\\n" passed `^…$`); `(?!\\n)` after `$` closes that gap. `\\Z` would too, but
    the pattern is also published in OpenAPI, whose clients read it as ECMA-262, where
    `\\Z` is not an anchor; `$(?!\\n)` means "end of string" in both dialects.
    """
    return rf"^(?:{body})$(?!\n)"


# What the arithmetic carries exactly. The NUMERIC columns have no declared precision
# (they store any number of digits), but every computation on a value in Python - the
# idempotency fingerprint, the worker's rounding to the market's precision, ccxt - runs
# in the default decimal context of 28 significant digits: a longer value would be
# rounded without a word, and 10^28 or more cannot even be normalized.
MAX_SIGNIFICANT_DIGITS = 28
MAX_FRACTION_DIGITS = 18
# The wire form only; the range above is checked on the number (422 naming the field).
_DECIMAL_BODY = r"[0-9]+(\.[0-9]+)?"
DECIMAL_PATTERN = whole_string(_DECIMAL_BODY)
DECIMAL_DESCRIPTION = (
    f'A non-negative decimal as a JSON string, e.g. "0.015" (no sign or exponent). Range: '
    f"at most {MAX_SIGNIFICANT_DIGITS} significant digits, at most {MAX_FRACTION_DIGITS} of "
    f"them after the point (trailing zeros do not count), so less than "
    f"10^{MAX_SIGNIFICANT_DIGITS}; a value outside it is refused (422), never rounded."
)
_DECIMAL_RE = re.compile(_DECIMAL_BODY)

# BASE/QUOTE in capitals (mirrors the CHECK on bots.symbol and orders.symbol).
SYMBOL_BODY = r"[A-Z0-9]{1,20}/[A-Z0-9]{1,20}"
SYMBOL_PATTERN = whole_string(SYMBOL_BODY)
_SYMBOL_RE = re.compile(SYMBOL_BODY)

# Postgres cannot store NUL in `text` or `jsonb`.
UNSTORABLE_CHARACTER = "\x00"


class FieldValidationError(ValidationError):
    """A value that cannot be accepted; `field` is its dotted path ("config.levels")."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def is_symbol(text: str) -> bool:
    return _SYMBOL_RE.fullmatch(text) is not None


def is_storable_text(text: str) -> bool:
    return UNSTORABLE_CHARACTER not in text


def decimal_text(value: Decimal) -> str:
    """How the API spells a number: normalized, in plain notation ("0.00000001", not
    Python's "1E-8"), so responses keep the no-exponent rule requests are held to."""
    return format(normalize_decimal(value), "f")


def optional_decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


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
    if not _DECIMAL_RE.fullmatch(value):
        raise FieldValidationError(
            field,
            'must be a non-negative decimal string such as "0.015" (no sign or exponent)',
        )
    try:
        number = Decimal(value)  # exact: a string converts without the context's rounding
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise FieldValidationError(field, "is not a decimal number") from None
    # Measured exactly on the digits as written, before anything rounds: a value that
    # does not fit the default context is refused, not rounded.
    significant, fraction = _extent(number)
    if significant > MAX_SIGNIFICANT_DIGITS:
        raise FieldValidationError(
            field,
            f"has more than {MAX_SIGNIFICANT_DIGITS} significant digits (values must be "
            f"less than 10^{MAX_SIGNIFICANT_DIGITS}); it would be rounded",
        )
    if fraction > MAX_FRACTION_DIGITS:
        raise FieldValidationError(
            field, f"has more than {MAX_FRACTION_DIGITS} digits after the point"
        )
    if number == 0 and not allow_zero:
        raise FieldValidationError(field, "must be greater than 0")
    return normalize_decimal(number)


def _extent(number: Decimal) -> tuple[int, int]:
    """(significant digits, digits after the point) of `number` as `normalize_decimal`
    spells it ("100": 3 and 0, "0.0150": 2 and 3), computed on the exact digits without
    a context, so nothing is rounded before it is measured."""
    if number.is_zero():
        return 1, 0
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # a finite number: the pattern admits nothing else
    significant = list(digits)
    while exponent < 0 and len(significant) > 1 and significant[-1] == 0:
        significant.pop()
        exponent += 1
    if exponent >= 0:  # an integer: its zeros are written out
        return len(significant) + exponent, 0
    return max(len(significant), 1), -exponent


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
