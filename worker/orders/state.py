"""Order rows as the worker moves them: short transactions, forward-only SQL (in
shared.repositories.order_pipeline), an order_events row for every transition and every
exchange call."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from shared.domain import CallOutcome, OrderEventKind, OrderStatus
from shared.exchange.errors import ExchangeCallError
from shared.exchange.types import ExchangeOrder, Trade, VenueOrderStatus
from shared.repositories import order_pipeline as pipeline
from shared.repositories.order_pipeline import (
    PlacementSnapshot,
    VenueCall,
    VenuePath,
    lock_live_orders_of_credential,
    lock_order,
    placement_snapshot,
)
from shared.repositories.orders import Order, insert_order_event

__all__ = [
    "PlacementSnapshot",
    "VenueCall",
    "lock_live_orders_of_credential",
    "lock_order",
    "placement_snapshot",
]


class NothingToDo(StrEnum):
    """A cancel or reconcile job that found nothing to do: the order is missing, or
    already where the job would take it. Otherwise those jobs return the order's status."""

    NOTHING_TO_DO = "nothing_to_do"


async def engaged_kill_switch(conn: AsyncConnection[Any], order: Order) -> str | None:
    """Why the order must not go out, if a kill switch covers it."""
    engaged = await pipeline.engaged_kill_switch(conn, order.client_id, order.bot_id)
    return None if engaged is None else engaged.message


async def record_event(
    conn: AsyncConnection[Any],
    order_id: UUID,
    kind: OrderEventKind,
    *,
    from_status: OrderStatus | None = None,
    to_status: OrderStatus | None = None,
    attempt: int | None = None,
    call: str | None = None,
    outcome: CallOutcome | None = None,
    error: ExchangeCallError | None = None,
    message: str | None = None,
    latency_ms: int | None = None,
    job_id: int | None = None,
) -> None:
    """An order_events row; an exchange error supplies outcome, class, code and message."""
    await insert_order_event(
        conn,
        order_id,
        kind,
        from_status=from_status,
        to_status=to_status,
        attempt=attempt,
        call=call,
        outcome=outcome if outcome is not None else (error.outcome if error else None),
        error_class=error.error_class if error else None,
        venue_code=error.venue_code if error else None,
        message=message if message is not None else (str(error) if error else None),
        latency_ms=latency_ms,
        job_id=job_id,
    )


async def record_call(
    conn: AsyncConnection[Any],
    order_id: UUID,
    call: str,
    *,
    attempt: int | None = None,
    error: ExchangeCallError | None = None,
    latency_ms: int | None = None,
    message: str | None = None,
    job_id: int | None = None,
) -> None:
    """One exchange call's outcome: ok unless `error` says otherwise."""
    await record_event(
        conn,
        order_id,
        OrderEventKind.EXCHANGE_CALL,
        call=call,
        attempt=attempt,
        error=error,
        outcome=None if error else CallOutcome.OK,
        latency_ms=latency_ms,
        message=message,
        job_id=job_id,
    )


async def set_pre_venue_status(
    conn: AsyncConnection[Any],
    order: Order,
    status: OrderStatus,
    error: ExchangeCallError | None,
    job_id: int | None,
) -> None:
    await pipeline.set_pre_venue_status(
        conn,
        order.id,
        status,
        error_code=error_code(error),
        error_message=str(error) if error else None,
    )
    await record_event(
        conn,
        order.id,
        OrderEventKind.STATUS_CHANGE,
        from_status=order.status,
        to_status=status,
        job_id=job_id,
        message=str(error) if error else None,
    )


async def close_without_venue(
    conn: AsyncConnection[Any],
    order: Order,
    status: OrderStatus,
    reason: str,
    *,
    message: str,
    error: ExchangeCallError | None = None,
    job_id: int | None = None,
) -> bool:
    closed = await pipeline.close_without_venue(
        conn, order.id, status, reason, error_code=error_code(error), error_message=message
    )
    if closed:
        await record_event(
            conn,
            order.id,
            OrderEventKind.STATUS_CHANGE,
            from_status=order.status,
            to_status=status,
            message=f"{reason}: {message}",
            job_id=job_id,
        )
    return closed


def status_from_venue(venue_order: ExchangeOrder) -> OrderStatus:
    if venue_order.status is VenueOrderStatus.OPEN:
        return OrderStatus.PARTIALLY_FILLED if venue_order.filled > 0 else OrderStatus.OPEN
    return {
        VenueOrderStatus.CLOSED: OrderStatus.FILLED,
        VenueOrderStatus.CANCELED: OrderStatus.CANCELED,
        VenueOrderStatus.EXPIRED: OrderStatus.EXPIRED,
        VenueOrderStatus.REJECTED: OrderStatus.REJECTED,
    }[venue_order.status]


async def apply_venue_order(
    conn: AsyncConnection[Any],
    order: Order,
    venue_order: ExchangeOrder,
    *,
    trades: tuple[Trade, ...] | list[Trade] = (),
    call: VenueCall | None = None,
    job_id: int | None = None,
    via: VenuePath = "rest",
) -> OrderStatus:
    """Write the venue's view (forward only) and its fills (once each), in one statement
    that locks the row; returns the status the row has afterwards."""
    unique = list({trade.trade_id: trade for trade in [*venue_order.trades, *trades]}.values())
    change = await pipeline.apply_venue_order(
        conn,
        order,
        venue_order,
        status=status_from_venue(venue_order),
        trades=unique,
        call=call,
        job_id=job_id,
        via=via,
    )
    return change.after if change.after is not None else change.before


async def apply_venue_trades(
    conn: AsyncConnection[Any], order: Order, trades: list[Trade], *, via: VenuePath
) -> None:
    """The order's trades alone (each once), e.g. a stream's trade event; its status
    comes with the venue's order update."""
    await pipeline.apply_venue_order(
        conn, order, None, status=None, trades=trades, call=None, job_id=None, via=via
    )


async def venue_denies_order(
    conn: AsyncConnection[Any],
    order: Order,
    *,
    call: str | None,
    latency_ms: int | None,
    settle_s: float,
    job_id: int | None,
) -> OrderStatus:
    """The venue says it has no such order, though it acknowledged it: logs the call (if
    named) and closes the order as expired once the venue has denied it for `settle_s` (it has lost
    it: a reset); the status afterwards."""
    return await pipeline.venue_denies_order(
        conn, order.id, call=call, latency_ms=latency_ms, settle_s=settle_s, job_id=job_id
    )


def error_code(error: ExchangeCallError | None) -> str | None:
    if error is None:
        return None
    return error.venue_code or error.reason
