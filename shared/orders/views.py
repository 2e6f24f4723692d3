"""The public representation of an order.

It lives in `shared` because it is stored: the first response to `POST /v1/orders` is
kept in `orders.response_body` and replayed verbatim for a repeated idempotency key,
whichever process (web, or a bot tick in the worker) created the order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload
from uuid import UUID

import msgspec

from shared.domain import OrderSide, OrderSource, OrderStatus, OrderType, TimeInForce
from shared.repositories.orders import Order
from shared.validation import decimal_text, optional_decimal_text


class OrderView(msgspec.Struct, frozen=True, kw_only=True):
    """Numbers as plain decimal strings (shared.validation.decimal_text)."""

    id: UUID
    client_order_id: str
    credential_id: UUID
    bot_id: UUID | None
    source: OrderSource
    symbol: str
    side: OrderSide
    type: OrderType
    time_in_force: TimeInForce | None
    amount: str
    price: str | None
    status: OrderStatus
    filled_amount: str
    remaining_amount: str
    avg_fill_price: str | None
    exchange_order_id: str | None
    attempts: int
    reject_reason: str | None
    last_error_code: str | None
    last_error_message: str | None
    idempotency_key: str
    cancel_requested_at: datetime | None
    created_at: datetime
    updated_at: datetime


@overload
def utc(moment: datetime) -> datetime: ...
@overload
def utc(moment: None) -> None: ...
@overload
def utc(moment: datetime | None) -> datetime | None: ...
def utc(moment: datetime | None) -> datetime | None:
    """Times in responses are UTC whatever the session's TimeZone."""
    return moment.astimezone(UTC) if moment is not None else None


def order_view(order: Order) -> OrderView:
    return OrderView(
        id=order.id,
        client_order_id=order.client_order_id,
        credential_id=order.credential_id,
        bot_id=order.bot_id,
        source=order.source,
        symbol=order.symbol,
        side=order.side,
        type=order.type,
        time_in_force=order.time_in_force,
        amount=decimal_text(order.amount),
        price=optional_decimal_text(order.price),
        status=order.status,
        filled_amount=decimal_text(order.filled_amount),
        remaining_amount=decimal_text(order.remaining_amount),
        avg_fill_price=optional_decimal_text(order.avg_fill_price),
        exchange_order_id=order.exchange_order_id,
        attempts=order.attempts,
        reject_reason=order.reject_reason,
        last_error_code=order.last_error_code,
        last_error_message=order.last_error_message,
        idempotency_key=order.idempotency_key,
        cancel_requested_at=utc(order.cancel_requested_at),
        created_at=utc(order.created_at),
        updated_at=utc(order.updated_at),
    )


def order_body(order: Order) -> dict[str, Any]:
    """JSON-ready dict (ids and decimals as strings, times ISO 8601 UTC)."""
    body: dict[str, Any] = msgspec.to_builtins(order_view(order))
    return body
