"""An order list's rows as place_order_list moves them: the list row and both legs in
one transaction (the caller's), each leg through the same forward-only writes and
order_events as a single order (worker.orders.state)."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from shared.domain import OrderEventKind, OrderListStatus, OrderStatus
from shared.exchange.errors import ExchangeCallError
from shared.exchange.types import ExchangeOrderList
from shared.repositories import order_lists as lists_repo
from shared.repositories.order_lists import OrderList
from shared.repositories.orders import Order
from worker.orders.state import (
    VenueCall,
    apply_venue_order,
    close_without_venue,
    error_code,
    lock_order,
    record_call,
    record_event,
    set_pre_venue_status,
)

# A list's pre-venue status → its legs' (they move together until the venue has them).
_LEG_STATUS = {
    OrderListStatus.ACCEPTED: OrderStatus.ACCEPTED,
    OrderListStatus.UNKNOWN: OrderStatus.UNKNOWN,
    OrderListStatus.REJECTED: OrderStatus.REJECTED,
    OrderListStatus.FAILED: OrderStatus.FAILED,
}


async def lock_list_and_legs(
    conn: AsyncConnection[Any], order_list_id: Any
) -> tuple[OrderList, list[Order]] | None:
    """The list row, then its legs in id order: the one lock order of a list's rows."""
    order_list = await lists_repo.lock_order_list(conn, order_list_id)
    if order_list is None:
        return None
    legs = []
    for leg in await lists_repo.legs_of(conn, order_list_id):
        locked = await lock_order(conn, leg.id)
        assert locked is not None
        legs.append(locked)
    return order_list, legs


async def record_list_call(
    conn: AsyncConnection[Any],
    legs: list[Order],
    call: str,
    *,
    attempt: int | None,
    error: ExchangeCallError | None = None,
    latency_ms: int | None = None,
    message: str | None = None,
    job_id: int | None = None,
) -> None:
    """One exchange call of the list, logged on each leg ("why did my stop not go out?"
    is asked of a leg)."""
    for leg in legs:
        await record_call(
            conn, leg.id, call, attempt=attempt, error=error, latency_ms=latency_ms,
            message=message, job_id=job_id,
        )  # fmt: skip


async def set_list_pre_venue_status(
    conn: AsyncConnection[Any],
    order_list: OrderList,
    legs: list[Order],
    status: OrderListStatus,
    error: ExchangeCallError | None,
    job_id: int | None,
) -> None:
    """accepted (nothing was sent) or unknown (it may exist), on the list and its legs
    still before the venue."""
    await lists_repo.set_pre_venue_status(
        conn, order_list.id, status,
        error_code=error_code(error), error_message=str(error) if error else None,
    )  # fmt: skip
    for leg in legs:
        if leg.status.is_pre_venue and leg.status is not _LEG_STATUS[status]:
            await set_pre_venue_status(conn, leg, _LEG_STATUS[status], error, job_id)


async def close_list_without_venue(
    conn: AsyncConnection[Any],
    order_list: OrderList,
    legs: list[Order],
    status: OrderListStatus,
    reason: str,
    *,
    message: str,
    error: ExchangeCallError | None = None,
    job_id: int | None = None,
) -> None:
    """Neither leg exists at the venue: the list rejected (or failed) and both legs with
    it."""
    await lists_repo.close_without_venue(
        conn, order_list.id, status, reason,
        error_code=error_code(error), error_message=message,
    )  # fmt: skip
    # A cancel asked of one leg before the send cancels the list: both legs end canceled.
    leg_status = OrderStatus.CANCELED if reason == "canceled_before_send" else _LEG_STATUS[status]
    for leg in legs:
        await close_without_venue(
            conn, leg, leg_status, reason, message=message, error=error, job_id=job_id
        )


async def apply_venue_list(
    conn: AsyncConnection[Any],
    order_list: OrderList,
    legs: list[Order],
    venue_list: ExchangeOrderList,
    *,
    call: VenueCall,
    job_id: int | None,
) -> None:
    """The venue holds the list: the list row placed, each leg written from the venue's
    copy of it (found by our client order id) with the call that brought the answer."""
    await lists_repo.mark_placed(conn, order_list.id, venue_list.exchange_list_id)
    for leg in legs:
        venue_leg = venue_list.leg(leg.client_order_id)
        if venue_leg is None:  # never seen: every leg is sent with our id
            await record_event(
                conn, leg.id, OrderEventKind.NOTE, job_id=job_id,
                message=f"venue order list {venue_list.exchange_list_id} has no leg with "
                f"client order id {leg.client_order_id}; reconciliation finds it",
            )  # fmt: skip
            continue
        await apply_venue_order(conn, leg, venue_leg, call=call, job_id=job_id)
