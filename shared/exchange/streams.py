"""The optional stream side of the adapter protocol: push instead of poll.

`ExchangeAdapter.user_stream()` and `.book_stream()` hand out a new stream, or None
where the venue (or its connector, so far) has none: the worker then keeps the REST
path. A stream instance is one connection's life: after an error the caller closes it
and asks for a new one, and closes the gap with REST before trusting it again.

Every `next_*` call waits for what arrived since the previous call (never misses a
change in between: order updates come as each order's latest state with its new
trades, balance changes once each) and raises shared.exchange.errors' classes when the stream
breaks, exactly as REST calls do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from shared.exchange.types import AssetBalance, ExchangeOrder, OrderBook


@dataclass(frozen=True, slots=True)
class BalanceUpdate:
    """The assets a balance event changed (not the whole account), as of `at`, the
    venue's time of the change."""

    balances: dict[str, AssetBalance]
    at: datetime


@runtime_checkable
class UserStream(Protocol):
    """A credential's order, trade and balance events."""

    async def subscribe(self) -> None:
        """Connect and authenticate; returns once the venue confirmed the subscription."""
        ...

    async def next_orders(self) -> list[ExchangeOrder]:
        """Orders that changed since the last call, each in its latest state (status,
        cumulative fill) with the trades that arrived for it since then in `trades`: the
        worker writes a status and the fills behind it in one statement, so a stream that
        breaks between the two cannot leave an order filled without its fills."""
        ...

    async def next_balances(self) -> BalanceUpdate: ...

    async def close(self) -> None: ...


@runtime_checkable
class BookStream(Protocol):
    """Best bid and ask per symbol, keyless and shared by every bot of a process."""

    async def next_book(self, symbol: str) -> OrderBook:
        """The symbol's next top of book (one level a side), with `fetched_at` the time it
        arrived; subscribes on the first call."""
        ...

    async def forget(self, symbol: str) -> None:
        """Unsubscribe the symbol (no bot needs it any more)."""
        ...

    async def close(self) -> None: ...
