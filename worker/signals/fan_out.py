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

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

import structlog
from procrastinate.exceptions import AlreadyEnqueued
from psycopg import AsyncConnection

from shared.bots.positions import resume_position_watch
from shared.db.pool import transaction
from shared.domain import (
    OrderSource,
    SignalAction,
)
from shared.exchange.errors import (
    AmbiguousExchangeError,
    PermanentExchangeError,
    TransientExchangeError,
)
from shared.jobs import (
    PLACE_ORDER,
    WATCH_POSITION,
    JobToDefer,
    defer_many,
    order_lock,
    position_lock,
    position_queueing_lock,
)
from shared.metrics import ORDERS_ACCEPTED
from shared.orders.intents import (
    ACCEPTED_STATUS_CODE,
)
from shared.repositories import signals as signals_repo
from shared.repositories.signals import (
    FanOutTarget,
    PlannedDelivery,
    SignalToFanOut,
)
from worker.accounts import fetch_and_store_balances
from worker.context import WorkerContext
from worker.retry import RetryLater, backoff_s
from worker.signals.entries import (
    ENTRY_SHAPE,
    EVENT_MESSAGE,
    decide_entry,
    exit_skip,
    planned_entry,
    pre_skip,
    signal_config,
)
from worker.signals.market import EndpointView, read_endpoint

log = structlog.get_logger(__name__)
# A missing balance snapshot is fetched before sizing; a venue slower than this retries
# the fan-out later (nothing written).
BALANCE_FETCH_TIMEOUT_S = 5.0


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


async def fan_out_signal(ctx: WorkerContext, signal_id: UUID, *, attempts: int = 0) -> FanOutReport:
    async with ctx.pool.connection() as conn:
        signal = await signals_repo.get_signal(conn, signal_id)
        if signal is None:
            return FanOutReport(FanOutOutcome.MISSING)
        if signal.outcome != "accepted":
            return FanOutReport(FanOutOutcome.NOT_ACCEPTED)
        if signal.fanned_out_at is not None:
            return FanOutReport(FanOutOutcome.ALREADY)
        targets = await _targets(ctx, conn, signal)
    if signal.action is SignalAction.EXIT:
        return await _fan_out_exit(ctx, signal, targets)
    try:
        if await _fetch_missing_balances(ctx, targets):
            async with ctx.pool.connection() as conn:
                targets = await _targets(ctx, conn, signal)
        views = await _read_venues(ctx, signal.symbol, targets)
    except (TransientExchangeError, AmbiguousExchangeError, TimeoutError) as exc:
        # Nothing written yet: the whole fan-out runs again, deciding on fresh data.
        raise RetryLater(f"venue unavailable: {exc}", backoff_s(attempts)) from None
    return await _fan_out_entry(ctx, signal, targets, views)


# ---------------------------------------------------------------------- reads


async def _targets(
    ctx: WorkerContext, conn: AsyncConnection[Any], signal: SignalToFanOut
) -> list[FanOutTarget]:
    return await signals_repo.fan_out_targets(
        conn, signal.strategy_id, signal.symbol,
        balance_max_age_s=ctx.settings.balance_max_age_s,
    )  # fmt: skip


async def _fetch_missing_balances(ctx: WorkerContext, targets: list[FanOutTarget]) -> bool:
    """Fetch (REST) and store the balances of each credential whose snapshot sizing cannot
    use (missing, or stale with no live stream), once per credential; whether any was."""
    credential_ids = sorted(
        {t.credential_id for t in targets if t.balances_need_fetch and pre_skip(t) is None}
    )
    for credential_id in credential_ids:
        async with ctx.pool.connection() as conn:
            credential = await ctx.vault.open(conn, credential_id)
        adapter = ctx.adapters.for_credential(credential)
        try:
            await fetch_and_store_balances(
                ctx, credential_id, adapter, timeout_s=BALANCE_FETCH_TIMEOUT_S
            )
        except PermanentExchangeError as exc:
            # A bad key never gets better by waiting: its bots get the no-balance skip.
            log.warning("no balances for the fan-out", credential_id=str(credential_id),
                        error=str(exc))  # fmt: skip
    return bool(credential_ids)


def _endpoint(target: FanOutTarget) -> tuple[str, str, str]:
    return (target.venue, target.environment.value, target.api_base_url or "")


async def _read_venues(
    ctx: WorkerContext, symbol: str, targets: list[FanOutTarget]
) -> dict[tuple[str, str, str], EndpointView]:
    """One read per endpoint with at least one bot to decide for."""
    wanted: dict[tuple[str, str, str], set[tuple[str, int]]] = defaultdict(set)
    for target in targets:
        if pre_skip(target) is not None:
            continue
        config = signal_config(target)
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


async def _fan_out_entry(
    ctx: WorkerContext,
    signal: SignalToFanOut,
    targets: list[FanOutTarget],
    views: dict[tuple[str, str, str], EndpointView],
) -> FanOutReport:
    decisions = {t.bot_id: decide_entry(signal, t, views.get(_endpoint(t))) for t in targets}
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
            config = signal_config(target)
            assert config is not None
            view = views[_endpoint(target)]
            atr, _ = view.atr_for(config.atr_interval, config.atr_length)
            entry = planned_entry(signal, target, decision, atr, lock.now)
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
        await _watch_positions(ctx, conn, written.position_ids)
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
            skip_reasons=[exit_skip(t) for t in targets],
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
        for position_id in position_ids:
            await resume_position_watch(conn, ctx.job_app, position_id)
