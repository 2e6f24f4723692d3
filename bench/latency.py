"""Latency at a light constant load: POST /v1/orders sent -> order received by the venue.

    .venv/bin/python -m bench.latency [--rate 20] [--seconds 10]

`tradebridge web` and one `tradebridge worker` (subprocesses) against the paper exchange
(a thread of this process). An open-loop client sends one market order every 1/rate s
and notes the wall-clock send time; the venue's receive time is the paper exchange's own
order `time` (ms, same host clock, taken when it accepts `POST /api/v3/order`), joined
through the deterministic client order id. So the figure covers HTTP + the intent
transaction + NOTIFY + the worker's fetch + its pre-send transaction + the signed request,
not the ack's way back.

Baseline: procrastinate's wake-up latency (deferred -> started) for one job on an idle
no-op worker, measured in the same database just before.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._common import (
    PaperExchange,
    Result,
    WebProcess,
    http_client,
    make_tenant,
    ms,
    order_body,
    percentile,
    print_rows,
    quiet_logs,
    say,
    throwaway_database,
)
from bench.end_to_end import Workers, scalar, wait_count, wakeup_latency, worker_env
from shared import aio


async def measure(
    db_url: str, rate: float, seconds: float, venue: str = "binance"
) -> tuple[list[float], list[float], int]:
    """(POST → venue latencies, wake-up latencies, orders sent) on one paper dialect."""
    wake = await wakeup_latency(db_url)
    with PaperExchange() as paper:
        api_key, secret, memo = await paper.create_account()
        tenant = await make_tenant(db_url, api_key, secret, venue=venue, memo=memo)
        env = worker_env(db_url, paper.url, tenant.keys)
        async with (
            WebProcess(db_url, tenant.keys) as web,
            Workers(db_url, ["-m", "tradebridge", "worker"], env, 1),
            http_client(web.url, tenant.token) as http,
        ):
            body = order_body(tenant.credential_id)
            sent: dict[str, float] = {}  # order id -> wall-clock send time (s)

            async def post(key: str) -> None:
                at = time.time()
                response = await http.post(
                    "/v1/orders", json=body, headers={"Idempotency-Key": key}
                )
                if response.status_code == 202:
                    sent[response.json()["id"]] = at

            # Warm-up: connections, and the worker's first load_markets.
            for _ in range(3):
                await post(uuid.uuid4().hex)
            await wait_count(db_url, "SELECT count(*) FROM orders WHERE status='filled'", 3, 30)
            sent.clear()

            total = int(rate * seconds)
            start = time.perf_counter()
            tasks = []
            for i in range(total):
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(post(uuid.uuid4().hex)))
            await asyncio.gather(*tasks)
            await wait_count(
                db_url,
                "SELECT count(*) FROM orders WHERE status NOT IN ('accepted', 'submitting')",
                total + 3,
                30,
            )
            venue = await paper.admin("GET", "/orders", params={"api_key": api_key})
    by_client_id = {o["clientOrderId"]: o["time"] / 1000 for o in venue}
    latencies: list[float] = []
    for order_id, at in sent.items():
        coid = await scalar(db_url, "SELECT client_order_id FROM orders WHERE id = %s", order_id)
        if coid in by_client_id:
            latencies.append(by_client_id[coid] - at)
    return latencies, wake, total


def run(rate: float = 20.0, seconds: float = 10.0) -> list[Result]:
    say(f"Latency: {rate:.0f} orders/s for {seconds:.0f} s, POST sent -> venue received")
    with throwaway_database() as db_url:
        latencies, wake, total = aio.run(measure(db_url, rate, seconds))
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    w50, w99 = percentile(wake, 0.5), percentile(wake, 0.99)
    say(f"  {len(latencies)}/{total} orders reached the venue: p50 {ms(p50)} p99 {ms(p99)}")
    say(f"  wake-up baseline: p50 {ms(w50)} p99 {ms(w99)}")
    rows = [
        Result(
            "latency: POST sent -> venue received, p50",
            f"{rate:.0f} orders/s open loop, {seconds:.0f} s, 1 worker, paper order time (ms)",
            f"wake-up p50 {ms(w50)}",
            ms(p50),
            p50 / w50 if w50 else None,
            "<= 20 ms",
            p50 <= 0.020 and len(latencies) == total,
        ),
        Result(
            "latency: POST sent -> venue received, p99",
            f"{len(latencies)}/{total} orders matched",
            f"wake-up p99 {ms(w99)}",
            ms(p99),
            p99 / w99 if w99 else None,
            "<= 60 ms",
            p99 <= 0.060 and len(latencies) == total,
        ),
    ]
    print_rows("Latency", rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    quiet_logs()
    run(args.rate, args.seconds)


if __name__ == "__main__":
    main()
