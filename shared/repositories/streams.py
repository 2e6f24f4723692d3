"""User-data stream leases and states (sql/queries/streams.sql, migration 0014).

`lease_pass` is one pass of a worker's stream supervisor, run in the caller's
transaction: it answers which credentials' streams this worker holds afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.statements import execute, fetch_all, fetch_value, fetch_values


@dataclass(frozen=True, slots=True)
class LeaseTerms:
    worker_id: str
    venues: tuple[str, ...]  # venues whose credentials get a stream
    ttl_s: float  # a lease not renewed for this long is another worker's to take
    dead_after_s: float  # a worker not beating for this long counts no more in the split


@dataclass(frozen=True, slots=True)
class LeasePassResult:
    held: frozenset[UUID]  # this worker's streams after the pass
    wanted: int  # credentials that need a stream, all workers together
    workers: int  # live workers sharing them
    claimed: frozenset[UUID]
    released: frozenset[UUID]  # unwanted, or shed to another worker


@dataclass(frozen=True, slots=True)
class StreamReport:
    """What an owned stream did since its last report."""

    credential_id: UUID
    state: str  # connecting | live | down
    last_event_at: datetime | None = None
    events: int = 0
    reconnects: int = 0
    fallbacks: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StreamState:
    credential_id: UUID
    owner: str | None
    state: str
    lease_valid: bool | None
    live_since: datetime | None
    last_event_at: datetime | None
    events: int
    reconnects: int
    fallbacks: int
    takeovers: int
    last_error: str | None


async def lease_pass(conn: AsyncConnection[Any], terms: LeaseTerms) -> LeasePassResult:
    """Beat; release what nothing needs; renew the rest; shed the excess over this
    worker's fair share (a replica joined) and claim up to it (one left or died)."""
    await execute(conn, "streams_worker_beat", worker_id=terms.worker_id)
    await execute(conn, "streams_forget_dead_workers", dead_after_s=terms.dead_after_s)
    wanted: list[UUID] = await fetch_values(conn, "streams_wanted", venues=list(terms.venues))
    workers = max(
        int(await fetch_value(conn, "streams_live_workers", dead_after_s=terms.dead_after_s)), 1
    )
    common = {"worker_id": terms.worker_id, "wanted": wanted}
    released = set(await fetch_values(conn, "streams_release_unwanted", **common))
    held = set(await fetch_values(conn, "streams_renew", ttl_s=terms.ttl_s, **common))
    share = math.ceil(len(wanted) / workers)
    claimed: set[UUID] = set()
    if len(held) > share:
        shed = set(
            await fetch_values(
                conn, "streams_shed", worker_id=terms.worker_id, count=len(held) - share
            )
        )
        held -= shed
        released |= shed
    elif len(held) < share:
        claimed = set(
            await fetch_values(
                conn, "streams_claim", ttl_s=terms.ttl_s, count=share - len(held), **common
            )
        )
        held |= claimed
    return LeasePassResult(
        frozenset(held), len(wanted), workers, frozenset(claimed), frozenset(released)
    )


async def leave(conn: AsyncConnection[Any], worker_id: str) -> None:
    """Hand every stream of a worker that shuts down back at once."""
    await execute(conn, "streams_worker_leave", worker_id=worker_id)


async def report(conn: AsyncConnection[Any], worker_id: str, stream: StreamReport) -> bool:
    """Record an owned stream's state and counters; False when the lease is no longer ours."""
    touched = await execute(
        conn,
        "streams_report",
        worker_id=worker_id,
        credential_id=stream.credential_id,
        state=stream.state,
        last_event_at=stream.last_event_at,
        events=stream.events,
        reconnects=stream.reconnects,
        fallbacks=stream.fallbacks,
        error=stream.error[:500] if stream.error else None,
    )
    return touched > 0


async def is_live(conn: AsyncConnection[Any], credential_id: UUID) -> bool:
    return bool(await fetch_value(conn, "streams_is_live", credential_id=credential_id))


async def states(conn: AsyncConnection[Any], credential_ids: list[UUID]) -> list[StreamState]:
    return await fetch_all(conn, StreamState, "streams_states", credential_ids=credential_ids)
