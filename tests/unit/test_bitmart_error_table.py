"""Every BitMart code in the table is reached by the connector's classifier, with the
table's answer for a read and for a send; and the codes BitMart documents are all there."""

from __future__ import annotations

import functools
import json
from typing import Any

import httpx
import pytest

from shared.domain import CallOutcome
from shared.exchange.bitmart import BitMart
from shared.exchange.bitmart_errors import BITMART_RULES
from shared.exchange.breaker import BreakerRegistry
from shared.exchange.errors import (
    ExchangeCallError,
    OrderNotFoundError,
    RateLimitedError,
)
from shared.exchange.native import VenueAnswer

T, P, A = CallOutcome.TRANSIENT, CallOutcome.PERMANENT, CallOutcome.AMBIGUOUS

# BitMart's "Error Code" list for the spot API, authentication and funding account.
DOCUMENTED = [
    *(30000, *range(30001, 30009), *range(30010, 30015), *range(30016, 30020)),
    *(*range(50000, 50043), *range(51000, 51016), *range(52000, 52005)),
    *(53000, 53001, 53002, 53003, *range(53005, 53011), 57001, 58001, *range(59001, 59012)),
    *(*range(60000, 60013), 60020, 60021, 60022, *range(60026, 60032), 60050, 60051),
    *(61001, *range(61003, 61009), *range(70000, 70004), *range(71001, 71006)),
]


@functools.cache
def adapter() -> BitMart:
    """One adapter for the module (building an httpx client is slow); unwrap is pure."""
    return BitMart(
        httpx.AsyncClient(), base_url="https://api-cloud.bitmart.com", credential=None,
        breaker=BreakerRegistry().for_venue("bitmart", "api-cloud.bitmart.com"), budgets=None,
    )  # fmt: skip


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> VenueAnswer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return VenueAnswer(status, httpx.Headers(headers or {}), raw)


def refusal(code: int, status: int = 400) -> VenueAnswer:
    return answer(status, {"code": code, "message": "m", "trace": "t", "data": {}})


def raised(venue_answer: VenueAnswer, *, sends_order: bool) -> ExchangeCallError:
    with pytest.raises(ExchangeCallError) as excinfo:
        adapter().unwrap(venue_answer, operation="op", sends_order=sends_order)
    return excinfo.value


def test_every_documented_code_has_a_rule() -> None:
    missing = sorted(set(DOCUMENTED) - set(BITMART_RULES))
    assert not missing, f"decide how these BitMart codes map: {missing}"
    assert sorted(BITMART_RULES) == sorted(DOCUMENTED)  # and nothing undocumented


@pytest.mark.parametrize("code", sorted(BITMART_RULES))
def test_each_code_is_reached_with_its_rule(code: int) -> None:
    rule = BITMART_RULES[code]
    for sends_order, expected in ((False, rule.on_read), (True, rule.on_send)):
        error = raised(refusal(code), sends_order=sends_order)
        assert error.outcome is expected
        assert (error.reason, error.venue_code, error.venue_wide) == (
            rule.reason, str(code), rule.venue_wide,
        )  # fmt: skip
        assert error.error_class == f"BitMart:{rule.reason}"


@pytest.mark.parametrize(
    ("code", "read", "send", "reason"),
    [
        (30005, P, P, "auth"),  # wrong signature: the key's problem, never retried
        (30007, T, T, "clock_skew"),  # refused on its timestamp: not executed
        (50020, P, P, "insufficient_funds"),
        (50042, P, A, "duplicate_client_order_id"),  # probably our own earlier attempt
        (50005, P, P, "order_not_found"),
        (59002, T, A, "venue_unavailable"),  # a 500 inside BitMart: a send may have run
    ],
)
def test_decisions_that_the_pipeline_depends_on(
    code: int, read: CallOutcome, send: CallOutcome, reason: str
) -> None:
    assert raised(refusal(code), sends_order=False).outcome is read
    on_send = raised(refusal(code), sends_order=True)
    assert (on_send.outcome, on_send.reason) == (send, reason)


def test_not_found_codes_are_order_not_found_errors() -> None:
    for code in (50005, 50030, 50031, 50032, 50036):
        assert isinstance(raised(refusal(code), sends_order=False), OrderNotFoundError)


def test_an_unknown_code_means_look_before_any_resend() -> None:
    assert raised(refusal(12345), sends_order=False).outcome is T
    error = raised(refusal(12345), sends_order=True)
    assert (error.outcome, error.reason, error.venue_code) == (A, "venue_error", "12345")


@pytest.mark.parametrize(
    "body", [b"<html>502 Bad Gateway</html>", {"message": "no code"}, [1, 2], {"code": "x"}]
)
def test_an_answer_without_a_code_is_ambiguous_for_a_send(body: Any) -> None:
    assert raised(answer(200, body), sends_order=True).outcome is A
    assert raised(answer(200, body), sends_order=False).outcome is T


def test_success_returns_the_data() -> None:
    ok = answer(200, {"code": 1000, "message": "OK", "trace": "t", "data": {"order_id": "7"}})
    assert adapter().unwrap(ok, operation="op", sends_order=True) == {"order_id": "7"}


@pytest.mark.parametrize(("status", "code", "reason"), [(429, 30013, "rate_limited"),
                                                         (418, 30017, "ip_banned")])  # fmt: skip
def test_a_rate_limit_waits_the_window_bitmart_reports(status: int, code: int, reason: str) -> None:
    limited = answer(status, {"code": code, "message": "m"}, {"X-BM-RateLimit-Reset": "2"})
    error = raised(limited, sends_order=True)
    assert isinstance(error, RateLimitedError)
    assert (error.reason, error.retry_after_s, error.venue_code) == (reason, 2.0, str(code))
    assert error.outcome is T  # refused before processing: not sent


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_is_ambiguous_for_a_send_whatever_the_body(status: int) -> None:
    assert raised(refusal(50000, status), sends_order=True).outcome is A
    assert raised(answer(status, b"<html>gateway</html>"), sends_order=True).outcome is A
