"""What the engine publishes for the streams, and the stream building blocks, without I/O.

BTCUSDT: mid 60000.00, touch 59999.99 / 60000.01, levels 1.00 apart, level i 0.05*(i+1).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from decimal import Decimal

import pytest

from paper_exchange.accounts import AccountStore
from paper_exchange.binance_auth import ws_param_text, ws_signed_payload
from paper_exchange.config import PaperConfig
from paper_exchange.engine import Engine
from paper_exchange.events import BalanceUpdate, BookUpdate, EventBus, OrderUpdate, VenueEvent
from paper_exchange.market import Market
from paper_exchange.market_feed import MarketStream, parse_stream
from paper_exchange.order_request import OrderRequest
from paper_exchange.stream_faults import StreamFaultRegistry
from paper_exchange.stream_shapes import execution_report

D = Decimal
NOW = 1_700_000_000_000
SYMBOLS = ("BTCUSDT", "ETHUSDT")


def engine_with_events() -> tuple[Engine, list[VenueEvent]]:
    config = PaperConfig(walk_interval_s=0, seed=1)
    bus = EventBus()
    seen: list[VenueEvent] = []
    bus.subscribe(seen.append)
    return Engine(config, Market(config.symbols, config.seed), AccountStore(), bus), seen


def limit(side: str, qty: str, price: str, tif: str = "GTC") -> OrderRequest:
    return OrderRequest(
        symbol="BTCUSDT",
        side=side,
        type="LIMIT",
        time_in_force=tif,
        quantity=D(qty),
        quote_order_qty=None,
        price=D(price),
        client_order_id="c1",
        resp_type="FULL",
        stp_mode="EXPIRE_MAKER",
    )


def order_updates(events: list[VenueEvent]) -> list[tuple[str, str, Decimal]]:
    return [
        (e.execution_type, e.status, e.cumulative_qty) for e in events if isinstance(e, OrderUpdate)
    ]


def test_a_resting_order_publishes_new_then_a_maker_fill_and_balances() -> None:
    engine, seen = engine_with_events()
    account = engine.accounts.create({"USDT": D(1000)})
    engine.place(account, limit("BUY", "0.01", "59000"), NOW)
    assert order_updates(seen) == [("NEW", "NEW", D(0))]
    assert seen[-1] == BalanceUpdate(account.api_key, ("BTC", "USDT"), NOW)

    seen.clear()
    engine.set_mid("BTCUSDT", D("58999"), NOW + 1)
    assert order_updates(seen) == [("TRADE", "FILLED", D("0.01"))]
    trade_update = seen[0]
    assert isinstance(trade_update, OrderUpdate)
    assert trade_update.trade is not None
    assert trade_update.trade.is_maker
    assert isinstance(seen[1], BalanceUpdate)
    assert seen[-1] == BookUpdate("BTCUSDT")


def test_a_fok_without_a_fill_publishes_new_then_expired() -> None:
    engine, seen = engine_with_events()
    account = engine.accounts.create({"USDT": D(100000)})
    engine.place(account, limit("BUY", "1", "60000.01", tif="FOK"), NOW)
    assert order_updates(seen) == [("NEW", "NEW", D(0)), ("EXPIRED", "EXPIRED", D(0))]


def test_a_fully_taking_order_reports_filled_only_on_its_last_trade() -> None:
    engine, seen = engine_with_events()
    account = engine.accounts.create({"USDT": D(100000)})
    engine.place(account, limit("BUY", "0.15", "60001.01"), NOW)
    assert order_updates(seen) == [
        ("NEW", "NEW", D(0)),
        ("TRADE", "PARTIALLY_FILLED", D("0.05")),
        ("TRADE", "FILLED", D("0.15")),
    ]


def test_a_cancel_publishes_canceled_with_the_cancel_requests_id() -> None:
    engine, seen = engine_with_events()
    account = engine.accounts.create({"USDT": D(1000)})
    order = engine.place(account, limit("BUY", "0.01", "59000"), NOW).order
    seen.clear()
    engine.cancel(account, "BTCUSDT", order.order_id, None, NOW + 1, "my-cancel")
    [update] = [e for e in seen if isinstance(e, OrderUpdate)]
    report = execution_report(update, execution_id=7, event_time=NOW + 2)
    assert (report["x"], report["X"], report["c"], report["C"]) == (
        "CANCELED",
        "CANCELED",
        "my-cancel",
        "c1",
    )
    assert (report["I"], report["E"], report["T"], report["w"]) == (7, NOW + 2, NOW + 1, False)


def test_every_random_walk_step_publishes_a_book_update() -> None:
    engine, seen = engine_with_events()
    engine.step("ETHUSDT", 5, NOW)
    assert seen == [BookUpdate("ETHUSDT")] * 5


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("btcusdt@bookTicker", MarketStream("btcusdt@bookTicker", "BTCUSDT", "bookTicker")),
        ("btcusdt@depth", MarketStream("btcusdt@depth", "BTCUSDT", "depth", 0, 1000)),
        ("ethusdt@depth@100ms", MarketStream("ethusdt@depth@100ms", "ETHUSDT", "depth", 0, 100)),
        ("btcusdt@depth10", MarketStream("btcusdt@depth10", "BTCUSDT", "partial", 10, 1000)),
        (
            "btcusdt@depth20@100ms",
            MarketStream("btcusdt@depth20@100ms", "BTCUSDT", "partial", 20, 100),
        ),
        ("btcusdt@depth7", None),
        ("btcusdt@bookTicker@100ms", None),
        ("BTCUSDT@depth", None),  # stream names are lowercase
        ("dogeusdt@depth", None),
        ("0", None),
    ],
)
def test_stream_names(name: str, expected: MarketStream | None) -> None:
    assert parse_stream(name, SYMBOLS) == expected


def test_ws_api_signature_payload_matches_binances_documented_example() -> None:
    """The HMAC example of Binance's WebSocket API docs: params sorted by name."""
    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    params = {
        "symbol": "BTCUSDT",
        "side": "SELL",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.01000000",
        "price": "52000.00",
        "recvWindow": 100,
        "timestamp": 1645423376532,
        "apiKey": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
        "signature": "ignored",
    }
    payload = ws_signed_payload({k: ws_param_text(v) for k, v in params.items()})
    digest = hmac.new(secret.encode(), payload.total_params.encode(), hashlib.sha256).hexdigest()
    assert digest == "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
    assert payload.signature == "ignored"


def test_per_event_stream_faults_match_scope_and_wear_out() -> None:
    faults = StreamFaultRegistry(itertools.count(1))
    faults.add("stream_duplicate", times=2, stream="user", api_key="k1")
    faults.add("stream_reorder", stream="market")
    assert faults.take("user", "k2") is None
    assert faults.take("market", None) is not None
    assert faults.take("market", None) is None
    assert [faults.take("user", "k1") is not None for _ in range(3)] == [True, True, False]
    # Drop and stall act on open connections at once; nothing is kept for later.
    faults.add("stream_drop")
    assert faults.list() == []
