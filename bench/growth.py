"""Growth: the end-to-end and read-side figures on an empty database, again once
procrastinate_jobs, order_events and fills hold millions of rows, and again after the
finished-job retention pruned the jobs.

    .venv/bin/python -m bench.growth [--jobs 2000000] [--events 2000000] [--fills 1000000]
                                     [--history-orders 20000] [--orders 500] [--requests 100]

One throwaway database, three phases measured the same way:

1. empty (the baseline): N market orders end to end with one worker process
   (`bench.end_to_end.orders_run`), then sequential GETs through `tradebridge web`
   (`bench.read_side.timed_gets`): /v1/bots (100 bots), /v1/orders (first page),
   /v1/bots/{id}/stats and /health/queue, for the measured client.
2. grown: history bulk-loaded with INSERT ... SELECT generate_series, as another client
   (its own credential, so every foreign key and the fills' statistics trigger hold):
   --jobs finished procrastinate jobs (98 % succeeded, 2 % failed; place_order, bot_tick
   and maintenance tasks) with the three events procrastinate writes for each (deferred,
   started, succeeded/failed), spread over the 30 days before yesterday; --history-orders
   filled orders carrying --events order_events and --fills fills. Then VACUUM ANALYZE
   (what autovacuum does after a load), a CHECKPOINT (so the figures do not pay for the
   load's background flush) and the same measurements.
3. pruned: the retention's own code (`worker.tasks.retention.prune_finished_jobs`, as the
   periodic task calls it, run to completion) deletes the finished jobs older than the
   default retention (72 h: the loaded history but its last two days, ~7 %; the phases'
   own jobs stay); timed, in jobs/s. Then VACUUM ANALYZE and the same measurements.
   order_events and fills are history and stay.

About 3 minutes with the defaults on 2 cores (loading ~90 s, pruning ~55 s).

The history's orders are few (20,000 by default, ~100 events and ~50 fills each): the
end-to-end measurement polls `count(*) FROM orders WHERE status = 'filled'` every 100 ms,
a sequential scan, and a large orders table would make that bench-side poll, not the
product, the slow part. The tables this figure is about get their full size.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg
from psycopg import sql

from bench._common import (
    PaperExchange,
    Result,
    Tenant,
    WebProcess,
    http_client,
    ms,
    percentile,
    print_rows,
    quiet_logs,
    say,
    throwaway_database,
)
from bench.end_to_end import WORKER_CONCURRENCY, orders_run, with_paper
from bench.read_side import insert_bots, timed_gets

LOAD_CHUNK = 250_000  # rows per INSERT statement (and transaction) while loading
TABLES = ("procrastinate_jobs", "procrastinate_events", "orders", "order_events", "fills")


@dataclass
class Phase:
    label: str
    rate: float
    done: int
    fills: int
    reads: dict[str, list[float]] = field(default_factory=dict)
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # rows, bytes


# --- history ----------------------------------------------------------------------

_LOAD_JOBS = """
WITH jobs AS (
    INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, attempts)
    SELECT k.queue, k.task, k.args,
           CASE WHEN i %% 50 = 0 THEN 'failed' ELSE 'succeeded' END::procrastinate_job_status,
           1
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
    CROSS JOIN LATERAL (
        SELECT CASE WHEN i %% 10 < 6 THEN 'orders' WHEN i %% 10 < 9 THEN 'bots'
                    ELSE 'maintenance' END AS queue,
               CASE WHEN i %% 10 < 6 THEN 'place_order' WHEN i %% 10 < 9 THEN 'bot_tick'
                    ELSE 'reconcile_sweep' END AS task,
               CASE WHEN i %% 10 < 6
                    THEN jsonb_build_object('order_id', md5(i::text)::uuid::text)
                    WHEN i %% 10 < 9
                    THEN jsonb_build_object('bot_id', md5((i %% 1000)::text)::uuid::text)
                    ELSE jsonb_build_object('timestamp', i) END AS args
    ) k
    ORDER BY i
    RETURNING id, status
),
timed AS (
    SELECT id, status,
           %(t0)s::timestamptz + (row_number() OVER (ORDER BY id) + %(first)s)
               * %(step)s::interval AS deferred_at
    FROM jobs
)
INSERT INTO procrastinate_events (job_id, type, at)
SELECT t.id, e.type, t.deferred_at + e.after
FROM timed t
CROSS JOIN LATERAL (VALUES
    ('deferred'::procrastinate_job_event_type, interval '0'),
    ('started', interval '5 ms'),
    (CASE WHEN t.status = 'failed' THEN 'failed' ELSE 'succeeded' END
         ::procrastinate_job_event_type, interval '40 ms')
) AS e (type, after)
ORDER BY t.id, e.after
"""

# Order ids derived from the order's number, so events and fills name theirs without a join.
_LOAD_ORDERS = """
INSERT INTO orders (id, client_id, credential_id, symbol, side, type, amount, idempotency_key,
                    request_fingerprint, client_order_id, exchange_order_id, status,
                    filled_amount, attempts, submitted_at, closed_at, created_at, updated_at)
