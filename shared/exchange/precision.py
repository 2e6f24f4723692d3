"""Local pre-trade checks: round to the venue's precision, enforce its limits, no call made.

Rounding is toward the less aggressive side: amounts down (never more than asked), buy
prices down and sell prices up (never a worse price than asked).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from shared.domain import OrderSide, OrderType
from shared.errors import TradebridgeError
from shared.exchange.types import Market


class PreTradeCheckError(TradebridgeError):
    """The order fails a local check; `reason` is a stable code for the rejection."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PreparedOrder:
    amount: Decimal
    price: Decimal | None


def round_to_step(value: Decimal, step: Decimal, *, up: bool = False) -> Decimal:
    units = (value / step).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR)
    return units * step if units else Decimal(0)


def prepare_order(
    market: Market,
    *,
    side: OrderSide,
    order_type: OrderType,
    amount: Decimal,
    price: Decimal | None,
    reference_price: Decimal | None,
    max_deviation_bps: Decimal | None = None,
) -> PreparedOrder:
    """Round and check an order against `market`; raises PreTradeCheckError."""
    if not market.active:
        raise PreTradeCheckError("market_inactive", f"{market.symbol} is not trading")
    rounded_amount = round_to_step(amount, market.amount_step)
    if rounded_amount <= 0:
        raise PreTradeCheckError(
            "amount_below_step",
            f"amount {amount} rounds to zero at step {market.amount_step}",
        )
    rounded_price: Decimal | None = None
    if order_type is OrderType.LIMIT:
        if price is None:
            raise PreTradeCheckError("price_required", "a limit order needs a price")
        rounded_price = round_to_step(price, market.price_tick, up=side is OrderSide.SELL)
        if rounded_price <= 0:
            raise PreTradeCheckError("price_below_tick", f"price {price} rounds to zero")
        _check_range("price", rounded_price, market.min_price, market.max_price)

    _check_range("amount", rounded_amount, market.min_amount, market.max_amount)
    notional_price = rounded_price if rounded_price is not None else reference_price
    if notional_price is not None:
        notional = rounded_amount * notional_price
        _check_range("notional", notional, market.min_notional, market.max_notional)

    if max_deviation_bps is not None and reference_price and rounded_price is not None:
        deviation_bps = abs(rounded_price - reference_price) / reference_price * 10_000
        if deviation_bps > max_deviation_bps:
            raise PreTradeCheckError(
                "price_band",
                f"price {rounded_price} is {deviation_bps:.0f} bps from the mid "
                f"{reference_price}; the band is {max_deviation_bps} bps",
            )
    return PreparedOrder(amount=rounded_amount, price=rounded_price)


def _check_range(what: str, value: Decimal, low: Decimal | None, high: Decimal | None) -> None:
    if low is not None and value < low:
        raise PreTradeCheckError(f"{what}_too_small", f"{what} {value} is below the minimum {low}")
    if high is not None and value > high:
        raise PreTradeCheckError(f"{what}_too_large", f"{what} {value} is above the maximum {high}")
