"""BitMart's request rules: submit_order bodies per order type, amounts in plain
notation, and the documented rate limits converted to the shared budget's minute."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from shared.domain import OrderSide, OrderType, TimeInForce
from shared.exchange.bitmart import BitMart
from shared.exchange.bitmart_requests import RATE_LIMITS, submit_order_body
from shared.exchange.errors import PermanentExchangeError
from shared.exchange.types import OrderToSend
from shared.exchange.wire_numbers import plain

CID = "tb0000000000000000000000001"


def to_send(
    kind: OrderType, side: OrderSide = OrderSide.BUY, price: str | None = "60000.10",
    tif: TimeInForce | None = None, amount: str = "0.00100",
) -> OrderToSend:  # fmt: skip
    return OrderToSend("BTC/USDT", side, kind, D(amount), D(price) if price else None, CID, tif)


def test_a_limit_order_is_limit_or_ioc() -> None:
    body = submit_order_body(to_send(OrderType.LIMIT), best_ask=None)
    assert body == {
        "symbol": "BTC_USDT", "side": "buy", "type": "limit", "client_order_id": CID,
        "size": "0.001", "price": "60000.1", "stpMode": "cancel_taker",
    }  # fmt: skip
    ioc = submit_order_body(to_send(OrderType.LIMIT, tif=TimeInForce.IOC), best_ask=None)
    assert ioc["type"] == "ioc"
    with pytest.raises(PermanentExchangeError) as excinfo:
        submit_order_body(to_send(OrderType.LIMIT, tif=TimeInForce.FOK), best_ask=None)
    assert excinfo.value.reason == "not_supported"


def test_a_market_sell_is_sized_in_base_and_a_market_buy_in_quote() -> None:
    sell = submit_order_body(to_send(OrderType.MARKET, OrderSide.SELL, None), best_ask=None)
    assert (sell["type"], sell["size"], "notional" in sell) == ("market", "0.001", False)
    buy = submit_order_body(to_send(OrderType.MARKET, price=None), best_ask=D("60000.01"))
    assert (buy["notional"], "size" in buy) == ("60.00001", False)
    with pytest.raises(PermanentExchangeError):
        submit_order_body(to_send(OrderType.MARKET, price=None), best_ask=None)


@pytest.mark.parametrize(
    ("value", "text"), [("1E-5", "0.00001"), ("100", "100"), ("1E+2", "100"), ("0.50", "0.5")]
)
def test_amounts_go_out_in_plain_notation(value: str, text: str) -> None:
    assert plain(D(value)) == text


def test_rate_limits_are_bitmarts_counted_over_its_own_windows() -> None:
    expected = {
        # operation: (group, limit, window s, per key) — BitMart: 40/2 s UID, 1/3 s, …
        "create_order": ("submit_order", 40, 2, True),
        "cancel_order": ("cancel_order", 40, 2, True),
        "cancel_all_orders": ("cancel_all", 1, 3, True),
        "fetch_order": ("query_order", 50, 2, True),
        "fetch_open_orders": ("open_orders", 12, 2, True),
        "fetch_my_trades": ("order_trades", 12, 2, True),
        "fetch_balance": ("wallet", 12, 2, True),
        "fetch_order_book": ("books", 15, 2, False),
        "fetch_ticker": ("ticker", 15, 2, False),
        "load_markets": ("symbols_details", 12, 2, False),
    }
    for operation, (group, count, window_s, per_key) in expected.items():
        limit = RATE_LIMITS[operation]
        got = (limit.group, limit.limit, limit.window_s, limit.per_key)
        assert got == (group, count, window_s, per_key), operation
    assert BitMart.RATE_LIMITS is RATE_LIMITS
