"""A procrastinate worker with one no-op task: the baseline for the order pipeline.

    DATABASE_URL=... .venv/bin/python -m bench._noop_worker [--concurrency 8]

Same pool and worker options as `worker.main.run_worker` (concurrency, listen/notify,
heartbeat, poll interval, a one-entry additional context copied into every job),
queue "orders"; stops on SIGTERM. `defer_noop` defers one job on a given connection.
"""

from __future__ import annotations

import argparse
from typing import Any

from procrastinate import App, PsycopgConnector

app = App(connector=PsycopgConnector())


@app.task(name="bench_noop", queue="orders")
async def bench_noop(n: int = 0) -> None:
    return None


async def defer_noop(job_app: App, conn: Any, n: int) -> int:
    deferrer = job_app.configure_task("bench_noop", queue="orders", connection=conn)
    job_id: int = await deferrer.defer_async(n=n)
    return job_id


async def main(concurrency: int) -> None:
    from shared.db.pool import create_pool
    from shared.settings import get_settings
    from worker.main import worker_options

    # The worker's own pool (size, connection check) and options, so the baseline differs
    # from the worker by the task's work only.
    settings = get_settings()
    pool = create_pool(settings, name="bench-noop", max_size=max(concurrency + 4, 8))
    await pool.open(wait=True)
    await app.open_async(pool=pool)
    try:
        await app.run_worker_async(
            queues=["orders"],
            wait=True,
            install_signal_handlers=True,
            # The real worker hands its WorkerContext to tasks this way (procrastinate
            # copies the dict per job); the no-op task needs none, the copy is kept.
            additional_context={"bench": None},
            **(worker_options(settings) | {"concurrency": concurrency}),
        )
    finally:
        await app.close_async()
        await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=8)
    from shared import aio

    aio.run(main(parser.parse_args().concurrency))
