from __future__ import annotations

from datetime import datetime

import msgspec


class HealthRead(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    database: str


class WorkerHealthRead(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    live_workers: int
    last_heartbeat: datetime | None


class QueueHealthRead(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    ready_jobs: int
    oldest_wait_s: float | None
    stuck_jobs: int
