"""Conditional orders (STOP_LOSS[_LIMIT], TAKE_PROFIT[_LIMIT]): when they trigger.

Binance's rule, against the paper market's price (its mid, the only "last price" the
venue has): a SELL stop loss triggers when the price falls to its stopPrice or below, a
SELL take profit when it rises to it or above; BUY mirrors both. An order whose
condition already holds when it arrives is refused (-2010 "Order would trigger
immediately."), as Binance refuses it, rather than triggering on the spot.

Until it triggers the order is open (status NEW) but off the book; once triggered it
trades like the LIMIT (``*_LIMIT``) or MARKET order it stands for.
"""

from __future__ import annotations

from decimal import Decimal

from paper_exchange import errors
from paper_exchange.config import SymbolSpec
from paper_exchange.models import Order

STOP_LOSS_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT"})
TAKE_PROFIT_TYPES = frozenset({"TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})


def condition_met(side: str, order_type: str, stop_price: Decimal, price: Decimal) -> bool:
    """Whether a stop order of this side and type triggers at market ``price``."""
    falls_to_stop = (order_type in STOP_LOSS_TYPES) == (side == "SELL")
    return price <= stop_price if falls_to_stop else price >= stop_price


def would_trigger_immediately() -> errors.BinanceError:
    return errors.BinanceError(-2010, "Order would trigger immediately.")


def check_not_triggered(side: str, order_type: str, stop_price: Decimal, price: Decimal) -> None:
    if condition_met(side, order_type, stop_price, price):
        raise would_trigger_immediately()


def lock_amount(
    spec: SymbolSpec,
    side: str,
    quantity: Decimal,
    price: Decimal | None,
    stop_price: Decimal | None,
) -> tuple[str, Decimal]:
    """What placing the order locks: base for a sell; quote at the limit price for a buy
    (at the stop price for a buy that trades as a market order once triggered)."""
    if side == "SELL":
        return spec.base, quantity
    reference = price if price is not None else stop_price
    assert reference is not None
    return spec.quote, reference * quantity


def due(orders: list[Order], price: Decimal) -> list[Order]:
    """The open, untriggered stop orders whose condition holds at ``price``."""
    return [
        o
        for o in orders
        if o.is_open and not o.is_working and condition_met(o.side, o.type, o.stop_price, price)
    ]
