"""Order rows as the worker reads and moves them: short transactions, forward-only SQL,
an order_events row for every transition and every exchange call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row

from shared.db.sql_files import query
from shared.domain import (
    CallOutcome,
    CredentialEnvironment,
    OrderEventKind,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from shared.exchange.errors import ExchangeCallError
from shared.exchange.types import ExchangeOrder, Trade, VenueOrderStatus
from shared.repositories.orders import insert_order_event
from shared.repositories.rows import coerce_enums


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: UUID
    client_id: UUID
    credential_id: UUID
    bot_id: UUID | None
    symbol: str
    side: OrderSide
    type: OrderType
    time_in_force: TimeInForce | None
    amount: Decimal
    price: Decimal | None
    client_order_id: str
    exchange_order_id: str | None
    status: OrderStatus
    filled_amount: Decimal
    attempts: int
    cancel_requested_at: datetime | None
    submitted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    exchange: str
    environment: CredentialEnvironment
    credential_revoked_at: datetime | None

    def __post_init__(self) -> None:
        coerce_enums(self)


async def lock_order(conn: AsyncConnection[Any], order_id: UUID) -> OrderRow | None:
    async with conn.cursor(row_factory=class_row(OrderRow)) as cur:
        await cur.execute(query("pipeline_lock_order"), {"order_id": order_id})
        return await cur.fetchone()


async def engaged_kill_switch(conn: AsyncConnection[Any], order: OrderRow) -> str | None:
    cur = await conn.execute(
        query("pipeline_engaged_kill_switch"),
        {"client_id": order.client_id, "bot_id": order.bot_id},
    )
    row = await cur.fetchone()
    return None if row is None else f"{row[0]} kill switch engaged: {row[1] or 'no reason given'}"


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


async def mark_submitting(
    conn: AsyncConnection[Any], order: OrderRow, job_id: int | None, *, sending: bool
) -> int:
    cur = await conn.execute(
        query("pipeline_mark_submitting"), {"order_id": order.id, "sending": sending}
    )
    row = await cur.fetchone()
    assert row is not None, "mark_submitting on an order that is past submitting"
    attempt = int(row[0])
    await record_event(
        conn,
        order.id,
        OrderEventKind.STATUS_CHANGE,
        from_status=order.status,
        to_status=OrderStatus.SUBMITTING,
        attempt=attempt,
        job_id=job_id,
    )
    return attempt


async def set_pre_venue_status(
    conn: AsyncConnection[Any],
    order: OrderRow,
    status: OrderStatus,
    error: ExchangeCallError | None,
    job_id: int | None,
) -> None:
    await conn.execute(
        query("pipeline_set_pre_venue_status"),
        {
            "order_id": order.id,
            "status": status,
            "error_code": error_code(error),
            "error_message": str(error) if error else None,
        },
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
    order: OrderRow,
    status: OrderStatus,
    reason: str,
    *,
    message: str,
    error: ExchangeCallError | None = None,
    job_id: int | None = None,
) -> bool:
    cur = await conn.execute(
        query("pipeline_close_without_venue"),
        {
            "order_id": order.id,
            "status": status,
            "reject_reason": reason,
            "error_code": error_code(error),
            "error_message": message,
        },
    )
    closed = await cur.fetchone() is not None
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
    order: OrderRow,
    venue_order: ExchangeOrder,
    *,
    trades: tuple[Trade, ...] | list[Trade] = (),
    job_id: int | None = None,
) -> OrderStatus:
    """Write the venue's view (forward only) and its fills (once each); returns the status
    the row has afterwards."""
    new_status = status_from_venue(venue_order)
    cur = await conn.execute(
        query("pipeline_apply_venue_state"),
        {
            "order_id": order.id,
            "status": new_status,
            "exchange_order_id": venue_order.exchange_order_id,
            "filled": venue_order.filled,
            "average_price": venue_order.average_price,
        },
    )
    row = await cur.fetchone()
    await insert_fills(conn, order, [*venue_order.trades, *trades])
    if row is None:  # the row already knew better (terminal, or further along)
        return order.status
    status = OrderStatus(row[0])
    if status is not order.status:
        await record_event(
            conn,
            order.id,
            OrderEventKind.STATUS_CHANGE,
            from_status=order.status,
            to_status=status,
            job_id=job_id,
            message=f"venue: {venue_order.status.value}, filled {venue_order.filled}",
        )
    return status


async def insert_fills(conn: AsyncConnection[Any], order: OrderRow, trades: list[Trade]) -> None:
    """Each trade once (ON CONFLICT DO NOTHING), all in one statement."""
    unique = list({trade.trade_id: trade for trade in trades}.values())
    if not unique:
        return
    await conn.execute(
        query("pipeline_insert_fills"),
        {
            "client_id": order.client_id,
            "credential_id": order.credential_id,
            "order_id": order.id,
            "bot_id": order.bot_id,
            "symbol": order.symbol,
            "trade_ids": [t.trade_id for t in unique],
            "exchange_order_ids": [t.order_id for t in unique],
            "sides": [t.side.value for t in unique],
            "prices": [t.price for t in unique],
            "amounts": [t.amount for t in unique],
            "fee_amounts": [t.fee_amount for t in unique],
            "fee_currencies": [t.fee_currency for t in unique],
            "is_makers": [t.is_maker for t in unique],
            "traded_ats": [t.traded_at for t in unique],
        },
    )


def error_code(error: ExchangeCallError | None) -> str | None:
    if error is None:
        return None
    return error.venue_code or error.reason
