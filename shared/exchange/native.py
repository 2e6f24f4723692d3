"""What every native (httpx) venue connector shares: one signed request, end to end.

ccxt no longer ships some venues our clients trade on, so those get a connector of their
own. A connector is a subclass of `NativeAdapter` that supplies what differs per venue:
- `sign()`: the auth headers for the exact query string and body bytes being sent;
- `unwrap()`: the venue's envelope → its payload, or the error its code table names;
- `RATE_LIMITS`: each operation's endpoint group and the venue's published limit;
- the protocol's methods (shared.exchange.protocol), built on `_read` / `_send`.

This base does the rest, for every call: the shared Postgres budget of the call's
endpoint group → the venue's circuit breaker → one HTTP request → the error map. The
bytes signed are the bytes sent: the query string and the JSON body are serialised once,
here, and handed to httpx as they are (a library re-serialising a body after it was
signed is a classic source of 401s). Reads retry through tenacity; sends never do.

Transport failures are classified here, the same for every venue: a request that never
left (connection refused, no pooled connection, the proxy refused) is transient even for
a send; one that may have reached the venue (timeout after connect, dropped connection,
5xx) is ambiguous for a send.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, ClassVar, Protocol, Self
from urllib.parse import urlencode, urlsplit

import httpx

from shared.domain import CallOutcome
from shared.exchange.breaker import UnguardedBreaker, VenueBreaker
from shared.exchange.budget import RequestBudget
from shared.exchange.errors import (
    ExchangeCallError,
    NotSupportedError,
    PermanentExchangeError,
    RateLimitedError,
    Rule,
    error_for_rule,
)
from shared.exchange.retry import retry_read
from shared.exchange.streams import BookStream, UserStream
from shared.exchange.types import (
    AssetBalance,
    Candle,
    ExchangeOrder,
    Market,
    OpenedCredential,
    OrderBook,
    OrderToSend,
    Ticker,
    Trade,
    VenueOrderStatus,
)

Tr, A = CallOutcome.TRANSIENT, CallOutcome.AMBIGUOUS

CallObserver = Callable[[str, str, float], None]  # (operation, outcome, seconds)


class BudgetSource(Protocol):
    """BudgetRegistry.for_key: the shared budget of one key (see there)."""

    def __call__(
        self, key: str, weight_limit: int, *, window_s: int = 60, egress: str | None = None
    ) -> RequestBudget: ...


DEFAULT_RETRY_AFTER_S = {"rate_limited": 10.0, "ip_banned": 120.0}

# Failures of the transport itself, before any venue code could be read.
NOT_SENT = Rule(Tr, Tr, "network_not_sent", venue_wide=True)
MAYBE_SENT = Rule(Tr, A, "network", venue_wide=True)
TIMED_OUT = Rule(Tr, A, "timeout", venue_wide=True)
# A broken egress proxy is the route's problem, not the venue's: it must not open the
# venue's breaker for every other credential.
PROXY_FAILED = Rule(Tr, Tr, "egress_proxy")
STATUS_RULES: Mapping[int, Rule] = {
    429: Rule(Tr, Tr, "rate_limited", venue_wide=True),
    418: Rule(Tr, Tr, "ip_banned", venue_wide=True),
}
SERVER_ERROR = Rule(Tr, A, "venue_unavailable", venue_wide=True)
# An answer we cannot read: the request may well have been executed.
BAD_RESPONSE = Rule(Tr, A, "bad_response", venue_wide=True)
# A venue code missing from the connector's table: look before any re-send.
UNKNOWN_CODE = Rule(Tr, A, "venue_error")


@dataclass(frozen=True)
class RateLimit:
    """One operation's share of a venue's published limit."""

    group: str  # the venue's endpoint group, e.g. "order_submit"
    limit: int  # the group's published limit (requests, or weight) per window
    window_s: int = 60  # the venue's counting window for it
    per_key: bool = False  # counted per API key (True) or per IP (False)
    weight: int = 1


@dataclass(frozen=True)
class VenueAnswer:
    """One HTTP answer, as received: the connector's `unwrap` reads it."""

    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        """The decoded body, or None when it is not JSON (an HTML 504 page, say)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def retry_after_s(self) -> float | None:
        value = self.headers.get("Retry-After")
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None


def compact_json(body: Mapping[str, Any]) -> bytes:
    """The one serialisation of a JSON body: these bytes are signed and sent."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def origin_of(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


