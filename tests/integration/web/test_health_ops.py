"""/health/worker and /health/queue: what a load balancer and an operator poll."""

from __future__ import annotations

import psycopg

from tests.fixtures.fix_web import WebServer


def _sql(db_url: str, statement: str, *params: object) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(statement, params)  # type: ignore[arg-type]


async def test_worker_health_follows_heartbeats(web: WebServer, db_url: str) -> None:
    async with web.http() as http:
        none = await http.get("/health/worker")
        assert none.status_code == 503
        assert none.json()["live_workers"] == 0
        _sql(
            db_url,
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour')",
        )
        assert (await http.get("/health/worker")).status_code == 503  # a dead worker is not live
        _sql(db_url, "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now())")
        live = await http.get("/health/worker")
    assert live.status_code == 200
    assert live.json()["live_workers"] == 1


async def test_queue_health_reports_lag_and_stuck_jobs(web: WebServer, db_url: str) -> None:
    async with web.http() as http:
        idle = await http.get("/health/queue")
        assert (idle.status_code, idle.json()["ready_jobs"]) == (200, 0)

        # A ready job deferred ten minutes ago and never picked up: the queue lags.
        _sql(
            db_url,
            "INSERT INTO procrastinate_jobs (id, queue_name, task_name) VALUES (9001, 'orders', 'place_order')",
        )
        _sql(
            db_url,
            "INSERT INTO procrastinate_events (job_id, type, at) VALUES (9001, 'deferred', now() - interval '10 minutes')",
        )
        lagging = await http.get("/health/queue")
        assert lagging.status_code == 503
        assert lagging.json()["ready_jobs"] == 1
        assert lagging.json()["oldest_wait_s"] > 590
        _sql(db_url, "DELETE FROM procrastinate_jobs WHERE id = 9001")

        # A job left in `doing` by a worker that stopped beating: stuck.
        _sql(
            db_url,
            "INSERT INTO procrastinate_workers (id, last_heartbeat) OVERRIDING SYSTEM VALUE VALUES (77, now() - interval '1 hour')",
        )
        _sql(
            db_url,
            "INSERT INTO procrastinate_jobs (queue_name, task_name, status, worker_id) VALUES ('orders', 'place_order', 'doing', 77)",
        )
        stuck = await http.get("/health/queue")
    assert stuck.status_code == 503
    assert stuck.json()["stuck_jobs"] == 1
    assert "stuck" in stuck.json()["status"]
