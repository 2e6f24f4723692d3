"""Stop-order trigger rules, order-list request weights and the synthetic kline path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paper_exchange.binance_weights import request_weight
from paper_exchange.klines import SyntheticPath
from paper_exchange.stop_orders import condition_met

D = Decimal


@pytest.mark.parametrize(
    ("side", "order_type", "price", "met"),
    [
        ("SELL", "STOP_LOSS_LIMIT", "100", True),  # at the stop
        ("SELL", "STOP_LOSS", "99", True),
        ("SELL", "STOP_LOSS_LIMIT", "101", False),
        ("SELL", "TAKE_PROFIT_LIMIT", "100", True),
        ("SELL", "TAKE_PROFIT", "99", False),
        ("BUY", "STOP_LOSS_LIMIT", "101", True),
        ("BUY", "STOP_LOSS", "99", False),
        ("BUY", "TAKE_PROFIT_LIMIT", "99", True),
        ("BUY", "TAKE_PROFIT", "101", False),
    ],
)
def test_trigger_conditions(side: str, order_type: str, price: str, met: bool) -> None:
    assert condition_met(side, order_type, D("100"), D(price)) is met


@pytest.mark.parametrize(
    ("method", "path", "weight"),
    [
        ("POST", "/api/v3/orderList/oco", 1),
        ("GET", "/api/v3/orderList", 4),
        ("DELETE", "/api/v3/orderList", 1),
        ("GET", "/api/v3/openOrderList", 6),
        ("GET", "/api/v3/allOrderList", 20),
        ("GET", "/api/v3/klines", 2),
    ],
)
def test_order_list_and_kline_weights(method: str, path: str, weight: int) -> None:
    assert request_weight(method, path, {}) == weight


def test_the_synthetic_path_ends_at_the_starting_mid_and_is_seeded() -> None:
    start = 1_700_000_000_000
    path = SyntheticPath(7, "BTCUSDT", start, D("60000"))
    assert path.price(start) == 60000.0
    assert abs(path.price(start - 60_000) / 60000.0 - 1) < 0.01  # a minute before: close by
    same = SyntheticPath(7, "BTCUSDT", start, D("60000"))
    other_seed = SyntheticPath(8, "BTCUSDT", start, D("60000"))
    day_ago = start - 86_400_000
    assert path.price(day_ago) == same.price(day_ago)
    assert path.price(day_ago) != other_seed.price(day_ago)
