"""Bot scale: tick lag of N running spread bots (30 s refresh) on one worker process.

    .venv/bin/python -m bench.bot_scale [--bots 100,1000,5000] [--seconds 60]

Per N, in a fresh throwaway database: N spread bots (BTC/USDT, 1 level a side, 0.001 BTC,
refresh 30 s) over paper accounts of 50 bots each (the venue allows 200 open orders per
account and symbol), one `tradebridge worker` subprocess. The bots are started with the
product's `start_bot` spread evenly over the first refresh interval (a fleet in steady
state, not a thundering herd), then run until --seconds have passed since the first start.

Tick lag = the `started` event of a `bot_tick` job - its `scheduled_at` (both database
clock), for the scheduled ticks that fell due in the window; a tick still waiting at the
end counts with its lag so far. Baseline: procrastinate's wake-up latency for one job on
an idle no-op worker (the smallest lag the queue itself allows).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg

from bench._common import (
    PaperExchange,
    Result,
    make_tenant,
    ms,
    percentile,
    print_rows,
    quiet_logs,
    say,
    throwaway_database,
)
from bench.end_to_end import Workers, scalar, wakeup_latency, worker_env
from shared import aio

REFRESH_S = 30
BOTS_PER_ACCOUNT = 50
CONFIG = {"spread_bps": "20", "order_size": "0.001", "levels": 1, "refresh_interval_s": REFRESH_S}


async def create_bots(
    db_url: str,
    paper: PaperExchange,
    n: int,
    *,
    config: dict[str, Any] | None = None,
    per_account: int = BOTS_PER_ACCOUNT,
) -> tuple[Any, list[tuple]]:
    """(sealing keys, [(client_id, bot_id)]): a client and a paper account per
    `per_account` bots (50 unless told), each bot with `config` (CONFIG unless told)."""
    from shared.sealing import generate_key_pair

    keys = generate_key_pair()
    bots: list[tuple] = []
    for first in range(0, n, per_account):
        api_key, secret, _memo = await paper.create_account()
        tenant = await make_tenant(db_url, api_key, secret, keys)
        async with await psycopg.AsyncConnection.connect(db_url) as conn, conn.transaction():
            cur = await conn.execute(
                """INSERT INTO bots (client_id, credential_id, name, kind, exchange, symbol,
                                     config)
                   SELECT %s, %s, 'scale-' || i, 'spread', 'binance', 'BTC/USDT', %s::jsonb
                   FROM generate_series(%s::int, %s::int) AS i RETURNING client_id, id""",
                (
                    tenant.client_id,
                    tenant.credential_id,
                    json.dumps(config or CONFIG),
                    first,
                    min(n, first + per_account) - 1,
                ),
            )
            bots += await cur.fetchall()
    return keys, bots


async def start_staggered(db_url: str, bots: list[tuple], over_s: float) -> None:
    from shared.bots.lifecycle import start_bot
    from shared.jobs import create_job_app

    job_app = create_job_app()
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await job_app.open_async()
        try:
            began = time.monotonic()
            for i, (client_id, bot_id) in enumerate(bots):
                delay = began + i * over_s / len(bots) - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                async with conn.transaction():
                    await start_bot(conn, job_app, client_id=client_id, bot_id=bot_id)
        finally:
            await job_app.close_async()


async def tick_lags(db_url: str) -> tuple[list[float], int, dict[str, int]]:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cur = await conn.execute(
            """SELECT extract(epoch FROM coalesce(s.at, now()) - j.scheduled_at)
               FROM procrastinate_jobs j
               LEFT JOIN procrastinate_events s ON s.job_id = j.id AND s.type = 'started'
               WHERE j.task_name = 'bot_tick' AND j.scheduled_at IS NOT NULL
                 AND j.scheduled_at <= now()"""
        )
        lags = [float(r[0]) for r in await cur.fetchall()]
        waiting = await scalar(
            db_url,
            """SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'bot_tick'
               AND status = 'todo' AND coalesce(scheduled_at, now()) <= now()""",
        )
        cur = await conn.execute("SELECT outcome, count(*) FROM bot_ticks GROUP BY outcome")
        outcomes = {str(k): int(v) for k, v in await cur.fetchall()}
    return lags, int(waiting), outcomes


async def measure(
    db_url: str, n: int, seconds: float
) -> tuple[list[float], int, dict, int, float | None]:
    await scalar(
        db_url,
        "UPDATE venues SET request_weight_per_minute = 10000000 WHERE code = 'binance' "
        "RETURNING code",
    )
    with PaperExchange() as paper:
        keys, bots = await create_bots(db_url, paper, n)
        env = worker_env(db_url, paper.url, keys)
        async with Workers(db_url, ["-m", "tradebridge", "worker"], env, 1) as worker:
            began, cpu_before = time.monotonic(), worker.cpu_seconds()
            await start_staggered(db_url, bots, min(REFRESH_S, seconds / 2))
            await asyncio.sleep(max(0.0, began + seconds - time.monotonic()))
            cpu_after, elapsed = worker.cpu_seconds(), time.monotonic() - began
            lags, waiting, outcomes = await tick_lags(db_url)
            orders = int(await scalar(db_url, "SELECT count(*) FROM orders"))
    # The worker process's share of one core over the window.
    cpu = (cpu_after - cpu_before) / elapsed if cpu_after and cpu_before is not None else None
    return lags, waiting, outcomes, orders, cpu


def run(bots: list[int] | None = None, seconds: float = 60.0) -> list[Result]:
    bots = bots or [100, 1000, 5000]
    say(f"Bot scale: {bots} spread bots, refresh {REFRESH_S} s, 1 worker, {seconds:.0f} s each")
    with throwaway_database() as db_url:
        wake = aio.run(wakeup_latency(db_url))
    w50, w99 = percentile(wake, 0.5), percentile(wake, 0.99)
    rows: list[Result] = []
    for n in bots:
        with throwaway_database() as db_url:
            lags, waiting, outcomes, orders, cpu = aio.run(measure(db_url, n, seconds))
        p50, p99 = percentile(lags, 0.5), percentile(lags, 0.99)
        ticks = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        cpu_text = f"worker CPU {cpu:.0%} of a core" if cpu is not None else "worker CPU n/a"
        say(
            f"  {n} bots: {len(lags)} scheduled ticks due, lag p50 {ms(p50)} p99 {ms(p99)},"
            f" {waiting} still waiting; ticks: {ticks}; {orders} orders; {cpu_text}"
        )
        # The target is at 1,000 bots; the other sizes show where it breaks.
        target = "p99 <= 1 s" if n == 1000 else "-"
        rows.append(
            Result(
                "bot tick lag (started - scheduled) p50 / p99",
                f"{n} spread bots, refresh {REFRESH_S} s, 1 worker x 8, {seconds:.0f} s; "
                f"{len(lags)} ticks due, {waiting} waiting at end; {orders} orders; {cpu_text}",
                f"wake-up p50 {ms(w50)} / p99 {ms(w99)}",
                f"{ms(p50)} / {ms(p99)}",
                p99 / w99 if w99 else None,
                target,
                p99 <= 1.0 if n == 1000 else None,
            )
        )
    print_rows("Bot scale", rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", default="100,1000,5000")
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    quiet_logs()
    run([int(b) for b in args.bots.split(",")], args.seconds)


if __name__ == "__main__":
    main()
