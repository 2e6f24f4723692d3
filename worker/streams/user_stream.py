"""One credential's user-data stream, for as long as this worker holds its lease.

Connect and subscribe; start applying events at once; close the gap with REST (open
orders and their trades, balances) while events already flow; only then report the
stream `live`, which stops REST polling of the credential. Any error (the connection
dropped, a missed keepalive, a venue error) reports it `down` at once, so REST polling
covers the credential again, and reconnects with a growing pause. Each (re)connect is
a new stream instance: nothing of a broken connection's state carries over.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID

import structlog

from shared.exchange.errors import ExchangeCallError, RateLimitedError
from shared.exchange.protocol import ExchangeAdapter
from shared.exchange.streams import UserStream
from shared.metrics import STREAM_EVENTS, STREAM_FALLBACKS, STREAM_RECONNECTS
from shared.repositories.streams import StreamReport
from worker.accounts import BALANCE_TIMEOUT_S, apply_balance_update, fetch_and_store_balances
from worker.context import WorkerContext
from worker.orders.reconciliation import close_gap
from worker.streams.apply import apply_order_updates

log = structlog.get_logger(__name__)

Report = Callable[[StreamReport], Awaitable[bool]]

FIRST_PAUSE_S = 0.5
MAX_PAUSE_S = 30.0
MAX_GAP_WAIT_S = 10.0  # the longest pause between gap-close attempts refused for weight
HEALTHY_AFTER_S = 60.0  # live this long: the next reconnect starts with a short pause again


class NoStream(Exception):
    """The credential's venue (or connector) has no user-data stream."""


class CredentialStream:
    """Runs until cancelled (the lease was lost or released, or the worker stops)."""

    def __init__(self, ctx: WorkerContext, credential_id: UUID, report: Report) -> None:
        self.ctx = ctx
        self.credential_id = credential_id
        self._report_now = report
        self.state = "connecting"
        self.venue = "unknown"
        # Counters since the last report (the supervisor's pass or a state change).
        self._events = 0
        self._reconnects = 0
        self._fallbacks = 0
        self._last_event_at: datetime | None = None
        self._error: str | None = None
        self._live_at = 0.0  # time.monotonic() when it last went live

    # ------------------------------------------------------------------ reporting

    def take_report(self) -> StreamReport:
        """The state and the counters since the last report (which this resets)."""
        report = StreamReport(
            credential_id=self.credential_id,
            state=self.state,
            last_event_at=self._last_event_at,
            events=self._events,
            reconnects=self._reconnects,
            fallbacks=self._fallbacks,
            error=self._error,
        )
        self._events = self._reconnects = self._fallbacks = 0
        self._error = None
        return report

    async def _set_state(self, state: str, error: str | None = None) -> None:
        self.state = state
        if error is not None:
            self._error = error
        try:
            await self._report_now(self.take_report())
        except Exception:
            # The supervisor's next pass reports it; a database hiccup must not kill the stream.
            log.exception("stream state not recorded", credential_id=str(self.credential_id))

    def _count(self, kind: str, n: int) -> None:
        if n:
            self._events += n
            self._last_event_at = datetime.now(UTC)
            STREAM_EVENTS.labels(self.venue, kind).inc(n)

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        pause = FIRST_PAUSE_S
        connected_before = False
        while True:
            if connected_before:
                self._reconnects += 1
                STREAM_RECONNECTS.labels(self.venue, "user").inc()
            connected_before = True
            try:
                await self._connect_and_pump()
            except asyncio.CancelledError:
                raise
            except NoStream as exc:
                await self._set_state("down", str(exc))
                return  # REST polling serves this credential; the lease stays ours
            except Exception as exc:
                was_live = self.state == "live"
                if was_live:
                    self._fallbacks += 1
                    STREAM_FALLBACKS.labels(self.venue).inc()
                reason = _reason(exc)
                log.warning(
                    "user-data stream down; REST polling covers it",
                    credential_id=str(self.credential_id),
                    reason=reason,
                )
                await self._set_state("down", reason)
                if was_live and time.monotonic() - self._live_at > HEALTHY_AFTER_S:
                    pause = FIRST_PAUSE_S
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_S)

    async def _connect_and_pump(self) -> None:
        async with self.ctx.pool.connection() as conn:
            credential = await self.ctx.vault.open(conn, self.credential_id)
        adapter = self.ctx.adapters.for_credential(credential)
        self.venue = adapter.venue
        stream = adapter.user_stream()
        if stream is None:
            raise NoStream(f"{adapter.venue} has no user-data stream here: REST polling serves it")
        try:
            if self.state != "connecting":
                await self._set_state("connecting")
            await stream.subscribe()
            async with asyncio.TaskGroup() as pumps:
                pumps.create_task(self._pump_orders(stream))
                pumps.create_task(self._pump_balances(stream))
                # Events already flow (and are applied); now close the gap since the last
                # event seen, then stop REST polling.
                await self._close_gap(adapter)
                self._live_at = time.monotonic()
                await self._set_state("live")
                log.info("user-data stream live", credential_id=str(self.credential_id))
        finally:
            await stream.close()

    async def _close_gap(self, adapter: ExchangeAdapter) -> None:
        """Open orders and their trades, then the balances, by REST. A refusal for want of
        request weight (the shared budget, or the venue's 429) is waited out and tried
        again with the subscription kept: dropping the stream would put the credential on
        REST polling, which needs more weight still."""
        while True:
            try:
                await close_gap(self.ctx, self.credential_id)
                await fetch_and_store_balances(
                    self.ctx, self.credential_id, adapter, timeout_s=BALANCE_TIMEOUT_S
                )
                return
            except RateLimitedError as exc:
                wait_s = min(max(exc.retry_after_s or 1.0, 0.5), MAX_GAP_WAIT_S)
                log.info(
                    "gap close waits for request weight",
                    credential_id=str(self.credential_id),
                    reason=exc.reason,
                    wait_s=wait_s,
                )
                await asyncio.sleep(wait_s)

    async def _pump_orders(self, stream: UserStream) -> None:
        while True:
            updates = await stream.next_orders()
            self._count("order", len(updates))
            self._count("trade", sum(len(update.trades) for update in updates))
            await apply_order_updates(self.ctx.pool, self.credential_id, updates)

    async def _pump_balances(self, stream: UserStream) -> None:
        while True:
            update = await stream.next_balances()
            self._count("balance", 1)
            await apply_balance_update(self.ctx, self.credential_id, update)


def _reason(exc: BaseException) -> str:
    """The first real error of a task group's, for the report."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, ExchangeCallError):
        return f"{exc.reason}: {exc}"[:500]
    if isinstance(exc, TimeoutError):
        return "no balances from the venue in time"
    return f"{type(exc).__name__}: {exc}"[:500]
