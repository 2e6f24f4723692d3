"""The ccxt adapter: every call goes budget → breaker → ccxt → error map.

One instance per credential (one ccxt client, its own HTTP session). Reads are retried
by tenacity; sends are not — a create-order timeout comes back as AmbiguousExchangeError
and the order pipeline looks the order up by client id before anything else.

`bypassing_breaker()` is the same adapter with the breaker step let through, for the one
caller that must not wait on it: cancels under an engaged kill switch
(worker.orders.cancellation says why). The budget and the error map still apply.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import ccxt
import ccxt.async_support as ccxt_async

from shared.domain import OrderType
from shared.exchange.breaker import UnguardedBreaker, VenueBreaker
from shared.exchange.budget import RequestBudget
from shared.exchange.ccxt_order_lists import leg_ids, oco_params, parse_placed_list
from shared.exchange.ccxt_parsing import (
    parse_balance,
    parse_candle,
    parse_market,
    parse_order,
    parse_order_book,
    parse_ticker,
    parse_trade,
)
from shared.exchange.ccxt_responses import response_of
from shared.exchange.ccxt_streams import CcxtBookStream, CcxtUserStream
from shared.exchange.errors import (
    OrderNotFoundError,
    PermanentExchangeError,
    RateLimitedError,
    TransientExchangeError,
    classify_ccxt_error,
)
from shared.exchange.retry import retry_read
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

T = TypeVar("T")

# Binance Spot request weights (docs: "Weight" of each endpoint); other venues count 1.
BINANCE_WEIGHTS: Mapping[str, int] = {
    "load_markets": 20,
    "fetch_order_book": 5,
    "fetch_ticker": 2,
    "fetch_candles": 2,  # GET /api/v3/klines
    "fetch_balance": 20,
    "create_order": 1,
    "cancel_order": 1,
    "fetch_order": 4,
    "fetch_open_orders": 6,
    "fetch_my_trades": 20,
    "cancel_all_orders": 1,
    "create_oco": 1,
    "fetch_order_list": 4,
}
DEFAULT_RETRY_AFTER_S = {"rate_limited": 10.0, "ip_banned": 120.0}

CallObserver = Callable[[str, str, float], None]  # (operation, outcome, seconds)


class CcxtAdapter:
    """shared.exchange.protocol.ExchangeAdapter over a ccxt client; built only by
    shared.exchange.factory."""

    # Binance refuses a request older than recvWindow, which the configured settle time covers.
    min_settle_s = 0.0

    def __init__(
        self,
        client: ccxt_async.Exchange,
        *,
        venue: str,
        breaker: VenueBreaker,
        budget: RequestBudget | None,
        weights: Mapping[str, int] | None = None,
        observer: CallObserver | None = None,
        stream_client: Callable[[], ccxt_async.Exchange] | None = None,
    ) -> None:
        self.client = client
        self.venue = venue
        self.host = host_of(client)
        self.breaker = breaker
        self.budget = budget
        self._weights = weights if weights is not None else {}
        self._observer = observer
        self._markets: dict[str, Market] | None = None
        # Builds a ccxt.pro client per stream; None: this venue is served by REST alone.
        self._stream_client = stream_client

    def bypassing_breaker(self) -> Self:
        """This adapter (same client, budget and markets) with calls that neither wait on
        the venue's breaker nor count toward it."""
        twin = copy.copy(self)
        twin.breaker = UnguardedBreaker(self.breaker.name)
        return twin

    # ------------------------------------------------------------------ plumbing

    async def _call(
        self, operation: str, make_call: Callable[[], Awaitable[T]], *, sends_order: bool = False
    ) -> T:
        if self.budget is not None:
            await self.budget.acquire(self._weights.get(operation, 1))
        started = time.perf_counter()
        outcome = "ok"
        try:
            async with self.breaker.guard():
                try:
                    return await make_call()
                except ccxt.BaseError as exc:
                    # This call's own answer, never the client's last one: other jobs of
                    # the credential share the client (see ccxt_responses).
                    answer = response_of(exc)
                    error = classify_ccxt_error(
                        exc,
                        sends_order=sends_order,
                        venue=self.venue,
                        http_status=answer.status if answer else None,
                        retry_after_s=answer.retry_after_s if answer else None,
                        venue_code=answer.venue_code if answer else None,
                    )
                    outcome = error.outcome.value
                    if isinstance(error, RateLimitedError) and self.budget is not None:
                        error.retry_after_s = error.retry_after_s or DEFAULT_RETRY_AFTER_S.get(
                            error.reason, 30.0
                        )
                        await self.budget.block(error.retry_after_s, error.reason)
                    # Not chained: ccxt's text can carry request URLs; ours is redacted.
                    raise error from None
        finally:
            if self._observer is not None:
                self._observer(operation, outcome, time.perf_counter() - started)

    async def _read(self, operation: str, make_call: Callable[[], Awaitable[T]]) -> T:
        return await retry_read(lambda: self._call(operation, make_call))

    # ------------------------------------------------------------------ markets and data

    async def load_markets(self, *, reload: bool = False) -> dict[str, Market]:
        if self._markets is None or reload:
            raw: dict[str, Any] = await self._read(
                "load_markets", lambda: self.client.load_markets(reload)
            )
            mode = int(self.client.precisionMode)
            self._markets = {
                symbol: parse_market(market, mode)
                for symbol, market in raw.items()
                if market.get("spot", True)
            }
        return self._markets

    async def market(self, symbol: str) -> Market:
        markets = await self.load_markets()
        found = markets.get(symbol)
        if found is None:
            raise PermanentExchangeError(
                f"{self.venue} has no market {symbol}", reason="bad_symbol"
            )
        return found

    async def fetch_order_book(self, symbol: str, limit: int = 20) -> OrderBook:
        raw = await self._read(
            "fetch_order_book", lambda: self.client.fetch_order_book(symbol, limit)
        )
        return parse_order_book(symbol, raw)

    async def fetch_ticker(self, symbol: str) -> Ticker:
        raw = await self._read("fetch_ticker", lambda: self.client.fetch_ticker(symbol))
        return parse_ticker(symbol, raw)

    async def fetch_candles(self, symbol: str, interval: str, limit: int) -> list[Candle]:
        raw = await self._read(
            "fetch_candles",
            lambda: self.client.fetch_ohlcv(symbol, interval, limit=limit),
        )
        return [parse_candle(row) for row in raw]

    async def fetch_balance(self) -> dict[str, AssetBalance]:
        raw = await self._read("fetch_balance", lambda: self.client.fetch_balance())
        return parse_balance(raw)

    # ------------------------------------------------------------------ orders

    async def create_order(self, order: OrderToSend) -> ExchangeOrder:
        params: dict[str, Any] = {"clientOrderId": order.client_order_id}
        if self.venue == "binance":
            params["newOrderRespType"] = "FULL"  # fills in the answer: one call, not two
            # The venue's own guard against self-trades (wash trades): a new order that
            # would match one of the account's resting orders expires instead of trading.
            params["selfTradePreventionMode"] = "EXPIRE_TAKER"
        if order.time_in_force is not None and order.type is OrderType.LIMIT:
            params["timeInForce"] = order.time_in_force.value
        price = float(order.price) if order.price is not None else None
        raw = await self._call(
            "create_order",
            lambda: self.client.create_order(
                order.symbol, order.type.value, order.side.value, float(order.amount), price, params
            ),
            sends_order=True,
        )
        return parse_order(raw)

    def _order_ref(
        self, exchange_order_id: str | None, client_order_id: str | None
    ) -> tuple[str | None, dict[str, Any]]:
        if exchange_order_id is None and client_order_id is None:
            raise ValueError("an order reference needs an exchange id or a client order id")
        params: dict[str, Any] = {}
        if exchange_order_id is None:
            params["clientOrderId"] = client_order_id  # ccxt maps it to each venue's name
        return exchange_order_id, params

    async def fetch_order(
        self,
        symbol: str,
        *,
        exchange_order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> ExchangeOrder | None:
        order_id, params = self._order_ref(exchange_order_id, client_order_id)
        try:
            raw = await self._read(
                "fetch_order", lambda: self.client.fetch_order(order_id, symbol, params)
            )
        except OrderNotFoundError:
            return None
        return parse_order(raw)

    async def cancel_order(
        self,
        symbol: str,
        *,
        exchange_order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> ExchangeOrder:
        order_id, params = self._order_ref(exchange_order_id, client_order_id)
        # A cancel is safe to repeat: a timeout is transient, and "unknown order" on the
        # retry is answered by the caller with a fetch.
        raw = await self._call(
            "cancel_order", lambda: self.client.cancel_order(order_id, symbol, params)
        )
        return parse_order(raw)

    async def fetch_open_orders(self, symbol: str) -> list[ExchangeOrder]:
        raw = await self._read("fetch_open_orders", lambda: self.client.fetch_open_orders(symbol))
        return [parse_order(order) for order in raw]

    async def fetch_my_trades(
        self, symbol: str, *, exchange_order_id: str | None = None, limit: int | None = None
    ) -> list[Trade]:
        params: dict[str, Any] = {}
        if exchange_order_id is not None:
            params["orderId"] = exchange_order_id
        raw = await self._read(
            "fetch_my_trades",
            lambda: self.client.fetch_my_trades(symbol, None, limit, params),
        )
        return [parse_trade(trade) for trade in raw]

    async def cancel_all_orders(self, symbol: str) -> None:
        await self._call("cancel_all_orders", lambda: self.client.cancel_all_orders(symbol))

    # ------------------------------------------------------------------ order lists

    async def create_oco(self, request: OcoToSend) -> ExchangeOrderList:
        """Binance's OCO (shared.exchange.ccxt_order_lists): one request, both legs."""
        await self.load_markets()
        params = oco_params(self.client, request)
        raw = await self._call(
            "create_oco", lambda: self.client.private_post_orderlist_oco(params), sends_order=True
        )
        return parse_placed_list(self.client, request.symbol, raw)

    async def fetch_order_list(
        self, symbol: str, list_client_order_id: str
    ) -> ExchangeOrderList | None:
        await self.load_markets()
        try:
            raw = await self._read(
                "fetch_order_list",
                lambda: self.client.private_get_orderlist(
                    {"origClientOrderId": list_client_order_id}
                ),
            )
        except OrderNotFoundError:
            return None
        legs = []
        for exchange_order_id in leg_ids(raw):
            leg = await self.fetch_order(symbol, exchange_order_id=exchange_order_id)
            if leg is None:  # the venue named it a moment ago: a replica lagging; retry
                raise TransientExchangeError(
                    f"{self.venue}: leg {exchange_order_id} of list "
                    f"{list_client_order_id} not found yet",
                    reason="order_list_leg_not_found",
                )
            legs.append(leg)
        return ExchangeOrderList(
            exchange_list_id=str(raw["orderListId"]),
            list_client_order_id=raw.get("listClientOrderId"),
            symbol=symbol,
            legs=tuple(legs),
        )

    # ------------------------------------------------------------------ streams

    def user_stream(self) -> UserStream | None:
        if self._stream_client is None or not self.client.apiKey:
            return None
        return CcxtUserStream(self._stream_client(), venue=self.venue, rest=self.client)

    def book_stream(self) -> BookStream | None:
        if self._stream_client is None:
            return None
        return CcxtBookStream(self._stream_client(), venue=self.venue, rest=self.client)

    async def close(self) -> None:
        await self.client.close()


def host_of(client: ccxt_async.Exchange) -> str:
    api = client.urls.get("api")
    url = api.get("public") if isinstance(api, dict) else api
    return urlsplit(str(url)).netloc or client.id
