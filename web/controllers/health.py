"""Liveness of the web process and its database. No authentication."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Redirect
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from shared.db.sql_files import query
from web.context import web_context
from web.errors import ApiError
from web.openapi import error_responses
from web.schemas.health import HealthRead, QueueHealthRead, WorkerHealthRead

HEALTH_DB_TIMEOUT_S = 2.0

log = structlog.get_logger("web.health")


class HealthController(Controller):
    path = "/"
    tags = ["health"]
    opt = {"exclude_from_auth": True}

    @get(
        "/health",
        operation_id="health",
        summary="200 when the database answers, 503 otherwise",
        responses={503: error_responses(503)[503]},
    )
    async def health(self, request: Request[Any, Any, Any]) -> HealthRead:
        pool = web_context(request.app).require_pool()
        try:
            async with pool.connection(timeout=HEALTH_DB_TIMEOUT_S) as conn:
                await conn.execute("SELECT 1")
        except Exception as exc:  # any failure means "not healthy"; the cause stays in the logs
            log.warning("health check failed", error_type=type(exc).__name__)
            raise ApiError(503, "database unreachable") from None
        return HealthRead(status="ok", database="ok")

    @get(
        "/health/worker",
        operation_id="healthWorker",
        summary="200 while at least one worker's heartbeat is fresh, 503 otherwise",
        responses={503: ResponseSpec(WorkerHealthRead, description="no live worker")},
    )
    async def health_worker(self, request: Request[Any, Any, Any]) -> Response[WorkerHealthRead]:
        context = web_context(request.app)
        row = await _one_row(
            context.require_pool(),
            query("health_workers"),
            {"stale_after_s": context.settings.worker_stalled_after_s},
        )
        live = int(row["live_workers"])
        body = WorkerHealthRead(
            status="ok" if live else "no live worker",
            live_workers=live,
            last_heartbeat=row["last_heartbeat"],
        )
        return Response(body, status_code=200 if live else 503)

    @get(
        "/health/queue",
        operation_id="healthQueue",
        summary="200 unless jobs wait or stick beyond the configured thresholds",
        responses={503: ResponseSpec(QueueHealthRead, description="queue lagging or stuck")},
    )
    async def health_queue(self, request: Request[Any, Any, Any]) -> Response[QueueHealthRead]:
        context = web_context(request.app)
        settings = context.settings
        row = await _one_row(context.require_pool(), query("health_queue"), {})
        wait = row["oldest_wait_s"]
        problems = []
        if wait is not None and wait > settings.health_max_queue_wait_s:
            problems.append(f"oldest ready job waited {wait:.0f}s")
        if row["stuck_jobs"] > settings.health_max_stuck_jobs:
            problems.append(f"{row['stuck_jobs']} stuck job(s)")
        body = QueueHealthRead(
            status="; ".join(problems) or "ok",
            ready_jobs=int(row["ready_jobs"]),
            oldest_wait_s=wait,
            stuck_jobs=int(row["stuck_jobs"]),
        )
        return Response(body, status_code=503 if problems else 200)

    @get("/docs", include_in_schema=False)
    async def docs(self) -> Redirect:
        return Redirect("/schema/swagger")


async def _one_row(pool: AsyncConnectionPool, sql: str, params: dict[str, Any]) -> dict[str, Any]:
    try:
        async with pool.connection(timeout=HEALTH_DB_TIMEOUT_S) as conn:
            cur = await conn.cursor(row_factory=dict_row).execute(sql, params)
            row = await cur.fetchone()
    except Exception as exc:  # the database itself is the problem: say so, as /health does
        log.warning("health check failed", error_type=type(exc).__name__)
        raise ApiError(503, "database unreachable") from None
    assert row is not None
    return row
