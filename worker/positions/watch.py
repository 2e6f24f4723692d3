"""watch_position(position_id): one step of a position's watch; the I/O around
worker.positions.decide.

Like a bot tick, a step runs its venue reads outside any transaction:
1. Read the position (no lock). Closed or missing → the chain ends. Else read the bot's
   config, open the credential.
2. Read the venue: market rules and the order book (the process's streamed book when
   fresh, else REST; never a book older than the bound). A venue that cannot answer
   leaves the market unknown: the step still cancels and closes, it only neither
   triggers nor sells.
3. Lock the position; read its numbers (from fills), orders, order lists, the bot's
   status and the kill switch; decide; write the levels, the state, the events, the
   cancel intents, the exit list (shared.orders.order_lists) or the exit sell (the
   order pipeline, limit IOC), and the next step (queueing lock: one pending per
   position) in one commit.

A step that runs twice on the same state writes the same idempotency keys (see
decide.py): an exit list or a sell its first run wrote is replayed, never doubled.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

import structlog
from psycopg import AsyncConnection

from shared.bots.config import SignalConfig, parse_bot_config
from shared.db.pool import transaction
from shared.domain import (
    BotStatus,
    OrderListStatus,
    OrderSide,
    OrderSource,
    OrderType,
    PositionEventKind,
    PositionStatus,
    TimeInForce,
)
from shared.errors import ConflictError
from shared.exchange.errors import AmbiguousExchangeError, TransientExchangeError
from shared.exchange.types import Market
from shared.jobs import WATCH_POSITION, defer_once, position_lock, position_queueing_lock
from shared.orders.cancel import request_cancel
from shared.orders.intents import OrderIntent, submit_order_intent
from shared.orders.order_lists import submit_oco_intent
from shared.repositories import positions as repo
from shared.repositories.order_pipeline import engaged_kill_switch
from worker.context import WorkerContext
from worker.positions.decide import decide_position
from worker.positions.model import (
    EXIT_LEG,
    PositionDecision,
    PositionOrder,
    PositionSnapshot,
    PositionView,
)

log = structlog.get_logger(__name__)

# A step whose venue reads failed comes back sooner than the configured interval.
RETRY_AFTER_VENUE_FAILURE_S = 1.0


class WatchOutcome(StrEnum):
    MISSING = "missing"
    CLOSED = "closed"  # closed (now or before): the chain ends
    PAUSED = "paused"  # kill switch or bot not running: the chain ends until a start
    WATCHING = "watching"  # the next step is deferred


@dataclass(frozen=True, slots=True)
class WatchReport:
    outcome: WatchOutcome
    decision: PositionDecision | None = None


@dataclass(frozen=True, slots=True)
class _Market:
    market: Market | None
    best_bid: Decimal | None


async def watch_position(ctx: WorkerContext, position_id: UUID) -> WatchReport:
    async with ctx.pool.connection() as conn:
        position = await repo.read_position(conn, position_id)
        if position is None:
            return WatchReport(WatchOutcome.MISSING)
        if position.status is PositionStatus.CLOSED:
            return WatchReport(WatchOutcome.CLOSED)
        bot = await repo.position_bot(conn, position.bot_id)
        assert bot is not None  # positions.bot_id references bots
        config = parse_bot_config(bot.kind, bot.config)
        if not isinstance(config, SignalConfig):
            raise TypeError(f"position {position_id} belongs to a {bot.kind.value} bot")
        credential = await ctx.vault.open(conn, position.credential_id)
    market = await _read_market(ctx, credential, position.symbol)
    async with transaction(ctx.pool) as conn:
        return await _decide_and_write(ctx, conn, position_id, config, market)


async def _read_market(ctx: WorkerContext, credential: Any, symbol: str) -> _Market:
    adapter = ctx.adapters.for_credential(credential)
    try:
        market = await adapter.market(symbol)
        public = ctx.adapters.public(adapter.venue, credential.environment)
        book = await ctx.book_feeds.book(public, symbol, rest=ctx.market_data)
    except (TransientExchangeError, AmbiguousExchangeError) as exc:
        log.warning("position watch: venue unavailable", symbol=symbol, error=str(exc))
        return _Market(None, None)
    return _Market(market, book.bids[0].price if book.bids else None)


async def _snapshot(
    conn: AsyncConnection[Any], position: repo.PositionRow, seen: _Market
) -> PositionSnapshot:
    bot = await repo.position_bot(conn, position.bot_id)
    assert bot is not None
    orders = await repo.position_orders(conn, position.id)
    lists = await repo.position_order_lists(conn, position.id)
    refusal = None
    if lists and lists[-1].status in (OrderListStatus.REJECTED, OrderListStatus.FAILED):
        refusal = lists[-1].reject_reason or lists[-1].last_error_message or lists[-1].status
    return PositionSnapshot(
        position=PositionView(
            id=position.id, status=position.status, exit_mode=position.exit_mode,
            close_reason=position.close_reason, entry_amount=position.entry_amount,
            size=position.size, avg_entry_price=position.avg_entry_price,
            stop_price=position.stop_price, take_profit_price=position.take_profit_price,
            trail_anchor=position.trail_anchor, atr=position.atr, base_fees=position.base_fees,
        ),
        orders=tuple(
            PositionOrder(
                id=o.id, leg=o.bot_leg, side=o.side, type=o.type, status=o.status,
                amount=o.amount, filled=o.filled_amount, price=o.price,
                stop_price=o.stop_price, order_list_id=o.order_list_id,
                cancel_requested=o.cancel_requested,
            )
            for o in orders
        ),
        list_statuses=tuple(row.status for row in lists),
        market=seen.market,
        best_bid=seen.best_bid,
        bot_running=bot.status is BotStatus.RUNNING,
        kill_switch=await engaged_kill_switch(conn, position.client_id, position.bot_id)
        is not None,
        last_list_refusal=str(refusal) if refusal is not None else None,
    )  # fmt: skip


async def _decide_and_write(
    ctx: WorkerContext,
    conn: AsyncConnection[Any],
    position_id: UUID,
    config: SignalConfig,
    seen: _Market,
) -> WatchReport:
    position = await repo.lock_position(conn, position_id)
    if position is None:
        return WatchReport(WatchOutcome.MISSING)
    snapshot = await _snapshot(conn, position, seen)
    decision = decide_position(config, snapshot)
    await _write(ctx, conn, position, decision)
    if not decision.keep_watching:
        closed = decision.close_reason is not None or position.status is PositionStatus.CLOSED
        outcome = WatchOutcome.CLOSED if closed else WatchOutcome.PAUSED
        log.info("position watch ended", position_id=str(position_id), outcome=outcome)
        return WatchReport(outcome, decision)
    delay = decision.next_in_s or float(config.watch_interval_s)
    if seen.market is None:
        delay = min(delay, RETRY_AFTER_VENUE_FAILURE_S)
    await defer_next_watch(ctx, conn, position_id, delay_s=delay)
    return WatchReport(WatchOutcome.WATCHING, decision)


async def _write(
    ctx: WorkerContext,
    conn: AsyncConnection[Any],
    position: repo.PositionRow,
    decision: PositionDecision,
) -> None:
    pid = position.id
    if decision.protection is not None:
        p = decision.protection
        await repo.set_protection(
            conn, pid, stop_price=p.stop_price, take_profit_price=p.take_profit_price,
            trail_anchor=p.trail_anchor,
        )  # fmt: skip
    if decision.closing_reason is not None:
        await repo.set_closing(conn, pid, decision.closing_reason)
    for event in decision.events:
        await repo.insert_event(
            conn, pid, event.kind, stop_from=event.stop_from, stop_to=event.stop_to,
            detail=event.detail,
        )  # fmt: skip
    # In id order: the lock order of every multi-row lock of orders.
    for order_id in sorted(decision.cancel):
        try:
            await request_cancel(
                conn, ctx.job_app, client_id=position.client_id, order_id=order_id,
                requested_by=f"position {pid}",
            )  # fmt: skip
        except ConflictError:
            continue  # terminal since we read it: nothing to cancel
    if decision.place_exits is not None:
        plan = decision.place_exits
        await submit_oco_intent(
            conn, ctx.job_app, client_id=position.client_id,
            credential_id=position.credential_id, symbol=position.symbol, side=OrderSide.SELL,
            amount=plan.amount, take_profit_price=plan.take_profit_price,
            stop_price=plan.stop_price, stop_limit_price=plan.stop_limit_price,
            idempotency_key=plan.idempotency_key, bot_id=position.bot_id, position_id=pid,
        )  # fmt: skip
    if decision.sell is not None:
        sell = decision.sell
        await submit_order_intent(
            conn, ctx.job_app, client_id=position.client_id,
            request=OrderIntent(
                credential_id=position.credential_id, symbol=position.symbol,
                side=OrderSide.SELL, type=OrderType.LIMIT, amount=sell.amount,
                price=sell.price, time_in_force=TimeInForce.IOC,
            ),
            idempotency_key=sell.idempotency_key, source=OrderSource.BOT,
            bot_id=position.bot_id, bot_leg=EXIT_LEG, position_id=pid,
        )  # fmt: skip
        await repo.insert_event(
            conn, pid, PositionEventKind.NOTE,
            detail=f"exit sell {sell.amount} at {sell.price} or better (IOC)",
        )  # fmt: skip
    if decision.close_reason is not None:
        await repo.close(conn, pid, decision.close_reason)


async def defer_next_watch(
    ctx: WorkerContext, conn: AsyncConnection[Any], position_id: UUID, *, delay_s: float
) -> None:
    # Already queued (a start or an exit signal raced us) is fine: that step will run.
    await defer_once(
        ctx.job_app, conn, WATCH_POSITION,
        queueing_lock=position_queueing_lock(position_id), lock=position_lock(position_id),
        schedule_in_seconds=max(delay_s, 0.0), position_id=str(position_id),
    )  # fmt: skip
