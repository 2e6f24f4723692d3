"""Coinstore spot over httpx (ccxt does not ship Coinstore).

Facts from the official documentation, coinstore-openapi.github.io (repository
coinstore-openapi/coinstore-openapi.github.io), sections named in the comments:
- Signing ("Signature Authentication"): headers X-CS-APIKEY, X-CS-EXPIRES (ms timestamp)
  and X-CS-SIGN = hex HMAC-SHA256(key, payload), where key = hex HMAC-SHA256(secret,
  str(expires // 30000)) and payload = the query string followed by the JSON body, as
  sent (not sorted). A POST without parameters sends `{}` ("Request Format").
- Envelope ("Return Format"): {code, message|msg, data}; code 0 is success.
- Client order ids (`clOrdId`, "Create order"): "Unique customer-defined order ID",
  with no length, alphabet or uniqueness scope given. Every example is 1-32 ASCII
  letters and digits; ours ("tb" + 25 of [0-9a-z], shared.orders.client_order_id) is
  inside that, so it is sent unchanged. The scope of the uniqueness is not documented
  (code 3111 "duplicate-order" exists): we assume the harsher rule, unique only among
  *open* orders, so a blind re-send of a filled order would trade twice; the pipeline
  looks up by client order id before any re-send.
- Cancel-all was removed from the documentation in 2024-11: cancel_all_orders cancels
  the open orders it finds, in batches (POST /api/trade/order/cancelBatch).
- Market buys are sized in quote (`ordAmt`), ours in base: a market buy goes out as a
  limit IOC for our amount with a protective cap above the best ask (coinstore_wire).
- Wire format (signature, envelope code, order bodies): shared.exchange.coinstore_wire.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from shared.domain import CredentialEnvironment, OrderSide, OrderType
from shared.exchange import coinstore_parsing as parsing
from shared.exchange.coinstore_errors import CODE_RULES, STATUS_RULES, SUCCESS
from shared.exchange.coinstore_wire import (
    KEY_PERIOD_MS,
    code_of,
    coinstore_signature,
    decode,
    now_ms,
    order_body,
)
from shared.exchange.errors import (
    OrderNotFoundError,
    PermanentExchangeError,
)
from shared.exchange.native import (
    BAD_RESPONSE,
    UNKNOWN_CODE,
    NativeAdapter,
    RateLimit,
    VenueAnswer,
)
from shared.exchange.types import (
    AssetBalance,
    ExchangeOrder,
    Market,
    OrderBook,
    OrderToSend,
    Ticker,
    Trade,
)

R = TypeVar("R")

# "Rate Limit": 300 requests per 3 s per IP, 120 per 3 s per user. Every request counts
# against its IP; a signed one against its user too (counted here per credential: two
# credentials of one Coinstore user would each get the full budget).
IP_LIMIT = RateLimit("ip", 300, window_s=3)
USER_LIMIT = RateLimit("user", 120, window_s=3, per_key=True)
PUBLIC_OPERATIONS = ("fetch_markets", "fetch_order_book", "fetch_ticker")
SIGNED_OPERATIONS = (
    "fetch_balance", "create_order", "cancel_order", "fetch_order", "fetch_open_orders",
    "fetch_my_trades", "cancel_all_orders",
)  # fmt: skip

# How long a lost order request may still become an order. The documentation gives no
# acceptance window for X-CS-EXPIRES; the signing key rotates every 30 s, so we assume a
# request stays acceptable for the current and the previous key period plus transit, and
# take three periods. The paper dialect has a window of its own (paper_exchange.
# coinstore_api: X-CS-EXPIRES at most 5 s old by default, 1 s ahead).
LIVE_SETTLE_S = 3 * KEY_PERIOD_MS / 1000
PAPER_SETTLE_S = 6.0
DEPTHS = (5, 10, 20, 50, 100)  # the depth values the depth endpoint accepts
TRADES_PAGE = 100
CANCEL_BATCH = 50


def _order_id_value(value: str) -> int | str:
    return int(value) if value.isdigit() else value


class CoinstoreAdapter(NativeAdapter):
    venue = "coinstore"
    LIVE_BASE_URL = "https://api.coinstore.com"
    PAPER_PREFIX = "/coinstore"
    RATE_LIMITS = {op: IP_LIMIT for op in PUBLIC_OPERATIONS} | {
        op: (USER_LIMIT, IP_LIMIT) for op in SIGNED_OPERATIONS
    }

    # A property, not the base's class attribute: the paper venue's window differs.
    @property
    def min_settle_s(self) -> float:  # type: ignore[override]
        paper = self.credential is not None and (
            self.credential.environment is CredentialEnvironment.PAPER
        )
        return PAPER_SETTLE_S if paper else LIVE_SETTLE_S

    # ------------------------------------------------------------------ wire format

    def sign(self, method: str, path: str, query: str, body: bytes) -> dict[str, str]:
        assert self.credential is not None
        expires = now_ms()
        return {
            "X-CS-APIKEY": self.credential.api_key,
            "X-CS-EXPIRES": str(expires),
            "X-CS-SIGN": coinstore_signature(
                self.credential.secret, expires, query.encode() + body
            ),
            "Content-Type": "application/json",
        }

    def unwrap(self, answer: VenueAnswer, *, operation: str, sends_order: bool) -> Any:
        by_status = self.status_error(answer, sends_order=sends_order)
        if by_status is not None:
            raise by_status
        envelope = decode(answer.body)
        code = code_of(envelope)
        if code is None:
            rule = STATUS_RULES.get(answer.status, BAD_RESPONSE)
            text = answer.body[:200].decode(errors="replace")
            raise self.error(rule, sends_order=sends_order, message=f"HTTP {answer.status}: {text}")
        assert isinstance(envelope, dict)
        if code == SUCCESS and answer.status < 300:
            return envelope.get("data")
        rule = CODE_RULES.get(code) or STATUS_RULES.get(answer.status) or UNKNOWN_CODE
        message = envelope.get("message") or envelope.get("msg") or ""
        raise self.error(
            rule, sends_order=sends_order, message=f"{code} {message}", venue_code=str(code)
        )

    def _parsed(self, parse: Callable[[], R], *, sends_order: bool = False) -> R:
        """Parse an answer; one without the documented shape is a bad response."""
        try:
            return parse()
        except (parsing.CoinstoreAnswerError, KeyError, TypeError, ValueError) as exc:
            raise self.error(
                BAD_RESPONSE, sends_order=sends_order, message=f"unreadable answer: {exc!r}"
            ) from None

    # ------------------------------------------------------------------ market data

    async def fetch_markets(self) -> dict[str, Market]:
        rows = await self._read(
            "fetch_markets", "POST", "/api/v2/public/config/spot/symbols", body={}
        )
        return self._parsed(lambda: parsing.parse_markets(rows))

    async def fetch_order_book(self, symbol: str, limit: int = 20) -> OrderBook:
        depth = next((d for d in DEPTHS if d >= limit), DEPTHS[-1])
        data = await self._read(
            "fetch_order_book", "GET", f"/api/v1/market/depth/{parsing.venue_symbol(symbol)}",
            params={"depth": depth},
        )  # fmt: skip
        return self._parsed(lambda: parsing.parse_order_book(symbol, data, limit))

    async def fetch_ticker(self, symbol: str) -> Ticker:
        rows = await self._read("fetch_ticker", "GET", "/api/v1/market/tickers")
        ticker = self._parsed(lambda: parsing.parse_ticker(symbol, rows))
        if ticker is None:
            raise PermanentExchangeError(
                f"coinstore has no ticker for {symbol}", reason="bad_symbol"
            )
        return ticker

    async def fetch_balance(self) -> dict[str, AssetBalance]:
        # Any failure raises: a balance we could not read is never reported as zeros.
        rows = await self._read(
            "fetch_balance", "POST", "/api/spot/accountList", body={}, signed=True
        )
        if not isinstance(rows, list):
            raise self.error(BAD_RESPONSE, sends_order=False, message="accountList: no list")
        return self._parsed(lambda: parsing.parse_balances(rows))

    # ------------------------------------------------------------------ orders

    async def create_order(self, order: OrderToSend) -> ExchangeOrder:
        market = await self.market(order.symbol)
        best_ask = None
        if order.type is OrderType.MARKET and order.side is OrderSide.BUY:
            # Read before anything is sent: failing here is transient, nothing happened.
            asks = (await self.fetch_order_book(order.symbol, limit=5)).asks
            if not asks:
                raise PermanentExchangeError(
                    "coinstore: no asks to buy from", reason="not_fillable"
                )
            best_ask = asks[0].price
        body = order_body(order, best_ask=best_ask, market=market)
        ack = await self._send(
            "create_order", "POST", "/api/trade/order/place", body=body, sends_order=True
        )
        venue_id = self._parsed(lambda: str(ack.get("ordId") or ack["order_id"]), sends_order=True)
        # Coinstore acknowledges with the id only (see NativeAdapter.read_back).
        return await self.read_back(order, venue_id)

    async def cancel_order(
        self,
        symbol: str,
        *,
        exchange_order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> ExchangeOrder:
        code = parsing.venue_symbol(symbol)
        if exchange_order_id is not None:
            body: dict[str, Any] = {"symbol": code, "ordId": _order_id_value(exchange_order_id)}
            await self._send("cancel_order", "POST", "/api/trade/order/cancel", body=body)
        elif client_order_id is not None:
            body = {"symbol": code, "clientOrderIds": [client_order_id]}
            data = await self._send(
                "cancel_order", "POST", "/api/trade/order/cancelBatchByClOrdId", body=body
            )
            if client_order_id not in ((data or {}).get("success") or []):
                raise self.error(
                    CODE_RULES[3103], sends_order=False,
                    message=f"cancel of {client_order_id} refused: {data!r}",
                )  # fmt: skip
        else:
            raise ValueError("an order reference needs an exchange id or a client order id")
        found = await self.fetch_order(
            symbol, exchange_order_id=exchange_order_id, client_order_id=client_order_id
        )
        if found is None:
            raise OrderNotFoundError(
                "coinstore: canceled order not found", reason="order_not_found"
            )
        return found

    async def fetch_order(
        self,
        symbol: str,
        *,
        exchange_order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> ExchangeOrder | None:
        if exchange_order_id is not None:
            params = {"ordId": exchange_order_id}
        elif client_order_id is not None:
            params = {"clOrdId": client_order_id}
        else:
            raise ValueError("an order reference needs an exchange id or a client order id")
        try:
            data = await self._read(
                "fetch_order", "GET", "/api/v2/trade/order/orderInfo", params=params, signed=True
            )
        except OrderNotFoundError:
            return None
        # The documented answer is a list of one order; older answers were the order itself.
        rows = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
        orders = self._parsed(lambda: _orders_of(symbol, rows))
        return orders[0] if orders else None

    async def fetch_open_orders(self, symbol: str) -> list[ExchangeOrder]:
        params = {"symbol": parsing.venue_symbol(symbol)}
        rows = await self._read(
            "fetch_open_orders", "GET", "/api/v2/trade/order/active", params=params, signed=True
        )
        return self._parsed(lambda: _orders_of(symbol, rows or []))

    async def fetch_my_trades(
        self, symbol: str, *, exchange_order_id: str | None = None, limit: int | None = None
    ) -> list[Trade]:
        market = await self.market(symbol)
        wanted = limit or 10 * TRADES_PAGE
        trades: list[Trade] = []
        for page in range(1, 11):
            params = {"symbol": parsing.venue_symbol(symbol), "ordId": exchange_order_id,
                      "pageNum": page, "pageSize": TRADES_PAGE}  # fmt: skip
            rows = await self._read(
                "fetch_my_trades",
                "GET",
                "/api/trade/match/accountMatches",
                params=params,
                signed=True,
            )
            rows = rows or []
            trades.extend(self._parsed(partial(_trades_of, market, rows)))
            if len(rows) < TRADES_PAGE or len(trades) >= wanted:
                break
        if exchange_order_id is not None:
            trades = [t for t in trades if t.order_id == exchange_order_id]
        return trades[:wanted]

    async def cancel_all_orders(self, symbol: str) -> None:
        ids = [_order_id_value(o.exchange_order_id) for o in await self.fetch_open_orders(symbol)]
        for start in range(0, len(ids), CANCEL_BATCH):
            body = {
                "symbol": parsing.venue_symbol(symbol),
                "orderIds": ids[start : start + CANCEL_BATCH],
            }
            await self._send("cancel_all_orders", "POST", "/api/trade/order/cancelBatch", body=body)


def _trades_of(market: Market, rows: list[Any]) -> list[Trade]:
    return [parsing.parse_trade(market, row) for row in rows]


def _orders_of(symbol: str, rows: list[Any]) -> list[ExchangeOrder]:
    """The rows that are orders of `symbol` (an order id is venue-wide: another pair's
    order under that id is not the one asked for)."""
    code = parsing.venue_symbol(symbol)
    orders = []
    for row in rows:
        if str(row.get("symbol", code)).upper() != code:
            continue
        order = parsing.parse_order(symbol, row)
        if order is not None:
            orders.append(order)
    return orders
