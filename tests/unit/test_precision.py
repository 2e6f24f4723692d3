from __future__ import annotations

from decimal import Decimal as D

import pytest

from shared.domain import OrderSide, OrderType
from shared.exchange.precision import PreTradeCheckError, prepare_order, round_to_step
from shared.exchange.types import Market

BTC = Market(
    symbol="BTC/USDT", base="BTC", quote="USDT", price_tick=D("0.01"), amount_step=D("0.00001"),
    min_amount=D("0.00001"), max_amount=D("9000"), min_notional=D("5"), max_notional=None,
    min_price=D("0.01"), max_price=D("1000000"),
)  # fmt: skip


def test_rounding_is_toward_the_less_aggressive_side() -> None:
    assert round_to_step(D("1.23456789"), D("0.00001")) == D("1.23456")
    buy = prepare_order(BTC, side=OrderSide.BUY, order_type=OrderType.LIMIT,
                        amount=D("0.123456789"), price=D("50000.129"), reference_price=D("50000"))  # fmt: skip
    sell = prepare_order(BTC, side=OrderSide.SELL, order_type=OrderType.LIMIT,
                         amount=D("0.123456789"), price=D("50000.121"), reference_price=D("50000"))  # fmt: skip
    assert (buy.amount, buy.price) == (D("0.12345"), D("50000.12"))
    assert (sell.amount, sell.price) == (D("0.12345"), D("50000.13"))


@pytest.mark.parametrize(
    ("amount", "price", "reason"),
    [
        (D("0.000001"), D("50000"), "amount_below_step"),
        (D("0.00005"), D("50000"), "notional_too_small"),
        (D("10000"), D("50000"), "amount_too_large"),
        (D("0.1"), D("2000000"), "price_too_large"),
        (D("0.1"), D("60000"), "price_band"),
    ],
)
def test_limits_and_price_band(amount: D, price: D, reason: str) -> None:
    with pytest.raises(PreTradeCheckError) as excinfo:
        prepare_order(BTC, side=OrderSide.BUY, order_type=OrderType.LIMIT, amount=amount,
                      price=price, reference_price=D("50000"), max_deviation_bps=D("500"))  # fmt: skip
    assert excinfo.value.reason == reason


def test_market_orders_check_notional_at_the_reference_price() -> None:
    with pytest.raises(PreTradeCheckError, match="notional"):
        prepare_order(BTC, side=OrderSide.BUY, order_type=OrderType.MARKET, amount=D("0.00001"),
                      price=None, reference_price=D("50000"))  # fmt: skip
    ok = prepare_order(BTC, side=OrderSide.BUY, order_type=OrderType.MARKET, amount=D("0.001"),
                       price=None, reference_price=D("50000"))  # fmt: skip
    assert (ok.amount, ok.price) == (D("0.001"), None)
