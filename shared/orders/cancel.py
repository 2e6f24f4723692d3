"""Cancel intents: mark the order once, defer `cancel_order` once, in the caller's transaction.

The one cancel path: an HTTP cancel, a bot's tick, a bot stopped or archived, a bot in
error and a kill switch all come through here, and every cancel intent writes the same
"cancel requested by …" note in order_events.
"""

from __future__ import annotations

from uuid import UUID

from procrastinate import App
from psycopg import AsyncConnection

from shared.domain import OrderEventKind
from shared.errors import ConflictError, NotFoundError
from shared.jobs import CANCEL_ORDER, defer, order_lock
from shared.repositories import kill_switches as kill_switches_repo
from shared.repositories import orders as orders_repo


async def request_cancel(
    conn: AsyncConnection, job_app: App, *, client_id: UUID, order_id: UUID, requested_by: str
) -> orders_repo.Order:
    """Idempotent: the first call marks the order and defers one job; later calls return the
    order unchanged. A terminal order that was never asked to cancel is a conflict."""
    order = await orders_repo.request_order_cancel(conn, client_id, order_id)
    if order is not None:
        await _record_and_defer(conn, job_app, order.id, requested_by)
        return order
    current = await orders_repo.get_order(conn, client_id, order_id)
    if current is None:
        raise NotFoundError(f"order {order_id} not found")
    if current.cancel_requested_at is not None:
        return current
    raise ConflictError(f"order {order_id} is {current.status.value} and can no longer be canceled")


async def cancel_open_orders_of_bot(
    conn: AsyncConnection, job_app: App, *, client_id: UUID, bot_id: UUID, requested_by: str
) -> list[UUID]:
    """Cancel intents for every non-terminal order of the bot not yet asked to cancel."""
    order_ids = await orders_repo.request_cancel_of_open_bot_orders(conn, client_id, bot_id)
    for order_id in order_ids:
        await _record_and_defer(conn, job_app, order_id, requested_by)
    return order_ids


async def cancel_orders_in_kill_switch_scope(
    conn: AsyncConnection, job_app: App, *, kill_switch_id: UUID, requested_by: str
) -> list[UUID]:
    """Cancel intents for every live order the engaged switch covers. Orders asked to
    cancel before get a cancel job again: a kill switch's cancels bypass the venue's
    circuit breaker, an ordinary one waits on it."""
    order_ids = await kill_switches_repo.request_cancel_of_orders_in_scope(conn, kill_switch_id)
    for order_id in order_ids:
        await _record_and_defer(conn, job_app, order_id, requested_by)
    return order_ids


async def _record_and_defer(
    conn: AsyncConnection, job_app: App, order_id: UUID, requested_by: str
) -> None:
    await orders_repo.insert_order_event(
        conn, order_id, OrderEventKind.NOTE, message=f"cancel requested by {requested_by}"
    )
    await defer(job_app, conn, CANCEL_ORDER, lock=order_lock(order_id), order_id=str(order_id))
