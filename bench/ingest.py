"""Ingest: accepted orders/s through `POST /v1/orders`, next to the bare transaction.

    .venv/bin/python -m bench.ingest [--seconds 10] [--concurrency 1,16,64]

In a throwaway database: a client, its token and a paper credential; no worker runs, so
the `place_order` jobs just queue. Three measurements, each bounded by --seconds:

- commit ceiling: single-row INSERT transactions/s into a scratch table (1 and 4
  connections), the most this server commits with fsync on;
- bare loop: `submit_order_intent` in one transaction on a pool (the same size as the
  web's), no HTTP;
- bare HTTP: the same client against a trivial Litestar route on the same server with
  the same options (bench._trivial_web), no database;
- ingest: `POST /v1/orders` (aiohttp client, unique Idempotency-Key each) against
  `tradebridge web` (uvicorn + create_app) running as its own process.

Ratio = ingest / bare loop; target >= 0.8.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable

if __package__ in (None, ""):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    Result,
    WebProcess,
    make_tenant,
    ms,
    order_body,
    percentile,
    print_rows,
    quiet_logs,
    say,
    throwaway_database,
)
from shared import aio

POOL_SIZE = 10  # the web's default TRADEBRIDGE_DB_POOL_MAX_SIZE


async def closed_loop(
    concurrency: int, seconds: float, call: Callable[[], Awaitable[None]]
) -> tuple[int, float, list[float]]:
    """`concurrency` tasks calling `call` until `seconds` are up: (count, elapsed, latencies)."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def one() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(concurrency)))
    return len(latencies), time.perf_counter() - started, latencies


async def commit_ceiling(db_url: str, connections: int, seconds: float) -> float:
    import psycopg

    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_scratch (id bigserial PRIMARY KEY, v text)"
        )
    conns = [
        await psycopg.AsyncConnection.connect(db_url, autocommit=True) for _ in range(connections)
    ]
    count = 0
    deadline = time.perf_counter() + seconds

    async def loop(conn: psycopg.AsyncConnection) -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            await conn.execute("INSERT INTO bench_scratch (v) VALUES (%s)", ("x",))
            count += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(loop(c) for c in conns))
    finally:
        for c in conns:
            await c.close()
    return count / (time.perf_counter() - started)


async def bare_loop(
    db_url: str, client_id: uuid.UUID, credential_id: uuid.UUID, concurrency: int, seconds: float
) -> tuple[float, list[float]]:
    from decimal import Decimal

    from shared.db.pool import create_pool
    from shared.domain import OrderSide, OrderType
    from shared.jobs import create_job_app
    from shared.orders.intents import OrderIntent, submit_order_intent
    from shared.settings import load_settings

    # The web's pool (size, connection check), so the two differ by HTTP and auth only.
    settings = load_settings({"DATABASE_URL": db_url, "TRADEBRIDGE_ENV": "test"})
    pool = create_pool(settings, name="bench-bare", max_size=POOL_SIZE)
    await pool.open(wait=True)
    app = create_job_app()
    await app.open_async(pool=pool)
    intent = OrderIntent(
        credential_id=credential_id,
        symbol="BTC/USDT",
        side=OrderSide.BUY,
        type=OrderType.MARKET,
        amount=Decimal("0.001"),
    )

    async def submit() -> None:
        async with pool.connection() as conn, conn.transaction():
            await submit_order_intent(
                conn, app, client_id=client_id, request=intent, idempotency_key=uuid.uuid4().hex
            )

    try:
        count, elapsed, latencies = await closed_loop(concurrency, seconds, submit)
    finally:
        await app.close_async()
        await pool.close()
    return count / elapsed, latencies


async def http_loop(
    url: str, token: str, credential_id: uuid.UUID, concurrency: int, seconds: float
) -> tuple[float, list[float], int]:
    # aiohttp, not httpx, as the load generator: it shares the two cores with the web
    # process, and httpx spends several times more CPU per request.
    import aiohttp

    body = json.dumps(order_body(credential_id))
    failures = 0
    errors: list[str] = []
    connector = aiohttp.TCPConnector(limit=256)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(url, connector=connector, headers=headers) as http:

        async def post() -> None:
            nonlocal failures
            try:
                async with http.post(
                    "/v1/orders", data=body, headers={"Idempotency-Key": uuid.uuid4().hex}
                ) as response:
                    await response.read()
            except aiohttp.ClientError as exc:  # counted and reported, not fatal
                failures += 1
                errors.append(f"{type(exc).__name__}: {exc}"[:80])
                return
            if response.status != 202:
                failures += 1

        await closed_loop(min(concurrency, 4), 1.0, post)  # warm up connections
        failures = 0
        count, elapsed, latencies = await closed_loop(concurrency, seconds, post)
    if errors:
        say(f"  transport errors: {sorted(set(errors))}")
    return (count - failures) / elapsed, latencies, failures