class NativeAdapter:
    """Plumbing for shared.exchange.protocol.ExchangeAdapter over httpx; subclasses are
    built only by shared.exchange.factory."""

    venue: ClassVar[str]
    # Where the venue's REST API lives, and the paper exchange's mount of its dialect.
    LIVE_BASE_URL: ClassVar[str]
    PAPER_PREFIX: ClassVar[str]
    # Operation → the limit(s) its call counts against.
    RATE_LIMITS: ClassVar[Mapping[str, RateLimit | tuple[RateLimit, ...]]]
    # How long after a lost order request the venue may still act on it, at least: the
    # pipeline waits this long (or its configured settle time, if longer) before it
    # treats "not found by client order id" as "never arrived".
    min_settle_s: ClassVar[float] = 0.0

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        credential: OpenedCredential | None,
        breaker: VenueBreaker,
        budgets: BudgetSource | None,
        observer: CallObserver | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc
        self.credential = credential
        self.breaker = breaker
        self._budgets = budgets
        self._observer = observer
        self._markets: dict[str, Market] | None = None
        # False on the twin `read_back` uses: its calls neither wait for budget nor retry.
        self._patient = True

    # ------------------------------------------------------------------ for subclasses

    def sign(self, method: str, path: str, query: str, body: bytes) -> dict[str, str]:
        """The auth headers for exactly this query string and body."""
        raise NotImplementedError

    def unwrap(self, answer: VenueAnswer, *, operation: str, sends_order: bool) -> Any:
        """The payload of a successful answer; raise `self.error(...)` otherwise."""
        raise NotImplementedError

    # ------------------------------------------------------------------ plumbing

    def bypassing_breaker(self) -> Self:
        """This adapter (same HTTP client, budgets and markets) with calls that neither
        wait on the venue's breaker nor count toward it."""
        twin = copy.copy(self)
        twin.breaker = UnguardedBreaker(self.breaker.name)
        return twin

    def error(
        self,
        rule: Rule,
        *,
        sends_order: bool,
        message: str,
        venue_code: str | None = None,
        retry_after_s: float | None = None,
    ) -> ExchangeCallError:
        return error_for_rule(
            rule,
            sends_order=sends_order,
            message=f"{self.venue}: {message}",
            error_class=f"{type(self).__name__}:{rule.reason}",
            venue_code=venue_code,
            retry_after_s=retry_after_s,
        )

    def status_error(self, answer: VenueAnswer, *, sends_order: bool) -> ExchangeCallError | None:
        """What an HTTP status alone says (429/418, 5xx), before any venue code: None
        for a status whose meaning is in the body."""
        rule = STATUS_RULES.get(answer.status)
        if rule is None and answer.status >= 500:
            rule = SERVER_ERROR
        if rule is None:
            return None
        return self.error(
            rule,
            sends_order=sends_order,
            message=f"HTTP {answer.status}: {answer.body[:200].decode(errors='replace')}",
            retry_after_s=answer.retry_after_s,
        )

    def _budgets_of(self, operation: str) -> list[tuple[RequestBudget, int]]:
        """Each budget the call spends, with its weight: a venue may count one call
        against several limits (per IP and per key, say)."""
        limits = self.RATE_LIMITS.get(operation, ())
        if self._budgets is None:
            return []
        spent = []
        for limit in limits if isinstance(limits, tuple) else (limits,):
            key = f"{self.venue}@{self.host}/{limit.group}"
            egress = None
            if limit.per_key:
                # Counted by the venue per API key, from whichever IP: one budget per key.
                owner = self.credential.credential_id if self.credential else "public"
                key, egress = f"{key}/{owner}", "per-key"
            budget = self._budgets(key, limit.limit, window_s=limit.window_s, egress=egress)
            spent.append((budget, limit.weight))
        return spent

    async def _request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        signed: bool = False,
        sends_order: bool = False,
    ) -> Any:
        budgets = self._budgets_of(operation)
        for budget, weight in budgets:
            await budget.acquire(weight, max_wait_s=None if self._patient else 0.0)
        query = urlencode([(k, str(v)) for k, v in (params or {}).items() if v is not None])
        content = compact_json(body) if body is not None else b""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if signed:
            if self.credential is None:
                raise PermanentExchangeError(
                    f"{self.venue} {operation} needs a credential", reason="configuration"
                )
            headers.update(self.sign(method, path, query, content))
        url = f"{self.base_url}{path}" + (f"?{query}" if query else "")
        started = time.perf_counter()
        outcome = "ok"
        try:
            async with self.breaker.guard():
                try:
                    # httpx bounds each phase, but not every phase of every transport:
                    # a SOCKS handshake has no timeout of its own (httpcore), so a
                    # proxy that accepts and never answers would hold the job forever.
                    response = await asyncio.wait_for(
                        self.http.request(method, url, content=content or None, headers=headers),
                        _deadline_s(self.http.timeout),
                    )
                    answer = VenueAnswer(response.status_code, response.headers, response.content)
                    return self.unwrap(answer, operation=operation, sends_order=sends_order)
                except httpx.TransportError as exc:
                    raise self.error(
                        _transport_rule(exc),
                        sends_order=sends_order,
                        message=f"{type(exc).__name__} on {method} {path}",
                    ) from None
                except TimeoutError:
                    raise self.error(
                        TIMED_OUT,
                        sends_order=sends_order,
                        message=f"no answer within the call's deadline on {method} {path}",
                    ) from None
                except ExchangeCallError as error:
                    outcome = error.outcome.value
                    if isinstance(error, RateLimitedError) and budgets:
                        error.retry_after_s = error.retry_after_s or DEFAULT_RETRY_AFTER_S.get(
                            error.reason, 30.0
                        )
                        # A 429 does not say which limit it was: every one the call spends
                        # stops.
                        for budget, _weight in budgets:
                            await budget.block(error.retry_after_s, error.reason)
                    raise
        except ExchangeCallError as error:
            outcome = error.outcome.value
            raise
        finally:
            if self._observer is not None:
                self._observer(operation, outcome, time.perf_counter() - started)

    async def _read(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        signed: bool = False,
    ) -> Any:
        call = partial(
            self._request, operation, method, path, params=params, body=body, signed=signed
        )
        return await (retry_read(call) if self._patient else call())

    async def _send(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        sends_order: bool = False,
    ) -> Any:
        """A signed call that changes state at the venue: never retried here."""
        return await self._request(
            operation, method, path, params=params, body=body, signed=True, sends_order=sends_order
        )

    async def read_back(self, order: OrderToSend, exchange_order_id: str) -> ExchangeOrder:
        """The order just acknowledged with its venue id only (BitMart and Coinstore answer
        a send so), and its trades when it filled at once: the pipeline records a
        placement's fills from the answer, as Binance's FULL answer carries them.

        Only if the budget has room now, without retries: the send has happened, so a
        read that would wait or fail returns the bare acknowledgement ("open") instead,
        never an error (which would invite a re-send), and never holds the job slot while
        a tight query limit refills. Reconciliation reads the state and trades later, so
        no fill is lost to a skipped read."""
        quick = copy.copy(self)
        quick._patient = False
        try:
            placed = await quick.fetch_order(order.symbol, exchange_order_id=exchange_order_id)
            if placed is not None and placed.filled > 0:
                trades = await quick.fetch_my_trades(
                    order.symbol, exchange_order_id=exchange_order_id
                )
                placed = dataclasses.replace(placed, trades=tuple(trades))
        except ExchangeCallError:
            placed = None
        return placed or ExchangeOrder(
            exchange_order_id=exchange_order_id,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            type=order.type,
            status=VenueOrderStatus.OPEN,
            amount=order.amount,
            filled=Decimal(0),
            price=order.price,
            average_price=None,
            created_at=None,
        )

    async def market(self, symbol: str) -> Market:
        markets = await self.load_markets()
        found = markets.get(symbol)
        if found is None:
            raise PermanentExchangeError(
                f"{self.venue} has no market {symbol}", reason="bad_symbol"
            )
        return found

    async def load_markets(self, *, reload: bool = False) -> dict[str, Market]:
        if self._markets is None or reload:
            self._markets = await self.fetch_markets()
        return self._markets

    async def fetch_markets(self) -> dict[str, Market]:
        """Every spot market, keyed by our symbol (BASE/QUOTE)."""
        raise NotImplementedError

    # The protocol's venue calls (shared.exchange.protocol): each connector implements them.

    async def fetch_order_book(self, symbol: str, limit: int = 20) -> OrderBook:
        raise NotImplementedError

    async def fetch_ticker(self, symbol: str) -> Ticker:
        raise NotImplementedError

    async def fetch_candles(self, symbol: str, interval: str, limit: int) -> list[Candle]:
        # No connector reads candles yet: a signal bot needing ATR on such a venue gets
        # a skip with this reason instead of a made-up number.
        raise NotSupportedError(self.venue, "candles")

    async def fetch_balance(self) -> dict[str, AssetBalance]:
        raise NotImplementedError

    async def create_order(self, order: OrderToSend) -> ExchangeOrder:
        raise NotImplementedError

    async def cancel_order(
        self,
        symbol: str,
        *,
        exchange_order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> ExchangeOrder:
        raise NotImplementedError

    async def fetch_order(
        self,
        symbol: str,
        *,
        exchange_order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> ExchangeOrder | None:
        raise NotImplementedError

    async def fetch_open_orders(self, symbol: str) -> list[ExchangeOrder]:
        raise NotImplementedError

    async def fetch_my_trades(
        self, symbol: str, *, exchange_order_id: str | None = None, limit: int | None = None
    ) -> list[Trade]:
        raise NotImplementedError

    async def cancel_all_orders(self, symbol: str) -> None:
        raise NotImplementedError

    def user_stream(self) -> UserStream | None:
        """No streams in the native connectors yet: the worker polls REST for them."""
        return None

    def book_stream(self) -> BookStream | None:
        return None

    async def close(self) -> None:
        """Nothing to close: the HTTP client is shared per host (shared.exchange.http_clients)
        and closed with the others."""


def _deadline_s(timeout: httpx.Timeout) -> float:
    """One call's overall deadline: every phase's own timeout, added up."""
    phases = (timeout.pool, timeout.connect, timeout.write, timeout.read)
    return sum(phase for phase in phases if phase is not None) or 60.0


def _transport_rule(exc: httpx.TransportError) -> Rule:
    if isinstance(exc, httpx.ProxyError):
        return PROXY_FAILED
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return NOT_SENT
    if isinstance(exc, httpx.TimeoutException):
        return TIMED_OUT
    return MAYBE_SENT
