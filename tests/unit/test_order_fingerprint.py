"""Canonical JSON and the request fingerprint of an order intent (no I/O)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from shared.domain import OrderSide, OrderType, TimeInForce
from shared.orders.intents import (
    OrderIntent,
    canonical_json,
    is_valid_idempotency_key,
    normalize_intent,
    request_fingerprint,
)
from shared.validation import FieldValidationError

CREDENTIAL = uuid.UUID("0b0e4c1e-6a2f-4f7e-9a57-1c0de0000001")


def intent(**overrides: object) -> OrderIntent:
    values: dict[str, object] = {
        "credential_id": CREDENTIAL,
        "symbol": "BTC/USDT",
        "side": OrderSide.BUY,
        "type": OrderType.LIMIT,
        "amount": Decimal("0.01"),
        "price": Decimal("50000"),
    }
    values.update(overrides)
    return OrderIntent(**values)  # type: ignore[arg-type]


def test_canonical_json_sorts_keys_and_drops_whitespace() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'.encode()
    assert canonical_json({"a": 1, "b": 2}) == canonical_json({"b": 2, "a": 1})
    with pytest.raises(ValueError, match="Out of range float"):
        canonical_json({"a": float("nan")})


def test_equivalent_spellings_share_a_fingerprint() -> None:
    plain = request_fingerprint(intent())
    assert len(plain) == 32
    assert request_fingerprint(intent(amount=Decimal("0.0100"))) == plain
    assert request_fingerprint(intent(price=Decimal("5E+4"))) == plain
    assert request_fingerprint(intent(time_in_force=TimeInForce.GTC)) == plain  # the default


@pytest.mark.parametrize(
    "change",
    [
        {"amount": Decimal("0.02")},
        {"price": Decimal("50000.01")},
        {"side": OrderSide.SELL},
        {"symbol": "ETH/USDT"},
        {"time_in_force": TimeInForce.IOC},
        {"credential_id": uuid.UUID(int=1)},
    ],
)
def test_any_real_change_changes_the_fingerprint(change: dict[str, object]) -> None:
    assert request_fingerprint(intent(**change)) != request_fingerprint(intent())


def test_normalisation_rules() -> None:
    market = normalize_intent(intent(type=OrderType.MARKET, price=None))
    assert (market.price, market.time_in_force) == (None, None)
    assert normalize_intent(intent()).time_in_force is TimeInForce.GTC
    assert str(normalize_intent(intent(amount=Decimal("1E+2"))).amount) == "100"
    for bad, field in [
        (intent(price=None), "price"),
        (intent(type=OrderType.MARKET), "price"),
        (intent(type=OrderType.MARKET, price=None, time_in_force=TimeInForce.FOK), "time_in_force"),
        (intent(amount=Decimal(0)), "amount"),
        (intent(symbol="BTCUSDT"), "symbol"),
    ]:
        with pytest.raises(FieldValidationError) as excinfo:
            normalize_intent(bad)
        assert excinfo.value.field == field


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("a", True),
        ("x" * 255, True),
        ("order 42/retry:1", True),
        (None, False),
        ("", False),
        ("x" * 256, False),
        ("tab\there", False),
        ("café", False),
    ],
)
def test_idempotency_key_rules(key: str | None, valid: bool) -> None:
    assert is_valid_idempotency_key(key) is valid
