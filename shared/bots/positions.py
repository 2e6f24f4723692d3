"""A signal bot's position as its bot starts and stops, in the caller's transaction.

Stopping or archiving the bot sets its open position closing (reason bot_stopped) and
defers its watch: the watch cancels the exits and sells what the position holds. A
kill switch only stops the bot: the position stays open, unprotected, its watch paused;
starting the bot again resumes the watch, which places the exits again.
"""

from __future__ import annotations

from uuid import UUID

from procrastinate import App
from psycopg import AsyncConnection

from shared.domain import PositionEventKind
from shared.jobs import WATCH_POSITION, defer_once, position_lock, position_queueing_lock
from shared.repositories import positions as positions_repo

BOT_STOPPED = "bot_stopped"


async def close_position_of_bot(conn: AsyncConnection, job_app: App, bot_id: UUID) -> UUID | None:
    """Set the bot's open position closing and wake its watch; the position's id, if any."""
    position_id = await positions_repo.unclosed_position_of_bot(conn, bot_id)
    if position_id is None:
        return None
    if await positions_repo.set_closing(conn, position_id, BOT_STOPPED):
        await positions_repo.insert_event(
            conn, position_id, PositionEventKind.CLOSING, detail=BOT_STOPPED
        )
    await resume_position_watch(conn, job_app, position_id)
    return position_id


async def resume_position_watch_of_bot(
    conn: AsyncConnection, job_app: App, bot_id: UUID
) -> UUID | None:
    position_id = await positions_repo.unclosed_position_of_bot(conn, bot_id)
    if position_id is not None:
        await resume_position_watch(conn, job_app, position_id)
    return position_id


async def resume_position_watch(conn: AsyncConnection, job_app: App, position_id: UUID) -> None:
    # Already queued is fine: that step will see what this transaction wrote.
    await defer_once(
        job_app, conn, WATCH_POSITION,
        queueing_lock=position_queueing_lock(position_id), lock=position_lock(position_id),
        position_id=str(position_id),
    )  # fmt: skip
