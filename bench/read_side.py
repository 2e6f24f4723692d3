"""Read side: `GET /v1/bots` for a client with 100 bots, next to `GET /health`; and the
bot statistics over many fills (bench/stats_bench.py, run as is).

    .venv/bin/python -m bench.read_side [--bots 100] [--requests 200] [--fills 100000]

`tradebridge web` runs as a subprocess; requests are sequential (one in flight), so the
figures are per-request latency, not throughput. The bots are inserted with SQL.
The statistics figure runs `bench/stats_bench.py --fills N` in its own throwaway
database and quotes its "bot_stats (aggregates)" and "naive" lines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg

from bench._common import (
    BENCH_DIR,
    REPO_ROOT,
    Result,
    WebProcess,
    http_client,
    make_tenant,
    ms,
    percentile,
    print_rows,
    quiet_logs,
    say,
    throwaway_database,
)
from shared import aio

BOT_CONFIG = {"spread_bps": "20", "order_size": "0.001", "levels": 1, "refresh_interval_s": 30}


async def insert_bots(db_url: str, client_id: object, credential_id: object, n: int) -> None:
    async with await psycopg.AsyncConnection.connect(db_url) as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO bots (client_id, credential_id, name, kind, exchange, symbol, config)
               SELECT %s, %s, 'bench-' || i, 'spread', 'binance', 'BTC/USDT', %s::jsonb
               FROM generate_series(1, %s) AS i""",
            (client_id, credential_id, json.dumps(BOT_CONFIG), n),
        )


async def timed_gets(http: object, path: str, n: int) -> list[float]:
    times: list[float] = []
    for _ in range(n):
        started = time.perf_counter()
        response = await http.get(path)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} -> {response.status_code} {response.text[:200]}")
    return times


async def measure(db_url: str, bots: int, requests: int) -> tuple[list[float], list[float], int]:
    tenant = await make_tenant(db_url, "bench-api-key", "bench-secret")
    await insert_bots(db_url, tenant.client_id, tenant.credential_id, bots)
    async with WebProcess(db_url, tenant.keys) as web, http_client(web.url, tenant.token) as http:
        listed = (await http.get("/v1/bots", params={"limit": 200})).json()
        count = len(listed["items"] if isinstance(listed, dict) else listed)
        await timed_gets(http, "/health", 20)
        await timed_gets(http, "/v1/bots?limit=200", 20)
        health: list[float] = []
        listing: list[float] = []
        for _ in range(requests // 20):  # interleaved, so noise hits both alike
            health += await timed_gets(http, "/health", 20)
            listing += await timed_gets(http, "/v1/bots?limit=200", 20)
    return listing, health, count


def stats_figures(fills: int) -> list[Result]:
    command = [
        sys.executable, str(BENCH_DIR / "stats_bench.py"), "--fills", str(fills),
        "--calls", "200", "--naive-runs", "3", "--rounds", "1",
        "--overhead-fills", "20000", "--single-fills", "200",
    ]  # fmt: skip
    say(f"  running {' '.join(command[1:])}")
    started = time.monotonic()
    out = subprocess.run(  # noqa: S603 - our own script
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600
    ).stdout
    took = time.monotonic() - started
    print("\n".join("    " + line for line in out.splitlines()), flush=True)

    def line(label: str) -> tuple[float, float]:
        match = re.search(re.escape(label) + r"\s+p50\s+([\d.,]+) ms\s+p99\s+([\d.,]+) ms", out)
        if not match:
            raise RuntimeError(f"stats_bench printed no '{label}' line")
        return float(match[1].replace(",", "")) / 1000, float(match[2].replace(",", "")) / 1000

    fast50, fast99 = line("bot_stats (aggregates)")
    slow50, _ = line("naive: scan + Python FIFO")
    return [
        Result(
            f"bot stats, {fills:,} fills: p50 / p99",
            f"bench/stats_bench.py --fills {fills} (its own throwaway DB, {took:.0f} s)",
            f"naive scan + FIFO p50 {ms(slow50)}",
            f"{ms(fast50)} / {ms(fast99)}",
            fast50 / slow50,
        )
    ]


def run(bots: int = 100, requests: int = 200, fills: int = 100_000) -> list[Result]:
    say(f"Read side: GET /v1/bots with {bots} bots, {requests} requests; stats over {fills:,}")
    with throwaway_database() as db_url:
        listing, health, count = aio.run(measure(db_url, bots, requests))
    l50, l99 = percentile(listing, 0.5), percentile(listing, 0.99)
    h50, h99 = percentile(health, 0.5), percentile(health, 0.99)
    say(f"  GET /v1/bots ({count} bots): p50 {ms(l50)} p99 {ms(l99)}")
    say(f"  GET /health: p50 {ms(h50)} p99 {ms(h99)}")
    rows = [
        Result(
            "read: GET /v1/bots p50 / p99",
            f"{count} bots (limit=200), {len(listing)} sequential requests",
            f"GET /health p50 {ms(h50)} / p99 {ms(h99)}",
            f"{ms(l50)} / {ms(l99)}",
            l50 / h50,
        )
    ]
    if fills > 0:
        try:
            rows += stats_figures(fills)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            rows.append(Result(f"bot stats, {fills:,} fills", "FAILED", "-", str(exc), None))
    print_rows("Read side", rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--fills", type=int, default=100_000)
    args = parser.parse_args()
    quiet_logs()
    run(args.bots, args.requests, args.fills)


if __name__ == "__main__":
    main()
