"""What a venue can do beyond the adapter protocol's common ground.

A position's protective exits rest at the venue as one OCO order list where the venue
has one (Binance spot: `POST /api/v3/orderList/oco`, and the paper exchange's Binance
dialect), else the worker watches the market and sends the exit itself. The venue code
decides, not the adapter instance: the fan-out picks a position's exit mode in SQL-side
bulk work with no adapter at hand.
"""

from __future__ import annotations

from shared.errors import TradebridgeError
from shared.exchange.protocol import ExchangeAdapter, SupportsOrderLists

# Venues whose adapter implements SupportsOrderLists (the ccxt adapter, for Binance).
OCO_VENUES = frozenset({"binance"})


class OrderListsNotSupported(TradebridgeError):
    """An order list was asked of a venue (or connector) without them: a bug upstream,
    since exit modes are chosen with has_oco."""


def has_oco(venue: str) -> bool:
    return venue in OCO_VENUES


def order_lists_of(adapter: ExchangeAdapter) -> SupportsOrderLists:
    """The adapter's order-list calls; raises OrderListsNotSupported where it has none."""
    if has_oco(adapter.venue) and isinstance(adapter, SupportsOrderLists):
        return adapter
    raise OrderListsNotSupported(f"{adapter.venue}: no OCO order lists through this connector")
