"""Signals: the webhook's body and answers, the listing, one signal with its deliveries."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from shared.domain import DeliveryOutcome, SignalAction, SignalOutcome
from shared.orders.views import utc
from shared.repositories.received_signals import Delivery, Signal
from shared.validation import optional_decimal_text
from web.errors import ErrorDetail


class SignalSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A signal as recorded when it arrived."""

    id: UUID
    strategy_id: UUID
    signal_id: str
    symbol: str
    action: SignalAction
    reference_price: str | None
    time: datetime | None
    received_at: datetime
    outcome: SignalOutcome
    # Starts with a code: too_old, in_future, outside_session.
    refusal_reason: str | None


class SignalReceipt(msgspec.Struct, frozen=True, kw_only=True):
    """202: the signal is recorded and its fan-out job queued."""

    signal: SignalSummary


class SignalRefused(msgspec.Struct, frozen=True, kw_only=True):
    """422 with `error.code` `signal_refused`: recorded, not acted on."""

    error: ErrorDetail
    signal: SignalSummary


class SignalRead(SignalSummary, frozen=True, kw_only=True):
    """A signal as recorded, with its answer's status and what its fan-out did."""

    response_status: int
    # Set by the fan-out job (null until it ran, and for refused signals).
    fanned_out_at: datetime | None
    bots_targeted: int | None
    orders_created: int | None

    @classmethod
    def of(cls, signal: Signal) -> SignalRead:
        return cls(
            id=signal.id,
            strategy_id=signal.strategy_id,
            signal_id=signal.signal_id,
            symbol=signal.symbol,
            action=signal.action,
            reference_price=optional_decimal_text(signal.reference_price),
            time=utc(signal.signal_time),
            received_at=utc(signal.received_at),
            outcome=signal.outcome,
            refusal_reason=signal.refusal_reason,
            response_status=signal.response_status,
            fanned_out_at=utc(signal.fanned_out_at),
            bots_targeted=signal.bots_targeted,
            orders_created=signal.orders_created,
        )


class DeliveryRead(msgspec.Struct, frozen=True, kw_only=True):
    """What the signal did for one bot."""

    bot_id: UUID
    bot_name: str
    outcome: DeliveryOutcome
    reason: str | None
    order_id: UUID | None
    position_id: UUID | None
    created_at: datetime

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryRead:
        return cls(
            bot_id=delivery.bot_id,
            bot_name=delivery.bot_name,
            outcome=delivery.outcome,
            reason=delivery.reason,
            order_id=delivery.order_id,
            position_id=delivery.position_id,
            created_at=utc(delivery.created_at),
        )


class SignalDetail(SignalRead, frozen=True, kw_only=True):
    deliveries: list[DeliveryRead]


class SignalPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[SignalRead]
    next_cursor: str | None
