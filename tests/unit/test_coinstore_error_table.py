"""Every row of the Coinstore error table is reached by the connector's classifier, for a
read and for a send; and the parsers read the documented shapes."""

from __future__ import annotations

import json
from decimal import Decimal as D
from typing import Any

import httpx
import pytest

from shared.domain import CallOutcome, CredentialEnvironment
from shared.exchange import coinstore_parsing as parsing
from shared.exchange.breaker import BreakerRegistry
from shared.exchange.coinstore import CoinstoreAdapter
from shared.exchange.coinstore_errors import CODE_RULES, STATUS_RULES
from shared.exchange.errors import (
    ExchangeCallError,
    OrderNotFoundError,
    RateLimitedError,
    Rule,
)
from shared.exchange.native import BAD_RESPONSE, UNKNOWN_CODE, VenueAnswer
from shared.exchange.types import OpenedCredential, VenueOrderStatus


def adapter(environment: CredentialEnvironment = CredentialEnvironment.LIVE) -> CoinstoreAdapter:
    credential = OpenedCredential(credential_id="c", client_id="k", exchange="coinstore",
                                  environment=environment, api_key="a", secret="s")  # fmt: skip
    return CoinstoreAdapter(
        httpx.AsyncClient(), base_url="https://api.coinstore.com", credential=credential,
        breaker=BreakerRegistry().for_venue("coinstore", "api.coinstore.com"), budgets=None,
    )  # fmt: skip


def answer(status: int, body: Any) -> VenueAnswer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return VenueAnswer(status, httpx.Headers({"Retry-After": "7"}), raw)


def classify(venue_answer: VenueAnswer, *, sends_order: bool) -> ExchangeCallError:
    with pytest.raises(ExchangeCallError) as excinfo:
        adapter().unwrap(venue_answer, operation="op", sends_order=sends_order)
    return excinfo.value


def assert_rule(error: ExchangeCallError, rule: Rule, *, sends_order: bool) -> None:
    assert error.reason == rule.reason
    assert error.outcome is (rule.on_send if sends_order else rule.on_read)
    assert error.venue_wide is rule.venue_wide


@pytest.mark.parametrize("sends_order", [False, True])
@pytest.mark.parametrize("code", sorted(CODE_RULES))
def test_every_documented_code_is_classified_by_its_row(code: int, sends_order: bool) -> None:
    # As an int and as the string the venue sometimes sends, in a 200 answer.
    for raw in (code, str(code)):
        error = classify(
            answer(200, {"code": raw, "message": "m", "data": None}), sends_order=sends_order
        )
        assert_rule(error, CODE_RULES[code], sends_order=sends_order)
        assert error.venue_code == str(code)
    assert isinstance(classify(answer(200, {"code": 3103}), sends_order=False), OrderNotFoundError)


@pytest.mark.parametrize("sends_order", [False, True])
@pytest.mark.parametrize("status", sorted(STATUS_RULES))
def test_every_documented_http_status_is_classified(status: int, sends_order: bool) -> None:
    error = classify(answer(status, b"<html>nope</html>"), sends_order=sends_order)
    assert_rule(error, STATUS_RULES[status], sends_order=sends_order)


def test_unknown_codes_look_before_a_resend_and_garbage_is_ambiguous() -> None:
    for sends_order in (False, True):
        unknown = classify(answer(200, {"code": 987654, "msg": "new"}), sends_order=sends_order)
        assert_rule(unknown, UNKNOWN_CODE, sends_order=sends_order)
        garbage = classify(answer(200, b"not json"), sends_order=sends_order)
        assert_rule(garbage, BAD_RESPONSE, sends_order=sends_order)
    assert classify(answer(200, {"code": 1}), sends_order=True).outcome is CallOutcome.AMBIGUOUS


def test_statuses_before_codes_429_and_5xx() -> None:
    limited = classify(answer(429, {"code": 429}), sends_order=True)
    assert isinstance(limited, RateLimitedError)
    assert (limited.reason, limited.retry_after_s) == ("rate_limited", 7.0)
    outage = classify(answer(503, {"code": 0, "data": []}), sends_order=True)
    assert (outage.reason, outage.outcome) == ("venue_unavailable", CallOutcome.AMBIGUOUS)


def test_success_returns_data_with_decimals_never_floats() -> None:
    body = b'{"code":"0","data":{"execQty":40.900000000000000001}}'
    data = adapter().unwrap(answer(200, body), operation="op", sends_order=False)
    assert data == {"execQty": D("40.900000000000000001")}


def test_settle_floor_is_the_assumed_window_live_and_the_paper_window_on_paper() -> None:
    assert adapter().min_settle_s == 90.0
    assert adapter(CredentialEnvironment.PAPER).min_settle_s == 6.0


def test_every_documented_order_state_is_mapped() -> None:
    documented = ("REJECTED", "SUBMITTING", "SUBMITTED", "PARTIAL_FILLED", "CANCELING",
                  "CANCELED", "EXPIRED", "STOPPED", "FILLED")  # fmt: skip
    assert set(parsing.STATUSES) == set(documented)
    row = {"ordId": 1, "clOrdId": "x", "symbol": "BTCUSDT", "side": "SELL", "ordType": "LIMIT",
           "ordQty": "2", "ordPrice": "3", "cumQty": "1", "cumAmt": "3", "avgPrice": "0"}  # fmt: skip
    assert parsing.parse_order("BTC/USDT", {**row, "ordStatus": "NOT_FOUND"}) is None
    partial = parsing.parse_order("BTC/USDT", {**row, "ordStatus": "PARTIAL_FILLED"})
    assert partial is not None
    assert (partial.status, partial.filled, partial.average_price) == (
        VenueOrderStatus.OPEN, D("1"), D("3"))  # fmt: skip
    with pytest.raises(parsing.CoinstoreAnswerError):
        parsing.parse_order("BTC/USDT", {**row, "ordStatus": "MYSTERY"})


def test_markets_ticker_and_trades_from_documented_examples() -> None:
    markets = parsing.parse_markets([{
        "symbolId": 186, "symbolCode": "xrpusdt", "tradeCurrencyCode": "xrp",
        "quoteCurrencyCode": "USDT", "openTrade": True, "tickSz": 4, "lotSz": 0,
        "minLmtPr": "0.0001", "minLmtSz": "1", "minMktVa": "1", "minMktSz": "1"}])  # fmt: skip
    xrp = markets["XRP/USDT"]
    assert (xrp.price_tick, xrp.amount_step, xrp.min_amount) == (D("0.0001"), D("1"), D("1"))
    ticker = parsing.parse_ticker("TRX/USDT", [{
        "volume": "24121351.85", "amount": "1693799.10798965", "close": "0.067998",
        "bid": "0.0679", "ask": "0.0681", "symbol": "TRXUSDT"}])  # fmt: skip
    assert ticker is not None
    assert (ticker.base_volume_24h, ticker.quote_volume_24h) == (
        D("24121351.85"),
        D("1693799.10798965"),
    )
    trade = parsing.parse_trade(xrp, {
        "id": 3984987, "matchRole": 1, "feeCurrencyId": 44, "baseCurrencyId": 44,
        "quoteCurrencyId": 30, "execQty": D("40.9"), "orderId": 1717384395096065, "side": 1,
        "execAmt": D("8.887161"), "tradeId": 11523732, "fee": D("0.0818"),
        "matchTime": 1637825389})  # fmt: skip
    assert (trade.trade_id, trade.fee_currency, trade.is_maker) == ("3984987", "XRP", False)
    assert trade.price == D("8.887161") / D("40.9")
    assert trade.traded_at.year == 2021  # matchTime in seconds
