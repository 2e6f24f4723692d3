"""The one async adapter protocol every venue connector implements."""

from __future__ import annotations

from typing import Protocol

from shared.exchange.types import (
    AssetBalance,
    ExchangeOrder,
    Market,
    OrderBook,
    OrderToSend,
    Ticker,
    Trade,
)


class ExchangeAdapter(Protocol):
    venue: str
    host: str

    async def load_markets(self, *, reload: bool = False) -> dict[str, Market]: ...

    async def market(self, symbol: str) -> Market: ...

    async def fetch_order_book(self, symbol: str, limit: int = 20) -> OrderBook: ...

    async def fetch_ticker(self, symbol: str) -> Ticker: ...

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

    async def close(self) -> None: ...
