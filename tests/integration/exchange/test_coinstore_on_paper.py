"""The Coinstore connector against the paper exchange's Coinstore dialect, over HTTP:
signing, markets, book, ticker, balances, orders, trades, and every fault mode."""

from __future__ import annotations

import json
import time
import uuid
from decimal import ROUND_CEILING
from decimal import Decimal as D

import httpx
import pytest
from psycopg_pool import AsyncConnectionPool

from shared.domain import CredentialEnvironment, OrderSide, OrderType, TimeInForce
from shared.exchange.coinstore import CoinstoreAdapter
from shared.exchange.coinstore_wire import coinstore_signature
from shared.exchange.errors import (
    AmbiguousExchangeError,
    PermanentExchangeError,
    RateLimitedError,
    TransientExchangeError,
)
from shared.exchange.factory import ExchangeAdapters
from shared.exchange.types import OpenedCredential, OrderToSend, VenueOrderStatus
from shared.orders.client_order_id import client_order_id_for
from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin
from tests.integration.exchange.conftest import make_adapters

SYMBOL = "BTC/USDT"
PLACE = "/coinstore/api/trade/order/place"


def coinstore_credential(account: PaperAccount, *, secret: str | None = None,
                         api_key: str | None = None) -> OpenedCredential:  # fmt: skip
    return OpenedCredential(
        credential_id=str(uuid.uuid4()), client_id=str(uuid.uuid4()), exchange="coinstore",
        environment=CredentialEnvironment.PAPER, api_key=api_key or account.api_key,
        secret=secret or account.secret,
    )  # fmt: skip


def connector(adapters: ExchangeAdapters, account: PaperAccount, **kw: str) -> CoinstoreAdapter:
    adapter = adapters.for_credential(coinstore_credential(account, **kw))
    assert isinstance(adapter, CoinstoreAdapter)
    return adapter


def limit(side: OrderSide, amount: str, price: D | str,
          tif: TimeInForce = TimeInForce.GTC) -> OrderToSend:  # fmt: skip
    return OrderToSend(SYMBOL, side, OrderType.LIMIT, D(amount), D(price),
                       client_order_id_for(uuid.uuid4()), tif)  # fmt: skip


async def venue_orders(
    paper: PaperExchangeAdmin, account: PaperAccount, client_id: str
) -> list[dict]:  # type: ignore[type-arg]
    return [o for o in await paper.orders(api_key=account.api_key)
            if o["clientOrderId"] == client_id]  # fmt: skip


