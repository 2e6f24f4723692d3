"""End to end: market orders from intent to venue ack to fills written, next to a bare
procrastinate drain of no-op jobs with the same worker settings.

    .venv/bin/python -m bench.end_to_end [--orders 1000] [--workers 1,2]

Per worker count, in a fresh throwaway database each time:

- orders: N market buys submitted directly with `submit_order_intent` (16 concurrent
  transactions on a pool, the web's path without HTTP; see bench.ingest for the HTTP cost)
  while `python -m tradebridge worker` subprocesses run against the paper exchange (in this
  process, in a thread). Time = first submit -> the last order's `filled` event in
  `order_events` (database clock). The fills are counted too.
- baseline: N no-op jobs deferred the same way and drained by `bench._noop_worker`
  subprocesses (same concurrency, listen/notify); time = first defer -> the last
  `succeeded` event in `procrastinate_events`.
- wake-up: one job deferred on an idle no-op worker, `started` - `deferred` event times,
  over --wakeups jobs spaced 200 ms apart.

The venue's request budget in the throwaway database is raised for binance: the paper
exchange enforces no weight limit, and Binance's published 6000/min (80 % leased) would
otherwise cap one egress IP at 80 orders/s; see the report.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg

from bench._common import (
    REPO_ROOT,
    PaperExchange,
    Result,
    Tenant,
    clean_env,
    log_path,
    make_tenant,
    ms,
    percentile,
    print_rows,
    quiet_logs,
    say,
    throwaway_database,
)
from shared import aio

SUBMIT_CONCURRENCY = 16
WORKER_CONCURRENCY = 8  # the product default (TRADEBRIDGE_WORKER_CONCURRENCY)


def noop_worker_env(db_url: str) -> dict[str, str]:
    """The settings the no-op baseline shares with the real worker (pool, timings)."""
    return clean_env(
        DATABASE_URL=db_url,
        TRADEBRIDGE_ENV="test",
        TRADEBRIDGE_WORKER_CONCURRENCY=str(WORKER_CONCURRENCY),
        TRADEBRIDGE_WORKER_HEARTBEAT_S="0.5",
        LOG_LEVEL="WARNING",
    )


def worker_env(db_url: str, paper_url: str, keys: Any) -> dict[str, str]:
    """Like tests/integration/worker/processes.worker_env, with the product's timings."""
    return noop_worker_env(db_url) | {
        "TRADEBRIDGE_WORKER_METRICS_PORT": "0",
        "TRADEBRIDGE_PAPER_EXCHANGE_URL": paper_url,
        "TRADEBRIDGE_SEALING_KEY_ID": keys.key_id,
        "TRADEBRIDGE_SEALING_PRIVATE_KEY": keys.private_key_b64,
    }