SELECT md5('growth-order-' || i)::uuid, %(client_id)s, %(credential_id)s, 'BTC/USDT', 'buy',
       'market', 1, 'growth-' || i, sha256(i::text::bytea), 'g' || i, 'x' || i, 'filled', 1,
       1, at, at, at, at
FROM generate_series(1, %(orders)s) AS i
CROSS JOIN LATERAL (SELECT %(t0)s::timestamptz + i * %(step)s::interval AS at) t
"""

_LOAD_ORDER_EVENTS = """
INSERT INTO order_events (order_id, kind, from_status, to_status, attempt, call, outcome,
                          venue_code, latency_ms, job_id, created_at)
SELECT md5('growth-order-' || (1 + i %% %(orders)s))::uuid,
       CASE WHEN i %% 4 = 1 THEN 'exchange_call' ELSE 'status_change' END::order_event_kind,
       CASE i %% 4 WHEN 2 THEN 'submitting' WHEN 3 THEN 'open' END::order_status,
       CASE i %% 4 WHEN 0 THEN 'submitting' WHEN 2 THEN 'open' WHEN 3 THEN 'filled'
            END::order_status,
       1,
       CASE WHEN i %% 4 = 1 THEN 'create_order' END,
       CASE WHEN i %% 4 = 1 THEN 'ok' END::call_outcome,
       'binance',
       CASE WHEN i %% 4 = 1 THEN 20 END,
       i,
       %(t0)s::timestamptz + i * %(step)s::interval
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
"""

# Buys and sells alternate with equal amounts, so the statistics FIFO stays short.
_LOAD_FILLS = """
INSERT INTO fills (client_id, credential_id, order_id, symbol, exchange_trade_id,
                   exchange_order_id, side, price, amount, fee_amount, fee_currency,
                   is_maker, traded_at)
