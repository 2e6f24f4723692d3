"""fan_out_signal(signal_id): one accepted signal → one delivery per subscribed running
bot, exactly once whatever retries, duplicates or crashes.

1. Read the signal and its targets (no lock): the running signal bots of the strategy on
   the signal's symbol, each with its open position, balance snapshot and kill switch in
   one query. Fanned out already → done (idempotent).
2. Enter: read the venue once per endpoint (venue, environment, base URL), not per bot:
   market rules, the book (the process's market stream when fresh, else REST), and the
   candles of each distinct (interval, length) the bots' ATRs need. A transient venue
   failure retries the job later with nothing written.
3. Decide each bot in Python (worker.signals.sizing): an entry, or a skip with its reason.
4. One transaction: lock the signal row (a concurrent or re-delivered fan-out waits here,
   then sees fanned_out_at and returns), ONE statement that writes the new positions, the
   entry orders (as submit_order_intent would: fingerprint, client order id, stored
   response, `accepted` event), and the deliveries; the place_order jobs in one batch,
   watch_position for each new position in another; then fanned_out_at. A crash anywhere
   before the commit leaves nothing: the job runs again (stalled-job retry, or the safety
   net of worker.tasks.signals) and decides afresh.
Exit: no venue read; one statement sets every targeted bot's open position closing (its
`closing` event, the delivery) and each gets a watch_position job (already queued is fine).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

import structlog
from procrastinate.exceptions import AlreadyEnqueued
from psycopg import AsyncConnection

from shared.bots.config import SignalConfig, parse_bot_config
from shared.db.pool import transaction
from shared.domain import (
    BotKind,
    ExitMode,
    OrderSide,
    OrderSource,
    OrderStatus,
    OrderType,
    PositionStatus,
    SignalAction,
    TimeInForce,
)
from shared.errors import ValidationError
from shared.exchange.capabilities import has_oco
from shared.exchange.errors import AmbiguousExchangeError, TransientExchangeError
from shared.jobs import (
    PLACE_ORDER,
    WATCH_POSITION,
    JobToDefer,
    defer_many,
    defer_once,
    order_lock,
    position_lock,
    position_queueing_lock,
)
from shared.metrics import ORDERS_ACCEPTED
from shared.orders.client_order_id import client_order_id_for
from shared.orders.intents import (
    ACCEPTED_STATUS_CODE,
    OrderIntent,
    normalize_intent,
    request_fingerprint,
)
from shared.orders.views import order_body
from shared.repositories import signals as signals_repo
from shared.repositories.orders import Order
from shared.repositories.signals import (
    EntryShape,
    FanOutTarget,
    PlannedDelivery,
    PlannedEntry,
    SignalToFanOut,
)
from worker.context import WorkerContext
from worker.retry import RetryLater, backoff_s
from worker.signals.market import EndpointView, read_endpoint
from worker.signals.sizing import Balances, Entry, EntryInputs, size_entry

log = structlog.get_logger(__name__)

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


class FanOutOutcome(StrEnum):
    FANNED_OUT = "fanned_out"
    ALREADY = "already_fanned_out"  # an earlier run (or a concurrent one) did it
    NOT_ACCEPTED = "not_accepted"  # refused signals are never fanned out
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class FanOutReport:
    outcome: FanOutOutcome
    bots_targeted: int = 0
    orders_created: int = 0
    skipped: int = 0


def idempotency_key(signal_id: UUID, bot_id: UUID) -> str:
    return f"signal:{signal_id}:{bot_id}"


async def fan_out_signal(ctx: WorkerContext, signal_id: UUID, *, attempts: int = 0) -> FanOutReport:
    async with ctx.pool.connection() as conn:
        signal = await signals_repo.get_signal(conn, signal_id)
        if signal is None:
            return FanOutReport(FanOutOutcome.MISSING)
        if signal.outcome != "accepted":
            return FanOutReport(FanOutOutcome.NOT_ACCEPTED)
        if signal.fanned_out_at is not None:
            return FanOutReport(FanOutOutcome.ALREADY)
        targets = await signals_repo.fan_out_targets(conn, signal.strategy_id, signal.symbol)
    if signal.action is SignalAction.EXIT:
        return await _fan_out_exit(ctx, signal, targets)
    try:
        views = await _read_venues(ctx, signal.symbol, targets)
    except (TransientExchangeError, AmbiguousExchangeError) as exc:
        # Nothing written yet: the whole fan-out runs again, deciding on fresh data.
        raise RetryLater(f"venue unavailable: {exc}", backoff_s(attempts)) from None
    return await _fan_out_entry(ctx, signal, targets, views)


# ---------------------------------------------------------------------- reads


def _endpoint(target: FanOutTarget) -> tuple[str, str, str]:
    return (target.venue, target.environment.value, target.api_base_url or "")


async def _read_venues(
    ctx: WorkerContext, symbol: str, targets: list[FanOutTarget]
) -> dict[tuple[str, str, str], EndpointView]:
    """One read per endpoint with at least one bot to decide for."""
    wanted: dict[tuple[str, str, str], set[tuple[str, int]]] = defaultdict(set)
    for target in targets:
        if _pre_skip(target) is not None:
            continue
        config = _config(target)
        if config is None:
            continue
        atr_key = (config.atr_interval, config.atr_length)
        wanted[_endpoint(target)].add(atr_key)
    views = {}
    for (venue, environment, base_url), atr_keys in wanted.items():
        example = next(t for t in targets if _endpoint(t) == (venue, environment, base_url))
        adapter = ctx.adapters.public(venue, example.environment, base_url or None)
        views[(venue, environment, base_url)] = await read_endpoint(
            ctx, adapter, symbol, sorted(atr_keys)
        )
    return views


def _config(target: FanOutTarget) -> SignalConfig | None:
    try:
        config = parse_bot_config(BotKind.SIGNAL, target.config)
    except ValidationError:
        return None
    return config if isinstance(config, SignalConfig) else None


def _pre_skip(target: FanOutTarget) -> str | None:
    """Why a bot gets nothing whatever the market says."""
    if target.kill_switch_reason is not None:
        return KILL_SWITCH_SKIP
    if target.credential_revoked:
        return "credential revoked"
    if target.position_status is PositionStatus.CLOSING:
        return "position closing"
    return None


# ---------------------------------------------------------------------- entry


def _decide(signal: SignalToFanOut, target: FanOutTarget, view: EndpointView | None) -> Entry | str:
    """The entry, or the skip reason."""
    pre = _pre_skip(target)
    if pre is not None:
        return pre
    config = _config(target)
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


def _exit_mode(config: SignalConfig, venue: str) -> ExitMode:
    if config.exit_mode in ("venue", "auto") and has_oco(venue):
        return ExitMode.VENUE
    return ExitMode.WATCHED


def _planned_entry(
    signal: SignalToFanOut, target: FanOutTarget, entry: Entry, atr: Decimal | None, now: datetime
) -> PlannedEntry:
    """Every column submit_order_intent would write, from its own helpers."""
    config = _config(target)
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
        exit_mode=_exit_mode(config, target.venue).value,
        atr=atr,
        amount=intent.amount,
        price=intent.price,
        idempotency_key=key,
        fingerprint=request_fingerprint(intent),
        client_order_id=order.client_order_id,
        response_body=order_body(order),
    )


async def _fan_out_entry(
    ctx: WorkerContext,
    signal: SignalToFanOut,
    targets: list[FanOutTarget],
    views: dict[tuple[str, str, str], EndpointView],
) -> FanOutReport:
    decisions = {t.bot_id: _decide(signal, t, views.get(_endpoint(t))) for t in targets}
    async with transaction(ctx.pool) as conn:
        lock = await signals_repo.lock_signal(conn, signal.id)
        if lock is None:
            return FanOutReport(FanOutOutcome.MISSING)
        if lock.fanned_out_at is not None:
            return FanOutReport(FanOutOutcome.ALREADY)
        deliveries: list[PlannedDelivery] = []
        for target in targets:
            decision = decisions[target.bot_id]
            if isinstance(decision, str):
                deliveries.append(PlannedDelivery(target.bot_id, skip_reason=decision))
                continue
            config = _config(target)
            assert config is not None
            view = views[_endpoint(target)]
            atr, _ = view.atr_for(config.atr_interval, config.atr_length)
            entry = _planned_entry(signal, target, decision, atr, lock.now)
            deliveries.append(PlannedDelivery(target.bot_id, entry=entry))
        written = await signals_repo.write_entry_fan_out(
            conn,
            signal_id=signal.id,
            client_id=signal.client_id,
            deliveries=deliveries,
            response_status=ACCEPTED_STATUS_CODE,
            event_message=EVENT_MESSAGE,
            opened_detail=f"opened by signal {signal.sender_signal_id}",
            entry=ENTRY_SHAPE,
        )
        await defer_many(ctx.job_app, conn, PLACE_ORDER, [
            JobToDefer({"order_id": str(order_id)}, lock=order_lock(order_id))
            for order_id in written.order_ids
        ])  # fmt: skip
        await defer_many(ctx.job_app, conn, WATCH_POSITION, [
            JobToDefer(
                {"position_id": str(position_id)},
                lock=position_lock(position_id),
                queueing_lock=position_queueing_lock(position_id),
            )
            for position_id in written.position_ids
        ])  # fmt: skip
        await signals_repo.mark_fanned_out(
            conn, signal.id, bots_targeted=len(targets), orders_created=len(written.order_ids)
        )
    ORDERS_ACCEPTED.labels(OrderSource.BOT.value).inc(len(written.order_ids))
    report = FanOutReport(
        FanOutOutcome.FANNED_OUT,
        bots_targeted=len(targets),
        orders_created=len(written.order_ids),
        skipped=written.deliveries - len(written.order_ids),
    )
    log.info("signal fanned out", signal_id=str(signal.id), action=signal.action,
             bots=report.bots_targeted, orders=report.orders_created)  # fmt: skip
    return report


# ---------------------------------------------------------------------- exit


async def _fan_out_exit(
    ctx: WorkerContext, signal: SignalToFanOut, targets: list[FanOutTarget]
) -> FanOutReport:
    async with transaction(ctx.pool) as conn:
        lock = await signals_repo.lock_signal(conn, signal.id)
        if lock is None:
            return FanOutReport(FanOutOutcome.MISSING)
        if lock.fanned_out_at is not None:
            return FanOutReport(FanOutOutcome.ALREADY)
        closing = await signals_repo.write_exit_fan_out(
            conn,
            signal_id=signal.id,
            client_id=signal.client_id,
            bot_ids=[t.bot_id for t in targets],
            skip_reasons=[_exit_skip(t) for t in targets],
            closing_detail=f"exit signal {signal.sender_signal_id}",
        )
        await _watch_positions(ctx, conn, closing)
        await signals_repo.mark_fanned_out(
            conn, signal.id, bots_targeted=len(targets), orders_created=0
        )
    log.info("exit signal fanned out", signal_id=str(signal.id), closing=len(closing))
    return FanOutReport(
        FanOutOutcome.FANNED_OUT, bots_targeted=len(targets), skipped=len(targets) - len(closing)
    )


def _exit_skip(target: FanOutTarget) -> str | None:
    if target.kill_switch_reason is not None:
        return KILL_SWITCH_SKIP
    if target.position_id is None:
        return "no open position"
    if target.position_status is PositionStatus.CLOSING:
        return "position already closing"
    return None


async def _watch_positions(
    ctx: WorkerContext, conn: AsyncConnection[Any], position_ids: list[UUID]
) -> None:
    """A watch_position for each position; one already queued does the work."""
    jobs = [
        JobToDefer(
            {"position_id": str(position_id)},
            lock=position_lock(position_id),
            queueing_lock=position_queueing_lock(position_id),
        )
        for position_id in position_ids
    ]
    try:
        async with conn.transaction():  # a savepoint: a refused batch leaves the rest usable
            await defer_many(ctx.job_app, conn, WATCH_POSITION, jobs)
    except AlreadyEnqueued:
        for job in jobs:
            await defer_once(
                ctx.job_app, conn, WATCH_POSITION,
                queueing_lock=job.queueing_lock or "", lock=job.lock, **job.args,
            )  # fmt: skip
