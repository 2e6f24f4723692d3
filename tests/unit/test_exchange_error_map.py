"""Every ccxt exception class maps to transient / permanent / ambiguous, by decision."""

from __future__ import annotations

import inspect

import ccxt
import pytest
from ccxt.base import errors as ccxt_errors

from shared.domain import CallOutcome
from shared.exchange.errors import (
    CCXT_RULES,
    AmbiguousExchangeError,
    OrderNotFoundError,
    PermanentExchangeError,
    RateLimitedError,
    TransientExchangeError,
    classify_ccxt_error,
)

T, P, A = CallOutcome.TRANSIENT, CallOutcome.PERMANENT, CallOutcome.AMBIGUOUS

ALL_CCXT_ERRORS = [
    klass
    for _, klass in inspect.getmembers(ccxt_errors, inspect.isclass)
    if issubclass(klass, ccxt_errors.BaseError)
]

# (class, outcome on a read, outcome on a send, counts against the venue's breaker)
EXPECTED = [
    (ccxt.AuthenticationError, P, P, False),
    (ccxt.PermissionDenied, P, P, False),
    (ccxt.AccountSuspended, P, P, False),
    (ccxt.InsufficientFunds, P, P, False),
    (ccxt.InvalidOrder, P, P, False),
    (ccxt.BadSymbol, P, P, False),
    (ccxt.BadRequest, P, P, False),
    (ccxt.OrderNotFound, P, P, False),
    (ccxt.DuplicateOrderId, P, A, False),
    (ccxt.NotSupported, P, P, False),
    (ccxt.ExchangeError, T, A, False),
    (ccxt.NetworkError, T, A, True),
    (ccxt.RequestTimeout, T, A, True),
    (ccxt.ExchangeNotAvailable, T, A, True),
    (ccxt.BadResponse, T, A, True),
    (ccxt.OnMaintenance, T, T, True),
    (ccxt.RateLimitExceeded, T, T, True),
    (ccxt.DDoSProtection, T, T, True),
    (ccxt.InvalidNonce, T, T, False),
]


def test_every_ccxt_error_class_has_an_explicit_rule() -> None:
    assert len(ALL_CCXT_ERRORS) > 30
    missing = [klass.__name__ for klass in ALL_CCXT_ERRORS if klass not in CCXT_RULES]
    assert not missing, f"decide how these ccxt errors map: {missing}"


@pytest.mark.parametrize("klass", ALL_CCXT_ERRORS, ids=lambda k: k.__name__)
def test_every_class_classifies_to_one_of_three_outcomes(klass: type[ccxt.BaseError]) -> None:
    for sends_order in (False, True):
        error = classify_ccxt_error(klass("binance boom"), sends_order=sends_order)
        assert isinstance(
            error, TransientExchangeError | PermanentExchangeError | AmbiguousExchangeError
        )
        assert error.outcome in (T, P, A)
        assert error.error_class == klass.__name__


@pytest.mark.parametrize(("klass", "on_read", "on_send", "venue_wide"), EXPECTED)
def test_outcomes(
    klass: type[ccxt.BaseError], on_read: CallOutcome, on_send: CallOutcome, venue_wide: bool
) -> None:
    read = classify_ccxt_error(klass("x"), sends_order=False)
    send = classify_ccxt_error(klass("x"), sends_order=True)
    assert (read.outcome, send.outcome, read.venue_wide) == (on_read, on_send, venue_wide)


def test_special_classes_and_venue_codes() -> None:
    not_found = classify_ccxt_error(
        ccxt.OrderNotFound('binance {"code":-2013,"msg":"Order does not exist."}'),
        sends_order=False,
    )
    assert isinstance(not_found, OrderNotFoundError)
    assert not_found.venue_code == "-2013"
    limited = classify_ccxt_error(ccxt.RateLimitExceeded("429"), sends_order=True, retry_after_s=7)
    assert isinstance(limited, RateLimitedError)
    assert limited.retry_after_s == 7
    funds = classify_ccxt_error(
        ccxt.InsufficientFunds(
            'binance {"code":-2010,"msg":"Account has insufficient balance for requested action."}'
        ),
        sends_order=True,
    )
    assert (funds.reason, funds.venue_code) == ("insufficient_funds", "-2010")


