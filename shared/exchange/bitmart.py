"""BitMart spot over httpx: the native connector (ccxt no longer ships BitMart).

Signing (BitMart's docs, "API KEY Interface Authentication",
developer-pro.bitmart.com/en/part2/auth.html; tests/unit/test_bitmart_signing.py checks
BitMart's own example): X-BM-KEY is the access key, X-BM-TIMESTAMP the request time in
UTC milliseconds, and X-BM-SIGN the hex HMAC-SHA256, keyed by the secret, of
`timestamp#memo#payload`, where the payload is the JSON body of a POST and the query
string of a GET. Every call we sign is a POST except the spot wallet, whose query string
is empty, so BitMart's own SDK (which signs "" for a GET) and its docs agree on every
request we make. The payload bytes are the body bytes sent (shared.exchange.native
serialises the body once).

Client order id: BitMart takes 1-32 letters and digits (codes 50037, 50038); ours ("tb" +
25 of [0-9a-z], shared.orders.client_order_id) fits as it is, so no mapping. BitMart
refuses a duplicate with 50042 but documents no scope for that uniqueness: we assume the
harsher rule (unique among open orders only), so a lost send is never re-sent before
the venue can no longer act on it. BitMart refuses a request whose X-BM-TIMESTAMP is more
than a minute off (30007); v2 submit_order takes no recvWindow. Hence `min_settle_s`:
that minute plus a margin for clock drift between us and BitMart.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from shared.domain import OrderSide, OrderType
from shared.exchange.bitmart_errors import BITMART_RULES, SUCCESS
from shared.exchange.bitmart_parsing import (
    parse_balance,
    parse_market,
    parse_order,
    parse_order_book,
    parse_ticker,
    parse_trade,
    venue_symbol,
)
from shared.exchange.bitmart_requests import (
    CLOCK_MARGIN_S,
    MAX_BOOK_LEVELS,
    MAX_QUERY_LIMIT,
    PATHS,
    RATE_LIMITS,
    TIMESTAMP_WINDOW_S,
    submit_order_body,
)
from shared.exchange.errors import OrderNotFoundError
from shared.exchange.native import BAD_RESPONSE, UNKNOWN_CODE, NativeAdapter, RateLimit, VenueAnswer
from shared.exchange.types import (
    AssetBalance,
    ExchangeOrder,
    Market,
    OrderBook,
    OrderToSend,
    Ticker,
    Trade,
)

# The signing clock (UTC seconds): a module attribute so tests can move it.
clock = time.time


def bitmart_signature(secret: str, timestamp: str, memo: str, payload: bytes) -> str:
    """Hex HMAC-SHA256 of `timestamp#memo#payload` keyed by the secret."""
    message = f"{timestamp}#{memo}#".encode() + payload
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _code_of(payload: Any) -> int | None:
    code = payload.get("code") if isinstance(payload, dict) else None
    try:
        return int(code) if code is not None else None
    except (TypeError, ValueError):
        return None


class BitMart(NativeAdapter):
    venue: ClassVar[str] = "bitmart"
    LIVE_BASE_URL: ClassVar[str] = "https://api-cloud.bitmart.com"
    PAPER_PREFIX: ClassVar[str] = "/bitmart"
    RATE_LIMITS: ClassVar[Mapping[str, RateLimit]] = RATE_LIMITS
    min_settle_s: ClassVar[float] = TIMESTAMP_WINDOW_S + CLOCK_MARGIN_S

    # ------------------------------------------------------------------ the venue's rules

    def sign(self, method: str, path: str, query: str, body: bytes) -> dict[str, str]:
        assert self.credential is not None
        timestamp = str(int(clock() * 1000))
        payload = body if method != "GET" else query.encode()
        return {
            "X-BM-KEY": self.credential.api_key,
            "X-BM-TIMESTAMP": timestamp,
            "X-BM-SIGN": bitmart_signature(
                self.credential.secret, timestamp, self.credential.memo or "", payload
            ),
        }

    def unwrap(self, answer: VenueAnswer, *, operation: str, sends_order: bool) -> Any:
        if answer.status in (429, 418) and answer.retry_after_s is None:
            # BitMart sends its window length, not Retry-After: wait out one window.
            reset = answer.headers.get("X-BM-RateLimit-Reset")
            if reset is not None and reset.isdigit():
                headers = answer.headers.copy()
                headers["Retry-After"] = reset
                answer = VenueAnswer(answer.status, headers, answer.body)
        payload = answer.json()
        code = _code_of(payload)
        status_error = self.status_error(answer, sends_order=sends_order)
        if status_error is not None:
            # The HTTP status decides (429, 418, 5xx); BitMart's code is kept for the record.
            status_error.venue_code = str(code) if code is not None else None
            raise status_error
        if code is None:
            raise self.error(
                BAD_RESPONSE,
                sends_order=sends_order,
                message=f"HTTP {answer.status} without a code: {answer.body[:200]!r}",
            )
        if code == SUCCESS:
            return payload.get("data")
        raise self.error(
            BITMART_RULES.get(code, UNKNOWN_CODE),
            sends_order=sends_order,
            message=f"{code} {payload.get('message', '')} (HTTP {answer.status})",
            venue_code=str(code),
        )

    def _malformed(self, operation: str, detail: str, *, sends_order: bool = False) -> Exception:
        return self.error(
            BAD_RESPONSE, sends_order=sends_order, message=f"{operation}: malformed {detail}"
        )

    # ------------------------------------------------------------------ market data

    async def fetch_markets(self) -> dict[str, Market]:
        data = await self._read("load_markets", "GET", PATHS["symbols"])
        try:
            markets = [parse_market(raw) for raw in data["symbols"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise self._malformed("load_markets", str(exc)) from None
        return {market.symbol: market for market in markets}

    async def fetch_order_book(self, symbol: str, limit: int = 20) -> OrderBook:
        params = {"symbol": venue_symbol(symbol), "limit": max(1, min(limit, MAX_BOOK_LEVELS))}
        data = await self._read("fetch_order_book", "GET", PATHS["books"], params=params)
        return parse_order_book(symbol, data)

    async def fetch_ticker(self, symbol: str) -> Ticker:
        params = {"symbol": venue_symbol(symbol)}
        data = await self._read("fetch_ticker", "GET", PATHS["ticker"], params=params)
        return parse_ticker(symbol, data)

    async def fetch_balance(self) -> dict[str, AssetBalance]:
        data = await self._read("fetch_balance", "GET", PATHS["wallet"], signed=True)
        try:
            return parse_balance(data)
        except (KeyError, TypeError, ValueError) as exc:
            # Never an empty balance: the caller keeps its last good values.
            raise self._malformed("fetch_balance", str(exc)) from None

    # ------------------------------------------------------------------ orders

    async def _order_body(self, order: OrderToSend) -> dict[str, Any]:
        best_ask = None
        if order.type is OrderType.MARKET and order.side is OrderSide.BUY:
            book = await self.fetch_order_book(order.symbol, limit=1)
            best_ask = book.asks[0].price if book.asks else None
        return submit_order_body(order, best_ask=best_ask)

    async def create_order(self, order: OrderToSend) -> ExchangeOrder:
        body = await self._order_body(order)
        data = await self._send(
            "create_order", "POST", PATHS["submit"], body=body, sends_order=True
        )
        order_id = data.get("order_id") if isinstance(data, dict) else None
        if not order_id:
            # Code 1000 without an order id: whether it exists is unknown.
            raise self._malformed("create_order", "answer without order_id", sends_order=True)
        # BitMart acknowledges with the id only (see NativeAdapter.read_back).
        return await self.read_back(order, str(order_id))

    @staticmethod
    def _order_ref(
        exchange_order_id: str | None, client_order_id: str | None
    ) -> tuple[str, dict[str, str]]:
        if exchange_order_id is not None:
            return PATHS["order"], {"orderId": exchange_order_id}
        if client_order_id is not None:
            return PATHS["client_order"], {"clientOrderId": client_order_id}
        raise ValueError("an order reference needs an exchange id or a client order id")

    async def fetch_order(
        self,
        symbol: str,
        *,
        exchange_order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> ExchangeOrder | None:
        path, body = self._order_ref(exchange_order_id, client_order_id)
        try:
            data = await self._read("fetch_order", "POST", path, body=body, signed=True)
        except OrderNotFoundError:
            return None
        if not data:
            return None  # code 1000 and no order: BitMart has none by that id
        return parse_order(data)

    async def cancel_order(
        self,
        symbol: str,
        *,
        exchange_order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> ExchangeOrder:
        body: dict[str, Any] = {"symbol": venue_symbol(symbol)}
        if exchange_order_id is not None:
            body["order_id"] = exchange_order_id
        elif client_order_id is not None:
            body["client_order_id"] = client_order_id
        else:
            raise ValueError("an order reference needs an exchange id or a client order id")
        # A cancel is safe to repeat: "not open any more" on a retry (50030-50032) is an
        # OrderNotFoundError, which the caller answers with a lookup.
        await self._send("cancel_order", "POST", PATHS["cancel"], body=body)
        found = await self.fetch_order(
            symbol, exchange_order_id=exchange_order_id, client_order_id=client_order_id
        )
        if found is None:
            raise OrderNotFoundError(
                f"bitmart: order canceled but not found by {body}",
                reason="order_not_found",
                error_class="BitMart:order_not_found",
            )
        return found

    async def fetch_open_orders(self, symbol: str) -> list[ExchangeOrder]:
        body = {"symbol": venue_symbol(symbol), "orderMode": "spot", "limit": MAX_QUERY_LIMIT}
        data = await self._read(
            "fetch_open_orders", "POST", PATHS["open_orders"], body=body, signed=True
        )
        return [parse_order(raw) for raw in data or ()]

    async def fetch_my_trades(
        self, symbol: str, *, exchange_order_id: str | None = None, limit: int | None = None
    ) -> list[Trade]:
        if exchange_order_id is not None:
            operation, path = "fetch_my_trades", PATHS["order_trades"]
            body: dict[str, Any] = {"orderId": exchange_order_id}
        else:
            operation, path = "fetch_account_trades", PATHS["trades"]
            body = {
                "symbol": venue_symbol(symbol),
                "orderMode": "spot",
                "limit": max(1, min(limit or MAX_QUERY_LIMIT, MAX_QUERY_LIMIT)),
            }
        data = await self._read(operation, "POST", path, body=body, signed=True)
        return [parse_trade(raw) for raw in data or ()]

    async def cancel_all_orders(self, symbol: str) -> None:
        body = {"symbol": venue_symbol(symbol)}
        await self._send("cancel_all_orders", "POST", PATHS["cancel_all"], body=body)