SELECT %(client_id)s, %(credential_id)s, md5('growth-order-' || (1 + i %% %(orders)s))::uuid,
       'BTC/USDT', 't' || i, 'x' || (1 + i %% %(orders)s),
       CASE WHEN i %% 2 = 0 THEN 'buy' ELSE 'sell' END::order_side,
       round((50000 + (i * 7919) %% 250)::numeric, 2), 0.001, 0.05, 'USDT', false,
       %(t0)s::timestamptz + i * %(step)s::interval
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
"""


async def chunked(
    conn: psycopg.AsyncConnection[Any], statement: str, n: int, params: dict[str, Any]
) -> float:
    """Run `statement` over rows 0..n-1, LOAD_CHUNK per statement; seconds."""
    started = time.perf_counter()
    for first in range(0, n, LOAD_CHUNK):
        last = min(n, first + LOAD_CHUNK) - 1
        await conn.execute(statement, {**params, "first": first, "last": last})
    return time.perf_counter() - started


async def connect(db_url: str) -> psycopg.AsyncConnection[Any]:
    conn = await psycopg.AsyncConnection.connect(db_url, autocommit=True)
    await conn.execute("SET synchronous_commit = off")  # a bulk load, not the product path
    return conn


async def load_jobs(db_url: str, jobs: int, t0: Any, span: timedelta) -> str:
    async with await connect(db_url) as conn:
        seconds = await chunked(conn, _LOAD_JOBS, jobs, {"t0": t0, "step": span / max(jobs, 1)})
    return f"{jobs:,} jobs + {3 * jobs:,} events in {seconds:.1f} s"


async def load_business(
    db_url: str, ids: dict[str, Any], events: int, fills: int, span: timedelta
) -> list[str]:
    lines: list[str] = []
    async with await connect(db_url) as conn:
        started = time.perf_counter()
        await conn.execute(_LOAD_ORDERS, {**ids, "step": span / max(ids["orders"], 1)})
        lines.append(f"{ids['orders']:,} orders in {time.perf_counter() - started:.1f} s")
        seconds = await chunked(
            conn, _LOAD_ORDER_EVENTS, events, {**ids, "step": span / max(events, 1)}
        )
        lines.append(f"{events:,} order_events in {seconds:.1f} s")
        seconds = await chunked(conn, _LOAD_FILLS, fills, {**ids, "step": span / max(fills, 1)})
        lines.append(f"{fills:,} fills in {seconds:.1f} s (statistics trigger included)")
    return lines


async def load_history(db_url: str, jobs: int, events: int, fills: int, orders: int) -> list[str]:
    """Bulk-load another client's history, jobs and business rows on two connections at
    once (two cores); returns one line per table for the report."""
    async with await connect(db_url) as conn:
        cur = await conn.execute("SELECT now() - interval '31 days', now() - interval '1 day'")
        row = await cur.fetchone()
        assert row is not None
        t0, t1 = row
        cur = await conn.execute(
            "INSERT INTO clients (name) VALUES (%s) RETURNING id",
            (f"history-{uuid.uuid4().hex[:6]}",),
        )
        row = await cur.fetchone()
        assert row is not None
        client_id = row[0]
        cur = await conn.execute(
            """INSERT INTO exchange_credentials (client_id, exchange, environment, label,
                   sealed_secret, key_id, masked_hint)
               VALUES (%s, 'binance', 'paper', 'history', %s, 'k', 'abcd') RETURNING id""",
            (client_id, b"\x01" * 64),
        )
        row = await cur.fetchone()
        assert row is not None
    ids = {"client_id": client_id, "credential_id": row[0], "t0": t0, "orders": orders}
    jobs_line, business = await asyncio.gather(
        load_jobs(db_url, jobs, t0, t1 - t0), load_business(db_url, ids, events, fills, t1 - t0)
    )
    return [jobs_line, *business]


async def settle(db_url: str) -> float:
    """VACUUM ANALYZE the grown tables (what autovacuum does after a load or a purge), then
    a CHECKPOINT, so the next figures do not pay for the background flush of the load."""
    started = time.perf_counter()
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        for table in TABLES:
            await conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))
        # Not a superuser: the flush happens in the background instead.
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            await conn.execute("CHECKPOINT")
    return time.perf_counter() - started


async def table_sizes(db_url: str) -> dict[str, tuple[int, int]]:
    sizes: dict[str, tuple[int, int]] = {}
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        for table in TABLES:
            cur = await conn.execute(
                sql.SQL("SELECT count(*), pg_total_relation_size(%s::regclass) FROM {}").format(
                    sql.Identifier(table)
                ),
                (table,),
            )
            row = await cur.fetchone()
            assert row is not None
            sizes[table] = (int(row[0]), int(row[1]))
    return sizes


# --- measuring --------------------------------------------------------------------


async def reads(
    db_url: str, tenant: Tenant, bot_id: uuid.UUID, requests: int
) -> dict[str, list[float]]:
    paths = {
        "GET /v1/bots": "/v1/bots?limit=200",
        "GET /v1/orders": "/v1/orders",
        "GET bot stats": f"/v1/bots/{bot_id}/stats",
        "GET /health/queue": "/health/queue",
    }
    times: dict[str, list[float]] = {label: [] for label in paths}
    async with WebProcess(db_url, tenant.keys) as web, http_client(web.url, tenant.token) as http:
        for path in paths.values():
            await timed_gets(http, path, 10)
        for _ in range(max(1, requests // 20)):  # interleaved, so noise hits all alike
            for label, path in paths.items():
                times[label] += await timed_gets(http, path, 20)
    return times


async def phase(
    label: str, db_url: str, paper: PaperExchange, tenant: Tenant, bot_id: uuid.UUID,
    orders: int, requests: int,
) -> Phase:  # fmt: skip
    seconds, done, fills = await orders_run(db_url, paper, tenant, 1, orders, 120.0)
    result = Phase(label, done / seconds, done, fills)
    result.reads = await reads(db_url, tenant, bot_id, requests)
    result.sizes = await table_sizes(db_url)
    p = result.reads
    say(
        f"  {label}: {result.rate:,.0f} orders/s ({done}/{orders} filled, {fills} fills); "
        + "; ".join(f"{k} p50 {ms(percentile(v, 0.5))}" for k, v in p.items())
    )
    say(
        "    rows: "
        + ", ".join(f"{t} {n:,} ({b / 2**20:,.0f} MiB)" for t, (n, b) in result.sizes.items())
    )
    return result


@dataclass
class Pruning:
    deleted: int
    seconds: float
    batches: int
    longest_batch_s: float
    events_before: int


async def prune(db_url: str) -> Pruning:
    from shared.settings import Settings
    from worker.tasks.retention import prune_finished_jobs

    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        cur = await conn.execute("SELECT count(*) FROM procrastinate_events")
        row = await cur.fetchone()
        assert row is not None
        # The product's default retention: the loaded history (older than 72 h) goes, the
        # phases' own recent jobs stay, as in production. Pruning to an empty table and
        # then ANALYZE would leave procrastinate's fetch planned for an empty table (seq
        # scans in a nested loop, 60,000 per 500 orders when measured), a state no fleet
        # with a retention of hours is in.
        retention = timedelta(hours=Settings().job_retention_hours)
        outcome = await prune_finished_jobs(conn, older_than=retention, time_budget_s=None)
    return Pruning(
        outcome.deleted, outcome.seconds, outcome.batches, outcome.longest_batch_s, int(row[0])
    )


async def measure(
    db_url: str, jobs: int, events: int, fills: int, history_orders: int, orders: int,
    requests: int,
) -> tuple[list[Phase], Pruning]:  # fmt: skip
    async def body(paper: PaperExchange, tenant: Tenant) -> tuple[list[Phase], Pruning]:
        await insert_bots(db_url, tenant.client_id, tenant.credential_id, 100)
        async with await psycopg.AsyncConnection.connect(db_url) as conn:
            cur = await conn.execute(
                "SELECT id FROM bots WHERE client_id = %s LIMIT 1", (tenant.client_id,)
            )
            row = await cur.fetchone()
        assert row is not None
        bot_id = row[0]
        phases = [await phase("empty", db_url, paper, tenant, bot_id, orders, requests)]

        started = time.perf_counter()
        notes = await load_history(db_url, jobs, events, fills, history_orders)
        vacuum_s = await settle(db_url)
        notes.append(f"VACUUM ANALYZE + CHECKPOINT {vacuum_s:.1f} s")
        say(f"  loaded in {time.perf_counter() - started:.0f} s: " + "; ".join(notes))
        phases.append(await phase("grown", db_url, paper, tenant, bot_id, orders, requests))

        pruning = await prune(db_url)
        say(
            f"  pruned {pruning.deleted:,} finished jobs (and their events) in "
            f"{pruning.seconds:.1f} s = {pruning.deleted / pruning.seconds:,.0f} jobs/s, "
            f"{pruning.batches} batches, longest {ms(pruning.longest_batch_s)}"
        )
        vacuum_s = await settle(db_url)
        say(f"  VACUUM ANALYZE + CHECKPOINT after pruning {vacuum_s:.1f} s")
        phases.append(await phase("pruned", db_url, paper, tenant, bot_id, orders, requests))
        return phases, pruning

    result: tuple[list[Phase], Pruning] = await with_paper(db_url, body)
    return result


# --- report -----------------------------------------------------------------------


def rows_for(phases: list[Phase], pruning: Pruning, config: str, orders: int) -> list[Result]:
    empty, grown, pruned = phases
    rows: list[Result] = []
    for later in (grown, pruned):
        rows.append(
            Result(
                f"growth: end to end orders/s, {later.label}",
                f"{config}; 1 worker x {WORKER_CONCURRENCY}, N={orders}",
                f"empty DB {empty.rate:,.0f}/s",
                f"{later.rate:,.0f}/s ({later.done} filled)",
                later.rate / empty.rate,
            )
        )
    for label, base in empty.reads.items():
        b50, b99 = percentile(base, 0.5), percentile(base, 0.99)
        for later in (grown, pruned):
            times = later.reads[label]
            v50, v99 = percentile(times, 0.5), percentile(times, 0.99)
            rows.append(
                Result(
                    f"growth: {label} p50 / p99, {later.label}",
                    f"{config}; {len(times)} sequential requests",
                    f"empty DB {ms(b50)} / {ms(b99)}",
                    f"{ms(v50)} / {ms(v99)}",
                    v50 / b50,
                )
            )
    rate = pruning.deleted / pruning.seconds if pruning.seconds else float("nan")
    rows.append(
        Result(
            "growth: retention pruning (finished jobs + events)",
            f"{pruning.deleted:,} jobs / {pruning.events_before:,} events, "
            f"{pruning.batches} batches, longest {ms(pruning.longest_batch_s)}",
            "-",
            f"{rate:,.0f} jobs/s ({pruning.seconds:.1f} s)",
            None,
        )
    )
    return rows


def run(
    jobs: int = 2_000_000,
    events: int = 2_000_000,
    fills: int = 1_000_000,
    history_orders: int = 20_000,
    orders: int = 500,
    requests: int = 100,
) -> list[Result]:
    config = f"+{jobs:,} jobs, {events:,} order_events, {fills:,} fills"
    say(
        f"Growth: end to end ({orders} orders, 1 worker) and reads ({requests} requests each), "
        f"on an empty DB, after loading {config} ({history_orders:,} orders), after pruning"
    )
    started = time.monotonic()
    with throwaway_database() as db_url:
        phases, pruning = asyncio.run(
            measure(db_url, jobs, events, fills, history_orders, orders, requests)
        )
    say(f"  growth total {time.monotonic() - started:.0f} s")
    rows = rows_for(phases, pruning, config, orders)
    print_rows("Growth", rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2_000_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--fills", type=int, default=1_000_000)
    parser.add_argument("--history-orders", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    quiet_logs()
    run(args.jobs, args.events, args.fills, args.history_orders, args.orders, args.requests)


if __name__ == "__main__":
    main()
