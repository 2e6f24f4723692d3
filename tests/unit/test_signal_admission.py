"""Pure rules of the webhook: the secret check's constant-time path, freshness and the
session window, and the body's numbers read from their digits."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from shared.signals import secrets as webhook_secrets
from shared.signals.admission import SessionWindow, refusal_reason
from shared.signals.request import decode_body, parse_signal
from shared.validation import FieldValidationError


def test_every_secret_path_compares_two_sha256_digests(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = webhook_secrets.new_webhook_secret()
    stored = webhook_secrets.hash_secret(secret)
    calls: list[tuple[int, int]] = []
    compare_digest = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((len(a), len(b)))
        return compare_digest(a, b)

    monkeypatch.setattr(webhook_secrets.hmac, "compare_digest", spy)
    cases: list[tuple[Any, bytes | None, bool]] = [
        (secret, stored, True),  # right
        (secret + "x", stored, False),  # wrong
        (None, stored, False),  # missing
        ("", stored, False),  # empty
        (secret, None, False),  # unknown strategy
        (None, None, False),  # unknown strategy, no secret
        (123, stored, False),  # not a string
    ]
    for given, hashed, expected in cases:
        assert webhook_secrets.secret_matches(given, hashed) is expected, (given, hashed)
    assert calls == [(32, 32)] * len(cases)


def test_an_empty_secret_never_matches_the_absent_strategy_digest() -> None:
    assert webhook_secrets.hash_secret("") != webhook_secrets._ABSENT_HASH
    assert not webhook_secrets.secret_matches("", None)
    assert webhook_secrets.hash_secret("a") == hashlib.sha256(b"a").digest()


_ALWAYS = SessionWindow(days=None, start=None, end=None, timezone="UTC")


def _reason(moment: datetime, received: datetime, session: SessionWindow = _ALWAYS) -> str | None:
    return refusal_reason(signal_time=moment, received_at=received, max_age_s=60, session=session)


def test_age_and_clock_skew() -> None:
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert _reason(now - timedelta(seconds=60), now) is None
    assert (_reason(now - timedelta(seconds=61), now) or "").startswith("too_old:")
    assert _reason(now + timedelta(seconds=5), now) is None
    assert (_reason(now + timedelta(seconds=6), now) or "").startswith("in_future:")
    no_time = refusal_reason(signal_time=None, received_at=now, max_age_s=1, session=_ALWAYS)
    assert no_time is None


def test_a_window_spanning_midnight_belongs_to_the_day_it_starts() -> None:
    # Fridays 22:00-06:00 in New York (UTC-5 in winter).
    night = SessionWindow(
        days=frozenset({5}), start=time(22), end=time(6), timezone="America/New_York"
    )
    friday_23 = datetime(2026, 1, 9, 23, 0, tzinfo=UTC) + timedelta(hours=5)
    saturday_03 = datetime(2026, 1, 10, 3, 0, tzinfo=UTC) + timedelta(hours=5)
    friday_03 = datetime(2026, 1, 9, 3, 0, tzinfo=UTC) + timedelta(hours=5)
    saturday_23 = datetime(2026, 1, 10, 23, 0, tzinfo=UTC) + timedelta(hours=5)
    friday_12 = datetime(2026, 1, 9, 12, 0, tzinfo=UTC) + timedelta(hours=5)
    assert night.contains(friday_23)
    assert night.contains(saturday_03)
    assert not night.contains(friday_03)  # Thursday's session
    assert not night.contains(saturday_23)
    assert not night.contains(friday_12)
    reason = _reason(friday_12, friday_12, night)
    assert reason is not None
    assert reason.startswith("outside_session:")


def test_a_day_window_is_half_open_in_local_time() -> None:
    market = SessionWindow(
        days=frozenset({1, 2, 3, 4, 5}),
        start=time(9, 30),
        end=time(16),
        timezone="America/New_York",
    )
    # 2026-07-06 is a Monday; New York is UTC-4 in summer.
    assert market.contains(datetime(2026, 7, 6, 13, 30, tzinfo=UTC))  # 09:30 local
    assert not market.contains(datetime(2026, 7, 6, 20, 0, tzinfo=UTC))  # 16:00 local
    assert not market.contains(datetime(2026, 7, 5, 14, 0, tzinfo=UTC))  # Sunday


def _body(**fields: str) -> bytes:
    base = '"signal_id": "a", "symbol": "BTC/USDT", "action": "enter"'
    extra = "".join(f', "{name}": {value}' for name, value in fields.items())
    return ("{" + base + extra + "}").encode()


def test_numbers_reach_decimal_through_their_digits() -> None:
    signal = parse_signal(decode_body(_body(reference_price="0.30000000000000004")))
    assert signal.reference_price == Decimal("0.30000000000000004")
    signal = parse_signal(decode_body(_body(reference_price="1e-8")))
    assert signal.reference_price == Decimal("0.00000001")
    assert parse_signal(decode_body(_body(reference_price="64000"))).reference_price == 64000


def test_times_in_every_spelling_fingerprint_alike() -> None:
    spellings = [
        '"2026-01-02T15:04:05.250Z"',
        '"2026-01-02T16:04:05.250+01:00"',
        "1767366245250",
        "1767366245.25",
    ]
    fingerprints = {
        parse_signal(decode_body(_body(time=value))).fingerprint() for value in spellings
    }
    assert len(fingerprints) == 1
    assert parse_signal(decode_body(_body(time='"1767366245"'))).signal_time == datetime(
        2026, 1, 2, 15, 4, 5, tzinfo=UTC
    )


@pytest.mark.parametrize("value", ["1e999999", "-1", '"0"', "1e-30"])
def test_prices_out_of_range_are_refused(value: str) -> None:
    with pytest.raises(FieldValidationError) as refused:
        parse_signal(decode_body(_body(reference_price=value)))
    assert refused.value.field == "reference_price"


@pytest.mark.parametrize(
    "value", ["1e999999", "-1", '"0000-01-01T00:00:00+01:00"', "99999999999999999999"]
)
def test_times_out_of_range_are_refused(value: str) -> None:
    with pytest.raises(FieldValidationError) as refused:
        parse_signal(decode_body(_body(time=value)))
    assert refused.value.field == "time"