class Workers:
    """n worker subprocesses (`command`), output in bench/out/; SIGTERM on exit."""

    def __init__(self, db_url: str, command: list[str], env: dict[str, str], n: int) -> None:
        self.db_url, self.command, self.env, self.n = db_url, command, env, n
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs = [log_path("worker") for _ in range(n)]

    async def __aenter__(self) -> Workers:
        for path in self.logs:
            with path.open("ab") as log:
                self.procs.append(
                    subprocess.Popen(  # noqa: S603, ASYNC220 - our own command, at startup
                        [sys.executable, *self.command],
                        env=self.env,
                        cwd=REPO_ROOT,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        deadline = time.monotonic() + 60
        while await scalar(self.db_url, "SELECT count(*) FROM procrastinate_workers") < self.n:
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"a worker exited at startup; see {self.logs}")
            if time.monotonic() > deadline:
                raise TimeoutError("workers did not register within 60 s")
            await asyncio.sleep(0.1)
        return self

    def cpu_seconds(self) -> float | None:
        """User + system CPU the worker processes used so far (Linux /proc; else None)."""
        try:
            total = 0
            for p in self.procs:
                with open(f"/proc/{p.pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        except OSError:
            return None
        return total / os.sysconf("SC_CLK_TCK")

    async def __aexit__(self, *exc: object) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                await asyncio.to_thread(p.wait, 40)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


async def scalar(db_url: str, statement: str, *params: Any) -> Any:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        cur = await conn.execute(statement, params)
        row = await cur.fetchone()
    return row[0] if row else None


async def fan_out(
    db_url: str, n: int, one: Callable[[Any, Any, int], Awaitable[Any]], job_app: Any
) -> None:
    """Call `one(conn, job_app, i)` for i < n, SUBMIT_CONCURRENCY transactions at a time."""
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(db_url, min_size=4, max_size=SUBMIT_CONCURRENCY, open=False)
    await pool.open(wait=True)
    await job_app.open_async(pool=pool)
    counter = iter(range(n))

    async def loop() -> None:
        for i in counter:
            async with pool.connection() as conn, conn.transaction():
                await one(conn, job_app, i)

    try:
        await asyncio.gather(*(loop() for _ in range(SUBMIT_CONCURRENCY)))
    finally:
        await job_app.close_async()
        await pool.close()


async def wait_count(db_url: str, statement: str, n: int, limit_s: float) -> int:
    deadline = time.monotonic() + limit_s
    while True:
        done = int(await scalar(db_url, statement))
        if done >= n or time.monotonic() > deadline:
            return done
        await asyncio.sleep(0.1)


async def orders_run(
    db_url: str, paper: PaperExchange, tenant: Tenant, workers: int, n: int, limit_s: float
) -> tuple[float, int, int]:
    """(seconds, orders filled, fills written) for n market orders."""
    from shared.domain import OrderSide, OrderType
    from shared.jobs import create_job_app
    from shared.orders.intents import OrderIntent, submit_order_intent

    intent = OrderIntent(
        credential_id=tenant.credential_id,
        symbol="BTC/USDT",
        side=OrderSide.BUY,
        type=OrderType.MARKET,
        amount=Decimal("0.001"),
    )

    async def submit(conn: Any, job_app: Any, i: int) -> None:
        await submit_order_intent(
            conn, job_app, client_id=tenant.client_id, request=intent,
            idempotency_key=f"e2e-{uuid.uuid4().hex}",
        )  # fmt: skip

    filled = "SELECT count(*) FROM orders WHERE status = 'filled'"
    env = worker_env(db_url, paper.url, tenant.keys)
    async with Workers(db_url, ["-m", "tradebridge", "worker"], env, workers):
        # Warm-up: each worker loads the markets on its first order. Counted from what is
        # there already (bench.growth runs this on a database with history).
        before = int(await scalar(db_url, filled))
        await fan_out(db_url, 4 * workers, submit, create_job_app())
        await wait_count(db_url, filled, before + 4 * workers, 60)
        warm = int(await scalar(db_url, filled))
        started_at = await scalar(db_url, "SELECT clock_timestamp()")
        await fan_out(db_url, n, submit, create_job_app())
        done = await wait_count(db_url, filled, warm + n, limit_s) - warm
        seconds = await scalar(
            db_url,
            """SELECT extract(epoch FROM max(created_at) - %s) FROM order_events
               WHERE to_status = 'filled'""",
            started_at,
        )
        # By the orders' time, not the venue's trade time: Coinstore stamps trades to the
        # second, which would drop the first second's fills from the count.
        fills = int(await scalar(
            db_url,
            "SELECT count(*) FROM fills f JOIN orders o ON o.id = f.order_id "
            "WHERE o.created_at >= %s",
            started_at,
        ))  # fmt: skip
        await say_where_time_went(db_url, started_at)
    return float(seconds), done, fills


async def say_where_time_went(db_url: str, started_at: Any) -> None:
    """Diagnostics for the report: how long submitting took, a place_order job's wall
    time (started -> succeeded), and the venue call's share of it."""
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cur = await conn.execute(
            """SELECT
                 (SELECT extract(epoch FROM max(created_at) - %(t)s) FROM order_events
                  WHERE to_status = 'accepted' AND created_at >= %(t)s),
                 (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms)
                  FROM order_events WHERE call = 'create_order' AND created_at >= %(t)s),
                 extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY s.at - b.at)),
                 -- Time in jobs / time from the first start to the last finish: how many
                 -- place_order jobs ran at once on average (the worker allows 8 each).
                 extract(epoch FROM sum(s.at - b.at))
                     / nullif(extract(epoch FROM max(s.at) - min(b.at)), 0)
               FROM procrastinate_jobs j
               JOIN procrastinate_events b ON b.job_id = j.id AND b.type = 'started'
               JOIN procrastinate_events s ON s.job_id = j.id AND s.type = 'succeeded'
               WHERE j.task_name = 'place_order' AND b.at >= %(t)s""",
            {"t": started_at},
        )
        row = await cur.fetchone()
    assert row is not None
    submit_s, venue_ms, job_s, in_flight = (float(v) if v is not None else 0.0 for v in row)
    say(
        f"    submitting took {submit_s:.2f} s; place_order job p50 {job_s * 1000:.1f} ms "
        f"(create_order p50 {venue_ms:.1f} ms); {in_flight:.1f} jobs in flight on average"
    )


async def drain_run(db_url: str, workers: int, n: int, limit_s: float) -> tuple[float, int]:
    from bench._noop_worker import app as noop_app
    from bench._noop_worker import defer_noop

    async def defer(conn: Any, job_app: Any, i: int) -> None:
        await defer_noop(job_app, conn, i)

    done_sql = "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'"
    env = noop_worker_env(db_url)
    cmd = ["-m", "bench._noop_worker", "--concurrency", str(WORKER_CONCURRENCY)]
    async with Workers(db_url, cmd, env, workers):
        started_at = await scalar(db_url, "SELECT clock_timestamp()")
        await fan_out(db_url, n, defer, noop_app)
        done = await wait_count(db_url, done_sql, n, limit_s)
        seconds = await scalar(
            db_url,
            """SELECT extract(epoch FROM max(at) - %s) FROM procrastinate_events
               WHERE type = 'succeeded'""",
            started_at,
        )
    return float(seconds), done


async def wakeup_latency(db_url: str, jobs: int = 20) -> list[float]:
    """started - deferred for one job at a time on an idle no-op worker (seconds)."""
    from psycopg_pool import AsyncConnectionPool

    from bench._noop_worker import app as noop_app
    from bench._noop_worker import defer_noop

    env = noop_worker_env(db_url)
    cmd = ["-m", "bench._noop_worker", "--concurrency", str(WORKER_CONCURRENCY)]
    pool = AsyncConnectionPool(db_url, min_size=1, max_size=2, open=False)
    await pool.open(wait=True)
    await noop_app.open_async(pool=pool)
    ids: list[int] = []
    try:
        async with Workers(db_url, cmd, env, 1):
            await asyncio.sleep(1.0)
            for i in range(jobs):
                async with pool.connection() as conn, conn.transaction():
                    ids.append(await defer_noop(noop_app, conn, i))
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.5)
    finally:
        await noop_app.close_async()
        await pool.close()
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cur = await conn.execute(
            """SELECT extract(epoch FROM s.at - d.at)
               FROM procrastinate_events d JOIN procrastinate_events s USING (job_id)
               WHERE d.type = 'deferred' AND s.type = 'started' AND job_id = ANY(%s)""",
            (ids,),
        )
        return [float(r[0]) for r in await cur.fetchall()]


def fresh_db_run(coro_factory: Callable[[str], Awaitable[Any]]) -> Any:
    with throwaway_database() as db_url:
        return aio.run(coro_factory(db_url))


async def with_paper(
    db_url: str,
    body: Callable[[PaperExchange, Tenant], Awaitable[Any]],
    *,
    venue: str = "binance",
) -> Any:
    # Lift the venue budget for this throwaway database only (see the module docstring).
    await scalar(
        db_url,
        "UPDATE venues SET request_weight_per_minute = 10000000 WHERE code = 'binance' "
        "RETURNING code",
    )
    with PaperExchange() as paper:
        api_key, secret, memo = await paper.create_account()
        tenant = await make_tenant(db_url, api_key, secret, venue=venue, memo=memo)
        return await body(paper, tenant)


def run(
    orders: int = 1000, workers: list[int] | None = None, limit_s: float = 120.0
) -> list[Result]:
    workers = workers or [1, 2]
    say(
        f"End to end: {orders} market orders via submit_order_intent ({SUBMIT_CONCURRENCY} "
        f"concurrent), worker concurrency {WORKER_CONCURRENCY}, workers {workers}"
    )
    rows: list[Result] = []
    wake = fresh_db_run(wakeup_latency)
    say(f"  wake-up (idle no-op worker): p50 {ms(percentile(wake, 0.5))} "
        f"p99 {ms(percentile(wake, 0.99))} over {len(wake)} jobs")  # fmt: skip
    for w in workers:
        drain_s, drained = fresh_db_run(lambda url, w=w: drain_run(url, w, orders, limit_s))
        drain_rate = drained / drain_s
        say(f"  {w} worker(s): no-op drain {drained} jobs in {drain_s:.2f} s = {drain_rate:,.0f}/s")

        def body(url: str, w: int = w) -> Awaitable[Any]:
            return with_paper(
                url, lambda paper, tenant: orders_run(url, paper, tenant, w, orders, limit_s)
            )

        seconds, done, fills = fresh_db_run(body)
        rate = done / seconds
        say(
            f"  {w} worker(s): {done}/{orders} orders filled ({fills} fills) in {seconds:.2f} s"
            f" = {rate:,.0f} orders/s"
        )
        ratio = rate / drain_rate
        rows.append(
            Result(
                "end to end: market orders/s (submit -> filled)",
                f"{w} worker process(es) x concurrency {WORKER_CONCURRENCY}, N={orders}, "
                f"direct submit_order_intent",
                f"no-op drain {drain_rate:,.0f}/s",
                f"{rate:,.0f}/s ({done} filled, {fills} fills)",
                ratio,
                ">= 0.7 x drain and >= 250/s",
                ratio >= 0.7 and rate >= 250 and done == orders,
            )
        )
    rows.append(
        Result(
            "procrastinate wake-up (deferred -> started)",
            f"idle no-op worker, listen/notify, {len(wake)} jobs",
            "-",
            f"p50 {ms(percentile(wake, 0.5))} / p99 {ms(percentile(wake, 0.99))}",
            None,
        )
    )
    print_rows("End to end", rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    quiet_logs()
    run(args.orders, [int(w) for w in args.workers.split(",")])


if __name__ == "__main__":
    main()
