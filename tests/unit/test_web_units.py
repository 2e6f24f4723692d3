"""Web helpers without I/O: cursors, the rate limiter, error field names, URL rules."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from shared.credentials import check_api_base_url, masked_hint, url_origin
from shared.domain import CredentialEnvironment
from shared.orders.intents import is_valid_idempotency_key
from shared.validation import (
    DECIMAL_PATTERN,
    SYMBOL_PATTERN,
    FieldValidationError,
    is_symbol,
    normalize_decimal,
    parse_decimal,
)
from web.errors import ApiError, _field_errors
from web.pagination import decode_cursor, encode_cursor
from web.rate_limit import RateLimiter
from web.untrusted_input import MAX_JSON_DEPTH, check_json_body


def test_cursor_round_trip_is_opaque_and_exact() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=2)))
    order_id = uuid.uuid4()
    cursor = encode_cursor(moment, order_id)
    assert str(order_id) not in cursor
    assert "=" not in cursor
    assert decode_cursor(cursor, uuid.UUID) == (moment, order_id)
    assert decode_cursor(encode_cursor(moment, 42), int) == (moment.astimezone(UTC), 42)


@pytest.mark.parametrize(
    "cursor",
    ["", "not-a-cursor", "W10", encode_cursor(datetime.now(UTC), 7) + "x", "WyJ4IiwieSJd"],
)
def test_bad_cursors_are_400_naming_the_cursor(cursor: str) -> None:
    with pytest.raises(ApiError) as excinfo:
        decode_cursor(cursor, uuid.UUID)
    assert excinfo.value.status_code == 400
    assert excinfo.value.details is not None
    assert excinfo.value.details[0].field == "cursor"


def test_token_bucket_refills_and_says_when() -> None:
    now = [1000.0]
    limiter = RateLimiter(per_minute=3, clock=lambda: now[0])
    assert [limiter.acquire("a") for _ in range(3)] == [None, None, None]
    assert limiter.acquire("a") == 20  # one token per 20 s
    assert limiter.acquire("b") is None  # keyed by client
    now[0] += 20
    assert limiter.acquire("a") is None
    assert limiter.acquire("a") == 20
    assert RateLimiter(per_minute=0).acquire("a") is None  # 0 disables


def test_validation_errors_name_the_field() -> None:
    extra = [
        {"message": "Object contains unknown field `client_id`", "key": "data", "source": "body"},
        {"message": "Object missing required field `x`", "key": "inner", "source": "body"},
        {"message": "Expected `str`, got `float`", "key": "amount", "source": "body"},
        {"message": "Expected `int`, got `str`", "key": "limit", "source": "query"},
    ]
    assert [error.field for error in _field_errors(extra)] == [
        "client_id",
        "inner.x",
        "amount",
        "limit",
    ]


def test_decimal_wire_rules() -> None:
    assert parse_decimal("0.0150", "amount") == Decimal("0.015")
    assert str(normalize_decimal(Decimal("1E+3"))) == "1000"
    for value in (0.1, 1, "1e3", "-1", "NaN", "Infinity", " 1", "1.", None, True):
        with pytest.raises(FieldValidationError) as excinfo:
            parse_decimal(value, "amount")
        assert excinfo.value.field == "amount"
    with pytest.raises(FieldValidationError, match="greater than 0"):
        parse_decimal("0", "amount")
    assert parse_decimal("0", "fee", allow_zero=True) == 0


def test_api_base_url_allow_list() -> None:
    allowed = ["https://api.example.com", "https://eu.example.com:8443/"]
    live = CredentialEnvironment.LIVE
    assert url_origin("HTTPS://API.Example.com:443/v3") == "https://api.example.com"
    assert check_api_base_url("https://api.example.com/v3/", environment=live, allowed=allowed) == (
        "https://api.example.com/v3"
    )
    assert check_api_base_url(None, environment=live, allowed=[]) is None
    for url in (
        "http://api.example.com",
        "https://api.example.com:444",
        "https://api.example.com.evil.test",
        "https://user:pw@api.example.com",
        "https://api.example.com/?x=1",
        "https://10.0.0.1",
        "file:///etc/passwd",
        "https://api.example.com:notaport",
    ):
        with pytest.raises(FieldValidationError):
            check_api_base_url(url, environment=live, allowed=allowed)
    with pytest.raises(FieldValidationError, match="paper"):
        check_api_base_url(
            "https://api.example.com", environment=CredentialEnvironment.PAPER, allowed=allowed
        )
    with pytest.raises(FieldValidationError):  # nothing is allowed by default
        check_api_base_url("https://api.example.com", environment=live, allowed=())


def test_masked_hint_shows_four_characters_at_most() -> None:
    assert masked_hint("abcdefghijklmnopWXYZ") == "\u2022\u2022\u2022\u2022WXYZ"
    assert masked_hint("short") == "\u2022\u2022\u2022\u2022"


def test_the_web_never_loads_exchange_or_worker_code() -> None:
    probe = (
        "import sys, web.app; "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('worker', 'ccxt') or m.startswith('shared.exchange')))"
    )
    result = subprocess.run(  # a fresh interpreter: nothing imported by other tests
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_patterns_match_whole_strings_only() -> None:
    """Python's `$` also matches before a final newline; no pattern of ours may."""
    assert is_valid_idempotency_key("order-1")
    assert not is_valid_idempotency_key("order-1\n")
    assert is_symbol("BTC/USDT")
    assert not is_symbol("BTC/USDT\n")
    for pattern, good in ((SYMBOL_PATTERN, "BTC/USDT"), (DECIMAL_PATTERN, "0.015")):
        assert re.search(pattern, good)  # msgspec searches with the published pattern
        assert not re.search(pattern, good + "\n")
        assert not re.search(pattern, "\n" + good)
    with pytest.raises(FieldValidationError):
        parse_decimal("1\n", "amount")


