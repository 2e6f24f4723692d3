"""The webhook's body, parsed by hand: charting tools send numbers where this API
otherwise wants decimal strings, and those numbers must reach `Decimal` through their
text, never through a float.

The body is decoded with `float_hook=Decimal` (a JSON number's own digits), so
`"reference_price": 64123.45` is exactly 64123.45. A shape error (not an object, an
unknown or missing field, a wrong JSON type, a pattern) raises `MalformedSignal` (400);
a value out of range raises `FieldValidationError` (422). Both name the field.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec

from shared.domain import SignalAction
from shared.errors import ValidationError
from shared.orders.intents import canonical_json
from shared.validation import (
    FieldValidationError,
    decimal_text,
    is_symbol,
    parse_decimal,
)

SIGNAL_ID_BODY = r"[\x21-\x7E]{1,128}"
_SIGNAL_ID_RE = re.compile(SIGNAL_ID_BODY)
_UNIX_DIGITS = re.compile(r"[0-9]{1,16}")
# Unix times at or above this are milliseconds (as seconds it is the year 5138).
_MILLISECONDS_FROM = 100_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Powers of ten beyond any price or time we could take (the digit rules refuse the rest).
_MAX_MAGNITUDE = 40
SIGNAL_FIELDS = ("secret", "signal_id", "symbol", "action", "reference_price", "time")

_decoder = msgspec.json.Decoder(float_hook=Decimal)


class MalformedSignal(ValidationError):
    """The body's shape is wrong (400); `field` names where."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SignalRequest:
    """A signal as the sender means it (the secret is not part of it)."""

    signal_id: str
    symbol: str
    action: SignalAction
    reference_price: Decimal | None
    signal_time: datetime | None

    def canonical(self) -> dict[str, Any]:
        return {
            "signal_id": self.signal_id,
            "symbol": self.symbol,
            "action": self.action.value,
            "reference_price": (
                decimal_text(self.reference_price) if self.reference_price is not None else None
            ),
            "time": self.signal_time.astimezone(UTC).isoformat() if self.signal_time else None,
        }

    def fingerprint(self) -> bytes:
        """SHA-256 of the canonical signal: a retry with the same content, however
        spelled (64000 or "64000.0", unix seconds or ISO), is the same signal."""
        return hashlib.sha256(canonical_json(self.canonical())).digest()


def decode_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, numbers that are not integers as `Decimal`."""
    try:
        value = _decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise MalformedSignal("body", f"not valid JSON ({exc})") from None
    except RecursionError:  # raised by the decoder itself: this body, never a bug elsewhere
        raise MalformedSignal("body", "JSON nested too deep") from None
    if not isinstance(value, dict):
        raise MalformedSignal("body", "a JSON object body is required")
    return value


def body_secret(body: dict[str, Any]) -> str | None:
    secret = body.get("secret")
    return secret if isinstance(secret, str) else None


def parse_signal(body: dict[str, Any]) -> SignalRequest:
    for name in body:
        if name not in SIGNAL_FIELDS:
            raise MalformedSignal(name, "unknown field")
    return SignalRequest(
        signal_id=_signal_id(body.get("signal_id")),
        symbol=_symbol(body.get("symbol")),
        action=_action(body.get("action")),
        reference_price=_reference_price(body.get("reference_price")),
        signal_time=_signal_time(body.get("time")),
    )


def _required_string(value: object, field: str) -> str:
    if value is None:
        raise MalformedSignal(field, "is required")
    if not isinstance(value, str):
        raise MalformedSignal(field, "must be a string")
    return value


def _signal_id(value: object) -> str:
    text = _required_string(value, "signal_id")
    if not _SIGNAL_ID_RE.fullmatch(text):
        raise MalformedSignal(
            "signal_id", "must be 1-128 printable ASCII characters without spaces"
        )
    return text


def _symbol(value: object) -> str:
    text = _required_string(value, "symbol")
    if not is_symbol(text):
        raise MalformedSignal(
            "symbol", "must be BASE/QUOTE in capitals, e.g. BTC/USDT (BTCUSDT is ambiguous)"
        )
    return text


def _action(value: object) -> SignalAction:
    text = _required_string(value, "action")
    try:
        return SignalAction(text)
    except ValueError:
        raise MalformedSignal("action", "must be enter or exit") from None


def _reference_price(value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise MalformedSignal("reference_price", "must be a number or a decimal string")
    if isinstance(value, str):
        return parse_decimal(value, "reference_price")
    if value < 0:
        raise FieldValidationError("reference_price", "must be greater than 0")
    if _out_of_range(value):
        raise FieldValidationError("reference_price", "is out of range")
    # A JSON number's own digits, re-spelled without exponent, then held to the rules
    # every decimal of this API keeps (significant and fraction digits, not zero).
    return parse_decimal(decimal_text(Decimal(value)), "reference_price")


def _out_of_range(number: int | Decimal) -> bool:
    """A JSON number whose exponent alone is absurd (1e999999): refused before any
    arithmetic spells its digits out."""
    if isinstance(number, int):  # Python's int-to-decimal conversion is slow past ~4k digits
        return number.bit_length() > _MAX_MAGNITUDE * 4
    return abs(number.adjusted()) > _MAX_MAGNITUDE


def _signal_time(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise MalformedSignal(
            "time", "must be an ISO 8601 time with offset or unix seconds/milliseconds"
        )
    if isinstance(value, str) and not _UNIX_DIGITS.fullmatch(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise FieldValidationError(
                "time", "is not an ISO 8601 time (e.g. 2026-01-02T15:04:05Z)"
            ) from None
        if moment.tzinfo is None:
            raise FieldValidationError("time", "needs an offset (Z or +hh:mm)")
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise FieldValidationError("time", "is out of range") from None
    if not isinstance(value, str) and _out_of_range(value):
        raise FieldValidationError("time", "is out of range")
    number = Decimal(value)
    if number < 0:
        raise FieldValidationError("time", "must not be negative")
    per_unit = 1_000 if number >= _MILLISECONDS_FROM else 1_000_000
    try:
        # Exact arithmetic to the microsecond: no float between the digits and the time.
        microseconds = int((number * per_unit).to_integral_value())
        return _EPOCH + timedelta(microseconds=microseconds)
    except (OverflowError, ArithmeticError):
        raise FieldValidationError("time", "is out of range") from None
