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
