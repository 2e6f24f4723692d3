"""Liveness and queue health (sql/queries/health.sql): what /health*, the worker's
metrics and a load balancer ask of the database. Cheap single statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from shared.db.statements import execute, fetch_all, fetch_one


@dataclass(frozen=True, slots=True)
class WorkerHealth:
    live_workers: int
    last_heartbeat: datetime | None


@dataclass(frozen=True, slots=True)
class QueueHealth:
    ready_jobs: int
    oldest_wait_s: float | None
    stuck_jobs: int


@dataclass(frozen=True, slots=True)
class QueueDepth:
    queue_name: str
    ready_jobs: int


async def ping(conn: AsyncConnection[Any]) -> None:
    await execute(conn, "health_ping")


async def worker_health(conn: AsyncConnection[Any], *, stale_after_s: float) -> WorkerHealth:
    """Workers whose heartbeat is younger than `stale_after_s`."""
    row = await fetch_one(conn, WorkerHealth, "health_workers", stale_after_s=stale_after_s)
    assert row is not None  # an aggregate always returns a row
    return row


async def queue_health(conn: AsyncConnection[Any]) -> QueueHealth:
    row = await fetch_one(conn, QueueHealth, "health_queue")
    assert row is not None  # an aggregate always returns a row
    return row


async def ready_jobs_per_queue(conn: AsyncConnection[Any]) -> dict[str, int]:
    rows = await fetch_all(conn, QueueDepth, "health_ready_jobs_per_queue")
    return {row.queue_name: row.ready_jobs for row in rows}
