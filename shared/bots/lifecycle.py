"""Creating, changing, starting, stopping and archiving bots, in the caller's transaction.

A running bot is a chain of `bot_tick` jobs, at most one pending per bot (queueing lock).
Stopping and archiving change the status and write cancel intents for the bot's live
orders in the same transaction (the path the kill switch uses too), so its quotes come
off the venue at once, not at its next tick; that tick only sees the status and exits.
A signal bot's position is closed by its stop and watched again at its start
(shared.bots.positions).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from procrastinate import App
from psycopg import AsyncConnection

from shared.bots.config import config_to_json, parse_bot_config
from shared.bots.positions import close_position_of_bot, resume_position_watch_of_bot
from shared.domain import BotKind, BotStatus
from shared.errors import ConflictError, NotFoundError
from shared.jobs import BOT_TICK, bot_lock, bot_queueing_lock, defer_once
from shared.orders.cancel import cancel_open_orders_of_bot
from shared.repositories import bots as bots_repo
from shared.repositories.credentials import get_credential
from shared.repositories.kill_switches import engaged_covering_bot, lock_kill_switches
from shared.repositories.strategies import share_lock_strategy
from shared.validation import FieldValidationError, is_symbol


def _not_found(bot_id: UUID) -> NotFoundError:
    return NotFoundError(f"bot {bot_id} not found")


async def create_bot(
    conn: AsyncConnection,
    *,
    client_id: UUID,
    name: str,
    kind: BotKind,
    credential_id: UUID,
    symbol: str,
    config: Any,
    strategy_id: UUID | None = None,
) -> bots_repo.Bot:
    if not is_symbol(symbol):
        raise FieldValidationError("symbol", "must look like BASE/QUOTE in capitals, e.g. BTC/USDT")
    parsed = parse_bot_config(kind, config)
    await _check_strategy(conn, client_id, kind, strategy_id)
    credential = await get_credential(conn, client_id, credential_id)
    if credential is None:
        raise NotFoundError(f"credential {credential_id} not found")
    if credential.is_revoked:
        raise FieldValidationError("credential_id", "this credential is revoked")
    return await bots_repo.insert_bot(
        conn,
        client_id=client_id,
        name=name,
        kind=kind,
        exchange=credential.exchange,
        symbol=symbol,
        credential_id=credential_id,
        config=config_to_json(parsed),
        strategy_id=strategy_id,
    )


async def _check_strategy(
    conn: AsyncConnection, client_id: UUID, kind: BotKind, strategy_id: UUID | None
) -> None:
    """A signal bot subscribes to a live strategy of its own client; no other kind has one."""
    if kind is not BotKind.SIGNAL:
        if strategy_id is not None:
            raise FieldValidationError("strategy_id", "applies to signal bots only")
        return
    if strategy_id is None:
        raise FieldValidationError("strategy_id", "is required for a signal bot")
    # Share-locked: archiving the strategy (which locks it) waits for this bot's commit.
    strategy = await share_lock_strategy(conn, client_id, strategy_id)
    if strategy is None:
        raise NotFoundError(f"strategy {strategy_id} not found")
    if strategy.is_archived:
        raise FieldValidationError("strategy_id", "this strategy is archived")


async def update_bot(
    conn: AsyncConnection,
    *,
    client_id: UUID,
    bot_id: UUID,
    name: str | None,
    config: Any | None,
) -> bots_repo.Bot:
    bot = await bots_repo.lock_bot(conn, client_id, bot_id)
    if bot is None:
        raise _not_found(bot_id)
    if bot.is_archived:
        raise ConflictError(f"bot {bot_id} is archived and can no longer be changed")
    stored_config = (
        config_to_json(parse_bot_config(bot.kind, config)) if config is not None else None
    )
    updated = await bots_repo.update_bot(conn, client_id, bot_id, name=name, config=stored_config)
    assert updated is not None  # locked above, not archived
    return updated


async def start_bot(
    conn: AsyncConnection, job_app: App, *, client_id: UUID, bot_id: UUID
) -> bots_repo.Bot:
    """Idempotent: starting a running bot changes nothing."""
    # Shared lock: an engage in this bot's scope either committed before (and is seen
    # below) or waits until this start commits (and then stops the bot).
    await lock_kill_switches(conn, exclusive=False)
    bot = await bots_repo.lock_bot(conn, client_id, bot_id)
    if bot is None:
        raise _not_found(bot_id)
    if bot.is_archived:
        raise ConflictError(f"bot {bot_id} is archived and cannot be started")
    if bot.status is BotStatus.RUNNING:
        return bot
    switch = await engaged_covering_bot(conn, client_id, bot_id)
    if switch is not None:
        raise ConflictError(
            f"a {switch.scope.value} kill switch is engaged ({switch.engage_reason or 'no reason'}"
            "); release it before starting the bot"
        )
    credential = await get_credential(conn, client_id, bot.credential_id)
    if credential is None or credential.is_revoked:
        raise ConflictError(f"bot {bot_id} trades with a revoked credential")
    if bot.strategy_id is not None:
        # Share-locked: a concurrent archive of the strategy sees this bot running, or
        # this start sees the strategy archived.
        strategy = await share_lock_strategy(conn, client_id, bot.strategy_id)
        if strategy is None or strategy.is_archived:
            raise ConflictError(f"bot {bot_id} subscribes to an archived strategy")
    started = await bots_repo.set_bot_status(conn, client_id, bot_id, BotStatus.RUNNING, None)
    assert started is not None
    # Already queued (stopped and restarted quickly) is fine: that pending tick will run.
    await defer_once(
        job_app,
        conn,
        BOT_TICK,
        queueing_lock=bot_queueing_lock(bot_id),
        lock=bot_lock(bot_id),
        bot_id=str(bot_id),
    )
    if bot.kind is BotKind.SIGNAL:
        # A kill switch left its position open and unwatched: watch (and protect) it again.
        await resume_position_watch_of_bot(conn, job_app, bot_id)
    return started


async def stop_bot(
    conn: AsyncConnection, job_app: App, *, client_id: UUID, bot_id: UUID, requested_by: str
) -> tuple[bots_repo.Bot, list[UUID]]:
    """Stop the bot and write cancel intents for its live orders. Idempotent: a stopped
    bot keeps its status; an order already asked to cancel is not asked again."""
    bot = await bots_repo.lock_bot(conn, client_id, bot_id)
    if bot is None:
        raise _not_found(bot_id)
    if bot.status is not BotStatus.STOPPED:
        stopped = await bots_repo.set_bot_status(
            conn, client_id, bot_id, BotStatus.STOPPED, "stopped by user"
        )
        assert stopped is not None
        bot = stopped
    canceled = await cancel_open_orders_of_bot(
        conn, job_app, client_id=client_id, bot_id=bot_id, requested_by=requested_by
    )
    if bot.kind is BotKind.SIGNAL:
        await close_position_of_bot(conn, job_app, bot_id)
    return bot, canceled


async def archive_bot(
    conn: AsyncConnection, job_app: App, *, client_id: UUID, bot_id: UUID, requested_by: str
) -> tuple[bots_repo.Bot, list[UUID]]:
    """Stop, archive, and write cancel intents for the bot's open orders. Idempotent."""
    bot = await bots_repo.lock_bot(conn, client_id, bot_id)
    if bot is None:
        raise _not_found(bot_id)
    archived = await bots_repo.archive_bot(conn, client_id, bot_id)
    assert archived is not None
    canceled = await cancel_open_orders_of_bot(
        conn, job_app, client_id=client_id, bot_id=bot_id, requested_by=requested_by
    )
    if bot.kind is BotKind.SIGNAL:
        await close_position_of_bot(conn, job_app, bot_id)
    return archived, canceled
