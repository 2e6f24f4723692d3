"""Liveness of the web process and its database. No authentication."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Controller, Request, get
from litestar.response import Redirect

from web.context import web_context
from web.errors import ApiError
from web.openapi import error_responses
from web.schemas.health import HealthRead

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

    @get("/docs", include_in_schema=False)
    async def docs(self) -> Redirect:
        return Redirect("/schema/swagger")
