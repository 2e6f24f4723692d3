"""place_order(order_id): every order placed exactly once, across crashes and lost answers.

The protocol (DESIGN §4):
1. Read order, credential and kill switch in one unlocked statement. Terminal, or
   already at the venue → nothing to do. Kill switch engaged → rejected (kill_switch),
   unless an earlier send may have reached the venue: then a cancel request, never a
   local close (cancel_order resolves it at the venue).
2. Local pre-trade checks, no exchange call: market exists, rounding to the venue's
   precision, min/max amount and notional, price band vs mid. Failure → rejected.
3. Commit `submitting` (attempt + 1) before any exchange call, in one statement that
   locks the row and re-checks status and kill switch under the lock (if either changed
   since step 1: start over).
4. If a previous attempt's outcome is unknown (status unknown, or submitting left by a
   crash), look the order up by client order id first and adopt what the venue has.
   "Not found" proves nothing until the venue can no longer accept the lost request
   (timestamp + recvWindow): until the settle time has passed, come back later.
5. Send with the deterministic client order id.
6. Classify: ack → open/filled with fills; permanent → rejected, never retried;
   ambiguous → unknown, retried through step 4, never blindly re-sent (Binance enforces
   client id uniqueness only among *open* orders: a blind resend of a filled order
   trades twice); transient → accepted again, retried with backoff, failed after the
   give-up time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID

import structlog

from shared.db.pool import transaction
from shared.domain import OrderStatus
from shared.errors import ConflictError
from shared.exchange.errors import (
    AmbiguousExchangeError,
    ExchangeCallError,
    PermanentExchangeError,
)
from shared.exchange.precision import PreTradeCheckError
from shared.exchange.protocol import ExchangeAdapter
from shared.exchange.types import ExchangeOrder, OrderToSend
from shared.orders.cancel import request_cancel
from shared.repositories.order_pipeline import begin_submit, mark_sending, placement_snapshot
from shared.repositories.orders import Order
from worker.context import WorkerContext
from worker.credentials import CredentialUnavailableError
from worker.orders.pretrade import checked_order, market_and_mid
from worker.orders.state import (
    VenueCall,
    apply_venue_order,
    close_without_venue,
    engaged_kill_switch,
    lock_order,
    record_call,
    set_pre_venue_status,
)
from worker.orders.venue_calls import fetch_with_trades, settle_s, timed
from worker.retry import RetryLater, backoff_s

log = structlog.get_logger(__name__)


class PlacementOutcome(StrEnum):
    """What place_order did (for logs, tests and the job's result)."""

    MISSING = "missing"  # no such order
    NOTHING_TO_DO = "nothing_to_do"  # terminal or at the venue already
    REJECTED = "rejected"  # closed without reaching the venue
    CANCEL_REQUESTED = "cancel_requested"  # a kill switch, and an earlier send may be out
    ADOPTED = "adopted"  # an earlier attempt reached the venue: its order is ours
    PLACED = "placed"
    FAILED = "failed"  # no venue answer within the give-up time


@dataclass(frozen=True, slots=True)
class ReadyToSend:
    """Steps 1-3 done: the row is `submitting` for this attempt."""

    adapter: ExchangeAdapter
    order: Order
    to_send: OrderToSend
    attempt: int


async def place_order(
    ctx: WorkerContext, order_id: UUID, job_id: int | None = None
) -> PlacementOutcome:
    for _ in range(3):
        outcome = await _prepare_and_begin(ctx, order_id, job_id)
        if outcome is not None:
            break
    else:  # the row kept changing under us: let the job come back
        raise RetryLater("order changed during every placement attempt", 0.5)
    if isinstance(outcome, PlacementOutcome):
        return outcome
    ready = outcome
    if ready.order.status.is_outcome_unknown:  # step 4
        adopted = await _look_up_previous_attempt(
            ctx, ready.adapter, ready.order, ready.attempt, job_id
        )
        if adopted is not None:
            return adopted
    return await _send(ctx, ready.adapter, ready.order, ready.to_send, ready.attempt, job_id)


async def _prepare_and_begin(
    ctx: WorkerContext, order_id: UUID, job_id: int | None
) -> PlacementOutcome | ReadyToSend | None:
    """Steps 1-3. Reads in one unlocked round trip, checks without the venue, then moves
    the row to submitting in one statement that re-checks status and kill switch under
    the row lock. The outcome when the order goes no further; None when the row changed
    in between (start over); otherwise what to send and the attempt number."""
    # One statement each (autocommit): no BEGIN/COMMIT round trips on the hot path.
    async with ctx.pool.connection() as conn:
        snapshot = await placement_snapshot(conn, order_id)
    if snapshot is None:
        log.warning("place_order for a missing order", order_id=str(order_id))
        return PlacementOutcome.MISSING
    order = snapshot.order
    if order.status.is_terminal or order.status.is_at_venue:
        return PlacementOutcome.NOTHING_TO_DO
    if order.order_list_id is not None:
        # A leg of an order list goes out with its list (place_order_list), never alone.
        log.warning("place_order for a leg of an order list", order_id=str(order.id))
        return PlacementOutcome.NOTHING_TO_DO
    # Checked first, with no venue call: a kill switch must not wait for market data.
    if snapshot.kill_switch:
        if order.status.is_outcome_unknown:
            return await _leave_to_cancel(ctx, order, snapshot.kill_switch.message)
        return await _reject(ctx, order, "kill_switch", snapshot.kill_switch.message, job_id)
    try:
        credential = ctx.vault.open_row(order.credential_id, snapshot.credential)
    except CredentialUnavailableError as exc:
        return await _reject(ctx, order, "credential_unavailable", str(exc), job_id)
    adapter = ctx.adapters.for_credential(credential)

    try:
        market, mid = await market_and_mid(ctx, adapter, order, credential.environment, job_id)
    except PermanentExchangeError as refusal:  # e.g. the symbol is unknown
        return await _reject(ctx, order, refusal.reason, str(refusal), job_id, error=refusal)
    try:
        to_send = checked_order(ctx, order, market, mid)
    except PreTradeCheckError as failed:
        return await _reject(ctx, order, failed.reason, str(failed), job_id)

    async with ctx.pool.connection() as conn:
        attempt = await begin_submit(conn, order, job_id)
    if attempt is None:
        return None
    return ReadyToSend(adapter, order, to_send, attempt)


async def _reject(
    ctx: WorkerContext,
    seen: Order,
    reason: str,
    message: str,
    job_id: int | None,
    *,
    error: ExchangeCallError | None = None,
) -> PlacementOutcome | None:
    """Close an order that never reached the venue, under its row lock, if the row is
    still as the checks saw it (None: it changed, start over)."""
    async with transaction(ctx.pool) as conn:
        order = await lock_order(conn, seen.id)
        if order is None or order.status is not seen.status:
            return None
        if reason == "kill_switch" and not await engaged_kill_switch(conn, order):
            return None  # released meanwhile
        await close_without_venue(
            conn, order, OrderStatus.REJECTED, reason, message=message, error=error, job_id=job_id
        )
    return PlacementOutcome.REJECTED


async def _leave_to_cancel(ctx: WorkerContext, order: Order, kill_switch: str) -> PlacementOutcome:
    """An earlier send of this order may have reached the venue: closing it here would
    leave a live venue order nobody tracks. Never send it again; make sure a cancel is
    requested (the kill switch's sweep normally did so already), and `cancel_order`
    looks it up, cancels what the venue has, and closes it if the venue never got it."""
    try:
        async with transaction(ctx.pool) as conn:
            await request_cancel(
                conn,
                ctx.job_app,
                client_id=order.client_id,
                order_id=order.id,
                requested_by=f"place_order ({kill_switch})",
            )
    except ConflictError:  # closed meanwhile: nothing left to do
        return PlacementOutcome.NOTHING_TO_DO
    return PlacementOutcome.CANCEL_REQUESTED


async def _look_up_previous_attempt(
    ctx: WorkerContext, adapter: ExchangeAdapter, order: Order, attempt: int, job_id: int | None
) -> PlacementOutcome | None:
    """Adopt the venue's copy of an earlier attempt; None means: safe to send now."""
    try:
        async with timed() as elapsed:
            found = await fetch_with_trades(adapter, order, client_order_id=order.client_order_id)
    except ExchangeCallError as exc:
        async with transaction(ctx.pool) as conn:
            await record_call(
                conn,
                order.id,
                "fetch_order",
                attempt=attempt,
                error=exc,
                latency_ms=elapsed(),
                job_id=job_id,
            )
            await set_pre_venue_status(conn, order, OrderStatus.UNKNOWN, exc, job_id)
        raise RetryLater(f"lookup: {exc.reason}", exc.retry_after_s or backoff_s(attempt)) from None

    async with transaction(ctx.pool) as conn:
        if found is not None:
            venue_order, trades = found
            call = VenueCall(
                "fetch_order",
                elapsed(),
                attempt=attempt,
                message=f"adopted venue order {venue_order.exchange_order_id}",
            )
            await apply_venue_order(
                conn, order, venue_order, trades=trades, call=call, job_id=job_id
            )
            return PlacementOutcome.ADOPTED
        await record_call(
            conn,
            order.id,
            "fetch_order",
            attempt=attempt,
            latency_ms=elapsed(),
            message="not found at the venue",
            job_id=job_id,
        )
        last_request_at = order.submitted_at or order.created_at
        waited = (datetime.now(UTC) - last_request_at).total_seconds()
        settled = waited >= settle_s(ctx, adapter)
        if settled:
            await mark_sending(conn, order.id)
        else:
            await set_pre_venue_status(conn, order, OrderStatus.UNKNOWN, None, job_id)
    # Raised only after the transaction above committed (raising inside rolls it back).
    if not settled:
        raise RetryLater(
            "not found yet; the lost request could still arrive",
            settle_s(ctx, adapter) - waited + 0.2,
        )
    return None


async def _send(
    ctx: WorkerContext,
    adapter: ExchangeAdapter,
    order: Order,
    to_send: OrderToSend,
    attempt: int,
    job_id: int | None,
) -> PlacementOutcome:
    started = time.perf_counter()
    try:
        venue_order: ExchangeOrder = await adapter.create_order(to_send)
    except ExchangeCallError as exc:
        latency = int((time.perf_counter() - started) * 1000)
        return await _after_failed_send(ctx, order, exc, attempt, latency, job_id)
    latency = int((time.perf_counter() - started) * 1000)
    call = VenueCall(
        "create_order",
        latency,
        attempt=attempt,
        message=f"venue order {venue_order.exchange_order_id}",
    )
    async with ctx.pool.connection() as conn:
        status = await apply_venue_order(conn, order, venue_order, call=call, job_id=job_id)
    log.info("order placed", order_id=str(order.id), status=status.value, latency_ms=latency)
    return PlacementOutcome.PLACED


async def _after_failed_send(
    ctx: WorkerContext,
    order: Order,
    exc: ExchangeCallError,
    attempt: int,
    latency_ms: int,
    job_id: int | None,
) -> PlacementOutcome:
    async with transaction(ctx.pool) as conn:
        await record_call(
            conn,
            order.id,
            "create_order",
            attempt=attempt,
            error=exc,
            latency_ms=latency_ms,
            job_id=job_id,
        )
        locked = await lock_order(conn, order.id)
        assert locked is not None
        if isinstance(exc, PermanentExchangeError):
            await close_without_venue(
                conn,
                locked,
                OrderStatus.REJECTED,
                exc.reason,
                message=str(exc),
                error=exc,
                job_id=job_id,
            )
            return PlacementOutcome.REJECTED
        if isinstance(exc, AmbiguousExchangeError):
            await set_pre_venue_status(conn, locked, OrderStatus.UNKNOWN, exc, job_id)
            ambiguous = True
        else:
            ambiguous = False
    if ambiguous:
        # Come back soon: the lookup finds an order the venue did create; if it did not,
        # the lookup waits out the settle time before sending again.
        raise RetryLater(f"ambiguous: {exc.reason}", 0.5)
    async with transaction(ctx.pool) as conn:
        locked = await lock_order(conn, order.id)
        assert locked is not None
        age = (datetime.now(UTC) - order.created_at).total_seconds()
        if age > ctx.settings.order_give_up_s:
            await close_without_venue(
                conn,
                locked,
                OrderStatus.FAILED,
                "gave_up",
                message=f"no venue answer in {ctx.settings.order_give_up_s:.0f}s; last: {exc}",
                error=exc,
                job_id=job_id,
            )
            return PlacementOutcome.FAILED
        # Transient: the venue refused before processing (or we never sent): send again.
        await set_pre_venue_status(conn, locked, OrderStatus.ACCEPTED, exc, job_id)
    raise RetryLater(f"transient: {exc.reason}", exc.retry_after_s or backoff_s(attempt))
