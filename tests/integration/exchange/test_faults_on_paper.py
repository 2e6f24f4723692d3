"""Injected venue faults arrive as the right project error class, the breaker protects
the venue, and the shared budget holds across processes."""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal as D

import pytest
from psycopg_pool import AsyncConnectionPool

from shared.domain import OrderSide, OrderType
from shared.exchange.budget import BudgetRegistry, RequestBudget
from shared.exchange.errors import (
    AmbiguousExchangeError,
    CircuitOpenError,
    PermanentExchangeError,
    RateLimitedError,
    TransientExchangeError,
)
from shared.exchange.factory import ExchangeAdapters
from shared.exchange.types import OrderToSend, VenueOrderStatus
from shared.orders.client_order_id import client_order_id_for
from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin
from tests.integration.exchange.conftest import credential_for, make_adapters

pytestmark = pytest.mark.slow
SYMBOL = "BTC/USDT"


def market_buy(amount: str = "0.001") -> OrderToSend:
    return OrderToSend(SYMBOL, OrderSide.BUY, OrderType.MARKET, D(amount), None,
                       client_order_id_for(uuid.uuid4()))  # fmt: skip


@pytest.mark.parametrize(
    ("fault", "error_class", "reason"),
    [
        ("http_503", AmbiguousExchangeError, "venue_unavailable"),  # Binance: status unknown
        ("http_500", AmbiguousExchangeError, None),
        ("http_429", RateLimitedError, "rate_limited"),
        ("http_418", RateLimitedError, "ip_banned"),
        ("hang", AmbiguousExchangeError, "timeout"),
        ("drop", AmbiguousExchangeError, None),  # ccxt: ExchangeNotAvailable
    ],
)
async def test_faults_on_a_send(
    adapters: ExchangeAdapters,
    paper_account: PaperAccount,
    paper_exchange: PaperExchangeAdmin,
    fault: str,
    error_class: type[Exception],
    reason: str | None,
) -> None:
    adapter = adapters.for_credential(credential_for(paper_account))
    await adapter.load_markets()
    await paper_exchange.inject_fault(
        fault, api_key=paper_account.api_key, hang_s=5, retry_after_s=3
    )
    with pytest.raises(error_class) as excinfo:
        await adapter.create_order(market_buy())
    if reason is not None:
        assert excinfo.value.reason == reason  # type: ignore[attr-defined]
    if error_class is RateLimitedError:
        assert excinfo.value.retry_after_s == 3  # type: ignore[attr-defined]


@pytest.mark.parametrize("fault", ["accept_then_drop", "accept_then_504", "accept_then_hang"])
async def test_lost_answer_is_ambiguous_and_the_lookup_finds_the_order(
    adapters: ExchangeAdapters,
    paper_account: PaperAccount,
    paper_exchange: PaperExchangeAdmin,
    fault: str,
) -> None:
    adapter = adapters.for_credential(credential_for(paper_account))
    await adapter.load_markets()
    await paper_exchange.inject_fault(fault, api_key=paper_account.api_key, hang_s=5)
    sent = market_buy()
    with pytest.raises(AmbiguousExchangeError):
        await adapter.create_order(sent)
    found = await adapter.fetch_order(SYMBOL, client_order_id=sent.client_order_id)
    assert found is not None
    assert found.status is VenueOrderStatus.CLOSED
    assert found.filled == sent.amount
    venue = [o for o in await paper_exchange.orders(api_key=paper_account.api_key)
             if o["clientOrderId"] == sent.client_order_id]  # fmt: skip
    assert len(venue) == 1


