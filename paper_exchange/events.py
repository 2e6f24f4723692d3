"""What the matching engine tells the rest of the venue: order, balance and book changes.

The engine is shared by every dialect and knows nothing about WebSockets. It publishes
plain events on an :class:`EventBus`; the stream modules (``ws_api``, ``market_streams``)
subscribe to it when the server starts. With no subscriber (unit tests, a venue nobody
streams from) publishing costs a loop over an empty list.

Listeners are called synchronously, inside the engine call that caused the change, so
an event is seen before the next engine call can change the state again. A listener
must not call back into the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from paper_exchange.models import Order, Trade
from paper_exchange.numbers import ZERO
from paper_exchange.order_lists import OrderList


@dataclass(frozen=True)
class OrderUpdate:
    """One change of an order, as Binance reports it in an ``executionReport``.

    ``status``, ``cumulative_qty`` and ``cumulative_quote_qty`` are the order's state
    right after this change (an order that takes three levels reports three TRADE
    updates with growing cumulative quantities); the order itself holds the final state.
    """

    order: Order
    execution_type: str  # NEW | TRADE | CANCELED | EXPIRED
    status: str
    cumulative_qty: Decimal
    cumulative_quote_qty: Decimal
    transaction_time: int
    trade: Trade | None = None


@dataclass(frozen=True)
class BalanceUpdate:
    """The account's balances of ``assets`` changed (Binance: ``outboundAccountPosition``)."""

    api_key: str
    assets: tuple[str, ...]
    time: int


@dataclass(frozen=True)
class ListUpdate:
    """An order list was placed or changed status (Binance: ``listStatus``).

    ``list_status_type``/``list_order_status`` are the list's state at this change."""

    order_list: OrderList
    list_status_type: str
    list_order_status: str
    transaction_time: int


def list_update(order_list: OrderList) -> ListUpdate:
    return ListUpdate(
        order_list,
        order_list.list_status_type,
        order_list.list_order_status,
        order_list.transaction_time,
    )


@dataclass(frozen=True)
class BookUpdate:
    """The synthetic book of ``symbol`` changed (its mid moved)."""

    symbol: str


def order_update(
    order: Order, execution_type: str, now_ms: int, trade: Trade | None = None
) -> OrderUpdate:
    """An update carrying the order's current state."""
    return OrderUpdate(
        order=order,
        execution_type=execution_type,
        status=order.status,
        cumulative_qty=order.executed_qty,
        cumulative_quote_qty=order.cumulative_quote_qty,
        transaction_time=now_ms,
        trade=trade,
    )


def placement_updates(order: Order, trades: list[Trade], now_ms: int) -> list[OrderUpdate]:
    """What Binance reports for a new order: NEW, one TRADE per taker fill, and EXPIRED
    when an IOC/FOK/MARKET order ends with a rest (or, FOK, no fill at all).

    The fills already happened when this runs, so each TRADE's cumulative state is
    rebuilt from the fills before it; only the last one can carry FILLED.
    """
    updates = [OrderUpdate(order, "NEW", "NEW", ZERO, ZERO, now_ms)]
    return updates + fill_updates(order, trades, now_ms)


def fill_updates(order: Order, trades: list[Trade], now_ms: int) -> list[OrderUpdate]:
    """The TRADE updates of taker fills (and EXPIRED for a rest that did not stay), as
    for a new order, or for a stop order when it triggers."""
    updates: list[OrderUpdate] = []
    cumulative_qty = cumulative_quote = ZERO
    for index, trade in enumerate(trades):
        cumulative_qty += trade.qty
        cumulative_quote += trade.quote_qty
        last = index == len(trades) - 1
        status = "FILLED" if last and order.status == "FILLED" else "PARTIALLY_FILLED"
        updates.append(
            OrderUpdate(order, "TRADE", status, cumulative_qty, cumulative_quote, now_ms, trade)
        )
    if order.status == "EXPIRED":
        updates.append(order_update(order, "EXPIRED", now_ms))
    return updates


VenueEvent = OrderUpdate | BalanceUpdate | BookUpdate | ListUpdate
Listener = Callable[[VenueEvent], None]


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add ``listener``; returns the function that removes it again."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def publish(self, event: VenueEvent) -> None:
        for listener in list(self._listeners):
            listener(event)
