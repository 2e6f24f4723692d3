"""What one signal gives each subscribed bot, decided in Python before the fan-out's one
write: an entry (sized by worker.signals.sizing, shaped exactly as submit_order_intent
would write it) or the reason it gets none."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from shared.bots.config import SignalConfig, parse_bot_config
from shared.domain import (
    BotKind,
    ExitMode,
    OrderSide,
    OrderSource,
    OrderStatus,
    OrderType,
    PositionStatus,
    TimeInForce,
)
from shared.errors import ValidationError
from shared.exchange.capabilities import has_oco
from shared.orders.client_order_id import client_order_id_for
from shared.orders.intents import OrderIntent, normalize_intent, request_fingerprint
from shared.orders.views import order_body
from shared.repositories.orders import Order
from shared.repositories.signals import EntryShape, FanOutTarget, PlannedEntry, SignalToFanOut
from worker.signals.market import EndpointView
from worker.signals.sizing import Balances, Entry, EntryInputs, size_entry

ENTRY_LEG = "entry"
EVENT_MESSAGE = f"intent accepted ({OrderSource.BOT.value})"  # as submit_order_intent says
KILL_SWITCH_SKIP = "kill switch engaged"
# Spot only: an entry buys, a limit IOC at the slippage bound (worker.signals.sizing).
ENTRY_SHAPE = EntryShape(
    source=OrderSource.BOT,
    bot_leg=ENTRY_LEG,
    side=OrderSide.BUY,
    type=OrderType.LIMIT,
    time_in_force=TimeInForce.IOC,
)


def idempotency_key(signal_id: UUID, bot_id: UUID) -> str:
    return f"signal:{signal_id}:{bot_id}"


def signal_config(target: FanOutTarget) -> SignalConfig | None:
    try:
        config = parse_bot_config(BotKind.SIGNAL, target.config)
    except ValidationError:
        return None
    return config if isinstance(config, SignalConfig) else None


def pre_skip(target: FanOutTarget) -> str | None:
    """Why a bot gets nothing whatever the market says."""
    if target.kill_switch_reason is not None:
        return KILL_SWITCH_SKIP
    if target.credential_revoked:
        return "credential revoked"
    if target.position_status is PositionStatus.CLOSING:
        return "position closing"
    return None


def decide_entry(
    signal: SignalToFanOut, target: FanOutTarget, view: EndpointView | None
) -> Entry | str:
    """The entry, or the skip reason."""
    pre = pre_skip(target)
    if pre is not None:
        return pre
    config = signal_config(target)
    if config is None:
        return "invalid signal bot config"
    if view is None:
        return "venue unavailable"
    if view.unavailable is not None:
        return view.unavailable
    assert view.market is not None
    assert view.best_ask is not None
    assert view.mid is not None
    if target.quote_free is None or target.quote_total is None:
        return f"insufficient quote balance: no {view.market.quote} balance on record"
    atr, atr_reason = view.atr_for(config.atr_interval, config.atr_length)
    decision = size_entry(
        config,
        EntryInputs(
            reference_price=signal.reference_price,
            best_ask=view.best_ask,
            mid=view.mid,
            balances=Balances(target.quote_free, target.quote_total, target.base_total),
            atr=atr,
            position_value=target.position_size * view.mid,
            market=view.market,
            atr_missing_reason=atr_reason,
        ),
    )
    return decision if isinstance(decision, Entry) else decision.reason


def exit_mode_for(config: SignalConfig, venue: str) -> ExitMode:
    if config.exit_mode in ("venue", "auto") and has_oco(venue):
        return ExitMode.VENUE
    return ExitMode.WATCHED


def planned_entry(
    signal: SignalToFanOut, target: FanOutTarget, entry: Entry, atr: Decimal | None, now: datetime
) -> PlannedEntry:
    """Every column submit_order_intent would write, from its own helpers."""
    config = signal_config(target)
    assert config is not None
    intent = normalize_intent(
        OrderIntent(
            credential_id=target.credential_id,
            symbol=signal.symbol,
            side=ENTRY_SHAPE.side,
            type=ENTRY_SHAPE.type,
            amount=entry.amount,
            price=entry.price,
            time_in_force=ENTRY_SHAPE.time_in_force,
        )
    )
    order_id = uuid.uuid4()
    new_position = target.position_id is None
    position_id = target.position_id or uuid.uuid4()
    key = idempotency_key(signal.id, target.bot_id)
    order = Order(
        id=order_id, client_id=target.client_id, credential_id=target.credential_id,
        bot_id=target.bot_id, source=ENTRY_SHAPE.source, bot_tick=None, bot_leg=ENTRY_SHAPE.bot_leg,
        symbol=intent.symbol, side=intent.side, type=intent.type,
        time_in_force=intent.time_in_force, amount=intent.amount, price=intent.price,
        idempotency_key=key, client_order_id=client_order_id_for(order_id),
        exchange_order_id=None, status=OrderStatus.ACCEPTED, filled_amount=Decimal(0),
        remaining_amount=intent.amount, avg_fill_price=None, attempts=0,
        last_error_code=None, last_error_message=None, reject_reason=None,
        cancel_requested_at=None, submitted_at=None, closed_at=None,
        created_at=now, updated_at=now, signal_id=signal.id, position_id=position_id,
    )  # fmt: skip
    assert intent.price is not None
    return PlannedEntry(
        order_id=order_id,
        position_id=position_id,
        new_position=new_position,
        exit_mode=exit_mode_for(config, target.venue).value,
        atr=atr,
        amount=intent.amount,
        price=intent.price,
        idempotency_key=key,
        fingerprint=request_fingerprint(intent),
        client_order_id=order.client_order_id,
        response_body=order_body(order),
    )


def exit_skip(target: FanOutTarget) -> str | None:
    if target.kill_switch_reason is not None:
        return KILL_SWITCH_SKIP
    if target.position_id is None:
        return "no open position"
    if target.position_status is PositionStatus.CLOSING:
        return "position already closing"
    return None