def test_decimals_beyond_the_default_context_are_refused_not_rounded() -> None:
    exact = "1234567890.123456789012345678"  # 28 significant digits
    assert str(parse_decimal(exact, "amount")) == exact
    assert parse_decimal("9" * 28, "amount") == Decimal("9" * 28)
    assert parse_decimal("1.0000000000000000000000", "amount") == 1  # trailing zeros
    assert str(parse_decimal("0" * 40 + "1" + "0" * 27, "amount")) == "1" + "0" * 27
    assert parse_decimal("0." + "0" * 30, "fee", allow_zero=True) == 0
    for value in (
        "1" + "0" * 28,
        "1" + "0" * 100,  # beyond any context: must be measured before normalizing
        "12345678901.123456789012345678",
        "0." + "0" * 18 + "1",
        "1." + "1" * 500,
        "0.1" + "0" * 100 + "1",  # a wide context would round this to 0.1
    ):
        with pytest.raises(FieldValidationError) as excinfo:
            parse_decimal(value, "price")
        assert excinfo.value.field == "price"


def test_forged_cursor_ids_are_refused() -> None:
    moment = '"2026-01-01T00:00:00+00:00"'
    for id_type, payload in (
        (int, f'[{moment}, "{2**63}"]'),
        (int, f'[{moment}, "0"]'),
        (int, f'[{moment}, "1e999"]'),
        (int, f"[{moment}, 1e999]"),
        (uuid.UUID, f'[{moment}, "{uuid.uuid4().hex}"]'),  # not the spelling we write
        (uuid.UUID, "[" * 5000 + "]" * 5000),
    ):
        cursor = base64.urlsafe_b64encode(payload.encode()).decode()
        with pytest.raises(ApiError):
            decode_cursor(cursor, id_type)
    largest = encode_cursor(datetime.now(UTC), 2**63 - 1)
    assert decode_cursor(largest, int)[1] == 2**63 - 1


def _nested(depth: int) -> object:
    """`depth` containers, alternately objects and arrays, around a string."""
    value: object = "leaf"
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return value


def test_json_bodies_are_limited_in_depth_and_refuse_nul() -> None:
    check_json_body(_nested(MAX_JSON_DEPTH))
    check_json_body({"reason": "line one\nline two", "config": {"levels": 2}})
    with pytest.raises(ApiError) as too_deep:
        check_json_body(_nested(MAX_JSON_DEPTH + 1))
    assert too_deep.value.status_code == 400
    for body, field in (
        ({"name": "a\x00b"}, "name"),
        ({"config": {"side\x00": "x"}}, "config.side\\u0000"),
        ({"items": ["ok", "\x00"]}, "items.1"),
        ("\x00", "body"),
    ):
        with pytest.raises(ApiError) as refused:
            check_json_body(body)
        assert refused.value.status_code == 400
        assert refused.value.details is not None
        assert refused.value.details[0].field == field