async def test_signing_is_accepted_and_refused_with_coinstore_codes(
    adapters: ExchangeAdapters, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    assert (await connector(adapters, paper_account).fetch_balance())["USDT"].free == D("100000")
    for overrides, code in (({"secret": "wrong"}, "1401"), ({"api_key": "unknown"}, "401")):
        with pytest.raises(PermanentExchangeError) as excinfo:
            await connector(adapters, paper_account, **overrides).fetch_balance()
        assert (excinfo.value.reason, excinfo.value.venue_code) == ("auth", code)

    url = f"{paper_exchange.url}/coinstore/api/spot/accountList"

    async def post(body: bytes, expires: int, signed_bytes: bytes, sign: str | None = None) -> dict:  # type: ignore[type-arg]
        headers = {"X-CS-APIKEY": paper_account.api_key, "X-CS-EXPIRES": str(expires),
                   "X-CS-SIGN": coinstore_signature(paper_account.secret, expires, signed_bytes)
                   if sign is None else sign,
                   "Content-Type": "application/json"}  # fmt: skip
        async with httpx.AsyncClient() as http:
            return (await http.post(url, content=body, headers=headers)).json()  # type: ignore[no-any-return]

    now = int(time.time() * 1000)
    assert (await post(b"{}", now, b"{}"))["code"] == 0
    # The same JSON, re-serialised after signing (a space): refused, as Coinstore does.
    assert (await post(b"{ }", now, b"{}"))["code"] == 1401
    assert (await post(b"{}", now - 60_000, b"{}"))["code"] == 1401  # stale X-CS-EXPIRES
    assert (await post(b"{}", now, b"{}", sign=""))["code"] == 3005  # no signature at all


async def test_markets_book_ticker_and_balances(
    adapters: ExchangeAdapters, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    adapter = connector(adapters, paper_account)
    market = await adapter.market(SYMBOL)
    assert (market.base, market.quote) == ("BTC", "USDT")
    assert (market.price_tick, market.amount_step) == (D("0.01"), D("0.00001"))
    assert (market.min_amount, market.min_notional) == (D("0.00001"), D("5"))
    with pytest.raises(PermanentExchangeError) as excinfo:
        await adapter.market("NOPE/USDT")
    assert excinfo.value.reason == "bad_symbol"

    info = await paper_exchange.set_mid("BTCUSDT", "61000")
    book = await adapter.fetch_order_book(SYMBOL, limit=7)
    assert (len(book.bids), len(book.asks)) == (7, 7)
    assert book.bids[0].price == D(info["bestBid"])
    assert book.asks[0].price == D(info["bestAsk"])
    ticker = await adapter.fetch_ticker(SYMBOL)
    assert (ticker.bid, ticker.ask) == (book.bids[0].price, book.asks[0].price)

    await paper_exchange.set_balances(paper_account.api_key, {"USDT": "1234.5", "BTC": "0.25"})
    resting = await adapter.create_order(limit(OrderSide.SELL, "0.1", D("70000")))
    assert resting.status is VenueOrderStatus.OPEN
    balances = await adapter.fetch_balance()
    assert (balances["BTC"].free, balances["BTC"].used, balances["BTC"].total) == (
        D("0.15"), D("0.1"), D("0.25"))  # fmt: skip
    assert balances["USDT"].free == D("1234.5")


async def test_a_failed_balance_call_raises_and_never_reads_as_zeros(
    adapters: ExchangeAdapters, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    adapter = connector(adapters, paper_account)
    await paper_exchange.inject_fault("http_500", "/coinstore/api/spot/accountList", "POST",
                                      times=5, api_key=paper_account.api_key)  # fmt: skip
    with pytest.raises(TransientExchangeError) as excinfo:
        await adapter.fetch_balance()
    assert excinfo.value.reason == "venue_unavailable"


async def test_place_fetch_cancel_by_venue_id_and_by_client_order_id(
    adapters: ExchangeAdapters, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    adapter = connector(adapters, paper_account)
    info = await paper_exchange.set_mid("BTCUSDT", "60000")
    far = D(info["bestBid"]) - 1000
    first, second = limit(OrderSide.BUY, "0.01", far), limit(OrderSide.BUY, "0.02", far - 10)
    placed = [await adapter.create_order(o) for o in (first, second)]
    assert [p.client_order_id for p in placed] == [first.client_order_id, second.client_order_id]
    assert all(p.status is VenueOrderStatus.OPEN and p.filled == 0 for p in placed)
    assert placed[0].exchange_order_id != placed[1].exchange_order_id

    by_id = await adapter.fetch_order(SYMBOL, exchange_order_id=placed[0].exchange_order_id)
    by_client = await adapter.fetch_order(SYMBOL, client_order_id=first.client_order_id)
    assert by_id == by_client
    assert by_id is not None
    assert (by_id.amount, by_id.price) == (D("0.01"), far)
    assert await adapter.fetch_order(SYMBOL, client_order_id="tbnosuchorder") is None
    assert (
        await adapter.fetch_order("ETH/USDT", exchange_order_id=placed[0].exchange_order_id) is None
    )
    opened = await adapter.fetch_open_orders(SYMBOL)
    assert {o.client_order_id for o in opened} == {first.client_order_id, second.client_order_id}

    canceled = await adapter.cancel_order(SYMBOL, exchange_order_id=placed[0].exchange_order_id)
    assert canceled.status is VenueOrderStatus.CANCELED
    canceled = await adapter.cancel_order(SYMBOL, client_order_id=second.client_order_id)
    assert canceled.status is VenueOrderStatus.CANCELED
    assert await adapter.fetch_open_orders(SYMBOL) == []
    with pytest.raises(PermanentExchangeError) as excinfo:
        await adapter.cancel_order(SYMBOL, client_order_id=second.client_order_id)
    assert excinfo.value.reason == "order_not_found"


async def test_partial_fill_then_maker_fill_with_trades(
    adapters: ExchangeAdapters, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    adapter = connector(adapters, paper_account)
    info = await paper_exchange.set_mid("BTCUSDT", "60000")
    # The touch holds 0.05; the next ask level is 1 USDT higher, beyond our limit.
    price = D(info["bestAsk"]) + D("0.5")
    placed = await adapter.create_order(limit(OrderSide.BUY, "0.08", price))
    assert placed.status is VenueOrderStatus.OPEN
    assert placed.filled == D("0.05")
    assert placed.average_price == D(info["bestAsk"])
    # The taker fill comes with the answer: the pipeline records a placement's fills from it.
    assert [(t.amount, t.is_maker) for t in placed.trades] == [(D("0.05"), False)]

    await paper_exchange.set_mid("BTCUSDT", str(price - 5))  # the mid crosses our price
    done = await adapter.fetch_order(SYMBOL, exchange_order_id=placed.exchange_order_id)
    assert done is not None
    assert (done.status, done.filled) == (VenueOrderStatus.CLOSED, D("0.08"))
    trades = await adapter.fetch_my_trades(SYMBOL, exchange_order_id=placed.exchange_order_id)
    assert sorted((t.amount, t.is_maker) for t in trades) == [(D("0.03"), True), (D("0.05"), False)]
    assert {t.price for t in trades} == {D(info["bestAsk"]), price}
    assert all(t.fee_currency == "BTC" and t.fee_amount == t.amount * D("0.001") for t in trades)
    assert all(t.order_id == placed.exchange_order_id for t in trades)
    assert len({t.trade_id for t in trades}) == 2


async def test_duplicate_client_id_is_ambiguous_on_a_send_and_market_orders_fill(
    adapters: ExchangeAdapters, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    adapter = connector(adapters, paper_account)
    info = await paper_exchange.set_mid("BTCUSDT", "60000")
    sent = limit(OrderSide.BUY, "0.01", D(info["bestBid"]) - 500)
    await adapter.create_order(sent)
    with pytest.raises(AmbiguousExchangeError) as excinfo:
        await adapter.create_order(sent)
    assert (excinfo.value.reason, excinfo.value.venue_code) == ("duplicate_client_order_id", "3111")
    assert len(await venue_orders(paper_exchange, paper_account, sent.client_order_id)) == 1
    # A market buy (Coinstore sizes those in quote) goes out as a limit IOC for our
    # amount, capped 5 % above the best ask; a market sell is a market order.
    bought = await adapter.create_order(OrderToSend(SYMBOL, OrderSide.BUY, OrderType.MARKET,
                                                    D("0.001"), None, client_order_id_for(uuid.uuid4())))  # fmt: skip
    assert (bought.status, bought.filled, bought.average_price) == (
        VenueOrderStatus.CLOSED, D("0.001"), D(info["bestAsk"]))  # fmt: skip
    (venue_buy,) = await venue_orders(paper_exchange, paper_account, bought.client_order_id or "")
    assert (venue_buy["type"], venue_buy["timeInForce"]) == ("LIMIT", "IOC")
    cap = (D(info["bestAsk"]) * D("1.05")).quantize(D("0.01"), rounding=ROUND_CEILING)
    assert D(venue_buy["price"]) == cap
    sold = await adapter.create_order(OrderToSend(SYMBOL, OrderSide.SELL, OrderType.MARKET,
                                                  D("0.001"), None, client_order_id_for(uuid.uuid4())))  # fmt: skip
    assert (sold.status, sold.filled, sold.average_price) == (
        VenueOrderStatus.CLOSED, D("0.001"), D(info["bestBid"]))  # fmt: skip
    with pytest.raises(PermanentExchangeError) as poor:
        await adapter.create_order(limit(OrderSide.BUY, "100", D(info["bestBid"])))
    assert (poor.value.reason, poor.value.venue_code) == ("insufficient_funds", "3113")
    await adapter.cancel_all_orders(SYMBOL)
    assert await adapter.fetch_open_orders(SYMBOL) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "reason", "processed"),
    [
        ("accept_then_drop", "network", True),
        ("accept_then_504", "venue_unavailable", True),
        ("accept_then_hang", "timeout", True),
        ("hang", "timeout", False),
        ("http_500", "venue_unavailable", False),
        ("http_503", "venue_unavailable", False),
    ],
)
async def test_faults_on_a_send_are_ambiguous_and_the_lookup_tells(
    adapters: ExchangeAdapters, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin,
    fault: str, reason: str, processed: bool,
) -> None:  # fmt: skip
    adapter = connector(adapters, paper_account)
    info = await paper_exchange.set_mid("BTCUSDT", "60000")
    await paper_exchange.inject_fault(fault, PLACE, api_key=paper_account.api_key, hang_s=5)
    sent = limit(OrderSide.BUY, "0.01", D(info["bestBid"]) - 100)
    with pytest.raises(AmbiguousExchangeError) as excinfo:
        await adapter.create_order(sent)
    assert excinfo.value.reason == reason
    found = await adapter.fetch_order(SYMBOL, client_order_id=sent.client_order_id)
    assert (found is not None) is processed
    assert len(await venue_orders(paper_exchange, paper_account, sent.client_order_id)) == int(
        processed
    )


@pytest.mark.slow
async def test_a_429_is_transient_and_blocks_the_budgets(
    db_pool: AsyncConnectionPool, paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    layer, other_process = (
        make_adapters(db_pool, paper_exchange.url),
        make_adapters(db_pool, paper_exchange.url),
    )
    try:
        adapter = connector(layer, paper_account)
        await adapter.load_markets()
        await paper_exchange.inject_fault("http_429", PLACE, api_key=paper_account.api_key,
                                          retry_after_s=30)  # fmt: skip
        with pytest.raises(RateLimitedError) as excinfo:
            await adapter.create_order(limit(OrderSide.BUY, "0.01", "50000"))
        assert (excinfo.value.reason, excinfo.value.retry_after_s) == ("rate_limited", 30)
        await paper_exchange.clear_request_counts()
        # Another process with another credential on this IP waits too, and sends nothing.
        other = other_process.for_credential(coinstore_credential(paper_account))
        with pytest.raises(RateLimitedError) as blocked:
            await other.fetch_balance()
        assert blocked.value.reason == "budget_exhausted"
        assert 25 < (blocked.value.retry_after_s or 0) <= 30
        assert await paper_exchange.request_counts(api_key=paper_account.api_key) == {}
    finally:
        await layer.close_all()
        await other_process.close_all()


async def test_the_paper_dialect_speaks_coinstore_envelopes(
    paper_exchange: PaperExchangeAdmin,
) -> None:
    async with httpx.AsyncClient(base_url=paper_exchange.url) as http:
        symbols = (
            await http.post("/coinstore/api/v2/public/config/spot/symbols", content=b"{}")
        ).json()
        bad_depth = await http.get("/coinstore/api/v1/market/depth/BTCUSDT", params={"depth": 7})
        no_symbol = await http.get("/coinstore/api/v1/market/depth/NOPEUSDT")
    assert symbols["code"] == 0
    assert {s["symbolCode"] for s in symbols["data"]} >= {"BTCUSDT", "ETHUSDT"}
    assert (bad_depth.status_code, bad_depth.json()["code"]) == (400, 400)
    assert no_symbol.json()["code"] == 3011
    assert json.loads(no_symbol.content)["data"] is None
