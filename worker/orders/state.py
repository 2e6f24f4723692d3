"""Order rows as the worker reads and moves them: short transactions, forward-only SQL,
an order_events row for every transition and every exchange call."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row, dict_row

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


async def lock_live_orders_of_credential(
    conn: AsyncConnection[Any], credential_id: UUID
) -> list[OrderRow]:
    """The credential's open orders, locked in one statement in id order (the lock order
    of every multi-row lock of orders)."""
    async with conn.cursor(row_factory=class_row(OrderRow)) as cur:
        await cur.execute(
            query("pipeline_lock_live_orders_of_credential"), {"credential_id": credential_id}
        )
        return await cur.fetchall()


@dataclass(frozen=True, slots=True)
class PlacementSnapshot:
    """What place_order reads before its first write (pipeline_placement_snapshot)."""

    order: OrderRow
    credential: dict[str, Any]  # the columns CredentialVault.open_row reads
    kill_switch: str | None  # why the order must not go out, if a switch is engaged


_ORDER_FIELDS = tuple(field.name for field in fields(OrderRow))


async def placement_snapshot(
    conn: AsyncConnection[Any], order_id: UUID
) -> PlacementSnapshot | None:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query("pipeline_placement_snapshot"), {"order_id": order_id})
        row = await cur.fetchone()
    if row is None:
        return None
    credential = {
        "id": row["credential_id"],
        "client_id": row["client_id"],
        "exchange": row["exchange"],
        "environment": row["environment"],
        "api_base_url": row["api_base_url"],
        "sealed_secret": row["sealed_secret"],
        "key_id": row["key_id"],
        "revoked_at": row["credential_revoked_at"],
    }
    kill_switch = (
        None
        if row["kill_switch_scope"] is None
        else kill_switch_message(row["kill_switch_scope"], row["kill_switch_reason"])
    )
    return PlacementSnapshot(
        OrderRow(**{name: row[name] for name in _ORDER_FIELDS}), credential, kill_switch
    )


def kill_switch_message(scope: str, reason: str | None) -> str:
    return f"{scope} kill switch engaged: {reason or 'no reason given'}"


async def engaged_kill_switch(conn: AsyncConnection[Any], order: OrderRow) -> str | None:
    cur = await conn.execute(
        query("pipeline_engaged_kill_switch"),
        {"client_id": order.client_id, "bot_id": order.bot_id},
    )
    row = await cur.fetchone()
    return None if row is None else kill_switch_message(row[0], row[1])


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


async def begin_submit(
    conn: AsyncConnection[Any], order: OrderRow, job_id: int | None
) -> int | None:
    """submitting, attempt + 1, if the row is still as `order` saw it and no kill switch
    is engaged (checked under the row lock); the attempt number, or None to start over."""
    cur = await conn.execute(
        query("pipeline_begin_submit"),
        {
            "order_id": order.id,
            "expected_status": order.status,
            "job_id": job_id,
        },
    )
    row = await cur.fetchone()
    return None if row is None else int(row[0])


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


@dataclass(frozen=True, slots=True)
class VenueCall:
    """The exchange call whose answer apply_venue_order writes, logged in the same
    statement (an `ok` exchange_call event)."""

    name: str
    latency_ms: int
    attempt: int | None = None
    message: str | None = None


async def apply_venue_order(
    conn: AsyncConnection[Any],
    order: OrderRow,
    venue_order: ExchangeOrder,
    *,
    trades: tuple[Trade, ...] | list[Trade] = (),
    call: VenueCall | None = None,
    job_id: int | None = None,
) -> OrderStatus:
    """Write the venue's view (forward only) and its fills (once each), in one statement
    that locks the row; returns the status the row has afterwards."""
    unique = list({trade.trade_id: trade for trade in [*venue_order.trades, *trades]}.values())
    cur = await conn.execute(
        query("pipeline_apply_venue_order"),
        {
            "order_id": order.id,
            "status": status_from_venue(venue_order),
            "exchange_order_id": venue_order.exchange_order_id,
            "filled": venue_order.filled,
            "average_price": venue_order.average_price,
            "message": f"venue: {venue_order.status.value}, filled {venue_order.filled}",
            "job_id": job_id,
            "call": call.name if call else None,
            "attempt": call.attempt if call else None,
            "latency_ms": call.latency_ms if call else None,
            "call_message": call.message if call else None,
            "client_id": order.client_id,
            "credential_id": order.credential_id,
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
    row = await cur.fetchone()
    assert row is not None, f"apply_venue_order: order {order.id} does not exist"
    prior, after = row
    # No `after`: the row already knew better (terminal, or further along).
    return OrderStatus(after if after is not None else prior)


async def venue_denies_order(
    conn: AsyncConnection[Any],
    order: OrderRow,
    *,
    call: str | None,
    latency_ms: int | None,
    settle_s: float,
    job_id: int | None,
) -> OrderStatus:
    """The venue says it has no such order, though it acknowledged it: logs the call (if
    named) and closes the order as expired once the venue has denied it for `settle_s` (it has lost
    it: a reset); the status afterwards."""
    cur = await conn.execute(
        query("pipeline_venue_denies_order"),
        {
            "order_id": order.id,
            "settle_s": settle_s,
            "call": call,
            "latency_ms": latency_ms,
            "job_id": job_id,
        },
    )
    row = await cur.fetchone()
    assert row is not None, f"venue_denies_order: order {order.id} does not exist"
    return OrderStatus(row[0])


def error_code(error: ExchangeCallError | None) -> str | None:
    if error is None:
        return None
    return error.venue_code or error.reason
