"""/health/worker and /health/queue follow a real worker process: killed → 503,
restarted → 200 (and a job the dead worker held is re-queued)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from shared.sealing import generate_key_pair
from tests.fixtures.fix_paper import PaperExchangeAdmin
from tests.fixtures.fix_web import StartWeb
from tests.integration.worker.processes import WorkerProcess, wait_for, worker_env

pytestmark = pytest.mark.slow


async def test_health_turns_503_when_the_worker_dies_and_200_when_it_is_back(
    start_web: StartWeb, db_url: str, paper_exchange: PaperExchangeAdmin, tmp_path: Path
) -> None:
    env = worker_env(db_url, paper_exchange.url, generate_key_pair())
    async with start_web(worker_stalled_after_s=2.0) as web, web.http() as http:

        def worker_health_is(expected: int) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                return (await http.get("/health/worker")).status_code == expected

            return check

        first = WorkerProcess(env, tmp_path / "worker-1.log")
        try:
            await wait_for(worker_health_is(200), 30, "a live worker", on_timeout=first.tail)
            first.kill()
            await wait_for(worker_health_is(503), 15, "503 after the kill")
            assert (await http.get("/health/worker")).json()["live_workers"] == 0
        finally:
            first.kill()
        second = WorkerProcess(env, tmp_path / "worker-2.log")
        try:
            await wait_for(worker_health_is(200), 30, "200 after a restart", on_timeout=second.tail)

            # The dead worker's jobs count as stuck until the new worker's periodic
            # retry_stalled_jobs (every 10 s) puts them back to `todo`.
            async def queue_healthy() -> bool:
                return (await http.get("/health/queue")).status_code == 200

            await wait_for(queue_healthy, 30, "queue healthy again", on_timeout=second.tail)
        finally:
            second.kill()
