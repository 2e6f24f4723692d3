"""Kill switches: every engage and release, with who and why. Engaged = released_at IS NULL.

Functions take the connection: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.errors import db_errors_as_domain_errors
from shared.db.statements import execute, fetch_all, fetch_one, fetch_values
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
    await execute(
        conn,
        "lock_kill_switches_exclusive" if exclusive else "lock_kill_switches_shared",
        key=KILL_SWITCH_LOCK_KEY,
    )


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
        async with db_errors_as_domain_errors():
            row = await fetch_one(conn, KillSwitch, "insert_kill_switch", **params)
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
    return await fetch_one(conn, KillSwitch, "release_kill_switch", **params)


async def stop_bots_covered_by_kill_switches(
    conn: AsyncConnection, *, bot_id: UUID | None = None
) -> list[UUID]:
    """Every running bot an engaged kill switch covers (only `bot_id`, when given) goes to
    stopped (reason kill_switch); their ids. The one query that stops bots for a switch."""
    return await fetch_values(conn, "stop_bots_covered_by_kill_switches", bot_id=bot_id)


async def request_cancel_of_orders_in_scope(
    conn: AsyncConnection, kill_switch_id: UUID
) -> list[UUID]:
    """Marks every live order the (engaged) switch covers as asked to cancel; their ids,
    for the caller to record and defer each cancel (shared.orders.cancel)."""
    return await fetch_values(
        conn, "request_cancel_of_orders_in_kill_switch_scope", kill_switch_id=kill_switch_id
    )


async def list_engaged_for_client(conn: AsyncConnection, client_id: UUID) -> list[KillSwitch]:
    return await fetch_all(
        conn, KillSwitch, "list_engaged_kill_switches_for_client", client_id=client_id
    )


async def engaged_covering_bot(
    conn: AsyncConnection, client_id: UUID, bot_id: UUID
) -> KillSwitch | None:
    return await fetch_one(
        conn, KillSwitch, "engaged_kill_switch_covering_bot", client_id=client_id, bot_id=bot_id
    )
