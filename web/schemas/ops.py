"""The operator's console (GET /v1/admin/ops): the ops views in one document."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class QueueRowRead(msgspec.Struct, frozen=True, kw_only=True):
    queue_name: str
    task_name: str
    status: str
    jobs: int
    # How long the oldest runnable job has waited (todo rows only).
    oldest_waiting_s: float | None
    scheduled_later: int


class StuckJobRead(msgspec.Struct, frozen=True, kw_only=True):
    job_id: int
    queue_name: str
    task_name: str
    order_id: str | None
    attempts: int
    worker_id: int | None
    last_heartbeat: datetime | None
    running_for_s: float | None
    reason: str


class FailedJobRead(msgspec.Struct, frozen=True, kw_only=True):
    job_id: int
    queue_name: str
    task_name: str
    attempts: int
    failed_at: datetime | None
    order_id: UUID | None
    order_status: str | None
    last_error_code: str | None
    last_error_message: str | None


class WorkerRead(msgspec.Struct, frozen=True, kw_only=True):
    worker_id: int
    last_heartbeat: datetime
    heartbeat_age_s: float
    # Heartbeat younger than TRADEBRIDGE_WORKER_STALLED_AFTER_S.
    live: bool


class EngagedSwitchRead(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    scope: str
    client: str | None
    bot_id: UUID | None
    engaged_by: str
    engage_reason: str
    engaged_at: datetime


class OpsOverview(msgspec.Struct, frozen=True, kw_only=True):
    as_of: datetime
    live_workers: int
    workers: list[WorkerRead]
    queues: list[QueueRowRead]
    stuck_jobs: list[StuckJobRead]
    # The newest failures (at most `limit`).
    failed_jobs: list[FailedJobRead]
    engaged_kill_switches: list[EngagedSwitchRead]
