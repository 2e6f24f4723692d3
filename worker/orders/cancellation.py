"""cancel_order(order_id): idempotent; an order whose state is unknown is resolved first.

Cancels under an engaged kill switch go first: they bypass the venue's circuit breaker
and retry on their own short clock. An open breaker refuses calls for its reset timeout
(30 s) and would hold a kill switch's cancels back for every tenant of the venue, and a
cancel is the one call that takes risk off: it is safe to repeat (an "unknown order" on a
repeat is answered with a lookup), so sending it to a venue that may be failing costs a
request, while not sending it leaves orders resting that an operator has ordered off.
Such a cancel (and the lookups it makes) is sent whatever the breaker's state, neither
waits on it nor counts toward it, and after a failure comes back within
KILL_SWITCH_RETRY_CAP_S instead of the backoff, except when the venue said how long to
wait (429/418 Retry-After, which every worker obeys through the shared budget anyway).
The request budget and the job's retry limit bound it like any other call. Ordinary
cancels keep waiting on the breaker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from shared.db.pool import transaction
from shared.domain import OrderStatus
from shared.exchange.errors import ExchangeCallError, OrderNotFoundError, RateLimitedError
from shared.exchange.protocol import ExchangeAdapter
from shared.exchange.types import ExchangeOrder, Trade
from shared.repositories.orders import Order
from worker.context import WorkerContext
from worker.orders.state import (
    NothingToDo,
    VenueCall,
    apply_venue_order,
    close_without_venue,
    engaged_kill_switch,
    lock_order,
    record_call,
    venue_denies_order,
)
from worker.orders.venue_calls import (
    fetch_with_trades,
    settle_s,
    timed,
    trades_if_filled_more,
)
from worker.retry import RetryLater, backoff_s

KILL_SWITCH_RETRY_CAP_S = 1.0
# How often a cancel of a leg whose list is still being placed looks again.
LIST_PLACEMENT_WAIT_S = 1.0


def _retry_in_s(exc: ExchangeCallError, order: Order, *, kill_switch: bool) -> float:
    delay = exc.retry_after_s or backoff_s(order.attempts)
    if kill_switch and not isinstance(exc, RateLimitedError):
        return min(delay, KILL_SWITCH_RETRY_CAP_S)
    return delay


async def cancel_order(
    ctx: WorkerContext, order_id: UUID, job_id: int | None = None
) -> OrderStatus | NothingToDo:
    """The order's status once the cancel is through (canceled, or filled if the venue
    filled it first); RetryLater until then."""
    async with transaction(ctx.pool) as conn:
        order = await lock_order(conn, order_id)
        if order is None or order.status.is_terminal:
            return NothingToDo.NOTHING_TO_DO
        if order.order_list_id is not None and order.status.is_pre_venue:
            # A leg of an order list not yet at the venue is its list's placement job's:
            # it sees the cancel request and sends nothing (or, if a send may be out,
            # looks the list up first). Closing the leg here could race a send that is
            # creating it at the venue. (Nothing written yet: the rollback loses nothing.)
            raise RetryLater("its order list is being placed", LIST_PLACEMENT_WAIT_S)
        if order.status is OrderStatus.ACCEPTED:
            # Never sent (place_order and cancel_order share a job lock, so no send is
            # in flight): cancel it here, no venue call needed.
            await close_without_venue(
                conn,
                order,
                OrderStatus.CANCELED,
                "canceled_before_send",
                message="canceled before it was sent",
                job_id=job_id,
            )
            return OrderStatus.CANCELED
        credential = await ctx.vault.open(conn, order.credential_id)
        kill_switch = await engaged_kill_switch(conn, order) is not None
    adapter = ctx.adapters.for_credential(credential)
    if kill_switch:
        adapter = adapter.bypassing_breaker()

    if order.status.is_outcome_unknown:
        return await _cancel_unknown(ctx, order, adapter, job_id, kill_switch=kill_switch)

    try:
        async with timed() as elapsed:
            # By our client order id, which only this order ever carries: after a venue
            # reset, its venue id may name a newer order that must not be cancelled.
            venue_order = await adapter.cancel_order(
                order.symbol, client_order_id=order.client_order_id
            )
            trades = await trades_if_filled_more(adapter, order, venue_order)
    except OrderNotFoundError as exc:
        # Already gone at the venue (filled, or canceled by someone else): learn how.
        await _record_call(ctx, order, "cancel_order", exc, elapsed(), job_id)
        found = await _fetch_or_retry(ctx, order, adapter, job_id, kill_switch=kill_switch)
        if found is None:
            return await _denied(ctx, order, adapter, job_id)
        venue_order, trades = found
        call = None
    except ExchangeCallError as exc:
        await _record_call(ctx, order, "cancel_order", exc, elapsed(), job_id)
        raise RetryLater(
            f"cancel: {exc.reason}", _retry_in_s(exc, order, kill_switch=kill_switch)
        ) from None
    else:
        # The call's ok event is written with the answer, in the same statement.
        call = VenueCall("cancel_order", elapsed())
    # One statement (autocommit).
    async with ctx.pool.connection() as conn:
        status = await apply_venue_order(
            conn, order, venue_order, trades=trades, call=call, job_id=job_id
        )
    return status


async def _cancel_unknown(
    ctx: WorkerContext,
    order: Order,
    adapter: ExchangeAdapter,
    job_id: int | None,
    *,
    kill_switch: bool,
) -> OrderStatus:
    found = await _fetch_or_retry(
        ctx, order, adapter, job_id, client_order_id=order.client_order_id,
        kill_switch=kill_switch,
    )  # fmt: skip
    retry: RetryLater | None = None
    async with transaction(ctx.pool) as conn:
        locked = await lock_order(conn, order.id)
        assert locked is not None
        if found is not None:
            venue_order, trades = found
            status = await apply_venue_order(
                conn, locked, venue_order, trades=trades, job_id=job_id
            )
            if not status.is_at_venue:
                return status
            retry = RetryLater("found at the venue; cancel it now", 0.05)
        else:
            waited = (datetime.now(UTC) - (order.submitted_at or order.created_at)).total_seconds()
            if waited < settle_s(ctx, adapter):
                retry = RetryLater(
                    "outcome unknown; waiting until a lost request can no longer arrive",
                    settle_s(ctx, adapter) - waited + 0.2,
                )
            else:
                await close_without_venue(
                    conn,
                    locked,
                    OrderStatus.CANCELED,
                    "canceled_before_send",
                    message="canceled; the venue never received it",
                    job_id=job_id,
                )
    # Raised only after the transaction above committed (raising inside rolls it back).
    if retry is not None:
        raise retry
    return OrderStatus.CANCELED


async def _fetch_or_retry(
    ctx: WorkerContext,
    order: Order,
    adapter: ExchangeAdapter,
    job_id: int | None,
    *,
    client_order_id: str | None = None,
    kill_switch: bool,
) -> tuple[ExchangeOrder, list[Trade]] | None:
    try:
        async with timed() as elapsed:
            found = await fetch_with_trades(
                adapter,
                order,
                exchange_order_id=None if client_order_id else order.exchange_order_id,
                client_order_id=client_order_id,
            )
    except ExchangeCallError as exc:
        await _record_call(ctx, order, "fetch_order", exc, elapsed(), job_id)
        raise RetryLater(
            f"lookup: {exc.reason}", _retry_in_s(exc, order, kill_switch=kill_switch)
        ) from None
    await _record_call(ctx, order, "fetch_order", None, elapsed(), job_id)
    return found


async def _record_call(
    ctx: WorkerContext,
    order: Order,
    call: str,
    error: ExchangeCallError | None,
    latency_ms: int,
    job_id: int | None,
) -> None:
    async with transaction(ctx.pool) as conn:
        await record_call(conn, order.id, call, error=error, latency_ms=latency_ms, job_id=job_id)


async def _denied(
    ctx: WorkerContext, order: Order, adapter: ExchangeAdapter, job_id: int | None
) -> OrderStatus:
    """Neither the cancel nor the lookup finds the order: once the venue has denied it for
    the settle time it has lost it (expired); until then, come back."""
    async with ctx.pool.connection() as conn:
        status = await venue_denies_order(
            conn, order, call=None, latency_ms=None,
            settle_s=settle_s(ctx, adapter), job_id=job_id,
        )  # fmt: skip
    if status.is_at_venue:
        raise RetryLater("the venue does not know the order it had", settle_s(ctx, adapter))
    return status
