"""The shared request-weight budget, leased from Postgres in small batches.

Every worker process sending to one venue host from one egress IP draws from one
budget row. A process leases `batch` weight at a time and spends it locally, so the hot
path pays no round trip per request; a lease lives at most `lease_ttl_s`, so a block
written after a 429/418 (Retry-After) reaches every process within that time.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from psycopg_pool import AsyncConnectionPool

from shared.egress import budget_egress
from shared.exchange.errors import RateLimitedError
from shared.metrics import REQUEST_WEIGHT
from shared.repositories import venue_budgets

# Lease no more than this share of the venue's published limit: local leftovers at the
# minute boundary and clocks that disagree by a little must not push us over.
HEADROOM = 0.8


@dataclass
class RequestBudget:
    pool: AsyncConnectionPool
    budget_key: str
    egress: str
    weight_limit: int
    # The venue's counting window: a minute for Binance's weights, seconds for venues
    # that publish per-2 s or per-3 s limits.
    window_s: int = 60
    batch: int = 10
    lease_ttl_s: float = 1.0
    max_wait_s: float = 2.0
    _tokens: int = field(default=0, init=False)
    _expires_at: float = field(default=0.0, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    leases: int = field(default=0, init=False)  # round trips made, for metrics and tests

    def _take_local(self, weight: int) -> bool:
        if time.monotonic() < self._expires_at and self._tokens >= weight:
            self._tokens -= weight
            return True
        return False

    async def acquire(self, weight: int, *, max_wait_s: float | None = None) -> None:
        """Spend `weight`; waits briefly (`max_wait_s`, else the budget's own), or raises
        RateLimitedError with the wait."""
        await self._acquire(weight, max_wait_s)
        REQUEST_WEIGHT.labels(self.budget_key, self.egress).inc(weight)

    async def _acquire(self, weight: int, max_wait_s: float | None) -> None:
        patience = self.max_wait_s if max_wait_s is None else max_wait_s
        while not self._take_local(weight):
            async with self._lock:
                if self._take_local(weight):
                    return
                wait_s = await self._lease(weight)
            if wait_s is None:
                return  # granted: the lease already spent `weight`
            if wait_s > patience:
                raise RateLimitedError(
                    f"request budget for {self.budget_key} exhausted or blocked",
                    reason="budget_exhausted",
                    retry_after_s=wait_s,
                )
            await asyncio.sleep(max(wait_s, 0.01))

    async def _lease(self, weight: int) -> float | None:
        """Lease a batch (or just `weight`); returns None on success, else seconds to wait."""
        async with self.pool.connection() as conn:
            for want in dict.fromkeys((max(self.batch, weight), weight)):
                granted = await venue_budgets.lease_request_weight(
                    conn,
                    self.budget_key,
                    self.egress,
                    want=want,
                    weight_limit=self.weight_limit,
                    window_s=self.window_s,
                )
                self.leases += 1
                if granted is not None:
                    self._tokens = want - weight
                    self._expires_at = time.monotonic() + self.lease_ttl_s
                    return None
            state = await venue_budgets.get_request_budget(conn, self.budget_key, self.egress)
        assert state is not None
        blocked_left = state.blocked_left_s
        if blocked_left is not None and blocked_left > 0:
            return float(blocked_left)
        return max(float(state.window_left_s), 0.01)

    async def block(self, seconds: float, reason: str) -> None:
        """Every process stops sending to this venue host for `seconds`."""
        self._tokens = 0
        self._expires_at = 0.0
        async with self.pool.connection() as conn:
            await venue_budgets.block_venue_requests(
                conn,
                self.budget_key,
                self.egress,
                weight_limit=self.weight_limit,
                seconds=seconds,
                reason=reason,
                window_s=self.window_s,
            )


class BudgetRegistry:
    """One RequestBudget per (budget key, egress), per process. The key is a venue host,
    or a host's endpoint group; the egress is the process's own (`TRADEBRIDGE_EGRESS_ID`),
    or an egress route's (`route:<name>`) for the credentials assigned to one: each route
    is its own IP at the venue."""

    def __init__(self, pool: AsyncConnectionPool, egress: str, **budget_options: float) -> None:
        self._pool = pool
        self._egress = egress
        self._options = budget_options
        self._budgets: dict[tuple[str, str], RequestBudget] = {}

    def for_venue(
        self, venue: str, host: str, weight_per_minute: int, *, route: str | None = None
    ) -> RequestBudget:
        return self.for_key(f"{venue}@{host}", weight_per_minute, route=route)

    def for_key(
        self,
        key: str,
        weight_limit: int,
        *,
        window_s: int = 60,
        egress: str | None = None,
        route: str | None = None,
    ) -> RequestBudget:
        """The budget named `key`: a venue host, or a host's endpoint group (see
        shared.exchange.native). `route`: the egress route the requests leave by, None for
        this process's egress. `egress` overrides both for limits a venue counts per API
        key rather than per IP (every egress shares them)."""
        egress = egress or budget_egress(route, self._egress)
        found = self._budgets.get((key, egress))
        if found is None:
            options = dict(self._options)
            if window_s < 60:
                # Leased one request at a time: a batch leased late in a window of a few
                # seconds would be spent in the next one, beside that window's own.
                options["batch"] = 1
            found = RequestBudget(
                self._pool,
                key,
                egress,
                max(int(weight_limit * HEADROOM), 1),
                window_s,
                **options,  # type: ignore[arg-type]
            )
            self._budgets[(key, egress)] = found
        return found