def test_messages_are_redacted_and_bounded() -> None:
    error = classify_ccxt_error(
        ccxt.ExchangeNotAvailable(
            "binance POST https://api.binance.com/api/v3/order?timestamp=1&signature=deadbeefcafe0123 503 "
            + "x" * 2000
        ),
        sends_order=True,
    )
    assert "deadbeefcafe0123" not in str(error)
    assert len(str(error)) <= 500


def test_binance_duplicate_open_client_id_is_ambiguous_on_send_only() -> None:
    exc = ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}')
    assert isinstance(
        classify_ccxt_error(exc, sends_order=True, venue="binance"), AmbiguousExchangeError
    )
    assert classify_ccxt_error(exc, sends_order=False, venue="binance").outcome is P
    # Other venues' texts are not read with Binance's dictionary.
    assert classify_ccxt_error(exc, sends_order=True, venue="okx").outcome is P


def test_binance_bad_key_is_permanent_and_not_venue_wide_whatever_ccxt_raises() -> None:
    text = 'binance {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}'
    for klass in (ccxt.AuthenticationError, ccxt.DDoSProtection):
        error = classify_ccxt_error(klass(text), sends_order=True, venue="binance")
        assert (error.outcome, error.reason, error.venue_wide) == (P, "auth", False)


# ccxt raises DDoSProtection for both statuses; only the status tells them apart.
WEBSOCKET_429 = (
    'binance 429 Too Many Requests {"code":-1003,"msg":"Too many requests; current limit of '
    "IP(10.0.0.1) is 6000 requests per minute. Please use WebSocket Streams for live updates "
    'to avoid polling the API."}'
)
WEBSOCKET_418 = (
    'binance 418 I\'m a teapot {"code":-1003,"msg":"Way too many requests; IP(10.0.0.1) '
    'banned until 1767225600000. Please use WebSocket Streams for live updates to avoid bans."}'
)


@pytest.mark.parametrize("klass", [ccxt.DDoSProtection, ccxt.RateLimitExceeded])
@pytest.mark.parametrize(
    ("status", "text", "reason"),
    [
        (429, WEBSOCKET_429, "rate_limited"),
        (429, WEBSOCKET_418, "rate_limited"),  # whatever the text says
        (418, WEBSOCKET_418, "ip_banned"),
        (418, WEBSOCKET_429, "ip_banned"),
    ],
)
def test_429_is_rate_limited_and_418_ip_banned_by_http_status(
    klass: type[ccxt.BaseError], status: int, text: str, reason: str
) -> None:
    for sends_order in (False, True):
        error = classify_ccxt_error(
            klass(text), sends_order=sends_order, venue="binance", http_status=status,
            retry_after_s=12,
        )  # fmt: skip
        assert isinstance(error, RateLimitedError)
        assert (error.reason, error.outcome, error.venue_wide) == (reason, T, True)
        assert (error.retry_after_s, error.venue_code) == (12, "-1003")
        assert error.error_class == klass.__name__


def test_the_venue_code_comes_from_the_calls_own_body_not_another() -> None:
    # ccxt matched the text and dropped the code from its message: the body supplies it.
    duplicate = classify_ccxt_error(
        ccxt.InvalidOrder("binance Duplicate order sent."),
        sends_order=True,
        venue="binance",
        venue_code="-2010",
    )
    assert (duplicate.reason, duplicate.venue_code) == ("duplicate_client_order_id", "-2010")
    # No answer at all: no code, whatever another call on the client got meanwhile.
    timeout = classify_ccxt_error(
        ccxt.RequestTimeout("binance POST http://127.0.0.1/api/v3/order"), sends_order=True
    )
    assert (timeout.reason, timeout.venue_code, timeout.retry_after_s) == ("timeout", None, None)
