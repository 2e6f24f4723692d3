"""The ccxt adapter against the paper exchange over HTTP: the real ccxt code path."""

from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest

from shared.domain import OrderSide, OrderType, TimeInForce
from shared.exchange.errors import (
    AmbiguousExchangeError,
    OrderNotFoundError,
    PermanentExchangeError,
    TransientExchangeError,
)
from shared.exchange.factory import ExchangeAdapters
from shared.exchange.types import OrderToSend, VenueOrderStatus
from shared.orders.client_order_id import client_order_id_for
from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin
from tests.integration.exchange.conftest import credential_for

SYMBOL = "BTC/USDT"


def order(
    side: OrderSide, kind: OrderType, amount: str, price: str | None = None, **kw: object
) -> OrderToSend:
    return OrderToSend(
        symbol=kw.pop("symbol", SYMBOL),  # type: ignore[arg-type]
        side=side, type=kind, amount=D(amount), price=D(price) if price else None,
        client_order_id=client_order_id_for(uuid.uuid4()), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


async def test_markets_book_ticker_and_balance(
    adapters: ExchangeAdapters, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    adapter = adapters.for_credential(credential_for(paper_account))
    market = await adapter.market(SYMBOL)
    info = await paper_exchange.market("BTCUSDT")
    assert market.base == "BTC"
    assert market.quote == "USDT"
    assert market.price_tick > 0
    assert market.amount_step > 0
    assert market.min_notional is not None
    assert market.min_notional > 0
    with pytest.raises(PermanentExchangeError) as excinfo:
        await adapter.market("NOPE/USDT")
    assert excinfo.value.reason == "bad_symbol"

    book = await adapter.fetch_order_book(SYMBOL)
    assert book.bids
    assert book.asks
    assert book.bids[0].price < book.asks[0].price
    assert book.mid is not None
    assert abs(book.mid - D(str(info["mid"]))) / book.mid < D("0.01")
    ticker = await adapter.fetch_ticker(SYMBOL)
    assert ticker.bid is not None
    assert ticker.ask is not None
    assert ticker.bid <= ticker.ask

    balances = await adapter.fetch_balance()
    assert balances["USDT"].free == D("100000")
    assert balances["BTC"].total == D("1")


async def test_limit_order_rests_is_found_by_client_id_and_cancels(
    adapters: ExchangeAdapters, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    adapter = adapters.for_credential(credential_for(paper_account))
    book = await adapter.fetch_order_book(SYMBOL)
    far_bid = str((book.bids[0].price * D("0.9")).quantize(D("0.01")))
    sent = order(OrderSide.BUY, OrderType.LIMIT, "0.01", far_bid, time_in_force=TimeInForce.GTC)
    placed = await adapter.create_order(sent)
    assert placed.status is VenueOrderStatus.OPEN
    assert placed.client_order_id == sent.client_order_id
    assert placed.filled == 0

    found = await adapter.fetch_order(SYMBOL, client_order_id=sent.client_order_id)
    assert found is not None
    assert found.exchange_order_id == placed.exchange_order_id
    balances = await adapter.fetch_balance()
    assert balances["USDT"].used == D("0.01") * D(far_bid)
    assert [o.exchange_order_id for o in await adapter.fetch_open_orders(SYMBOL)] == [
        placed.exchange_order_id
    ]

    canceled = await adapter.cancel_order(SYMBOL, client_order_id=sent.client_order_id)
    assert canceled.status is VenueOrderStatus.CANCELED
    assert await adapter.fetch_open_orders(SYMBOL) == []
    with pytest.raises(OrderNotFoundError):
        await adapter.cancel_order(SYMBOL, exchange_order_id=placed.exchange_order_id)
    assert await adapter.fetch_order(SYMBOL, client_order_id="tbunknown000000000000000000") is None
    venue_orders = await paper_exchange.orders(api_key=paper_account.api_key)
    assert [o["clientOrderId"] for o in venue_orders] == [sent.client_order_id]
    # The venue's self-trade prevention is asked for on every order.
    assert venue_orders[0]["selfTradePreventionMode"] == "EXPIRE_TAKER"


async def test_market_order_fills_with_trades_and_fees(
    adapters: ExchangeAdapters, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    adapter = adapters.for_credential(credential_for(paper_account))
    filled = await adapter.create_order(order(OrderSide.BUY, OrderType.MARKET, "0.05"))
    assert filled.status is VenueOrderStatus.CLOSED
    assert filled.filled == D("0.05")
    assert filled.trades, "a FULL response carries the fills"
    assert sum(t.amount for t in filled.trades) == D("0.05")
    assert all(t.fee_currency == "BTC" and t.fee_amount > 0 for t in filled.trades)

    trades = await adapter.fetch_my_trades(SYMBOL, exchange_order_id=filled.exchange_order_id)
    assert sorted(t.trade_id for t in trades) == sorted(t.trade_id for t in filled.trades)
    venue_trades = await paper_exchange.trades(api_key=paper_account.api_key)
    assert len(venue_trades) == len(trades)


async def test_partial_fill_then_resting_fill_when_the_mid_moves(
    adapters: ExchangeAdapters, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    adapter = adapters.for_credential(credential_for(paper_account))
    book = await adapter.fetch_order_book(SYMBOL, limit=5)
    touch = book.asks[0]
    # Buy more than the touch offers, limited at the touch: part fills, the rest rests.
    sent = order(OrderSide.BUY, OrderType.LIMIT, str(touch.amount * 3), str(touch.price))
    placed = await adapter.create_order(sent)
    assert placed.status is VenueOrderStatus.OPEN
    assert 0 < placed.filled < placed.amount

    await paper_exchange.set_mid("BTCUSDT", touch.price * D("0.98"))
    after = await adapter.fetch_order(SYMBOL, exchange_order_id=placed.exchange_order_id)
    assert after is not None
    assert after.status is VenueOrderStatus.CLOSED
    assert after.filled == placed.amount
    trades = await adapter.fetch_my_trades(SYMBOL, exchange_order_id=placed.exchange_order_id)
    assert sum(t.amount for t in trades) == placed.amount
    assert any(t.is_maker for t in trades)
    assert any(t.is_maker is False for t in trades)


async def test_cancel_all(adapters: ExchangeAdapters, paper_account: PaperAccount) -> None:
    adapter = adapters.for_credential(credential_for(paper_account))
    book = await adapter.fetch_order_book(SYMBOL)
    for step in (D("0.9"), D("0.91"), D("0.92")):
        price = str((book.bids[0].price * step).quantize(D("0.01")))
        await adapter.create_order(order(OrderSide.BUY, OrderType.LIMIT, "0.01", price))
    assert len(await adapter.fetch_open_orders(SYMBOL)) == 3
    await adapter.cancel_all_orders(SYMBOL)
    assert await adapter.fetch_open_orders(SYMBOL) == []


@pytest.mark.parametrize(
    ("make_order", "reason", "venue_code"),
    [
        (lambda: order(OrderSide.BUY, OrderType.MARKET, "50"), "insufficient_funds", "-2010"),
        (lambda: order(OrderSide.BUY, OrderType.LIMIT, "0.001", "100"), "bad_request", "-1013"),
        # Refused by ccxt itself before sending (rounds to zero): no venue code.
        (
            lambda: order(OrderSide.BUY, OrderType.LIMIT, "0.0000001", "50000"),
            "invalid_order",
            None,
        ),
    ],
    ids=["insufficient-funds", "notional-filter", "below-precision"],
)
async def test_refusals_are_permanent_with_the_venue_code(
    adapters: ExchangeAdapters,
    paper_account: PaperAccount,
    paper_exchange: PaperExchangeAdmin,
    make_order: object,
    reason: str,
    venue_code: str | None,
) -> None:
    adapter = adapters.for_credential(credential_for(paper_account))
    with pytest.raises(PermanentExchangeError) as excinfo:
        await adapter.create_order(make_order())  # type: ignore[operator]
    assert (excinfo.value.reason, excinfo.value.venue_code) == (reason, venue_code)
    assert await paper_exchange.orders(api_key=paper_account.api_key) == []


async def test_bad_key_is_permanent_auth(
    adapters: ExchangeAdapters, paper_account: PaperAccount
) -> None:
    wrong = PaperAccount(paper_account.url, paper_account.api_key, "not-the-secret")
    adapter = adapters.for_credential(credential_for(wrong))
    with pytest.raises(PermanentExchangeError) as excinfo:
        await adapter.fetch_balance()
    assert excinfo.value.reason == "auth"
    unknown = PaperAccount(paper_account.url, "unknown-key-" + "x" * 40, "s")
    with pytest.raises(PermanentExchangeError) as excinfo:
        await adapters.for_credential(credential_for(unknown)).create_order(
            order(OrderSide.BUY, OrderType.MARKET, "0.001")
        )
    assert excinfo.value.reason == "auth"


async def test_duplicate_open_client_id_is_ambiguous_and_reuse_after_fill_is_not_refused(
    adapters: ExchangeAdapters, paper_account: PaperAccount, paper_exchange: PaperExchangeAdmin
) -> None:
    adapter = adapters.for_credential(credential_for(paper_account))
    book = await adapter.fetch_order_book(SYMBOL)
    resting = order(
        OrderSide.BUY,
        OrderType.LIMIT,
        "0.01",
        str((book.bids[0].price * D("0.9")).quantize(D("0.01"))),
    )
    await adapter.create_order(resting)
    with pytest.raises(AmbiguousExchangeError) as excinfo:
        await adapter.create_order(resting)
    assert excinfo.value.reason == "duplicate_client_order_id"

    # Binance only enforces uniqueness among *open* orders: a filled order's id is free
    # again. This is why the pipeline never blindly re-sends.
    once = order(OrderSide.BUY, OrderType.MARKET, "0.001")
    await adapter.create_order(once)
    await adapter.create_order(once)
    same_id = [o for o in await paper_exchange.orders(api_key=paper_account.api_key)
               if o["clientOrderId"] == once.client_order_id]  # fmt: skip
    assert len(same_id) == 2


async def test_clock_skew_is_transient_and_not_venue_wide(
    adapters: ExchangeAdapters, paper_account: PaperAccount
) -> None:
    adapter = adapters.for_credential(credential_for(paper_account))
    await adapter.load_markets()
    # ccxt signs with now - timeDifference: a minute behind is outside any recvWindow.
    adapter.client.options["timeDifference"] = 60_000
    with pytest.raises(TransientExchangeError) as excinfo:
        await adapter.create_order(order(OrderSide.BUY, OrderType.MARKET, "0.001"))
    assert (excinfo.value.reason, excinfo.value.venue_code) == ("clock_skew", "-1021")
    assert not excinfo.value.venue_wide
    assert adapter.breaker.failure_count == 0


async def test_unknown_order_lookups(
    adapters: ExchangeAdapters, paper_account: PaperAccount
) -> None:
    adapter = adapters.for_credential(credential_for(paper_account))
    assert await adapter.fetch_order(SYMBOL, exchange_order_id="999999") is None
    with pytest.raises(OrderNotFoundError) as excinfo:
        await adapter.cancel_order(SYMBOL, client_order_id="tb" + "0" * 25)
    assert excinfo.value.venue_code == "-2011"
