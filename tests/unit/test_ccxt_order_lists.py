"""Binance OCO order lists on the wire (shared.exchange.ccxt_order_lists), their legs
parsed back (shared.exchange.ccxt_parsing), and which venues have them."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from shared.domain import OrderSide, OrderType
from shared.exchange.capabilities import OrderListsNotSupported, has_oco, order_lists_of
from shared.exchange.ccxt_adapter import CcxtAdapter
from shared.exchange.ccxt_order_lists import leg_ids, oco_params
from shared.exchange.ccxt_parsing import parse_order
from shared.exchange.protocol import SupportsOrderLists
from shared.exchange.types import OcoToSend


class _Client:
    """What oco_params asks of a ccxt client: the market id and its precision helpers."""

    def market(self, symbol: str) -> dict[str, Any]:
        return {"id": symbol.replace("/", "")}

    def price_to_precision(self, symbol: str, price: str) -> str:
        return str(D(price).quantize(D("0.01")))

    def amount_to_precision(self, symbol: str, amount: str) -> str:
        return str(D(amount).quantize(D("0.001")))


def _request(side: OrderSide) -> OcoToSend:
    return OcoToSend(
        symbol="SOL/USDT", side=side, amount=D("1.5"), list_client_order_id="tbLIST",
        take_profit_price=D("160") if side is OrderSide.SELL else D("140"),
        take_profit_client_order_id="tbTP",
        stop_price=D("145") if side is OrderSide.SELL else D("155"),
        stop_limit_price=D("144.5") if side is OrderSide.SELL else D("155.5"),
        stop_client_order_id="tbSL",
    )  # fmt: skip


def test_a_sell_puts_the_take_profit_above_as_maker_and_the_stop_below() -> None:
    params = oco_params(_Client(), _request(OrderSide.SELL))  # type: ignore[arg-type]
    assert params == {
        "symbol": "SOLUSDT", "side": "SELL", "quantity": "1.500",
        "listClientOrderId": "tbLIST", "newOrderRespType": "FULL",
        "selfTradePreventionMode": "EXPIRE_TAKER",
        "aboveType": "LIMIT_MAKER", "abovePrice": "160.00", "aboveClientOrderId": "tbTP",
        "belowType": "STOP_LOSS_LIMIT", "belowStopPrice": "145.00", "belowPrice": "144.50",
        "belowTimeInForce": "GTC", "belowClientOrderId": "tbSL",
    }  # fmt: skip


def test_a_buy_mirrors_the_legs() -> None:
    params = oco_params(_Client(), _request(OrderSide.BUY))  # type: ignore[arg-type]
    assert params["side"] == "BUY"
    assert (params["aboveType"], params["aboveStopPrice"]) == ("STOP_LOSS_LIMIT", "155.00")
    assert (params["belowType"], params["belowPrice"]) == ("LIMIT_MAKER", "140.00")
    assert "belowStopPrice" not in params


def _unified(venue_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "7", "clientOrderId": "tbSL", "symbol": "SOL/USDT", "side": "sell",
        "type": "limit", "status": "open", "amount": 1.5, "filled": 0.0, "price": 144.5,
        "average": None, "timestamp": None, "info": {"type": venue_type}, **extra,
    }  # fmt: skip


def test_a_stop_loss_limit_leg_parses_as_such_with_its_stop_price() -> None:
    order = parse_order(_unified("STOP_LOSS_LIMIT", triggerPrice=145.0))
    assert order.type is OrderType.STOP_LOSS_LIMIT
    assert order.stop_price == D("145.0")
    maker = parse_order(_unified("LIMIT_MAKER", triggerPrice=None))
    assert maker.type is OrderType.LIMIT
    assert maker.stop_price is None


def test_a_list_query_names_its_legs_by_venue_id() -> None:
    raw = {"orderListId": 3, "orders": [{"orderId": 11, "clientOrderId": "a"}, {"orderId": 12}]}
    assert leg_ids(raw) == ["11", "12"]


def test_only_binance_has_oco_and_other_connectors_refuse_order_lists() -> None:
    assert has_oco("binance")
    assert not has_oco("bitmart")
    assert not has_oco("okx")
    for name in ("create_oco", "fetch_order_list"):
        assert callable(getattr(CcxtAdapter, name))

    class _Native:
        venue = "bitmart"

    with pytest.raises(OrderListsNotSupported):
        order_lists_of(_Native())  # type: ignore[arg-type]
    assert not isinstance(_Native(), SupportsOrderLists)
