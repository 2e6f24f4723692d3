"""The one async adapter protocol every venue connector implements.

The worker sees venues only through this type: `shared.exchange.factory` is the one
place that names a concrete adapter (the ccxt one today), so a native connector for a
venue ccxt lacks is one new class that satisfies this protocol plus a branch in the
factory, and no worker module changes. tests/unit/test_exchange_protocol.py holds both to it.
"""

from __future__ import annotations

from typing import Protocol, Self, runtime_checkable

from shared.exchange.streams import BookStream, UserStream
from shared.exchange.types import (
    AssetBalance,
    Candle,
    ExchangeOrder,
    ExchangeOrderList,
    Market,
    OcoToSend,
    OrderBook,
    OrderToSend,
    Ticker,
    Trade,
)


@runtime_checkable
class ExchangeAdapter(Protocol):
    """Every call maps the venue's errors to shared.exchange.errors, goes through the
    venue's circuit breaker and the shared request budget; reads retry, sends do not."""

    @property
    def venue(self) -> str:
        """The venue code (`venues.code`), e.g. "binance"."""
        ...

    @property
    def host(self) -> str:
        """The endpoint's host: breakers, budgets and cached market data are per host."""
        ...

    @property
    def min_settle_s(self) -> float:
        """How long the venue may still act on an order request we lost, at least: the
        pipeline waits this long (or its configured settle time, if longer) before "not
        found by client order id" may mean "never arrived". 0 where the configured time
        already covers it (Binance: timestamp + recvWindow)."""
        ...

    def bypassing_breaker(self) -> Self:
        """The same adapter (session, budget, markets) with calls that neither wait on the
        venue's breaker nor count toward it: only for cancels under an engaged kill
        switch (worker.orders.cancellation says why)."""
        ...

    async def load_markets(self, *, reload: bool = False) -> dict[str, Market]: ...

    async def market(self, symbol: str) -> Market: ...

    async def fetch_order_book(self, symbol: str, limit: int = 20) -> OrderBook: ...

    async def fetch_ticker(self, symbol: str) -> Ticker: ...

    async def fetch_candles(self, symbol: str, interval: str, limit: int) -> list[Candle]:
        """The last `limit` candles of `interval` ("1m", "1h", ...), oldest first (the
        last one may still be forming). NotSupportedError where the connector has none."""
        ...

    async def fetch_balance(self) -> dict[str, AssetBalance]: ...

    async def create_order(self, order: OrderToSend) -> ExchangeOrder:
        """Send with the explicit client order id. Raises AmbiguousExchangeError when the
        order may exist at the venue."""
        ...

    async def cancel_order(
        self,
        symbol: str,
        *,
        exchange_order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> ExchangeOrder: ...

    async def fetch_order(
        self,
        symbol: str,
        *,
        exchange_order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> ExchangeOrder | None:
        """None when the venue does not know the order."""
        ...

    async def fetch_open_orders(self, symbol: str) -> list[ExchangeOrder]: ...

    async def fetch_my_trades(
        self, symbol: str, *, exchange_order_id: str | None = None, limit: int | None = None
    ) -> list[Trade]: ...

    async def cancel_all_orders(self, symbol: str) -> None: ...

    def user_stream(self) -> UserStream | None:
        """A new user-data stream of this credential (shared.exchange.streams), or None
        where the venue or this connector has none: the worker keeps polling REST."""
        ...

    def book_stream(self) -> BookStream | None:
        """A new keyless best bid/ask stream, or None (books come from REST)."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class SupportsOrderLists(Protocol):
    """An optional capability: venues with native one-cancels-the-other order lists
    (shared.exchange.capabilities.has_oco says which). Same rules as create_order: the
    list's and the legs' client ids are ours and explicit, a lost answer is ambiguous and
    is answered by fetch_order_list before any re-send."""

    async def create_oco(self, request: OcoToSend) -> ExchangeOrderList:
        """Raises AmbiguousExchangeError when the list may exist at the venue."""
        ...

    async def fetch_order_list(
        self, symbol: str, list_client_order_id: str
    ) -> ExchangeOrderList | None:
        """The list with each leg's current state; None when the venue does not know it."""
        ...
