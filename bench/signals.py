"""Signal fan-out: an entry signal → every subscribed bot's entry order at the venue.

    .venv/bin/python -m bench.signals [--bots 1,100,1000] [--signals 5]

One `tradebridge worker` (subprocess) against the paper exchange (a thread of this
process). Per N: a strategy with N running signal bots on one paper credential (fixed
100 USDT entries), then signals one after another: each is inserted and its fan-out job
deferred in one transaction, as the webhook does, and timed from that commit to the
paper exchange's own receive time (`time`, ms) of the last of its N entry orders, joined
through the deterministic client order ids. So a figure covers the fan-out job (venue
reads, the one statement, the batch of jobs) and the placement of all N orders.

Baseline, same run and same worker: the single-order latency of bench.latency (POST
/v1/orders sent → venue received, p50/p99).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sys
import time
import uuid
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg
from psycopg.types.json import Jsonb

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
from bench.end_to_end import Workers, worker_env
from bench.latency import measure as single_order_latency
from shared import aio
from shared.jobs import FAN_OUT_SIGNAL, create_job_app, defer

CONFIG = {
    "sizing": "fixed_quote", "quote_amount": "100", "stop_loss_pct": "2",
    "max_position_quote": "100000000", "max_slippage_bps": "100", "exit_mode": "watched",
}  # fmt: skip
SYMBOL = "BTC/USDT"


async def fleet(
    db_url: str, client_id: uuid.UUID, credential_id: uuid.UUID, bots: int
) -> uuid.UUID:
    strategy_id = uuid.uuid4()
    async with await psycopg.AsyncConnection.connect(db_url) as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO strategies (id, client_id, name, secret_hash, secret_hint)"
            " VALUES (%s, %s, %s, %s, 'bench')",
            (strategy_id, client_id, f"bench-{bots}-{strategy_id.hex[:6]}",
             hashlib.sha256(b"bench").digest()),
        )  # fmt: skip
        async with conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO bots (client_id, name, kind, exchange, symbol, credential_id, config,"
                " status, strategy_id) VALUES (%s, %s, 'signal', 'binance', %s, %s, %s,"
                " 'running', %s)",
                [(client_id, f"sig-{uuid.uuid4().hex[:10]}", SYMBOL, credential_id,
                  Jsonb(CONFIG), strategy_id) for _ in range(bots)],
            )  # fmt: skip
        await conn.execute(
            "INSERT INTO balances (credential_id, asset, free, used, total, fetched_at)"
            " VALUES (%s, 'USDT', 100000000, 0, 100000000, now()),"
            " (%s, 'BTC', 1000, 0, 1000, now()) ON CONFLICT DO NOTHING",
            (credential_id, credential_id),
        )
    return strategy_id


async def send(
    db_url: str, client_id: uuid.UUID, strategy_id: uuid.UUID, mid: str
) -> tuple[uuid.UUID, float]:
    app = create_job_app()
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        async with conn.transaction():
            cur = await conn.execute(
                "INSERT INTO signals (strategy_id, client_id, signal_id, fingerprint, symbol,"
                " action, reference_price, outcome, response_status, response_body)"
                " VALUES (%s, %s, %s, %s, %s, 'enter', %s, 'accepted', 202, '{}') RETURNING id",
                (strategy_id, client_id, uuid.uuid4().hex, hashlib.sha256(b"s").digest(),
                 SYMBOL, mid),
            )  # fmt: skip
            row = await cur.fetchone()
            assert row is not None
            await defer(app, conn, FAN_OUT_SIGNAL, signal_id=str(row[0]))
        return row[0], time.time()


async def measure(db_url: str, sizes: list[int], signals: int) -> dict[str, Any]:
    single, _, _ = await single_order_latency(db_url, rate=20, seconds=5)
    out: dict[str, Any] = {"single": single}
    with PaperExchange() as paper:
        api_key, secret, _memo = await paper.create_account()
        tenant = await make_tenant(db_url, api_key, secret)
        mid = (await paper.admin("GET", "/market/BTCUSDT"))["mid"]
        env = worker_env(db_url, paper.url, tenant.keys)
        async with Workers(db_url, ["-m", "tradebridge", "worker"], env, 1):
            for n in sizes:
                strategy_id = await fleet(db_url, tenant.client_id, tenant.credential_id, n)
                figures: list[float] = []
                for _ in range(signals + 1):  # the first warms up (markets, connections)
                    signal_id, sent_at = await send(db_url, tenant.client_id, strategy_id, mid)
                    await _wait_orders(db_url, signal_id, n)
                    async with await psycopg.AsyncConnection.connect(db_url) as conn:
                        cur = await conn.execute(
                            "SELECT client_order_id FROM orders WHERE signal_id = %s", (signal_id,)
                        )
                        ids = {r[0] for r in await cur.fetchall()}
                    venue = await paper.admin("GET", "/orders", params={"api_key": api_key})
                    times = [o["time"] / 1000 for o in venue if o["clientOrderId"] in ids]
                    assert len(times) == n, (len(times), n)
                    figures.append(max(times) - sent_at)
                out[f"n{n}"] = figures[1:]
                say(f"  N={n}: p50 {ms(percentile(figures[1:], 0.5))}")
    return out


async def _wait_orders(db_url: str, signal_id: uuid.UUID, n: int) -> None:
    deadline = time.monotonic() + 120
    while True:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            cur = await conn.execute(
                "SELECT count(*) FROM orders WHERE signal_id = %s"
                " AND status NOT IN ('accepted', 'submitting', 'unknown')",
                (signal_id,),
            )
            row = await cur.fetchone()
        if row and row[0] >= n:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"signal {signal_id}: {row} of {n} orders at the venue")
        await asyncio.sleep(0.02)


def run(sizes: list[int], signals: int) -> list[Result]:
    say(f"Signal fan-out: N = {sizes} bots, {signals} signals each, signal -> all N at the venue")
    with throwaway_database() as db_url:
        figures = aio.run(measure(db_url, sizes, signals))
    s50, s99 = percentile(figures["single"], 0.5), percentile(figures["single"], 0.99)
    rows = []
    for n in sizes:
        values = figures[f"n{n}"]
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        rows.append(
            Result(
                f"signal -> {n} entry order(s) at the venue, p50 / p99",
                f"{n} signal bots, 1 credential, {signals} signals, 1 worker",
                f"single order p50 {ms(s50)} / p99 {ms(s99)}",
                f"{ms(p50)} / {ms(p99)} ({ms(p50 / n)} per order at p50)",
                p50 / s50 if s50 else None,
            )
        )
    print_rows("Signal fan-out", rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", default="1,100,1000")
    parser.add_argument("--signals", type=int, default=5)
    args = parser.parse_args()
    quiet_logs()
    run([int(n) for n in args.bots.split(",")], args.signals)


if __name__ == "__main__":
    main()
