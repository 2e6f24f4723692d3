"""Engaging and releasing kill switches (global, client, bot scope).

Engaging, in one transaction: the `kill_switches` row, every running bot in scope set to
`stopped` (reason `kill_switch`), and one `apply_kill_switch` job that cancels the open
orders in scope (one job, so a global switch is a single fast write). The worker also
checks engaged switches before every send. Releasing never restarts anything.
"""

from __future__ import annotations

from uuid import UUID

from procrastinate import App
from psycopg import AsyncConnection

from shared.domain import KillSwitchScope
from shared.errors import ConflictError
from shared.jobs import APPLY_KILL_SWITCH, defer
from shared.repositories import kill_switches as repo


async def engage(
    conn: AsyncConnection,
    job_app: App,
    scope: KillSwitchScope,
    *,
    client_id: UUID | None,
    bot_id: UUID | None,
    engaged_by: str,
    reason: str,
) -> repo.KillSwitch:
    """Raises ConflictError when one is already engaged on that target."""
    await repo.lock_kill_switches(conn, exclusive=True)
    switch = await repo.insert_kill_switch(
        conn, scope, client_id=client_id, bot_id=bot_id, engaged_by=engaged_by, reason=reason
    )
    await repo.stop_bots_covered_by_kill_switches(conn, bot_id=bot_id)
    await defer(job_app, conn, APPLY_KILL_SWITCH, kill_switch_id=str(switch.id))
    return switch


async def release(
    conn: AsyncConnection,
    scope: KillSwitchScope,
    *,
    client_id: UUID | None,
    bot_id: UUID | None,
    released_by: str,
    reason: str,
) -> repo.KillSwitch:
    await repo.lock_kill_switches(conn, exclusive=True)
    switch = await repo.release_kill_switch(
        conn, scope, client_id=client_id, bot_id=bot_id, released_by=released_by, reason=reason
    )
    if switch is None:
        raise ConflictError(f"no {scope.value} kill switch is engaged here")
    return switch
