"""Liveness of the web process and its database. No authentication."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Redirect
from psycopg_pool import AsyncConnectionPool

from shared.db.pool import DbConnection
from shared.repositories import health as health_repo
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
                await health_repo.ping(conn)
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
        stale_after_s = context.settings.worker_stalled_after_s
        async with _connection(context.require_pool()) as conn:
            workers = await health_repo.worker_health(conn, stale_after_s=stale_after_s)
        live = workers.live_workers
        body = WorkerHealthRead(
            status="ok" if live else "no live worker",
            live_workers=live,
            last_heartbeat=workers.last_heartbeat,
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
        async with _connection(context.require_pool()) as conn:
            queue = await health_repo.queue_health(conn)
        wait = queue.oldest_wait_s
        problems = []
        if wait is not None and wait > settings.health_max_queue_wait_s:
            problems.append(f"oldest ready job waited {wait:.0f}s")
        if queue.stuck_jobs > settings.health_max_stuck_jobs:
            problems.append(f"{queue.stuck_jobs} stuck job(s)")
        body = QueueHealthRead(
            status="; ".join(problems) or "ok",
            ready_jobs=int(queue.ready_jobs),
            oldest_wait_s=wait,
            stuck_jobs=int(queue.stuck_jobs),
        )
        return Response(body, status_code=503 if problems else 200)

    @get("/docs", include_in_schema=False)
    async def docs(self) -> Redirect:
        return Redirect("/schema/swagger")


@asynccontextmanager
async def _connection(pool: AsyncConnectionPool) -> AsyncIterator[DbConnection]:
    """A connection for one health read; any database failure answers 503, as /health."""
    try:
        async with pool.connection(timeout=HEALTH_DB_TIMEOUT_S) as conn:
            yield conn
    except Exception as exc:  # the database itself is the problem: say so, as /health does
        log.warning("health check failed", error_type=type(exc).__name__)
        raise ApiError(503, "database unreachable") from None
