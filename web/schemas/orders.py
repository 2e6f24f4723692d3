"""Orders, their events and fills."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from shared.domain import (
    CallOutcome,
    OrderEventKind,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from shared.orders.views import OrderView, utc
from shared.repositories.orders import Fill, OrderEvent
from shared.validation import decimal_text
from web.schemas.common import Money, Symbol


class OrderCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    credential_id: UUID
    symbol: Symbol
    side: OrderSide
    type: OrderType
    amount: Money
    price: Money | None = None
    time_in_force: TimeInForce | None = None


class OrderRead(OrderView, frozen=True, kw_only=True):
    """An order: the intent and where it is in its lifecycle."""


class FillRead(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    order_id: UUID | None
    bot_id: UUID | None
    credential_id: UUID
    symbol: str
    exchange_trade_id: str
    exchange_order_id: str | None
    side: OrderSide
    price: str
    amount: str
    quote_amount: str
    fee_amount: str
    fee_currency: str | None
    is_maker: bool | None
    traded_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, fill: Fill) -> FillRead:
        return cls(
            id=fill.id,
            order_id=fill.order_id,
            bot_id=fill.bot_id,
            credential_id=fill.credential_id,
            symbol=fill.symbol,
            exchange_trade_id=fill.exchange_trade_id,
            exchange_order_id=fill.exchange_order_id,
            side=fill.side,
            price=decimal_text(fill.price),
            amount=decimal_text(fill.amount),
            quote_amount=decimal_text(fill.quote_amount),
            fee_amount=decimal_text(fill.fee_amount),
            fee_currency=fill.fee_currency,
            is_maker=fill.is_maker,
            traded_at=utc(fill.traded_at),
            created_at=utc(fill.created_at),
        )


class OrderEventRead(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: OrderEventKind
    from_status: OrderStatus | None
    to_status: OrderStatus | None
    attempt: int | None
    call: str | None
    outcome: CallOutcome | None
    error_class: str | None
    venue_code: str | None
    message: str | None
    latency_ms: int | None
    created_at: datetime

    @classmethod
    def of(cls, event: OrderEvent) -> OrderEventRead:
        return cls(
            id=event.id,
            kind=event.kind,
            from_status=event.from_status,
            to_status=event.to_status,
            attempt=event.attempt,
            call=event.call,
            outcome=event.outcome,
            error_class=event.error_class,
            venue_code=event.venue_code,
            message=event.message,
            latency_ms=event.latency_ms,
            created_at=utc(event.created_at),
        )


class OrderDetail(OrderView, frozen=True, kw_only=True):
    """An order with its fills and its event log (every status change and exchange call)."""

    fills: list[FillRead]
    events: list[OrderEventRead]


class OrderPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[OrderRead]
    # Pass as ?cursor= for the next (older) page; null on the last page.
    next_cursor: str | None


class FillPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[FillRead]
    next_cursor: str | None
