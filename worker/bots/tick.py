"""bot_tick(bot_id): one step of a running bot; the I/O around the pure strategies.

A tick runs in two short transactions with the venue reads between them, so no bot row
stays locked during a network call (a stop or a kill switch never waits on a venue):

1. Lock the bot. Not running → write cancel intents for its live orders (stopped,
   archived, killed; idempotent: an order asked to cancel is never asked again) and end
   the chain. Running → advance `tick_number`, set `last_tick_at`, commit.
2. Read the venue: market rules, the order book and the balances, the balances read
   from the database (kept current by the credential's user-data stream while it is live;
   fetched from the venue with a short timeout when no stream is live and the snapshot is
   older than balance_max_age_s: a quote funded from stale numbers is refused by the
   venue). The book comes from the process's market stream when it is fresh, else REST.
   A transient venue failure skips the tick with its reason; a permanent one (bad key,
   unknown symbol) is an error.
3. Lock the bot again; still running, still this tick, no kill switch in scope → read its
   live orders from our database, decide (worker.bots.spread / .volume), and write the
   cancel intents, the order intents (idempotency key `bot:{bot}:{tick}:{leg}`), the
   `bot_ticks` row and the next tick (queueing lock: one pending per bot) in one commit.

A re-run of a tick (the same tick number) writes the same keys: an order its first run
placed is replayed, never sent twice. An exception puts the bot in `error` with the
reason, cancels its live orders (unattended quotes are a risk) and ends the chain; a
later start resumes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

import structlog
from psycopg import AsyncConnection

from shared.bots.config import BotConfig, SignalConfig, SpreadConfig, parse_bot_config
from shared.db.pool import transaction
from shared.domain import BotStatus, OrderSource, OrderType
from shared.errors import ConflictError
from shared.exchange.errors import AmbiguousExchangeError, TransientExchangeError
from shared.exchange.protocol import ExchangeAdapter
from shared.exchange.types import AssetBalance, OpenedCredential
from shared.jobs import BOT_TICK, bot_lock, bot_queueing_lock, defer_once
from shared.orders.cancel import cancel_open_orders_of_bot, request_cancel
from shared.orders.intents import IdempotencyKeyReused, OrderIntent, submit_order_intent
from shared.repositories import bot_ticks
from shared.repositories import streams as streams_repo
from shared.repositories.balances import get_balance_snapshot
from shared.repositories.bot_ticks import TickRecord
from shared.repositories.bots import Bot
from shared.repositories.kill_switches import stop_bots_covered_by_kill_switches
from shared.repositories.order_pipeline import engaged_kill_switch
from worker.accounts import fetch_and_store_balances
from worker.bots.model import Decision, LiveOrder, MarketView, Snapshot
from worker.bots.spread import decide_spread
from worker.bots.volume import VolumeProgress, decide_volume, start_of_day
from worker.context import WorkerContext

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]
BALANCE_TIMEOUT_S = 5.0
KEEP_TICKS = 1000  # bot_ticks rows kept per bot (diagnostics; orders are the history)


def utc_now() -> datetime:
    return datetime.now(UTC)


def idempotency_key(bot_id: UUID, tick_number: int, leg: str) -> str:
    return f"bot:{bot_id}:{tick_number}:{leg}"


class TickOutcome(StrEnum):
    """What a tick did; also the `bot_ticks.outcome` of a recorded tick."""

    ACTED = "acted"  # placed or canceled orders
    IDLE = "idle"  # nothing to change
    SKIPPED = "skipped"  # decided nothing, with reasons (e.g. the venue was unavailable)
    NOT_RUNNING = "not_running"  # stopped, archived or killed: its live orders canceled
    SUPERSEDED = "superseded"  # another tick of this bot moved on
    MISSING = "missing"  # no such bot
    ERROR = "error"  # the bot went to error, its live orders canceled


@dataclass(frozen=True, slots=True)
class TickReport:
    """What a tick did (for logs, tests and the job's result)."""

    outcome: TickOutcome
    tick_number: int | None = None
    placed: int = 0
    canceled: int = 0
    skips: tuple[str, ...] = ()
    next_tick_in_s: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Started:
    bot: Bot
    config: BotConfig
    tick_number: int
    ticked_at: datetime
    credential: OpenedCredential
    rerun: bool


async def run_tick(
    ctx: WorkerContext,
    bot_id: UUID,
    *,
    clock: Clock = utc_now,
    rerun_tick: int | None = None,
) -> TickReport:
    """One tick. `rerun_tick` runs an earlier tick again (same number, same keys)."""
    started: _Started | None = None
    try:
        first = await _start(ctx, bot_id, clock, rerun_tick)
        if isinstance(first, TickReport):
            return first
        started = first
        try:
            venue = await _read_venue(ctx, started)
        except VenueUnavailable as unavailable:
            return await _decide_and_write(ctx, started, None, skipped=str(unavailable))
        return await _decide_and_write(ctx, started, venue)
    except Exception as exc:
        log.exception("bot tick failed", bot_id=str(bot_id))
        return await _fail(ctx, bot_id, started, exc, clock)


async def _wind_down(ctx: WorkerContext, conn: AsyncConnection[Any], bot: Bot) -> TickReport:
    """A bot that is not running: cancel intents for what it still has live."""
    reason = bot.status_reason or bot.status.value
    canceled = await cancel_open_orders_of_bot(
        conn, ctx.job_app, client_id=bot.client_id, bot_id=bot.id, requested_by=f"bot ({reason})"
    )
    return TickReport(TickOutcome.NOT_RUNNING, canceled=len(canceled))


async def _start(
    ctx: WorkerContext, bot_id: UUID, clock: Clock, rerun_tick: int | None
) -> _Started | TickReport:
    async with transaction(ctx.pool) as conn:
        bot = await bot_ticks.lock_bot(conn, bot_id)
        if bot is None:
            return TickReport(TickOutcome.MISSING)
        if bot.status is not BotStatus.RUNNING:
            return await _wind_down(ctx, conn, bot)
        config = parse_bot_config(bot.kind, bot.config)
        credential = await ctx.vault.open(conn, bot.credential_id)
        ticked_at = clock()
        if rerun_tick is None:
            tick_number = bot.tick_number + 1
            await bot_ticks.advance(conn, bot_id, tick_number, ticked_at)
        elif 1 <= rerun_tick <= bot.tick_number:
            tick_number = rerun_tick
        else:
            raise ValueError(f"tick {rerun_tick} has not run yet (last: {bot.tick_number})")
    return _Started(bot, config, tick_number, ticked_at, credential, rerun_tick is not None)


class VenueUnavailable(Exception):
    """The venue could not give what the tick decides from: the tick is skipped (with
    this reason), not failed."""


@dataclass(frozen=True, slots=True)
class _VenueView:
    market: MarketView
    balances: dict[str, AssetBalance]


async def _read_venue(ctx: WorkerContext, started: _Started) -> _VenueView:
    """The market view and balances; VenueUnavailable when the venue cannot give them."""
    symbol = started.bot.symbol
    adapter = ctx.adapters.for_credential(started.credential)
    try:
        market = await adapter.market(symbol)
        public = ctx.adapters.public(adapter.venue, started.credential.environment)
        book = await ctx.book_feeds.book(public, symbol, rest=ctx.market_data)
        balances = await _balances(ctx, started.bot.credential_id, adapter)
    except (TransientExchangeError, AmbiguousExchangeError) as exc:
        raise VenueUnavailable(f"tick skipped: venue unavailable ({exc})") from None
    except TimeoutError:
        raise VenueUnavailable(
            f"tick skipped: no balances from the venue in {BALANCE_TIMEOUT_S:.0f}s"
        ) from None
    if book.mid is None:
        raise VenueUnavailable(f"tick skipped: the {symbol} order book has an empty side")
    view = MarketView(
        market=market,
        mid=book.mid,
        best_bid=book.bids[0].price if book.bids else None,
        best_ask=book.asks[0].price if book.asks else None,
    )
    return _VenueView(view, balances)


async def _balances(
    ctx: WorkerContext, credential_id: UUID, adapter: ExchangeAdapter
) -> dict[str, AssetBalance]:
    """The stored snapshot while the credential's user-data stream is live (it keeps the
    snapshot current) or while the snapshot is younger than balance_max_age_s; else the
    venue's answer (REST, stored for the credential's other bots)."""
    async with ctx.pool.connection() as conn:
        snapshot = await get_balance_snapshot(conn, credential_id)
        live = await streams_repo.is_live(conn, credential_id)
    if snapshot.fetched_at is not None and (
        live or not snapshot.is_stale(ctx.settings.balance_max_age_s)
    ):
        return {
            row.asset: AssetBalance(row.asset, row.free, row.used, row.total)
            for row in snapshot.assets
        }
    return await fetch_and_store_balances(ctx, credential_id, adapter, timeout_s=BALANCE_TIMEOUT_S)


async def _live_orders(conn: AsyncConnection[Any], bot_id: UUID) -> tuple[LiveOrder, ...]:
    return tuple(
        LiveOrder(
            id=row.id,
            leg=row.bot_leg,
            side=row.side,
            price=row.price,
            remaining=row.remaining,
            status=row.status,
            cancel_requested=row.cancel_requested,
        )
        for row in await bot_ticks.live_orders(conn, bot_id)
    )


async def _volume_progress(
    conn: AsyncConnection[Any], bot_id: UUID, now: datetime
) -> VolumeProgress:
    return VolumeProgress(
        traded_today=await bot_ticks.traded_since(conn, bot_id, start_of_day(now)),
        last_side=await bot_ticks.last_side(conn, bot_id),
        now=now,
    )


def _retry_in_s(config: BotConfig) -> float:
    if isinstance(config, SpreadConfig):
        return float(config.refresh_interval_s)
    if isinstance(config, SignalConfig):
        return float(config.watch_interval_s)
    return float(config.min_interval_s)


async def _decide_and_write(
    ctx: WorkerContext,
    started: _Started,
    venue: _VenueView | None,
    *,
    skipped: str = "",
) -> TickReport:
    """Step 3; `venue` None: the venue was unavailable, the tick records `skipped`."""
    n = started.tick_number
    async with transaction(ctx.pool) as conn:
        bot = await bot_ticks.lock_bot(conn, started.bot.id)
        if bot is None:
            return TickReport(TickOutcome.MISSING, n)
        if bot.status is not BotStatus.RUNNING:
            return await _wind_down(ctx, conn, bot)
        if not started.rerun and bot.tick_number != n:
            return TickReport(TickOutcome.SUPERSEDED, n)  # another tick of this bot moved on
        if await engaged_kill_switch(conn, bot.client_id, bot.id):
            await stop_bots_covered_by_kill_switches(conn, bot_id=bot.id)
            return await _wind_down(ctx, conn, bot)

        mid: Decimal | None = None
        if venue is None:
            decision = Decision(next_tick_in_s=_retry_in_s(started.config), skips=(skipped,))
        else:
            mid = venue.market.mid
            snapshot = Snapshot(venue.market, await _live_orders(conn, bot.id), venue.balances)
            if isinstance(started.config, SpreadConfig):
                decision = decide_spread(started.config, snapshot)
            elif isinstance(started.config, SignalConfig):
                # Position management lands with the signal-bot tick (positions, exits).
                decision = Decision(next_tick_in_s=_retry_in_s(started.config))
            else:
                progress = await _volume_progress(conn, bot.id, started.ticked_at)
                decision = decide_volume(started.config, snapshot, progress, f"{bot.id}:{n}")
        canceled, placed, skips = await _write_intents(ctx, conn, bot, n, decision)

        if placed or canceled:
            outcome = TickOutcome.ACTED
        else:
            outcome = TickOutcome.SKIPPED if skips else TickOutcome.IDLE
        await bot_ticks.record(
            conn,
            TickRecord(
                bot_id=bot.id,
                client_id=bot.client_id,
                tick_number=n,
                outcome=outcome,
                mid=mid,
                orders_placed=placed,
                cancels_requested=canceled,
                skip_reasons=list(skips),
                error=None,
                next_tick_in_s=Decimal(str(round(decision.next_tick_in_s, 3))),
                ticked_at=started.ticked_at,
            ),
        )
        await bot_ticks.prune(conn, bot.id, n, KEEP_TICKS)
        await _defer_next_tick(ctx, conn, bot.id, decision.next_tick_in_s)
    log.info(
        "bot tick", bot_id=str(bot.id), tick=n, outcome=outcome, placed=placed, canceled=canceled
    )
    return TickReport(outcome, n, placed, canceled, skips, decision.next_tick_in_s)


async def _write_intents(
    ctx: WorkerContext, conn: AsyncConnection[Any], bot: Bot, n: int, decision: Decision
) -> tuple[int, int, tuple[str, ...]]:
    canceled = 0
    # In id order: the lock order of every multi-row lock of orders (no deadlock with a
    # reconciliation or a kill switch over the same orders).
    for order_id in sorted(decision.cancel):
        try:
            await request_cancel(
                conn, ctx.job_app, client_id=bot.client_id, order_id=order_id,
                requested_by=f"bot tick {n}",
            )  # fmt: skip
        except ConflictError:
            continue  # it became terminal since we read it: nothing to cancel
        canceled += 1
    placed = 0
    skips = list(decision.skips)
    for planned in decision.place:
        intent = OrderIntent(
            credential_id=bot.credential_id,
            symbol=bot.symbol,
            side=planned.side,
            type=OrderType.LIMIT,
            amount=planned.amount,
            price=planned.price,
            time_in_force=planned.time_in_force,
        )
        try:
            outcome = await submit_order_intent(
                conn, ctx.job_app, client_id=bot.client_id, request=intent,
                idempotency_key=idempotency_key(bot.id, n, planned.leg),
                source=OrderSource.BOT, bot_id=bot.id, bot_tick=n, bot_leg=planned.leg,
            )  # fmt: skip
        except IdempotencyKeyReused:
            # A re-run of this tick, deciding differently (the market moved): the first
            # run's order for this leg stands; never a second one.
            skips.append(f"{planned.leg} already placed by an earlier run of tick {n}")
            continue
        placed += 0 if outcome.replayed else 1
    return canceled, placed, tuple(skips)


async def _defer_next_tick(
    ctx: WorkerContext, conn: AsyncConnection[Any], bot_id: UUID, delay_s: float
) -> None:
    # Already queued (a re-run, or a start that raced us) is fine: that tick will run.
    await defer_once(
        ctx.job_app,
        conn,
        BOT_TICK,
        queueing_lock=bot_queueing_lock(bot_id),
        lock=bot_lock(bot_id),
        schedule_in_seconds=max(delay_s, 0.0),
        bot_id=str(bot_id),
    )


async def _fail(
    ctx: WorkerContext, bot_id: UUID, started: _Started | None, exc: Exception, clock: Clock
) -> TickReport:
    n = started.tick_number if started is not None else None
    where = f"tick {n}" if n is not None else "tick"
    reason = f"{where} failed: {type(exc).__name__}: {exc}"[:500]
    async with transaction(ctx.pool) as conn:
        bot = await bot_ticks.lock_bot(conn, bot_id)
        if bot is None:
            return TickReport(TickOutcome.MISSING, n, error=reason)
        if bot.status is BotStatus.RUNNING:
            await bot_ticks.fail(conn, bot_id, reason)
            await cancel_open_orders_of_bot(
                conn, ctx.job_app, client_id=bot.client_id, bot_id=bot_id,
                requested_by="bot (error)",
            )  # fmt: skip
        if n is not None:
            await bot_ticks.record(
                conn,
                TickRecord(
                    bot_id=bot_id,
                    client_id=bot.client_id,
                    tick_number=n,
                    outcome=TickOutcome.ERROR,
                    mid=None,
                    orders_placed=0,
                    cancels_requested=0,
                    skip_reasons=[],
                    error=reason,
                    next_tick_in_s=None,
                    ticked_at=started.ticked_at if started is not None else clock(),
                ),
            )
    return TickReport(TickOutcome.ERROR, n, error=reason)
