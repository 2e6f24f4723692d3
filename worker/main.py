"""Worker entry point: `tradebridge worker` or `python -m worker`.

SIGTERM/SIGINT stop fetching new jobs and let running ones finish within the graceful
shutdown timeout; a job cut short stays `doing` and is re-queued by retry_stalled_jobs
on a live worker. Heartbeats land in procrastinate_workers (see /health/worker).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import prometheus_client
import structlog

from shared import aio
from shared.db.pool import create_pool
from shared.jobs import ALL_QUEUES
from shared.logs import configure_logging
from shared.metrics import register_breaker_states
from shared.settings import Settings, get_settings
from worker.app import create_worker_app
from worker.context import build_context, close_context, job_context_extras
from worker.streams.supervisor import StreamSupervisor

log = structlog.get_logger(__name__)


def start_metrics_server(port: int, breaker_states: Callable[[], dict[str, str]]) -> bool:
    """Prometheus metrics of this worker process on `port` (0 disables). A port already
    taken (a second replica on the same host) costs the metrics, not the worker."""
    register_breaker_states(breaker_states)
    try:
        prometheus_client.start_http_server(port)
    except OSError as exc:
        log.error(
            "worker metrics unavailable: port in use; give each worker process on a host "
            "its own TRADEBRIDGE_WORKER_METRICS_PORT",
            port=port,
            error=str(exc),
        )
        return False
    return True


def worker_options(settings: Settings) -> dict[str, Any]:
    """procrastinate worker options from our settings (bench/_noop_worker.py, the
    baseline, runs with the same)."""
    return {
        "concurrency": settings.worker_concurrency,
        "shutdown_graceful_timeout": settings.worker_shutdown_timeout_s,
        "update_heartbeat_interval": settings.worker_heartbeat_s,
        "fetch_job_polling_interval": settings.worker_poll_interval_s,
        "stalled_worker_timeout": settings.worker_stalled_after_s,
        "listen_notify": True,
    }


async def run_worker(
    settings: Settings,
    *,
    wait: bool = True,
    install_signal_handlers: bool = True,
    serve_metrics: bool = True,
) -> None:
    settings.require_for("worker")
    pool = create_pool(settings, name="worker", max_size=max(settings.worker_concurrency + 4, 8))
    await pool.open(wait=True)
    app = create_worker_app()
    await app.open_async(pool=pool)
    context = None
    try:
        context = await build_context(settings, pool, app)
        if serve_metrics and settings.worker_metrics_port:
            start_metrics_server(settings.worker_metrics_port, context.adapters.breakers.states)
        # User-data streams run beside the job loop, leased per credential (worker.streams).
        supervisor = StreamSupervisor(context) if settings.stream_venues else None
        streams = asyncio.create_task(supervisor.run()) if supervisor else None
        try:
            await app.run_worker_async(
                queues=list(settings.worker_queues or ALL_QUEUES),
                wait=wait,
                install_signal_handlers=install_signal_handlers,
                additional_context=job_context_extras(context),
                **worker_options(settings),
            )
        finally:
            if streams is not None:
                streams.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await streams
    finally:
        if context is not None:
            await close_context(context)
        await app.close_async()
        await pool.close()


def main() -> int:
    from shared.db.resolve import with_resolved_database

    settings = with_resolved_database(get_settings().require_for("worker"))
    configure_logging(settings, process="worker")
    aio.run(run_worker(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
