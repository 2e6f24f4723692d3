"""Positions of signal bots: sizes, prices and P&L computed from their fills."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from shared.domain import ExitMode, PositionEventKind, PositionStatus
from shared.orders.views import utc
from shared.repositories.position_reads import Position, PositionEvent
from shared.validation import decimal_text, optional_decimal_text


class PositionRead(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    bot_id: UUID
    credential_id: UUID
    symbol: str
    status: PositionStatus
    exit_mode: ExitMode
    # Bought (entries) and sold (exits) in the base asset; size = what is held.
    entry_amount: str
    exit_amount: str
    size: str
    avg_entry_price: str | None
    avg_exit_price: str | None
    # Sold amount at (sale price - average entry price), fees apart, in the quote asset.
    realized_pnl: str
    stop_price: str | None
    take_profit_price: str | None
    # The highest price since the first entry fill (the trailing stop follows it).
    trail_anchor: str | None
    atr: str | None
    close_reason: str | None
    opened_by_signal: UUID | None
    opened_at: datetime
    closing_since: datetime | None
    closed_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, position: Position) -> PositionRead:
        return cls(
            id=position.id,
            bot_id=position.bot_id,
            credential_id=position.credential_id,
            symbol=position.symbol,
            status=position.status,
            exit_mode=position.exit_mode,
            entry_amount=decimal_text(position.entry_amount),
            exit_amount=decimal_text(position.exit_amount),
            size=decimal_text(position.size),
            avg_entry_price=optional_decimal_text(position.avg_entry_price),
            avg_exit_price=optional_decimal_text(position.avg_exit_price),
            realized_pnl=decimal_text(position.realized_pnl),
            stop_price=optional_decimal_text(position.stop_price),
            take_profit_price=optional_decimal_text(position.take_profit_price),
            trail_anchor=optional_decimal_text(position.trail_anchor),
            atr=optional_decimal_text(position.atr),
            close_reason=position.close_reason,
            opened_by_signal=position.opened_by_signal,
            opened_at=utc(position.opened_at),
            closing_since=utc(position.closing_since),
            closed_at=utc(position.closed_at),
            updated_at=utc(position.updated_at),
        )


class PositionEventRead(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: PositionEventKind
    stop_from: str | None
    stop_to: str | None
    detail: str | None
    created_at: datetime

    @classmethod
    def of(cls, event: PositionEvent) -> PositionEventRead:
        return cls(
            id=event.id,
            kind=event.kind,
            stop_from=optional_decimal_text(event.stop_from),
            stop_to=optional_decimal_text(event.stop_to),
            detail=event.detail,
            created_at=utc(event.created_at),
        )


class PositionDetail(PositionRead, frozen=True, kw_only=True):
    """A position with its events (oldest first): exits placed, stop moves, the close."""

    events: list[PositionEventRead]


class PositionPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[PositionRead]
    next_cursor: str | None
