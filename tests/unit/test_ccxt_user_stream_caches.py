"""CcxtUserStream reads ccxt.pro's caches (ccxt resolves a waiting watch with the first
event of a burst only): each changed order once, with the new trades of that very order
— venue order and trade ids are unique per symbol only, so two symbols' order 7 are two
orders. ccxt's client is replaced by its caches alone: the edge we do not own."""

from __future__ import annotations

from decimal import Decimal as D
from types import SimpleNamespace
from typing import Any

from shared.exchange.ccxt_streams import CcxtUserStream


def _order(symbol: str, order_id: str, cid: str, status: str, filled: float) -> dict[str, Any]:
    return {
        "id": order_id, "clientOrderId": cid, "symbol": symbol, "side": "buy", "type": "limit",
        "status": status, "amount": 1.0, "filled": filled, "price": 10.0, "average": None,
        "timestamp": 1_700_000_000_000, "trades": [],
    }  # fmt: skip


def _trade(symbol: str, trade_id: str, order_id: str, amount: float) -> dict[str, Any]:
    return {
        "id": trade_id, "order": order_id, "symbol": symbol, "side": "buy", "price": 10.0,
        "amount": amount, "fee": {"cost": 0.0, "currency": "USDT"}, "takerOrMaker": "maker",
        "timestamp": 1_700_000_000_000, "info": {"c": "ignored"},
    }  # fmt: skip


def _stream(client: Any) -> CcxtUserStream:
    return CcxtUserStream(client, venue="binance", rest=SimpleNamespace(markets={}))


def test_same_ids_on_two_symbols_are_two_orders_each_with_its_own_trades() -> None:
    client = SimpleNamespace(
        orders=[
            _order("BTC/USDT", "7", "tb-btc", "closed", 1.0),
            _order("ETH/USDT", "7", "tb-eth", "open", 0.5),
        ],
        myTrades=[_trade("BTC/USDT", "3", "7", 1.0), _trade("ETH/USDT", "3", "7", 0.5)],
    )
    stream = _stream(client)

    changed = {o.client_order_id: o for o in stream._changed_orders()}

    assert set(changed) == {"tb-btc", "tb-eth"}
    assert [(t.symbol, t.amount) for t in changed["tb-btc"].trades] == [("BTC/USDT", D("1"))]
    assert [(t.symbol, t.amount) for t in changed["tb-eth"].trades] == [("ETH/USDT", D("0.5"))]
    assert stream._changed_orders() == []  # nothing new since


def test_a_burst_is_read_whole_and_a_new_trade_reissues_its_order() -> None:
    client = SimpleNamespace(orders=[_order("BTC/USDT", "1", "a", "open", 0.0)], myTrades=[])
    stream = _stream(client)
    assert [o.client_order_id for o in stream._changed_orders()] == ["a"]

    # Three events landed before the reader woke: two fills of `a`, and `b` placed.
    client.orders = [
        _order("BTC/USDT", "1", "a", "closed", 1.0),
        _order("BTC/USDT", "2", "b", "open", 0.0),
    ]
    client.myTrades = [_trade("BTC/USDT", "10", "1", 0.4), _trade("BTC/USDT", "11", "1", 0.6)]
    changed = {o.client_order_id: o for o in stream._changed_orders()}
    assert set(changed) == {"a", "b"}
    assert sorted(t.trade_id for t in changed["a"].trades) == ["10", "11"]
    assert changed["b"].trades == ()
