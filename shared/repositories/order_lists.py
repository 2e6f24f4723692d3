"""Order lists (OCO) rows (sql/queries/order_lists.sql). The legs are order rows: read
them here, move them with shared.repositories.order_pipeline like any order.

Functions take the connection: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.statements import execute, fetch_all, fetch_one, fetch_value, fetch_values
from shared.domain import OrderListStatus
from shared.repositories.orders import Order
from shared.repositories.rows import coerce_enums

# The list statuses before the venue holds the list (mirrors the SQL's IN lists).
PRE_VENUE_LIST_STATUSES = frozenset(
    {OrderListStatus.ACCEPTED, OrderListStatus.SUBMITTING, OrderListStatus.UNKNOWN}
)


@dataclass(frozen=True, slots=True)
class OrderList:
    id: UUID
    client_id: UUID
    credential_id: UUID
    symbol: str
    list_client_order_id: str
    exchange_list_id: str | None
    status: OrderListStatus
    attempts: int
    last_error_code: str | None
    last_error_message: str | None
    reject_reason: str | None
    idempotency_key: str
    position_id: UUID | None
    submitted_at: datetime | None
    created_at: datetime
    updated_at: datetime

    def __post_init__(self) -> None:
        coerce_enums(self)

    @property
    def is_pre_venue(self) -> bool:
        return self.status in PRE_VENUE_LIST_STATUSES

    @property
    def is_outcome_unknown(self) -> bool:
        """A send may have reached the venue: look the list up before anything else."""
        return self.status in (OrderListStatus.SUBMITTING, OrderListStatus.UNKNOWN)


@dataclass(frozen=True, slots=True)
class NewOrderList:
    id: UUID
    client_id: UUID
    credential_id: UUID
    symbol: str
    list_client_order_id: str
    idempotency_key: str
    position_id: UUID | None


async def insert_order_list(conn: AsyncConnection[Any], new: NewOrderList) -> OrderList | None:
    """None when the client's idempotency key is taken already."""
    return await fetch_one(
        conn,
        OrderList,
        "order_lists_insert",
        id=new.id,
        client_id=new.client_id,
        credential_id=new.credential_id,
        symbol=new.symbol,
        list_client_order_id=new.list_client_order_id,
        idempotency_key=new.idempotency_key,
        position_id=new.position_id,
    )


async def order_list_by_idempotency_key(
    conn: AsyncConnection[Any], client_id: UUID, idempotency_key: str
) -> OrderList | None:
    return await fetch_one(
        conn,
        OrderList,
        "order_lists_by_idempotency_key",
        client_id=client_id,
        idempotency_key=idempotency_key,
    )


async def get_order_list(conn: AsyncConnection[Any], order_list_id: UUID) -> OrderList | None:
    return await fetch_one(conn, OrderList, "order_lists_get", order_list_id=order_list_id)


async def lock_order_list(conn: AsyncConnection[Any], order_list_id: UUID) -> OrderList | None:
    return await fetch_one(conn, OrderList, "order_lists_lock", order_list_id=order_list_id)


async def legs_of(conn: AsyncConnection[Any], order_list_id: UUID) -> list[Order]:
    """The list's legs (not locked), in id order."""
    return await fetch_all(conn, Order, "order_lists_legs", order_list_id=order_list_id)


async def begin_submit(
    conn: AsyncConnection[Any], order_list_id: UUID, expected_status: OrderListStatus
) -> int | None:
    """submitting, attempt + 1, if still in `expected_status`; the attempt number."""
    attempt = await fetch_value(
        conn,
        "order_lists_begin_submit",
        order_list_id=order_list_id,
        expected_status=expected_status,
    )
    return None if attempt is None else int(attempt)


async def mark_sending(conn: AsyncConnection[Any], order_list_id: UUID) -> None:
    await execute(conn, "order_lists_mark_sending", order_list_id=order_list_id)


async def set_pre_venue_status(
    conn: AsyncConnection[Any],
    order_list_id: UUID,
    status: OrderListStatus,
    *,
    error_code: str | None,
    error_message: str | None,
) -> None:
    await execute(
        conn,
        "order_lists_set_pre_venue_status",
        order_list_id=order_list_id,
        status=status,
        error_code=error_code,
        error_message=error_message,
    )


async def mark_placed(
    conn: AsyncConnection[Any], order_list_id: UUID, exchange_list_id: str
) -> None:
    await execute(
        conn, "order_lists_mark_placed", order_list_id=order_list_id,
        exchange_list_id=exchange_list_id,
    )  # fmt: skip


async def close_without_venue(
    conn: AsyncConnection[Any],
    order_list_id: UUID,
    status: OrderListStatus,
    reason: str,
    *,
    error_code: str | None,
    error_message: str | None,
) -> bool:
    """False when the list was placed or closed already."""
    closed = await fetch_value(
        conn,
        "order_lists_close_without_venue",
        order_list_id=order_list_id,
        status=status,
        reject_reason=reason,
        error_code=error_code,
        error_message=error_message,
    )
    return closed is not None


async def order_lists_without_live_job(
    conn: AsyncConnection[Any], *, min_age_s: float, limit: int
) -> list[UUID]:
    return await fetch_values(
        conn, "order_lists_without_live_job", min_age_s=min_age_s, limit=limit
    )
