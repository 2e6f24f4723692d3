"""The operator's console with the admin token: the ops views in one read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import msgspec
from litestar import Controller, get
from litestar.params import QueryParameter

from shared.repositories import ops as ops_repo
from web.auth import requires_admin
from web.dependencies import Conn, Context
from web.openapi import ADMIN_SECURITY, error_responses
from web.schemas.ops import (
    EngagedSwitchRead,
    FailedJobRead,
    OpsOverview,
    QueueRowRead,
    StuckJobRead,
    WorkerRead,
)

ReadT = TypeVar("ReadT", bound=msgspec.Struct)


class AdminOpsController(Controller):
    path = "/v1/admin/ops"
    tags = ["admin"]
    guards = [requires_admin]
    security = ADMIN_SECURITY

    @get(
        operation_id="adminOpsOverview",
        summary="Queues, workers and their heartbeats, stuck and failed jobs, kill switches",
        description=(
            "What `ops.queue_overview`, `ops.stuck_jobs`, `ops.failed_jobs` (newest first, "
            "with the order's last error) and `ops.engaged_kill_switches` say, and every "
            "registered worker with its heartbeat's age."
        ),
        responses=error_responses(),
    )
    async def overview(
        self,
        conn: Conn,
        context: Context,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> OpsOverview:
        stale_after_s = context.settings.worker_stalled_after_s
        workers = await ops_repo.workers(conn, stale_after_s=stale_after_s)
        return OpsOverview(
            as_of=datetime.now(UTC),
            live_workers=sum(1 for worker in workers if worker.live),
            workers=_read(workers, WorkerRead),
            queues=_read(await ops_repo.queue_overview(conn), QueueRowRead),
            stuck_jobs=_read(await ops_repo.stuck_jobs(conn, limit=limit), StuckJobRead),
            failed_jobs=_read(await ops_repo.failed_jobs(conn, limit=limit), FailedJobRead),
            engaged_kill_switches=_read(
                await ops_repo.engaged_kill_switches(conn), EngagedSwitchRead
            ),
        )


def _read(rows: Sequence[object], read_type: type[ReadT]) -> list[ReadT]:
    """Repository rows as their Read structs (the fields match by name)."""
    return msgspec.convert(rows, list[read_type], from_attributes=True)  # type: ignore[valid-type]