async def measure(db_url: str, seconds: float, levels: list[int]) -> list[Result]:
    from shared.sealing import generate_key_pair

    keys = generate_key_pair()
    tenant = await make_tenant(db_url, "bench-api-key", "bench-secret", keys)
    rows: list[Result] = []
    bare_rates: list[float] = []

    ceiling_s = max(2.0, seconds / 2)
    ceilings = {}
    for n in (1, 4):
        ceilings[n] = await commit_ceiling(db_url, n, ceiling_s)
        say(f"  commit ceiling, {n} connection(s): {ceilings[n]:,.0f} tx/s")

    http_rates: dict[int, float] = {}
    async with WebProcess(db_url, keys, module="bench._trivial_web") as trivial:
        for c in levels:
            http_rates[c], _, _ = await http_loop(
                trivial.url, tenant.token, tenant.credential_id, c, seconds
            )
            say(f"  bare HTTP  c={c:<3} {http_rates[c]:8,.0f} POST/s (trivial Litestar route)")

    async with WebProcess(db_url, keys, TRADEBRIDGE_DB_POOL_MAX_SIZE=str(POOL_SIZE)) as web:
        for c in levels:
            bare_rate, bare_lat = await bare_loop(
                db_url, tenant.client_id, tenant.credential_id, c, seconds
            )
            bare_rates.append(bare_rate)
            say(
                f"  bare loop  c={c:<3} {bare_rate:8,.0f} intents/s  "
                f"p50 {ms(percentile(bare_lat, 0.5))}  p99 {ms(percentile(bare_lat, 0.99))}"
            )
            rate, lat, failures = await http_loop(
                web.url, tenant.token, tenant.credential_id, c, seconds
            )
            say(
                f"  POST       c={c:<3} {rate:8,.0f} orders/s   "
                f"p50 {ms(percentile(lat, 0.5))}  p99 {ms(percentile(lat, 0.99))}"
                f"  ({failures} failed: non-202 or transport error)"
            )
            ratio = rate / bare_rate
            rows.append(
                Result(
                    "ingest: POST /v1/orders accepted/s",
                    f"concurrency {c}, web pool {POOL_SIZE}, {seconds:.0f} s",
                    f"bare submit_order_intent {bare_rate:,.0f}/s",
                    f"{rate:,.0f}/s",
                    ratio,
                    ">= 0.8 x bare",
                    ratio >= 0.8 and failures == 0,
                )
            )
            rows.append(
                Result(
                    "ingest: POST latency p50 / p99",
                    f"concurrency {c}",
                    f"bare p50 {ms(percentile(bare_lat, 0.5))} / p99 "
                    f"{ms(percentile(bare_lat, 0.99))}",
                    f"{ms(percentile(lat, 0.5))} / {ms(percentile(lat, 0.99))}",
                    percentile(lat, 0.5) / percentile(bare_lat, 0.5),
                )
            )
            rows.append(
                Result(
                    "ingest vs bare HTTP (POST/s)",
                    f"concurrency {c}, same server options and client",
                    f"trivial Litestar route {http_rates[c]:,.0f}/s",
                    f"{rate:,.0f}/s",
                    rate / http_rates[c],
                )
            )
    for n in (1, 4):
        best_bare = max(bare_rates, default=0.0)
        rows.append(
            Result(
                "commit ceiling: 1-row INSERT tx/s",
                f"{n} connection(s), scratch table, fsync on",
                f"best bare loop {best_bare:,.0f}/s",
                f"{ceilings[n]:,.0f}/s",
                ceilings[n] / best_bare if best_bare else None,
            )
        )
    return rows


def run(seconds: float = 10.0, levels: list[int] | None = None) -> list[Result]:
    levels = levels or [1, 16, 64]
    say(f"Ingest: concurrency {levels}, {seconds:.0f} s per measurement, no worker")
    with throwaway_database() as db_url:
        rows = aio.run(measure(db_url, seconds, levels))
    print_rows("Ingest", rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", default="1,16,64")
    args = parser.parse_args()
    quiet_logs()
    run(args.seconds, [int(c) for c in args.concurrency.split(",")])


if __name__ == "__main__":
    main()
