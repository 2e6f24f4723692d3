"""place_order_list(order_list_id): an OCO order list placed exactly once, across
crashes and lost answers: the protocol of place_order (DESIGN §4) for one venue request
that creates two orders.

1. Read the list, its legs, the credential and the kill switch. Placed or closed →
   nothing to do. A kill switch engaged, or a cancel asked of a leg: never sent → both
   legs closed here (rejected kill_switch / canceled); maybe sent → look it up only,
   never send (step 4), then close or cancel what the venue has.
2. Local pre-trade checks of both legs (worker.orders.list_pretrade). Failure → both
   rejected.
3. Commit `submitting` (attempt + 1) on the list and both legs, under their row locks
   (list first, then legs by id), before the call.
4. If a previous attempt's outcome is unknown, look the list up by its client id first
   and adopt it (both legs written from the venue's copies). "Not found" counts only
   once the lost request can no longer arrive (the settle time, as for an order).
5. Send both legs in one request, every id ours.
6. Classify: ack → both legs through the forward-only writes of any order answer;
   permanent → both rejected with the venue's reason; ambiguous → unknown, retried
   through step 4, never re-sent blindly (Binance enforces a list client id's
   uniqueness only among executing lists); transient → retried with backoff, failed
   after the give-up time. Every call is an order_events row on both legs.

Who else touches a leg meanwhile: the list's job runs under its own lock
(`order-list:{id}`); a leg's cancel or reconcile job runs under the leg's lock. They
never race the send, because until the venue has the leg (it is pre-venue) cancel_order
leaves it to this job and waits, and reconciliation only reads orders at the venue.
A cancel asked before the send is honoured here (step 1); one asked after goes through
once the legs are open.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import structlog
from psycopg import AsyncConnection

from shared.db.pool import transaction
from shared.domain import OrderEventKind, OrderListStatus, OrderType
from shared.errors import ConflictError
from shared.exchange.capabilities import OrderListsNotSupported, order_lists_of
from shared.exchange.errors import (
    AmbiguousExchangeError,
    ExchangeCallError,
    PermanentExchangeError,
    TransientExchangeError,
)
from shared.exchange.precision import PreTradeCheckError
from shared.exchange.protocol import ExchangeAdapter, SupportsOrderLists
from shared.exchange.types import OcoToSend
from shared.orders.cancel import request_cancel
from shared.repositories import order_lists as lists_repo
from shared.repositories import order_pipeline as pipeline
from shared.repositories.order_lists import OrderList
from shared.repositories.orders import Order
from worker.context import WorkerContext
from worker.credentials import CredentialUnavailableError
from worker.orders.list_pretrade import checked_oco
from worker.orders.list_state import (
    apply_venue_list,
    close_list_without_venue,
    lock_list_and_legs,
    record_list_call,
    set_list_pre_venue_status,
)
from worker.orders.state import VenueCall, record_event
from worker.orders.venue_calls import settle_s, timed
from worker.retry import RetryLater, backoff_s

log = structlog.get_logger(__name__)


class ListPlacementOutcome(StrEnum):
    """What place_order_list did (for logs, tests and the job's result)."""

    MISSING = "missing"
    NOTHING_TO_DO = "nothing_to_do"  # placed or closed already
    REJECTED = "rejected"  # closed without reaching the venue (both legs)
    CANCELED = "canceled"  # a leg's cancel was asked before the list reached the venue
    ADOPTED = "adopted"  # an earlier attempt reached the venue: its list is ours
    PLACED = "placed"
    FAILED = "failed"  # no venue answer within the give-up time


@dataclass(frozen=True, slots=True)
class Halt:
    """Why the list must not be sent (a kill switch, a cancel asked of a leg)."""

    status: OrderListStatus
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class ReadyToSend:
    """Steps 1-3 done: the list (and its legs) as this attempt left them."""

    venue: ExchangeAdapter
    lists: SupportsOrderLists
    order_list: OrderList
    legs: list[Order]
    to_send: OcoToSend | None  # None: halted, look up only
    attempt: int
    halt: Halt | None


async def place_order_list(
    ctx: WorkerContext, order_list_id: UUID, job_id: int | None = None
) -> ListPlacementOutcome:
    for _ in range(3):
        outcome = await _prepare_and_begin(ctx, order_list_id, job_id)
        if outcome is not None:
            break
    else:  # the rows kept changing under us: let the job come back
        raise RetryLater("order list changed during every placement attempt", 0.5)
    if isinstance(outcome, ListPlacementOutcome):
        return outcome
    ready = outcome
    if ready.order_list.is_outcome_unknown:  # step 4
        adopted = await _look_up_previous_attempt(ctx, ready, job_id)
        if adopted is not None:
            return adopted
    if ready.halt is not None:  # not at the venue, and never to be sent
        closed = await _close(ctx, ready.order_list, ready.halt, job_id)
        if closed is None:
            raise RetryLater("order list changed meanwhile", 0.2)
        return closed
    assert ready.to_send is not None
    return await _send(ctx, ready, ready.to_send, job_id)


def _halt(legs: list[Order], kill_switch: str | None) -> Halt | None:
    if kill_switch is not None:
        return Halt(OrderListStatus.REJECTED, "kill_switch", kill_switch)
    if any(leg.cancel_requested_at is not None for leg in legs):
        return Halt(OrderListStatus.REJECTED, "canceled_before_send", "canceled before it was sent")
    return None


def split_legs(legs: list[Order]) -> tuple[Order, Order]:
    """(take profit, stop loss): the stop leg is the one with a stop type."""
    stops = [leg for leg in legs if leg.type is OrderType.STOP_LOSS_LIMIT]
    others = [leg for leg in legs if leg.type is not OrderType.STOP_LOSS_LIMIT]
    if len(stops) != 1 or len(others) != 1:
        raise ValueError(f"an OCO list has one stop-loss leg and one other: {legs}")
    return others[0], stops[0]


async def _prepare_and_begin(
    ctx: WorkerContext, order_list_id: UUID, job_id: int | None
) -> ListPlacementOutcome | ReadyToSend | None:
    """Steps 1-3; None when the rows changed in between (start over)."""
    async with ctx.pool.connection() as conn:
        order_list = await lists_repo.get_order_list(conn, order_list_id)
        if order_list is None:
            log.warning("place_order_list for a missing list", order_list_id=str(order_list_id))
            return ListPlacementOutcome.MISSING
        if not order_list.is_pre_venue:
            return ListPlacementOutcome.NOTHING_TO_DO
        legs = await lists_repo.legs_of(conn, order_list_id)
        take_profit, stop_loss = split_legs(legs)
        engaged = await pipeline.engaged_kill_switch(conn, order_list.client_id, take_profit.bot_id)
        sealed = await pipeline.load_credential(conn, order_list.credential_id)
    halt = _halt(legs, None if engaged is None else engaged.message)
    if halt is not None and not order_list.is_outcome_unknown:
        return await _close(ctx, order_list, halt, job_id)  # never sent: nothing at the venue
    try:
        credential = ctx.vault.open_row(order_list.credential_id, sealed)
        venue = ctx.adapters.for_credential(credential)
        lists = order_lists_of(venue)
    except (CredentialUnavailableError, OrderListsNotSupported) as exc:
        reason = (
            "credential_unavailable" if isinstance(exc, CredentialUnavailableError)
            else "not_supported"
        )  # fmt: skip
        return await _close(
            ctx, order_list, Halt(OrderListStatus.REJECTED, reason, str(exc)), job_id
        )
    if halt is not None:  # maybe sent: look it up, never send
        return ReadyToSend(venue, lists, order_list, legs, None, order_list.attempts, halt)

    try:
        market = await venue.market(order_list.symbol)
    except TransientExchangeError as exc:
        async with transaction(ctx.pool) as conn:
            await record_event(
                conn, take_profit.id, OrderEventKind.NOTE, error=exc, job_id=job_id,
                message=f"waiting for market data: {exc}",
            )  # fmt: skip
        raise RetryLater(f"market data: {exc.reason}", exc.retry_after_s or backoff_s(1)) from None
    except PermanentExchangeError as refusal:  # e.g. the symbol is unknown
        return await _close(
            ctx, order_list, Halt(OrderListStatus.REJECTED, refusal.reason, str(refusal)), job_id
        )
    try:
        to_send = checked_oco(ctx, order_list, take_profit, stop_loss, market)
    except PreTradeCheckError as failed:
        return await _close(
            ctx, order_list, Halt(OrderListStatus.REJECTED, failed.reason, str(failed)), job_id
        )

    async with transaction(ctx.pool) as conn:
        locked = await lock_list_and_legs(conn, order_list_id)
        assert locked is not None
        current, current_legs = locked
        engaged = await pipeline.engaged_kill_switch(conn, current.client_id, take_profit.bot_id)
        changed = current.status is not order_list.status
        if changed or _halt(current_legs, None if engaged is None else engaged.message):
            return None  # step 1 sees what changed
        attempt = await lists_repo.begin_submit(conn, current.id, current.status)
        assert attempt is not None
        for leg in current_legs:
            # A leg the venue already reported (a stream event of a lost answer) stays.
            if leg.status.is_pre_venue:
                await pipeline.begin_submit(conn, leg, job_id)
        current_legs = await lists_repo.legs_of(conn, order_list_id)
    return ReadyToSend(venue, lists, current, current_legs, to_send, attempt, None)


async def _close(
    ctx: WorkerContext, seen: OrderList, halt: Halt, job_id: int | None
) -> ListPlacementOutcome | None:
    """Close a list that never reached the venue, with both legs, if it is still as the
    checks saw it (None: it changed, start over)."""
    async with transaction(ctx.pool) as conn:
        locked = await lock_list_and_legs(conn, seen.id)
        if locked is None:
            return ListPlacementOutcome.MISSING
        order_list, legs = locked
        if order_list.status is not seen.status:
            return None
        await close_list_without_venue(
            conn, order_list, legs, halt.status, halt.reason, message=halt.message, job_id=job_id
        )
    if halt.reason == "canceled_before_send":
        return ListPlacementOutcome.CANCELED
    return (
        ListPlacementOutcome.FAILED
        if halt.status is OrderListStatus.FAILED
        else ListPlacementOutcome.REJECTED
    )


async def _look_up_previous_attempt(
    ctx: WorkerContext, ready: ReadyToSend, job_id: int | None
) -> ListPlacementOutcome | None:
    """Adopt the venue's copy of an earlier attempt; None means: not at the venue, and
    the lost request can no longer arrive (send now, or close if halted)."""
    order_list = ready.order_list
    try:
        async with timed() as elapsed:
            found = await ready.lists.fetch_order_list(
                order_list.symbol, order_list.list_client_order_id
            )
    except ExchangeCallError as exc:
        async with transaction(ctx.pool) as conn:
            locked = await lock_list_and_legs(conn, order_list.id)
            assert locked is not None
            await record_list_call(
                conn, locked[1], "fetch_order_list", attempt=ready.attempt, error=exc,
                latency_ms=elapsed(), job_id=job_id,
            )  # fmt: skip
            await set_list_pre_venue_status(
                conn, locked[0], locked[1], OrderListStatus.UNKNOWN, exc, job_id
            )
        raise RetryLater(
            f"list lookup: {exc.reason}", exc.retry_after_s or backoff_s(ready.attempt)
        ) from None

    async with transaction(ctx.pool) as conn:
        locked = await lock_list_and_legs(conn, order_list.id)
        assert locked is not None
        current, legs = locked
        if found is not None:
            call = VenueCall(
                "fetch_order_list", elapsed(), attempt=ready.attempt,
                message=f"adopted venue order list {found.exchange_list_id}",
            )  # fmt: skip
            await apply_venue_list(conn, current, legs, found, call=call, job_id=job_id)
            if ready.halt is not None:
                await _cancel_adopted(ctx, conn, legs, ready.halt)
            log.info("order list adopted", order_list_id=str(order_list.id))
            return ListPlacementOutcome.ADOPTED
        await record_list_call(
            conn, legs, "fetch_order_list", attempt=ready.attempt, latency_ms=elapsed(),
            message="not found at the venue", job_id=job_id,
        )  # fmt: skip
        last_request_at = current.submitted_at or current.created_at
        waited = (datetime.now(UTC) - last_request_at).total_seconds()
        settled = waited >= settle_s(ctx, ready.venue)
        if settled:
            await lists_repo.mark_sending(conn, current.id)
            for leg in legs:
                await pipeline.mark_sending(conn, leg.id)
        else:
            await set_list_pre_venue_status(
                conn, current, legs, OrderListStatus.UNKNOWN, None, job_id
            )
    # Raised only after the transaction above committed (raising inside rolls it back).
    if not settled:
        raise RetryLater(
            "list not found yet; the lost request could still arrive",
            settle_s(ctx, ready.venue) - waited + 0.2,
        )
    return None


async def _cancel_adopted(
    ctx: WorkerContext, conn: AsyncConnection[Any], legs: list[Order], halt: Halt
) -> None:
    """A halted list turned out to be at the venue: ask its legs' cancel (one cancels the
    list at the venue; both rows get theirs). Already asked (a leg's cancel that halted
    it) is fine: request_cancel is idempotent."""
    for leg in legs:
        try:
            await request_cancel(
                conn,
                ctx.job_app,
                client_id=leg.client_id,
                order_id=leg.id,
                requested_by=f"place_order_list ({halt.reason}: {halt.message})",
            )
        except ConflictError:  # closed at the venue already
            continue


async def _send(
    ctx: WorkerContext, ready: ReadyToSend, to_send: OcoToSend, job_id: int | None
) -> ListPlacementOutcome:
    started = time.perf_counter()
    try:
        venue_list = await ready.lists.create_oco(to_send)
    except ExchangeCallError as exc:
        latency = int((time.perf_counter() - started) * 1000)
        return await _after_failed_send(ctx, ready, exc, latency, job_id)
    latency = int((time.perf_counter() - started) * 1000)
    call = VenueCall(
        "create_oco", latency, attempt=ready.attempt,
        message=f"venue order list {venue_list.exchange_list_id}",
    )  # fmt: skip
    async with transaction(ctx.pool) as conn:
        locked = await lock_list_and_legs(conn, ready.order_list.id)
        assert locked is not None
        await apply_venue_list(conn, *locked, venue_list, call=call, job_id=job_id)
    log.info(
        "order list placed", order_list_id=str(ready.order_list.id),
        exchange_list_id=venue_list.exchange_list_id, latency_ms=latency,
    )  # fmt: skip
    return ListPlacementOutcome.PLACED


async def _after_failed_send(
    ctx: WorkerContext,
    ready: ReadyToSend,
    exc: ExchangeCallError,
    latency_ms: int,
    job_id: int | None,
) -> ListPlacementOutcome:
    async with transaction(ctx.pool) as conn:
        locked = await lock_list_and_legs(conn, ready.order_list.id)
        assert locked is not None
        order_list, legs = locked
        await record_list_call(
            conn, legs, "create_oco", attempt=ready.attempt, error=exc, latency_ms=latency_ms,
            job_id=job_id,
        )  # fmt: skip
        if isinstance(exc, PermanentExchangeError):
            await close_list_without_venue(
                conn, order_list, legs, OrderListStatus.REJECTED, exc.reason,
                message=str(exc), error=exc, job_id=job_id,
            )  # fmt: skip
            return ListPlacementOutcome.REJECTED
        if isinstance(exc, AmbiguousExchangeError):
            await set_list_pre_venue_status(
                conn, order_list, legs, OrderListStatus.UNKNOWN, exc, job_id
            )
        else:
            age = (datetime.now(UTC) - order_list.created_at).total_seconds()
            if age > ctx.settings.order_give_up_s:
                await close_list_without_venue(
                    conn, order_list, legs, OrderListStatus.FAILED, "gave_up",
                    message=f"no venue answer in {ctx.settings.order_give_up_s:.0f}s; "
                    f"last: {exc}",
                    error=exc, job_id=job_id,
                )  # fmt: skip
                return ListPlacementOutcome.FAILED
            # Transient: the venue refused before processing (or we never sent).
            await set_list_pre_venue_status(
                conn, order_list, legs, OrderListStatus.ACCEPTED, exc, job_id
            )
    if isinstance(exc, AmbiguousExchangeError):
        # Come back soon: the lookup finds a list the venue did create; if it did not,
        # the lookup waits out the settle time before sending again.
        raise RetryLater(f"ambiguous: {exc.reason}", 0.5)
    raise RetryLater(f"transient: {exc.reason}", exc.retry_after_s or backoff_s(ready.attempt))
