"""The web app factory: `create_app(settings)` builds a Litestar app for the HTTP API.

The lifespan opens one connection pool and the procrastinate app on that same pool (for
deferring jobs inside request transactions), and closes both on shutdown. Logging is
configured by the caller (the CLI), not here, so tests and embedding stay in control.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from shared.db.pool import create_pool
from shared.jobs import create_job_app
from shared.sealing import load_public_key
from shared.settings import Settings, get_settings
from web.auth import BearerAuthMiddleware
from web.context import WebContext, web_context
from web.controllers.admin import AdminClientController
from web.controllers.bots import BotController
from web.controllers.credentials import CredentialController
from web.controllers.egress_routes import AdminEgressRouteController
from web.controllers.fills import FillController
from web.controllers.health import HealthController
from web.controllers.kill_switch import AdminKillSwitchController, KillSwitchController
from web.controllers.me import MeController
from web.controllers.ops import AdminOpsController
from web.controllers.orders import OrderController
from web.controllers.positions import BotPositionController, PositionController
from web.controllers.signals import SignalController, SignalWebhookController
from web.controllers.stats import StatsController
from web.controllers.strategies import StrategyController
from web.controllers.tokens import TokenController
from web.dashboard.routes import dashboard_router
from web.dashboard.security import add_dashboard_security_headers
from web.dependencies import DEPENDENCIES
from web.errors import EXCEPTION_HANDLERS, ApiError
from web.openapi import ClosedStructSchemaPlugin, openapi_config
from web.rate_limit import RateLimiter
from web.request_context import REQUEST_ID_HEADER, RequestContextMiddleware, add_request_id_header
from web.untrusted_input import ApiRequest, check_parameters

log = structlog.get_logger("web")

CONTROLLERS = [
    HealthController,
    AdminClientController,
    AdminKillSwitchController,
    AdminEgressRouteController,
    AdminOpsController,
    MeController,
    TokenController,
    CredentialController,
    BotController,
    StrategyController,
    SignalWebhookController,
    SignalController,
    PositionController,
    BotPositionController,
    OrderController,
    FillController,
    KillSwitchController,
    StatsController,
]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class MetricsController(PrometheusController):
    """Prometheus scrape endpoint; no bearer token (restrict it at the network edge)."""

    path = "/metrics"
    include_in_schema = False
    opt = {"exclude_from_auth": True}


@asynccontextmanager
async def _lifespan(app: Litestar) -> AsyncIterator[None]:
    context = web_context(app)
    pool = create_pool(context.settings, name="web")
    # Not waiting for the first connections: the process starts while the database is
    # down and /health says 503 until it answers.
    await pool.open(wait=False)
    job_app = create_job_app()
    await job_app.open_async(pool=pool)
    context.pool, context.job_app = pool, job_app
    log.info("web started", pool_max_size=pool.max_size)
    try:
        yield
    finally:
        context.pool = context.job_app = None
        await job_app.close_async()
        await pool.close()
        log.info("web stopped")


async def _check_request(request: Request[Any, Any, Any]) -> None:
    """Before any handler: parameters the database could not store, and the body's type."""
    check_parameters(request)
    _require_json_body(request)


def _require_json_body(request: Request[Any, Any, Any]) -> None:
    """415 for a request body that does not claim to be JSON (before anything parses it)."""
    if request.method not in _BODY_METHODS:
        return
    headers = request.headers
    has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    if not has_body:
        return
    media_type = request.content_type[0]
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise ApiError(415, f"request body must be application/json, not {media_type or 'untyped'}")


def create_app(settings: Settings | None = None) -> Litestar:
    settings = (settings or get_settings()).require_for("web")
    public_key = (
        load_public_key(settings.sealing_public_key) if settings.sealing_public_key else None
    )
    context = WebContext(
        settings=settings,
        rate_limiter=RateLimiter(settings.client_rate_limit_per_minute),
        sealing_public_key=public_key,
    )
    cors = (
        CORSConfig(
            allow_origins=list(settings.cors_allow_origins),
            allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER, "Idempotent-Replayed", "Retry-After"],
            max_age=600,
        )
        if settings.cors_allow_origins
        else None
    )
    prometheus = PrometheusConfig(
        app_name="tradebridge-web",
        prefix="tradebridge_web",
        group_path=True,  # /v1/orders/{order_id}, not one series per order
        exclude=["/metrics", "/health", "/dashboard"],
    )
    return Litestar(
        route_handlers=[*CONTROLLERS, MetricsController, dashboard_router()],
        dependencies=DEPENDENCIES,
        middleware=[prometheus.middleware, RequestContextMiddleware(), BearerAuthMiddleware()],
        before_request=_check_request,
        request_class=ApiRequest,
        before_send=[add_request_id_header, add_dashboard_security_headers],
        exception_handlers=EXCEPTION_HANDLERS,
        cors_config=cors,
        request_max_body_size=settings.max_request_body_bytes,
        openapi_config=openapi_config(),
        plugins=[ClosedStructSchemaPlugin()],
        lifespan=[_lifespan],
        state=State({"context": context}),
        # Logging is structlog's, configured once per process by the CLI.
        logging_config=None,
        debug=False,
    )