async def test_reads_retry_through_a_passing_fault(
    adapters: ExchangeAdapters, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    adapter = adapters.for_credential(credential_for(paper_account))
    await paper_exchange.inject_fault("http_503", "/api/v3/account", "GET", times=2,
                                      api_key=paper_account.api_key)  # fmt: skip
    balances = await adapter.fetch_balance()  # third attempt succeeds
    assert balances["USDT"].free == D("100000")
    await paper_exchange.inject_fault("http_503", "/api/v3/account", "GET", times=5,
                                      api_key=paper_account.api_key)  # fmt: skip
    with pytest.raises(TransientExchangeError):
        await adapter.fetch_balance()  # gives up after three attempts, never hangs on


async def test_breaker_opens_on_five_outages_stops_traffic_and_recovers(
    db_pool: AsyncConnectionPool, paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    layer = make_adapters(db_pool, paper_exchange.url, reset_timeout_s=1.0)
    try:
        adapter = layer.for_credential(credential_for(paper_account))
        await adapter.load_markets()
        await paper_exchange.inject_fault("http_503", times=100, api_key=paper_account.api_key)
        await paper_exchange.clear_request_counts()
        for _ in range(5):
            with pytest.raises(AmbiguousExchangeError):
                await adapter.create_order(market_buy())
        assert adapter.breaker.state == "open"
        for _ in range(20):
            with pytest.raises(CircuitOpenError):
                await adapter.create_order(market_buy())
        counts = await paper_exchange.request_counts(api_key=paper_account.api_key)
        assert counts.get("POST /api/v3/order", 0) == 5  # nothing reached the venue while open

        await paper_exchange.clear_faults(api_key=paper_account.api_key)
        await asyncio.sleep(1.1)
        placed = await adapter.create_order(market_buy())  # the probe
        assert placed.status is VenueOrderStatus.CLOSED
        assert adapter.breaker.state == "closed"
        counts = await paper_exchange.request_counts(api_key=paper_account.api_key)
        assert counts["POST /api/v3/order"] == 6
    finally:
        await layer.close_all()


async def test_one_tenants_bad_key_does_not_open_the_breaker_for_everyone(
    db_pool: AsyncConnectionPool, paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    layer = make_adapters(db_pool, paper_exchange.url)
    try:
        bad = PaperAccount(paper_account.url, paper_account.api_key, "wrong-secret")
        bad_adapter = layer.for_credential(credential_for(bad))
        for _ in range(10):
            with pytest.raises(PermanentExchangeError):
                await bad_adapter.create_order(market_buy())
        good_adapter = layer.for_credential(credential_for(paper_account))
        assert good_adapter.breaker is bad_adapter.breaker  # one breaker per venue host
        assert good_adapter.breaker.state == "closed"
        placed = await good_adapter.create_order(market_buy())
        assert placed.status is VenueOrderStatus.CLOSED
    finally:
        await layer.close_all()


async def test_budget_is_shared_and_never_over_granted(db_pool: AsyncConnectionPool) -> None:
    # Two "processes" (separate budget objects) drawing on one venue budget of 100.
    first, second = (
        RequestBudget(db_pool, "binance@shared", "egress-1", 100, batch=10, max_wait_s=0)
        for _ in range(2)
    )
    granted = 0

    async def spend(budget: RequestBudget) -> None:
        nonlocal granted
        while True:
            try:
                await budget.acquire(1)
            except RateLimitedError:
                return
            granted += 1

    await asyncio.gather(spend(first), spend(second))
    assert 90 <= granted <= 100
    assert first.leases + second.leases < granted / 3  # batches, not a round trip per request


async def test_a_budget_counts_over_the_venues_own_window(db_pool: AsyncConnectionPool) -> None:
    """BitMart's and Coinstore's limits are per 2-3 s: counted per minute, a burst spent a
    minute's allowance in one of their windows (and drew their 429s), then waited out the
    minute. Over a 2 s window, 80 % of the limit goes per window, and the next window
    grants again within those 2 s."""
    registry = BudgetRegistry(db_pool, egress="egress-1", max_wait_s=0)
    budget = registry.for_key("bitmart@shared/order_trades", 10, window_s=2)
    assert (budget.weight_limit, budget.batch) == (8, 1)
    # Start at a window's beginning, so the burst below cannot straddle two windows.
    await asyncio.sleep(2 - time.time() % 2 + 0.05)
    for _ in range(8):
        await budget.acquire(1)
    with pytest.raises(RateLimitedError) as refused:
        await budget.acquire(1)
    assert refused.value.retry_after_s is not None
    assert 0 < refused.value.retry_after_s <= 2.0
    await asyncio.sleep(refused.value.retry_after_s + 0.05)
    await budget.acquire(1)  # the next window


async def test_a_429_blocks_every_process_for_its_retry_after(
    db_pool: AsyncConnectionPool, paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    layer = make_adapters(db_pool, paper_exchange.url)
    other_process = make_adapters(db_pool, paper_exchange.url)
    try:
        adapter = layer.for_credential(credential_for(paper_account))
        await adapter.load_markets()
        await paper_exchange.inject_fault(
            "http_429", api_key=paper_account.api_key, retry_after_s=30
        )
        with pytest.raises(RateLimitedError):
            await adapter.create_order(market_buy())
        # Another worker process, another client: it must not send either.
        await paper_exchange.clear_request_counts()
        other = other_process.for_credential(credential_for(paper_account))
        with pytest.raises(RateLimitedError) as excinfo:
            await other.fetch_balance()
        assert excinfo.value.reason == "budget_exhausted"
        assert 25 < (excinfo.value.retry_after_s or 0) <= 30
        assert await paper_exchange.request_counts(api_key=paper_account.api_key) == {}
    finally:
        await layer.close_all()
        await other_process.close_all()


async def test_concurrent_calls_on_one_client_each_keep_their_own_diagnostics(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    """All jobs of a credential share one ccxt client. A send that times out while another
    call on that client gets a 429 must not borrow the 429's venue code or Retry-After."""
    layer = make_adapters(None, paper_exchange.url)  # no budget: the 429 must not hold the other
    try:
        adapter = layer.for_credential(credential_for(paper_account))
        await adapter.load_markets()
        await paper_exchange.inject_fault("hang", "/api/v3/order", "POST",
                                          api_key=paper_account.api_key, hang_s=5)  # fmt: skip
        await paper_exchange.inject_fault("http_429", "/api/v3/order", "DELETE",
                                          api_key=paper_account.api_key, retry_after_s=3)  # fmt: skip

        async def cancel_while_the_send_hangs() -> None:
            await asyncio.sleep(0.3)
            await adapter.cancel_order(SYMBOL, client_order_id=market_buy().client_order_id)

        timed_out, limited = await asyncio.gather(
            adapter.create_order(market_buy()), cancel_while_the_send_hangs(),
            return_exceptions=True,
        )  # fmt: skip

        assert isinstance(timed_out, AmbiguousExchangeError), timed_out
        assert (timed_out.reason, timed_out.error_class) == ("timeout", "RequestTimeout")
        assert timed_out.venue_code is None  # no answer, so no venue code
        assert timed_out.retry_after_s is None
        assert isinstance(limited, RateLimitedError), limited
        assert (limited.reason, limited.venue_code, limited.retry_after_s) == (
            "rate_limited", "-1003", 3,
        )  # fmt: skip
    finally:
        await layer.close_all()


async def test_two_refusals_at_once_each_carry_their_own_status_and_retry_after(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    layer = make_adapters(None, paper_exchange.url)
    try:
        adapter = layer.for_credential(credential_for(paper_account))
        await adapter.load_markets()
        for _ in range(2):  # two rounds (four venue-wide failures stay under the breaker's five)
            await paper_exchange.inject_fault("http_429", "/api/v3/order", "POST",
                                              api_key=paper_account.api_key, retry_after_s=3)  # fmt: skip
            await paper_exchange.inject_fault("http_418", "/api/v3/order", "DELETE",
                                              api_key=paper_account.api_key, retry_after_s=7)  # fmt: skip
            limited, banned = await asyncio.gather(
                adapter.create_order(market_buy()),
                adapter.cancel_order(SYMBOL, client_order_id=market_buy().client_order_id),
                return_exceptions=True,
            )
            assert isinstance(limited, RateLimitedError), limited
            assert isinstance(banned, RateLimitedError), banned
            assert (limited.reason, limited.retry_after_s) == ("rate_limited", 3)
            assert (banned.reason, banned.retry_after_s) == ("ip_banned", 7)
            assert limited.venue_code == banned.venue_code == "-1003"
    finally:
        await layer.close_all()


# Binance's own texts (its docs, "LIMITS"): both mention WebSocket streams, neither says
# "IP banned" or "Too much request weight used" literally. The HTTP status decides.
BINANCE_429_BODY = {
    "code": -1003,
    "msg": "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. "
    "Please use the websocket for live updates to avoid polling the API.",
}
BINANCE_418_BODY = {
    "code": -1003,
    "msg": "Way too many requests; IP(127.0.0.1) banned until 1767225600000. "
    "Please use the websocket for live updates to avoid bans.",
}


@pytest.mark.parametrize(
    ("fault", "body", "reason"),
    [
        ("http_429", BINANCE_429_BODY, "rate_limited"),
        (
            "http_429",
            {"code": -1003, "msg": "Please use WebSocket Streams for live updates."},
            "rate_limited",
        ),
        ("http_418", BINANCE_418_BODY, "ip_banned"),
        (
            "http_418",
            {"code": -1003, "msg": "Please use WebSocket Streams to avoid bans."},
            "ip_banned",
        ),
    ],
)
async def test_rate_limit_or_ban_is_told_by_the_http_status_not_the_text(
    paper_exchange: PaperExchangeAdmin,
    paper_account: PaperAccount,
    fault: str,
    body: dict[str, object],
    reason: str,
) -> None:
    layer = make_adapters(None, paper_exchange.url)
    try:
        adapter = layer.for_credential(credential_for(paper_account))
        await adapter.load_markets()
        await paper_exchange.inject_fault(
            fault, api_key=paper_account.api_key, retry_after_s=4, body=body
        )
        with pytest.raises(RateLimitedError) as excinfo:
            await adapter.create_order(market_buy())
        assert (excinfo.value.reason, excinfo.value.retry_after_s) == (reason, 4)
        assert excinfo.value.venue_code == "-1003"
        assert excinfo.value.venue_wide
    finally:
        await layer.close_all()
