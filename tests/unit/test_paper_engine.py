"""Matching engine, balances and fees, without any I/O.

BTCUSDT in the default config: mid 60000.00, tick 0.01, spread 2 ticks, so the touch
is 59999.99 / 60000.01; levels are 1.00 apart (100 ticks) and level i holds
0.05 * (i + 1) BTC. The fee is 0.1% of the received asset.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from paper_exchange.accounts import Account, AccountStore
from paper_exchange.config import PaperConfig
from paper_exchange.engine import Engine
from paper_exchange.errors import BinanceError
from paper_exchange.market import Market
from paper_exchange.order_request import OrderRequest

D = Decimal
NOW = 1_700_000_000_000
FEE = D("0.001")


def make_engine() -> Engine:
    config = PaperConfig(walk_interval_s=0, seed=1)
    market = Market(config.symbols, config.seed)
    return Engine(config, market, AccountStore())


def fund(engine: Engine, **balances: str) -> Account:
    return engine.accounts.create({k: D(v) for k, v in balances.items()})


def req(
    side: str,
    order_type: str = "LIMIT",
    *,
    qty: str | None = None,
    price: str | None = None,
    tif: str | None = "GTC",
    quote: str | None = None,
    client_id: str | None = None,
    symbol: str = "BTCUSDT",
) -> OrderRequest:
    return OrderRequest(
        symbol=symbol,
        side=side,
        type=order_type,
        time_in_force=tif if order_type == "LIMIT" else None,
        quantity=D(qty) if qty is not None else None,
        quote_order_qty=D(quote) if quote is not None else None,
        price=D(price) if price is not None else None,
        client_order_id=client_id,
        resp_type="FULL",
        stp_mode="EXPIRE_MAKER",
    )


def free(account: Account, asset: str) -> Decimal:
    return account.balance(asset).free


def locked(account: Account, asset: str) -> Decimal:
    return account.balance(asset).locked


def test_book_is_built_around_the_mid() -> None:
    engine = make_engine()
    book = engine.market.symbols["BTCUSDT"].book(3)
    assert [lvl.price for lvl in book.bids] == [D("59999.99"), D("59998.99"), D("59997.99")]
    assert [lvl.price for lvl in book.asks] == [D("60000.01"), D("60001.01"), D("60002.01")]
    assert [lvl.qty for lvl in book.asks] == [D("0.05"), D("0.10"), D("0.15")]


def test_crossing_limit_buy_fills_the_touch_and_rests_the_rest() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="100000", BTC="0")
    # 0.2 at 60001.00 crosses only the touch (60000.01 x 0.05); 60001.01 is above it.
    result = engine.place(acct, req("BUY", qty="0.2", price="60001.00"), NOW)
    order = result.order
    assert [(t.price, t.qty, t.is_maker) for t in result.fills] == [
        (D("60000.01"), D("0.05"), False)
    ]
    assert order.status == "PARTIALLY_FILLED"
    assert order.executed_qty == D("0.05")
    assert order.cumulative_quote_qty == D("60000.01") * D("0.05")
    # Quote: the 0.15 still open stays locked at the limit price; the fill paid its price.
    assert locked(acct, "USDT") == D("0.15") * D("60001.00")
    assert free(acct, "USDT") == D("100000") - D("0.05") * D("60000.01") - D("0.15") * D("60001.00")
    # Base: received 0.05 less the 0.1% commission, charged in BTC.
    assert result.fills[0].commission == D("0.05") * FEE
    assert result.fills[0].commission_asset == "BTC"
    assert free(acct, "BTC") == D("0.05") - D("0.05") * FEE


def test_market_buy_walks_levels() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="100000")
    result = engine.place(acct, req("BUY", "MARKET", qty="0.12"), NOW)
    assert [(t.price, t.qty) for t in result.fills] == [
        (D("60000.01"), D("0.05")),
        (D("60001.01"), D("0.07")),
    ]
    assert result.order.status == "FILLED"
    cost = D("60000.01") * D("0.05") + D("60001.01") * D("0.07")
    assert free(acct, "USDT") == D("100000") - cost
    assert locked(acct, "USDT") == 0


def test_market_order_larger_than_the_book_expires_the_remainder() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="1000000")
    depth = sum(D("0.05") * (i + 1) for i in range(20))  # 20 levels: 10.5 BTC
    result = engine.place(acct, req("BUY", "MARKET", qty="11"), NOW)
    assert result.order.status == "EXPIRED"
    assert result.order.executed_qty == depth
    assert len(result.fills) == 20


def test_market_sell_pays_commission_in_quote() -> None:
    engine = make_engine()
    acct = fund(engine, BTC="1")
    result = engine.place(acct, req("SELL", "MARKET", qty="0.01"), NOW)
    proceeds = D("59999.99") * D("0.01")
    assert result.fills[0].commission == (proceeds * FEE).quantize(D("0.00000001"))
    assert result.fills[0].commission_asset == "USDT"
    assert free(acct, "USDT") == proceeds - result.fills[0].commission
    assert free(acct, "BTC") == D("0.99")


def test_market_buy_by_quote_quantity_spends_at_most_the_quote() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="10000")
    result = engine.place(acct, req("BUY", "MARKET", quote="6000"), NOW)
    order = result.order
    # 0.05 @ 60000.01 = 3000.0005, then 2999.9995 / 60001.01 floors to 0.04999 BTC.
    assert [(t.price, t.qty) for t in result.fills] == [
        (D("60000.01"), D("0.05")),
        (D("60001.01"), D("0.04999")),
    ]
    assert order.status == "FILLED"
    assert order.orig_quote_qty == D("6000")
    assert order.cumulative_quote_qty <= D("6000")
    assert free(acct, "USDT") == D("10000") - order.cumulative_quote_qty


def test_ioc_remainder_expires_and_lock_is_released() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="100000")
    result = engine.place(acct, req("BUY", qty="0.2", price="60001.00", tif="IOC"), NOW)
    assert result.order.status == "EXPIRED"
    assert result.order.executed_qty == D("0.05")
    assert locked(acct, "USDT") == 0
    assert free(acct, "USDT") == D("100000") - D("0.05") * D("60000.01")


def test_fok_that_cannot_fill_completely_expires_without_trades() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="100000")
    result = engine.place(acct, req("BUY", qty="0.2", price="60001.00", tif="FOK"), NOW)
    assert result.order.status == "EXPIRED"
    assert result.fills == []
    assert result.order.executed_qty == 0
    assert free(acct, "USDT") == D("100000")
    assert locked(acct, "USDT") == 0


def test_fok_that_can_fill_completely_fills() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="100000")
    result = engine.place(acct, req("BUY", qty="0.15", price="60001.01", tif="FOK"), NOW)
    assert result.order.status == "FILLED"
    assert sum(t.qty for t in result.fills) == D("0.15")


def test_limit_buy_below_the_ask_rests_and_locks_quote() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="1000")
    result = engine.place(acct, req("BUY", qty="0.01", price="59000.00"), NOW)
    assert result.fills == []
    assert result.order.status == "NEW"
    assert locked(acct, "USDT") == D("590.00")
    assert free(acct, "USDT") == D("410.00")


def test_resting_buy_fills_as_maker_when_the_mid_moves_through_it() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="1000")
    order = engine.place(acct, req("BUY", qty="0.01", price="59000.00"), NOW).order
    assert engine.set_mid("BTCUSDT", D("59500"), NOW) == []  # not there yet
    trades = engine.set_mid("BTCUSDT", D("58999.50"), NOW + 1)
    assert [(t.price, t.qty, t.is_maker) for t in trades] == [(D("59000.00"), D("0.01"), True)]
    assert order.status == "FILLED"
    assert locked(acct, "USDT") == 0
    assert free(acct, "USDT") == D("410.00")
    assert free(acct, "BTC") == D("0.01") - D("0.01") * FEE


def test_resting_sell_fills_when_the_mid_rises_to_it() -> None:
    engine = make_engine()
    acct = fund(engine, BTC="0.5")
    order = engine.place(acct, req("SELL", qty="0.5", price="61000.00"), NOW).order
    assert locked(acct, "BTC") == D("0.5")
    trades = engine.set_mid("BTCUSDT", D("61000.00"), NOW + 1)
    assert len(trades) == 1
    assert order.status == "FILLED"
    assert locked(acct, "BTC") == 0
    proceeds = D("0.5") * D("61000.00")
    assert free(acct, "USDT") == proceeds - proceeds * FEE


def test_random_walk_steps_fill_a_resting_order_eventually() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="1000")
    sm = engine.market.symbols["BTCUSDT"]
    price = sm.mid - D("5.00")
    order = engine.place(acct, req("BUY", qty="0.01", price=str(price)), NOW).order
    for _ in range(2000):
        engine.step("BTCUSDT", 1, NOW)
        if not order.is_open:
            break
    assert order.status == "FILLED"
    assert sm.mid <= price


def test_cancel_releases_the_remaining_lock() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="100000")
    order = engine.place(acct, req("BUY", qty="0.2", price="60001.00"), NOW).order
    engine.cancel(acct, "BTCUSDT", order.order_id, None, NOW + 1)
    assert order.status == "CANCELED"
    assert locked(acct, "USDT") == 0
    assert free(acct, "USDT") == D("100000") - D("0.05") * D("60000.01")
    with pytest.raises(BinanceError) as err:
        engine.cancel(acct, "BTCUSDT", order.order_id, None, NOW + 2)
    assert (err.value.code, err.value.msg) == (-2011, "Unknown order sent.")


def test_cancel_all_cancels_only_that_symbol_and_account() -> None:
    engine = make_engine()
    acct, other = fund(engine, USDT="10000", BTC="1"), fund(engine, USDT="10000")
    a = engine.place(acct, req("BUY", qty="0.01", price="50000.00"), NOW).order
    b = engine.place(acct, req("SELL", qty="0.01", price="70000.00"), NOW).order
    c = engine.place(acct, req("BUY", qty="1", price="100.00", symbol="SOLUSDT"), NOW).order
    d = engine.place(other, req("BUY", qty="0.01", price="50000.00"), NOW).order
    cancelled = engine.cancel_all(acct, "BTCUSDT", NOW)
    assert {o.order_id for o in cancelled} == {a.order_id, b.order_id}
    assert (c.status, d.status) == ("NEW", "NEW")
    assert locked(acct, "BTC") == 0
    assert locked(acct, "USDT") == D("100.00")
    with pytest.raises(BinanceError) as err:
        engine.cancel_all(acct, "BTCUSDT", NOW)
    assert err.value.code == -2011


def test_insufficient_balance_rejects_without_creating_an_order() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="100")
    with pytest.raises(BinanceError) as err:
        engine.place(acct, req("BUY", qty="0.01", price="59000.00"), NOW)
    assert err.value.code == -2010
    assert err.value.msg == "Account has insufficient balance for requested action."
    assert engine.orders["BTCUSDT"] == []
    assert (free(acct, "USDT"), locked(acct, "USDT")) == (D("100"), D("0"))
    with pytest.raises(BinanceError):
        engine.place(acct, req("SELL", "MARKET", qty="0.01"), NOW)


def test_client_order_id_is_unique_among_open_orders_only() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="100000", BTC="1")
    first = engine.place(acct, req("BUY", qty="0.01", price="59000.00", client_id="dup"), NOW)
    with pytest.raises(BinanceError) as err:
        engine.place(acct, req("BUY", qty="0.01", price="58000.00", client_id="dup"), NOW)
    assert (err.value.code, err.value.msg) == (-2010, "Duplicate order sent.")
    # Another account may use the same id at the same time.
    other = fund(engine, USDT="1000")
    engine.place(other, req("BUY", qty="0.01", price="59000.00", client_id="dup"), NOW)
    # Once the first order is filled, the id may be reused ...
    engine.set_mid("BTCUSDT", D("58990"), NOW)
    assert first.order.status == "FILLED"
    engine.set_mid("BTCUSDT", D("60000"), NOW)
    second = engine.place(acct, req("SELL", "MARKET", qty="0.01", client_id="dup"), NOW)
    assert second.order.order_id != first.order.order_id
    # ... and a lookup by client id returns the newest order carrying it.
    found = engine.find(acct, "BTCUSDT", None, "dup")
    assert found is second.order
    assert engine.find(acct, "BTCUSDT", first.order.order_id, None) is first.order


def test_canceled_order_frees_its_client_order_id() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="10000")
    first = engine.place(acct, req("BUY", qty="0.01", price="59000.00", client_id="c1"), NOW)
    engine.cancel(acct, "BTCUSDT", None, "c1", NOW)
    again = engine.place(acct, req("BUY", qty="0.01", price="59000.00", client_id="c1"), NOW)
    assert again.order.order_id == first.order.order_id + 1


def test_unknown_order_lookup_is_2013() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="1")
    with pytest.raises(BinanceError) as err:
        engine.find(acct, "BTCUSDT", 999, None)
    assert (err.value.code, err.value.msg) == (-2013, "Order does not exist.")


def test_orders_of_another_account_are_invisible() -> None:
    engine = make_engine()
    owner, other = fund(engine, USDT="10000"), fund(engine, USDT="10000")
    order = engine.place(owner, req("BUY", qty="0.01", price="59000.00"), NOW).order
    with pytest.raises(BinanceError):
        engine.find(other, "BTCUSDT", order.order_id, None)
    with pytest.raises(BinanceError):
        engine.cancel(other, "BTCUSDT", order.order_id, None, NOW)


def test_order_and_trade_ids_increase_per_symbol() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="100000", BTC="1", SOL="100")
    o1 = engine.place(acct, req("BUY", "MARKET", qty="0.12"), NOW)
    o2 = engine.place(acct, req("SELL", "MARKET", qty="1", symbol="SOLUSDT"), NOW)
    o3 = engine.place(acct, req("SELL", "MARKET", qty="0.01"), NOW)
    assert (o1.order.order_id, o3.order.order_id) == (1, 2)
    assert o2.order.order_id == 1
    assert [t.id for t in o1.fills] == [1, 2]
    assert [t.id for t in o3.fills] == [3]
    assert [t.id for t in o2.fills] == [1]


def test_limit_maker_that_would_cross_is_rejected() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="100000")
    with pytest.raises(BinanceError) as err:
        engine.place(acct, req("BUY", "LIMIT_MAKER", qty="0.01", price="60000.01"), NOW)
    assert (err.value.code, err.value.msg) == (-2010, "Order would immediately match and take.")
    assert locked(acct, "USDT") == 0
    ok = engine.place(acct, req("BUY", "LIMIT_MAKER", qty="0.01", price="59999.99"), NOW)
    assert ok.order.status == "NEW"


@pytest.mark.parametrize(
    ("request_", "filter_name"),
    [
        (req("BUY", qty="0.01", price="59000.001"), "PRICE_FILTER"),  # off tick
        (req("BUY", qty="0.01", price="2000000.00"), "PRICE_FILTER"),  # above maxPrice
        (req("BUY", qty="0.000015", price="59000.00"), "LOT_SIZE"),  # off step
        (req("BUY", qty="10000", price="59000.00"), "LOT_SIZE"),  # above maxQty
        (req("BUY", qty="0.00001", price="59000.00"), "NOTIONAL"),  # 0.59 < 5
        (req("BUY", "MARKET", qty="0.00005"), "NOTIONAL"),  # 3.00 at the mid
        (req("BUY", "MARKET", quote="4.99"), "NOTIONAL"),
        (req("BUY", "MARKET", qty="101"), "MARKET_LOT_SIZE"),  # above market maxQty 100
    ],
)
def test_filters_reject_with_1013(request_: OrderRequest, filter_name: str) -> None:
    engine = make_engine()
    acct = fund(engine, USDT="100000000")
    with pytest.raises(BinanceError) as err:
        engine.place(acct, request_, NOW)
    assert (err.value.code, err.value.msg) == (-1013, f"Filter failure: {filter_name}")
    assert engine.orders["BTCUSDT"] == []


def test_unknown_symbol_is_1121() -> None:
    engine = make_engine()
    acct = fund(engine, USDT="1000")
    with pytest.raises(BinanceError) as err:
        engine.place(acct, req("BUY", qty="1", price="1.00", symbol="DOGEUSDT"), NOW)
    assert (err.value.code, err.value.msg) == (-1121, "Invalid symbol.")


def test_walk_is_seeded_and_stays_on_tick() -> None:
    def path(seed: int) -> list[Decimal]:
        config = PaperConfig(walk_interval_s=0, seed=seed)
        sm = Market(config.symbols, config.seed).symbols["ETHUSDT"]
        return [sm.step() for _ in range(50)]

    first, again, other = path(3), path(3), path(4)
    assert first == again
    assert first != other
    assert all(mid % D("0.01") == 0 for mid in first)
    assert all(a != b for a, b in itertools.pairwise(first))  # every step moves
