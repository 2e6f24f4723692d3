"""Kill switches: every engage and release, with who and why. Engaged = released_at IS NULL.

Functions take the connection: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row

from shared.db.errors import db_errors_as_domain_errors
from shared.db.sql_files import query
from shared.domain import KillSwitchScope
from shared.errors import ConflictError
from shared.repositories.rows import coerce_enums

# pg_advisory_xact_lock key serialising kill switch changes against bot starts
# ("tradebridge.kill").
KILL_SWITCH_LOCK_KEY = 0x7472_6164_6B69_6C6C


@dataclass(frozen=True, slots=True)
class KillSwitch:
    id: UUID
    scope: KillSwitchScope
    client_id: UUID | None
    bot_id: UUID | None
    engaged_by: str
    engage_reason: str
    engaged_at: datetime
    released_by: str | None
    release_reason: str | None
    released_at: datetime | None

    def __post_init__(self) -> None:
        coerce_enums(self)


def _target(
    scope: KillSwitchScope, client_id: UUID | None, bot_id: UUID | None
) -> dict[str, object]:
    return {"scope": scope.value, "client_id": client_id, "bot_id": bot_id}


async def lock_kill_switches(conn: AsyncConnection, *, exclusive: bool) -> None:
    name = "lock_kill_switches_exclusive" if exclusive else "lock_kill_switches_shared"
    await conn.execute(query(name), {"key": KILL_SWITCH_LOCK_KEY})


async def insert_kill_switch(
    conn: AsyncConnection,
    scope: KillSwitchScope,
    *,
    client_id: UUID | None,
    bot_id: UUID | None,
    engaged_by: str,
    reason: str,
) -> KillSwitch:
    params = {**_target(scope, client_id, bot_id), "engaged_by": engaged_by, "reason": reason}
    try:
        async with (
            db_errors_as_domain_errors(),
            conn.cursor(row_factory=class_row(KillSwitch)) as cur,
        ):
            await cur.execute(query("insert_kill_switch"), params)
            row = await cur.fetchone()
    except ConflictError:
        raise ConflictError(f"a {scope.value} kill switch is already engaged here") from None
    assert row is not None
    return row


async def release_kill_switch(
    conn: AsyncConnection,
    scope: KillSwitchScope,
    *,
    client_id: UUID | None,
    bot_id: UUID | None,
    released_by: str,
    reason: str,
) -> KillSwitch | None:
    """None when no switch is engaged on that target."""
    params = {**_target(scope, client_id, bot_id), "released_by": released_by, "reason": reason}
    async with conn.cursor(row_factory=class_row(KillSwitch)) as cur:
        await cur.execute(query("release_kill_switch"), params)
        return await cur.fetchone()


async def stop_bots_in_scope(
    conn: AsyncConnection, *, client_id: UUID | None, bot_id: UUID | None
) -> list[UUID]:
    cur = await conn.execute(
        query("stop_bots_in_kill_switch_scope"), {"client_id": client_id, "bot_id": bot_id}
    )
    return [row[0] for row in await cur.fetchall()]


async def list_engaged_for_client(conn: AsyncConnection, client_id: UUID) -> list[KillSwitch]:
    async with conn.cursor(row_factory=class_row(KillSwitch)) as cur:
        await cur.execute(query("list_engaged_kill_switches_for_client"), {"client_id": client_id})
        return await cur.fetchall()


async def engaged_covering_bot(
    conn: AsyncConnection, client_id: UUID, bot_id: UUID
) -> KillSwitch | None:
    async with conn.cursor(row_factory=class_row(KillSwitch)) as cur:
        await cur.execute(
            query("engaged_kill_switch_covering_bot"), {"client_id": client_id, "bot_id": bot_id}
        )
        return await cur.fetchone()
