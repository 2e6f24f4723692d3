"""The BitMart connector against the paper exchange's BitMart dialect, over HTTP: signing
accepted and refused, market data, balances, the order lifecycle, partial fills, and
every fault classified as the order pipeline needs it."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal as D

import pytest
from psycopg_pool import AsyncConnectionPool

from paper_exchange.server import PaperConfig, PaperExchangeThread
from shared.domain import CredentialEnvironment, OrderSide, OrderType, TimeInForce
from shared.exchange.bitmart import BitMart
from shared.exchange.errors import (
    AmbiguousExchangeError,
    OrderNotFoundError,
    PermanentExchangeError,
    RateLimitedError,
    TransientExchangeError,
)
from shared.exchange.factory import ExchangeAdapters
from shared.exchange.protocol import ExchangeAdapter
from shared.exchange.types import OpenedCredential, OrderToSend, VenueOrderStatus
from shared.orders.client_order_id import client_order_id_for
from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin
from tests.integration.exchange.conftest import make_adapters

SUBMIT = "/bitmart/spot/v2/submit_order"
WALLET = "/bitmart/spot/v1/wallet"


def bitmart_credential(
    account: PaperAccount, *, secret: str | None = None, memo: str | None = None
) -> OpenedCredential:
    return OpenedCredential(
        credential_id=str(uuid.uuid4()), client_id=str(uuid.uuid4()), exchange="bitmart",
        environment=CredentialEnvironment.PAPER, api_key=account.api_key,
        secret=secret or account.secret, memo=memo or account.memo,
    )  # fmt: skip


def order(
    side: OrderSide, kind: OrderType, amount: str, price: D | None = None, symbol: str = "BTC/USDT"
) -> OrderToSend:
    tif = TimeInForce.GTC if kind is OrderType.LIMIT else None
    return OrderToSend(symbol, side, kind, D(amount), price, client_order_id_for(uuid.uuid4()), tif)


@pytest.fixture
def bitmart(adapters: ExchangeAdapters, paper_account: PaperAccount) -> ExchangeAdapter:
    return adapters.for_credential(bitmart_credential(paper_account))


async def far_bid(adapter: ExchangeAdapter, symbol: str = "BTC/USDT") -> D:
    book = await adapter.fetch_order_book(symbol, limit=1)
    return (book.bids[0].price * D("0.9")).quantize(D("0.01"))


async def test_the_factory_builds_the_native_connector_on_the_dialect(
    bitmart: ExchangeAdapter, paper_exchange: PaperExchangeAdmin
) -> None:
    assert isinstance(bitmart, BitMart)
    assert bitmart.base_url == f"{paper_exchange.url}/bitmart"
    assert bitmart.min_settle_s > 60  # BitMart's one-minute timestamp window


async def test_markets_book_ticker_and_balances(
    bitmart: ExchangeAdapter, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    markets = await bitmart.load_markets()
    assert set(markets) >= {"BTC/USDT", "ETH/USDT", "SOL/USDT"}
    btc = markets["BTC/USDT"]
    assert (btc.base, btc.quote) == ("BTC", "USDT")
    assert (btc.price_tick, btc.amount_step, btc.min_amount) == (D("0.01"), D("1E-5"), D("1E-5"))
    assert (btc.min_notional, btc.max_amount) == (D(5), D(9000))
    assert markets["SOL/USDT"].amount_step == D("0.001")

    venue = await paper_exchange.market("BTCUSDT")
    book = await bitmart.fetch_order_book("BTC/USDT", limit=5)
    assert (len(book.bids), len(book.asks)) == (5, 5)
    assert [lvl.price for lvl in book.bids] == sorted(
        (lvl.price for lvl in book.bids), reverse=True
    )
    assert [lvl.price for lvl in book.asks] == sorted(lvl.price for lvl in book.asks)
    assert book.mid == D(str(venue["mid"]))
    ticker = await bitmart.fetch_ticker("BTC/USDT")
    assert (ticker.bid, ticker.ask) == (book.bids[0].price, book.asks[0].price)

    balances = await bitmart.fetch_balance()
    held = await paper_exchange.balances(paper_account.api_key)
    assert {asset: (b.free, b.used) for asset, b in balances.items()} == {
        asset: (b.free, b.locked) for asset, b in held.items()
    }
    assert balances["USDT"].free == D(100000)


async def test_signing_is_refused_with_bitmarts_codes(
    adapters: ExchangeAdapters, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    wrong_secret = adapters.for_credential(bitmart_credential(paper_account, secret="x" * 64))
    wrong_memo = adapters.for_credential(bitmart_credential(paper_account, memo="not-my-memo"))
    unknown = PaperAccount(paper_account.url, "Unknown0Key", paper_account.secret, "m")
    unknown_key = adapters.for_credential(bitmart_credential(unknown))
    for adapter, code in ((wrong_secret, "30005"), (wrong_memo, "30005"), (unknown_key, "30002")):
        with pytest.raises(PermanentExchangeError) as excinfo:
            await adapter.create_order(order(OrderSide.BUY, OrderType.LIMIT, "0.001", D(50000)))
        assert (excinfo.value.reason, excinfo.value.venue_code) == ("auth", code)
        assert not excinfo.value.venue_wide  # one tenant's key never opens the breaker
    assert await paper_exchange.orders(api_key=paper_account.api_key) == []


async def test_a_stale_timestamp_is_refused_and_not_executed(
    bitmart: ExchangeAdapter,
    paper_account: PaperAccount,
    paper_exchange: PaperExchangeAdmin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("shared.exchange.bitmart.clock", lambda: time.time() - 61)
    with pytest.raises(TransientExchangeError) as excinfo:
        await bitmart.create_order(order(OrderSide.BUY, OrderType.LIMIT, "0.001", D(50000)))
    assert (excinfo.value.reason, excinfo.value.venue_code) == ("clock_skew", "30007")
    assert not isinstance(excinfo.value, AmbiguousExchangeError)
    assert await paper_exchange.orders(api_key=paper_account.api_key) == []


async def test_place_find_cancel_by_venue_id_and_by_client_order_id(
    bitmart: ExchangeAdapter, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    first = order(OrderSide.BUY, OrderType.LIMIT, "0.001", await far_bid(bitmart))
    second = order(OrderSide.BUY, OrderType.LIMIT, "0.01", await far_bid(bitmart, "ETH/USDT"),
                   symbol="ETH/USDT")  # fmt: skip
    placed = [await bitmart.create_order(sent) for sent in (first, second)]
    assert [p.status for p in placed] == [VenueOrderStatus.OPEN] * 2
    assert placed[0].exchange_order_id != placed[1].exchange_order_id  # unique across symbols
    assert (placed[0].client_order_id, placed[0].amount, placed[0].price) == (
        first.client_order_id, first.amount, first.price,
    )  # fmt: skip

    by_id = await bitmart.fetch_order("BTC/USDT", exchange_order_id=placed[0].exchange_order_id)
    by_client = await bitmart.fetch_order("BTC/USDT", client_order_id=first.client_order_id)
    assert by_id == by_client == placed[0]
    assert [o.client_order_id for o in await bitmart.fetch_open_orders("BTC/USDT")] == [
        first.client_order_id
    ]
    assert await bitmart.fetch_order("BTC/USDT", client_order_id="tbnosuchorder") is None
    assert await bitmart.fetch_order("BTC/USDT", exchange_order_id="999999001") is None

    canceled = await bitmart.cancel_order("BTC/USDT", client_order_id=first.client_order_id)
    assert canceled.status is VenueOrderStatus.CANCELED
    by_venue_id = await bitmart.cancel_order(
        "ETH/USDT", exchange_order_id=placed[1].exchange_order_id
    )
    assert by_venue_id.status is VenueOrderStatus.CANCELED
    assert await bitmart.fetch_open_orders("BTC/USDT") == []
    held = await paper_exchange.balances(paper_account.api_key)
    assert (held["USDT"].free, held["USDT"].locked) == (D(100000), D(0))  # locks released

    # Cancelling again: BitMart says "already canceled", which is an OrderNotFoundError.
    with pytest.raises(OrderNotFoundError) as excinfo:
        await bitmart.cancel_order("BTC/USDT", client_order_id=first.client_order_id)
    assert excinfo.value.venue_code == "50030"


async def test_market_orders_fill_with_their_trades(
    bitmart: ExchangeAdapter, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    buy = await bitmart.create_order(order(OrderSide.BUY, OrderType.MARKET, "0.002"))
    assert (buy.status, buy.type, buy.filled) == (VenueOrderStatus.CLOSED, OrderType.MARKET,
                                                  D("0.002"))  # fmt: skip
    trades = await bitmart.fetch_my_trades("BTC/USDT", exchange_order_id=buy.exchange_order_id)
    assert [(t.order_id, t.side, t.amount, t.is_maker) for t in trades] == [
        (buy.exchange_order_id, OrderSide.BUY, D("0.002"), False)
    ]
    assert trades[0].fee_currency == "BTC"
    assert buy.average_price == trades[0].price
    sell = await bitmart.create_order(order(OrderSide.SELL, OrderType.MARKET, "0.002"))
    assert (sell.status, sell.filled) == (VenueOrderStatus.CLOSED, D("0.002"))
    recent = await bitmart.fetch_my_trades("BTC/USDT", limit=10)
    assert {t.order_id for t in recent} == {buy.exchange_order_id, sell.exchange_order_id}
    held = await paper_exchange.balances(paper_account.api_key)
    assert held["BTC"].free < D(1)  # the buy's fee, in BTC


async def test_a_partial_fill_then_the_rest_when_the_mid_moves(
    bitmart: ExchangeAdapter, paper_exchange: PaperExchangeAdmin
) -> None:
    book = await bitmart.fetch_order_book("SOL/USDT", limit=2)
    touch = book.asks[0]
    amount = touch.amount + D(5)  # more than the touch holds; the next level is dearer
    placed = await bitmart.create_order(
        order(OrderSide.BUY, OrderType.LIMIT, str(amount), touch.price, symbol="SOL/USDT")
    )
    assert (placed.status, placed.filled) == (VenueOrderStatus.OPEN, touch.amount)

    await paper_exchange.set_mid("SOLUSDT", touch.price)  # the resting rest fills as maker
    done = await bitmart.fetch_order("SOL/USDT", exchange_order_id=placed.exchange_order_id)
    assert done is not None
    assert (done.status, done.filled, done.average_price) == (
        VenueOrderStatus.CLOSED, amount, touch.price,
    )  # fmt: skip
    trades = await bitmart.fetch_my_trades("SOL/USDT", exchange_order_id=placed.exchange_order_id)
    assert sorted((t.amount, t.is_maker) for t in trades) == [(D(5), True), (touch.amount, False)]


async def test_cancel_all_cancels_the_symbols_open_orders(bitmart: ExchangeAdapter) -> None:
    price = await far_bid(bitmart)
    for _ in range(3):
        await bitmart.create_order(order(OrderSide.BUY, OrderType.LIMIT, "0.001", price))
    assert len(await bitmart.fetch_open_orders("BTC/USDT")) == 3
    await bitmart.cancel_all_orders("BTC/USDT")
    assert await bitmart.fetch_open_orders("BTC/USDT") == []


async def test_a_failed_balance_call_raises_never_zeros(
    bitmart: ExchangeAdapter, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    await paper_exchange.inject_fault("http_500", WALLET, "GET", times=3,
                                      api_key=paper_account.api_key)  # fmt: skip
    with pytest.raises(TransientExchangeError):
        await bitmart.fetch_balance()  # three attempts, each a 500: an error, not {}
    await paper_exchange.inject_fault(
        "http_503", WALLET, "GET", api_key=paper_account.api_key,
        body={"code": 1000, "message": "OK", "data": {}},
    )  # fmt: skip
    assert (await bitmart.fetch_balance())["USDT"].free == D(100000)  # retried past it
    bad = PaperAccount(paper_account.url, "NoSuchKey1", "s", "m")
    with pytest.raises(PermanentExchangeError):
        await bitmart_adapter_for(bitmart, bad).fetch_balance()


def bitmart_adapter_for(like: ExchangeAdapter, account: PaperAccount) -> ExchangeAdapter:
    assert isinstance(like, BitMart)
    return BitMart(like.http, base_url=like.base_url, credential=bitmart_credential(account),
                   breaker=like.breaker, budgets=None)  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "error_class", "reason"),
    [
        ("http_503", AmbiguousExchangeError, "venue_unavailable"),
        ("http_500", AmbiguousExchangeError, "venue_unavailable"),
        ("http_429", RateLimitedError, "rate_limited"),
        ("http_418", RateLimitedError, "ip_banned"),
        ("hang", AmbiguousExchangeError, "timeout"),
        ("drop", AmbiguousExchangeError, "network"),
    ],
)
async def test_faults_on_a_send(
    bitmart: ExchangeAdapter,
    paper_account: PaperAccount,
    paper_exchange: PaperExchangeAdmin,
    fault: str,
    error_class: type[Exception],
    reason: str,
) -> None:
    await paper_exchange.inject_fault(fault, SUBMIT, api_key=paper_account.api_key,
                                      hang_s=5, retry_after_s=3)  # fmt: skip
    sent = order(OrderSide.BUY, OrderType.LIMIT, "0.001", await far_bid(bitmart))
    with pytest.raises(error_class) as excinfo:
        await bitmart.create_order(sent)
    assert excinfo.value.reason == reason  # type: ignore[attr-defined]
    if error_class is RateLimitedError:
        assert excinfo.value.retry_after_s == 3  # type: ignore[attr-defined]
    # None of these reached the engine: the lookup finds nothing, as it must.
    assert await bitmart.fetch_order("BTC/USDT", client_order_id=sent.client_order_id) is None


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["accept_then_drop", "accept_then_504", "accept_then_hang"])
async def test_a_lost_answer_is_ambiguous_and_the_lookup_finds_the_order(
    bitmart: ExchangeAdapter, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin,
    fault: str,
) -> None:  # fmt: skip
    await paper_exchange.inject_fault(fault, SUBMIT, api_key=paper_account.api_key, hang_s=5)
    sent = order(OrderSide.BUY, OrderType.MARKET, "0.001")
    with pytest.raises(AmbiguousExchangeError):
        await bitmart.create_order(sent)
    found = await bitmart.fetch_order("BTC/USDT", client_order_id=sent.client_order_id)
    assert found is not None
    assert (found.status, found.filled) == (VenueOrderStatus.CLOSED, sent.amount)
    venue = [o for o in await paper_exchange.orders(api_key=paper_account.api_key)
             if o["clientOrderId"] == sent.client_order_id]  # fmt: skip
    assert len(venue) == 1


@pytest.mark.slow
async def test_a_429_blocks_that_endpoints_budget_in_every_process(
    db_pool: AsyncConnectionPool, paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    credential = bitmart_credential(paper_account)
    layer, other_process = (make_adapters(db_pool, paper_exchange.url) for _ in range(2))
    try:
        adapter = layer.for_credential(credential)
        price = await far_bid(adapter)
        await paper_exchange.inject_fault("http_429", SUBMIT, api_key=paper_account.api_key,
                                          retry_after_s=30)  # fmt: skip
        with pytest.raises(RateLimitedError):
            await adapter.create_order(order(OrderSide.BUY, OrderType.LIMIT, "0.001", price))
        await paper_exchange.clear_request_counts()
        other = other_process.for_credential(credential)
        with pytest.raises(RateLimitedError) as excinfo:
            await other.create_order(order(OrderSide.BUY, OrderType.LIMIT, "0.001", price))
        assert excinfo.value.reason == "budget_exhausted"
        assert 25 < (excinfo.value.retry_after_s or 0) <= 30
        counts = await paper_exchange.request_counts(api_key=paper_account.api_key)
        assert f"POST {SUBMIT}" not in counts
        assert await other.fetch_open_orders("BTC/USDT") == []  # other endpoints still go
    finally:
        await layer.close_all()
        await other_process.close_all()


@pytest.fixture
def short_window_venue() -> Iterator[PaperExchangeAdmin]:
    """A paper BitMart that accepts a request for 0.5 s after its timestamp (BitMart: 60 s)."""
    server = PaperExchangeThread(PaperConfig(walk_interval_s=0, bitmart_timestamp_window_ms=500))
    try:
        yield PaperExchangeAdmin(server.start())
    finally:
        server.stop()


@pytest.fixture
async def short_window_adapters(
    short_window_venue: PaperExchangeAdmin,
) -> AsyncIterator[ExchangeAdapters]:
    layer = make_adapters(None, short_window_venue.url)
    try:
        yield layer
    finally:
        await layer.close_all()


@pytest.mark.slow
async def test_a_request_arriving_after_the_window_is_refused_not_executed(
    short_window_venue: PaperExchangeAdmin, short_window_adapters: ExchangeAdapters
) -> None:
    account = await short_window_venue.create_account()
    adapter = short_window_adapters.for_credential(bitmart_credential(account))
    await short_window_venue.inject_fault("delay", SUBMIT, api_key=account.api_key, delay_s=0.8)
    with pytest.raises(TransientExchangeError) as excinfo:
        await adapter.create_order(order(OrderSide.BUY, OrderType.LIMIT, "0.001", D(50000)))
    assert excinfo.value.venue_code == "30007"
    assert await short_window_venue.orders(api_key=account.api_key) == []


async def test_an_ioc_remainder_expires_and_fill_or_kill_is_refused_before_sending(
    bitmart: ExchangeAdapter, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    touch = (await bitmart.fetch_order_book("SOL/USDT", limit=1)).asks[0]
    ioc = OrderToSend("SOL/USDT", OrderSide.BUY, OrderType.LIMIT, touch.amount + D(3), touch.price,
                      client_order_id_for(uuid.uuid4()), TimeInForce.IOC)  # fmt: skip
    placed = await bitmart.create_order(ioc)
    # BitMart cancels the remainder itself ("system"): expired, as Binance reports it.
    assert (placed.status, placed.filled) == (VenueOrderStatus.EXPIRED, touch.amount)
    assert len(placed.trades) == 1

    fok = dataclasses.replace(ioc, client_order_id=client_order_id_for(uuid.uuid4()),
                              time_in_force=TimeInForce.FOK)  # fmt: skip
    with pytest.raises(PermanentExchangeError) as excinfo:
        await bitmart.create_order(fok)
    assert excinfo.value.reason == "not_supported"
    venue = await paper_exchange.orders(api_key=paper_account.api_key)
    assert [o["clientOrderId"] for o in venue] == [ioc.client_order_id]


async def test_a_send_whose_read_back_would_wait_for_budget_returns_the_ack_at_once(
    db_pool: AsyncConnectionPool, paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    """BitMart's trade query allows 12 per 2 s per key: a send must not hold its job slot
    waiting for that budget (taker orders queued behind it for seconds). With the budget
    spent, the filled order comes back as the bare acknowledgement, at once; reconciliation
    reads its state and trades later."""
    layer = make_adapters(db_pool, paper_exchange.url)
    try:
        adapter = layer.for_credential(bitmart_credential(paper_account))
        assert isinstance(adapter, BitMart)
        await adapter.load_markets()
        [(trades_budget, _weight)] = adapter._budgets_of("fetch_my_trades")
        # Spend the trade queries of a 2 s window just begun: the next one is ~2 s away,
        # which a patient call would wait for (its budget waits up to 2 s, then retries).
        await asyncio.sleep(2 - time.time() % 2 + 0.05)
        for _ in range(trades_budget.weight_limit):
            await trades_budget.acquire(1, max_wait_s=0)
        with pytest.raises(RateLimitedError):
            await trades_budget.acquire(1, max_wait_s=0)
        started = time.monotonic()
        placed = await adapter.create_order(order(OrderSide.BUY, OrderType.MARKET, "0.001"))
        elapsed = time.monotonic() - started
        at_venue = await adapter.fetch_order("BTC/USDT", exchange_order_id=placed.exchange_order_id)
    finally:
        await layer.close_all()
    assert elapsed < 1.0, elapsed
    assert (placed.status, placed.filled, placed.trades) == (VenueOrderStatus.OPEN, 0, ())
    assert at_venue is not None
    assert at_venue.status is VenueOrderStatus.CLOSED
