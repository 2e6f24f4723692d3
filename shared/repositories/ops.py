"""The operator's console: the ops views (sql/migrations/0002_ops_views.sql) as rows,
for GET /v1/admin/ops (queries in sql/queries/ops.sql)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.statements import fetch_all


@dataclass(frozen=True, slots=True)
class QueueRow:
    queue_name: str
    task_name: str
    status: str
    jobs: int
    oldest_waiting_s: float | None
    scheduled_later: int


@dataclass(frozen=True, slots=True)
class StuckJob:
    job_id: int
    queue_name: str
    task_name: str
    order_id: str | None
    attempts: int
    worker_id: int | None
    last_heartbeat: datetime | None
    running_for_s: float | None
    reason: str


@dataclass(frozen=True, slots=True)
class FailedJob:
    job_id: int
    queue_name: str
    task_name: str
    attempts: int
    failed_at: datetime | None
    order_id: UUID | None
    order_status: str | None
    last_error_code: str | None
    last_error_message: str | None


@dataclass(frozen=True, slots=True)
class WorkerRow:
    worker_id: int
    last_heartbeat: datetime
    heartbeat_age_s: float
    live: bool


@dataclass(frozen=True, slots=True)
class EngagedSwitch:
    id: UUID
    scope: str
    client: str | None
    bot_id: UUID | None
    engaged_by: str
    engage_reason: str
    engaged_at: datetime


async def queue_overview(conn: AsyncConnection[Any]) -> list[QueueRow]:
    return await fetch_all(conn, QueueRow, "ops_queue_overview")


async def stuck_jobs(conn: AsyncConnection[Any], *, limit: int) -> list[StuckJob]:
    return await fetch_all(conn, StuckJob, "ops_stuck_jobs", limit=limit)


async def failed_jobs(conn: AsyncConnection[Any], *, limit: int) -> list[FailedJob]:
    return await fetch_all(conn, FailedJob, "ops_failed_jobs", limit=limit)


async def workers(conn: AsyncConnection[Any], *, stale_after_s: float) -> list[WorkerRow]:
    return await fetch_all(conn, WorkerRow, "ops_workers", stale_after_s=stale_after_s)


async def engaged_kill_switches(conn: AsyncConnection[Any]) -> list[EngagedSwitch]:
    return await fetch_all(conn, EngagedSwitch, "ops_engaged_kill_switches")
