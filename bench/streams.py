"""Venue streams (issue 15): request weight per bot, maker fill latency, tick lag at scale
and stream takeover, each with streams off (REST polling) as the same-run baseline.

    .venv/bin/python -m bench.streams [--quick] [--only weight,fills,scale,takeover] [--write]

1. Weight per spread bot-minute: --weight-bots spread bots (1 level, refresh 10 s, one
   per credential), the paper market on its random walk, one worker; the weight the
   paper exchange counted for the IP over --weight-window s after a warm-up. Bots per
   egress IP = 6,000 / that.
2. Maker fill -> fill row: resting limit buys placed through the pipeline (one
   credential, one worker, still market); the paper mid moved through them with the
   admin API after a random pause (0-5 s, so the REST sweep's phase is random); latency
   = fills.created_at - the venue's trade time from the paper's /_admin/trades (one
   host clock).
3. Tick lag (started - scheduled) and worker CPU for --scale-bots spread bots (refresh
   30 s as bench.bot_scale, 50 per account) with 1 and 2 worker processes; the paper
   exchange enforces 6,000 weight a minute per IP and the product's venue budget is
   its default (Binance's limit, 80 % leased).
4. Takeover: two workers, --takeover-credentials credentials with a running bot each;
   kill -9 of the worker owning most streams; time until each of its credentials is
   `live` under the survivor. Baseline: the lease TTL (TRADEBRIDGE_STREAM_LEASE_TTL_S),
   the time a dead owner's lease keeps anyone else from taking its stream.

--write replaces (or appends) the "Venue streams" section of bench/RESULTS.md and
leaves the rest of the file as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import sys
import time
import uuid
from decimal import Decimal
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg

from bench import _streams_fleet as fleet
from bench._common import (
    BENCH_DIR,
    PaperExchange,
    Result,
    make_tenant,
    ms,
    percentile,
    print_rows,
    quiet_logs,
    render_table,
    say,
    throwaway_database,
)
from bench.end_to_end import Workers, worker_env
from shared import aio

SECTION_TITLE = "## Venue streams"
SYMBOL = "BTCUSDT"
RECONCILE_S = 5.0  # TRADEBRIDGE_RECONCILE_INTERVAL_S's default: the REST sweep's period


# --- figure 2: maker fill -> fill row in Postgres -------------------------------------


async def submit_limit_buys(db_url: str, tenant: Any, price: Decimal, n: int) -> list[uuid.UUID]:
    from shared.domain import OrderSide, OrderType
    from shared.jobs import create_job_app
    from shared.orders.intents import OrderIntent, submit_order_intent

    intent = OrderIntent(
        credential_id=tenant.credential_id, symbol="BTC/USDT", side=OrderSide.BUY,
        type=OrderType.LIMIT, amount=Decimal("0.001"), price=price,
    )  # fmt: skip
    job_app = create_job_app()
    ids: list[uuid.UUID] = []
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await job_app.open_async()
        try:
            for _ in range(n):
                async with conn.transaction():
                    outcome = await submit_order_intent(
                        conn, job_app, client_id=tenant.client_id, request=intent,
                        idempotency_key=f"fill-{uuid.uuid4().hex}",
                    )  # fmt: skip
                ids.append(uuid.UUID(str(outcome.body["id"])))
        finally:
            await job_app.close_async()
    return ids


async def wait_orders(db_url: str, ids: list[uuid.UUID], status: str, limit_s: float) -> None:
    await fleet.wait_until(
        db_url,
        "SELECT count(*) = %s FROM orders WHERE id = ANY(%s) AND status = %s",
        (len(ids), ids, status),
        limit_s,
        f"{len(ids)} orders {status}",
    )


async def fill_latency_run(
    db_url: str, *, streams: bool, rounds: int, per_round: int
) -> tuple[list[float], dict[str, int]]:
    """(latencies in seconds, filled order_events by `via`)."""
    await fleet.lift_venue_budget(db_url)
    with PaperExchange(fleet.paper_config(walk=False)) as paper:
        api_key, secret, _memo = await paper.create_account()
        tenant = await make_tenant(db_url, api_key, secret)
        env = fleet.stream_env(worker_env(db_url, paper.url, tenant.keys), streams)
        async with Workers(db_url, fleet.WORKER_COMMAND, env, 1):
            mid = Decimal((await paper.admin("GET", f"/market/{SYMBOL}"))["mid"])
            resting, through = (mid * Decimal(k) for k in ("0.995", "0.99"))
            for r in range(rounds):
                ids = await submit_limit_buys(
                    db_url, tenant, resting.quantize(Decimal("0.01")), per_round
                )
                await wait_orders(db_url, ids, "open", 60)
                if streams and r == 0:
                    await fleet.wait_until(
                        db_url, "SELECT count(*) = 1 FROM user_streams WHERE state = 'live'",
                        (), 60, "the credential's stream live",
                    )  # fmt: skip
                await asyncio.sleep(random.uniform(0, RECONCILE_S))
                await paper.admin("POST", f"/market/{SYMBOL}/mid", json={"mid": str(through)})
                await wait_orders(db_url, ids, "filled", 60)
                await paper.admin("POST", f"/market/{SYMBOL}/mid", json={"mid": str(mid)})
            trades = await paper.admin("GET", "/trades", params={"api_key": api_key})
    venue_ms = {str(t["id"]): int(t["time"]) for t in trades}
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cur = await conn.execute(
            "SELECT exchange_trade_id, extract(epoch FROM created_at)::float8 FROM fills"
        )
        latencies = [float(at) - venue_ms[tid] / 1000 for tid, at in await cur.fetchall()]
        cur = await conn.execute(
            "SELECT coalesce(via, '-'), count(*) FROM order_events "
            "WHERE to_status = 'filled' GROUP BY 1"
        )
        via = {str(k): int(v) for k, v in await cur.fetchall()}
    return latencies, via


# --- the figures as rows --------------------------------------------------------------


def weight_rows(bots: int, warmup_s: float, window_s: float) -> list[Result]:
    figures = {}
    for streams in (False, True):
        with throwaway_database() as db_url:
            figures[streams] = aio.run(
                fleet.weight_run(
                    db_url, streams=streams, bots=bots, warmup_s=warmup_s, window_s=window_s
                )
            )
        f = figures[streams]
        say(
            f"  {fleet.mode(streams)}: {f.per_bot_minute:.1f} weight / bot-minute "
            f"({f.requests_per_bot_minute:.1f} requests), {f.live_streams} streams live; "
            f"requests in the window: {', '.join(f'{p} {n}' for p, n in f.top_paths)}; "
            f"GET depth {f.depth_per_minute:.0f} weight/min"
        )
    off, on = figures[False], figures[True]
    config = (
        f"{bots} spread bots (1 level, refresh 10 s, 1 bot per credential), paper random walk "
        f"1 step/s, 1 worker; {on.window_s:.0f} s window after {warmup_s:.0f} s warm-up; "
        f"{on.live_streams}/{bots} streams live"
    )
    per_ip_off = fleet.BINANCE_WEIGHT_LIMIT_1M / off.per_bot_minute
    per_ip_on = fleet.BINANCE_WEIGHT_LIMIT_1M / on.per_bot_minute
    # place_order's REST depth read is a per-process cost: shown apart, not subtracted.
    net_on = on.per_bot_minute - on.depth_per_minute / bots
    depth_note = (
        f"; of it GET depth {on.depth_per_minute:.0f}/min for the process (place_order's "
        f"pre-trade mid from REST), {net_on:.1f} per bot-minute without it"
    )
    return [
        Result(
            "streams: request weight per spread bot-minute",
            config,
            f"streams off {off.per_bot_minute:.1f}",
            f"{on.per_bot_minute:.1f}{depth_note}",
            on.per_bot_minute / off.per_bot_minute,
            "<= 20",
            on.per_bot_minute <= 20,
        ),
        Result(
            "streams: spread bots per egress IP (6,000 / weight per bot-minute)",
            f"as above; {fleet.BINANCE_WEIGHT_LIMIT_1M - on.depth_per_minute:,.0f} / "
            f"{net_on:.1f} = {(fleet.BINANCE_WEIGHT_LIMIT_1M - on.depth_per_minute) / net_on:,.0f}"
            " with the per-process depth cost set apart",
            f"streams off {per_ip_off:,.0f}",
            f"{per_ip_on:,.0f}",
            per_ip_on / per_ip_off,
            ">= 300",
            per_ip_on >= 300,
        ),
    ]


def fill_rows(rounds: int, per_round: int) -> list[Result]:
    runs = {}
    for streams in (False, True):
        with throwaway_database() as db_url:
            runs[streams] = aio.run(
                fill_latency_run(db_url, streams=streams, rounds=rounds, per_round=per_round)
            )
        lat, via = runs[streams]
        say(
            f"  {fleet.mode(streams)}: {len(lat)} fills, p50 {ms(percentile(lat, 0.5))} "
            f"p99 {ms(percentile(lat, 0.99))}; filled events by path {via}"
        )
    (off, off_via), (on, on_via) = runs[False], runs[True]
    p50_on, p50_off = percentile(on, 0.5), percentile(off, 0.5)
    return [
        Result(
            "streams: maker fill -> fill row, p50 / p99",
            f"{rounds} rounds x {per_round} resting limit buys, 1 credential, 1 worker; mid "
            f"moved through them after a random 0-5 s pause; {len(on)} / {len(off)} fills "
            f"(on / off); filled by stream {on_via.get('stream', 0)}, by REST "
            f"{on_via.get('rest', 0)} (off: REST {off_via.get('rest', 0)})",
            f"REST p50 {ms(p50_off)} / p99 {ms(percentile(off, 0.99))}",
            f"{ms(p50_on)} / {ms(percentile(on, 0.99))}",
            p50_on / p50_off if p50_off else None,
            "p50 <= 100 ms",
            p50_on <= 0.1,
        )
    ]


def scale_rows(
    sizes: list[int], workers: list[int], seconds: float, *, enforce_limit: bool = True
) -> list[Result]:
    rows: list[Result] = []
    limit_text = (
        "paper enforcing 6,000/min per IP, venue budget default"
        if enforce_limit
        else "weight limit and venue budget lifted (as bench.bot_scale)"
    )
    for n in sizes:
        for w in workers:
            figures = {}
            for streams in (False, True):
                with throwaway_database() as db_url:
                    figures[streams] = aio.run(
                        fleet.scale_run(
                            db_url, streams=streams, bots=n, workers=w, seconds=seconds,
                            refresh_s=30, enforce_limit=enforce_limit,
                        )
                    )  # fmt: skip
                say(f"  {n} bots, {w} worker(s), {fleet.mode(streams)}: "
                    f"{describe_scale(figures[streams])}")  # fmt: skip
            off, on = figures[False], figures[True]
            off99, on99 = percentile(off.lags, 0.99), percentile(on.lags, 0.99)
            rows.append(
                Result(
                    "streams: bot tick lag p50 / p99, weight limit "
                    + ("enforced" if enforce_limit else "lifted"),
                    f"{n} spread bots (refresh 30 s, 50 per credential), {w} worker(s) x 8, "
                    f"{seconds:.0f} s, {limit_text}; on: "
                    f"{describe_scale(on)}; off: {describe_scale(off)}",
                    f"REST {ms(percentile(off.lags, 0.5))} / {ms(off99)}",
                    f"{ms(percentile(on.lags, 0.5))} / {ms(on99)}",
                    on99 / off99 if off99 else None,
                )
            )
    return rows


def describe_scale(f: fleet.ScaleFigure) -> str:
    cpu = f"CPU {f.cpu:.0%} of a core" if f.cpu is not None else "CPU n/a"
    ticks = " ".join(f"{k} {v}" for k, v in sorted(f.outcomes.items()))
    return (
        f"{len(f.lags)} ticks due, {f.waiting} waiting; ticks {ticks}; {f.orders} orders; "
        f"{cpu}; {f.live_streams} streams live; paper weight {f.ledger.weight:,}, "
        f"429s {f.ledger.http_429}, 418s {f.ledger.http_418}"
    )


def takeover_rows(credentials: int) -> list[Result]:
    with throwaway_database() as db_url:
        f = aio.run(fleet.takeover_run(db_url, credentials=credentials))
    p50, top = percentile(f.times, 0.5), max(f.times)
    say(f"  takeover of {f.victims} streams: p50 {p50:.2f} s, max {top:.2f} s")
    return [
        Result(
            "streams: takeover after kill -9 of the owner, p50 / max",
            f"2 workers, {f.credentials} credentials with a running bot each; the killed "
            f"worker owned {f.victims}; kill -> live under the survivor, polled every 100 ms",
            f"lease TTL {f.lease_ttl_s:.1f} s",
            f"{p50:.2f} s / {top:.2f} s",
            top / f.lease_ttl_s,
            "<= 15 s (issue 15)",
            top <= 15,
        )
    ]


# --- RESULTS.md ------------------------------------------------------------------------


def section_text(rows: list[Result], configuration: str) -> str:
    from bench._common import machine

    info = machine()
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            SECTION_TITLE,
            "",
            f"Generated by `bench/streams.py {configuration or '--write'}` on {today}: "
            f"figures from one run on this machine, {info['nproc']} cores ({info['cpu']}), "
            f"Python {info['python']}, PostgreSQL {info['postgres']}. Baseline = the same "
            "figure with streams off (TRADEBRIDGE_STREAM_VENUES empty: REST polling), "
            "measured in the same run; for the takeover, the lease TTL. Ratio = value / "
            'baseline. What the figures mean: bench/README.md, "Venue streams".',
            "",
            render_table(rows),
            "",
        ]
    )


def replace_section(document: str, section: str) -> str:
    """`document` with its "Venue streams" section (up to the next `## ` heading or the
    end) replaced by `section`, or `section` appended."""
    start = document.find(SECTION_TITLE)
    if start < 0:
        return document.rstrip("\n") + "\n\n" + section
    end = document.find("\n## ", start + len(SECTION_TITLE))
    rest = document[end + 1 :] if end >= 0 else ""
    return document[:start] + section + ("\n" + rest if rest else "")


def existing_section(document: str) -> str:
    """The "Venue streams" section of `document` ('' if none); bench.run_all keeps it."""
    start = document.find(SECTION_TITLE)
    if start < 0:
        return ""
    end = document.find("\n## ", start + len(SECTION_TITLE))
    return document[start : end if end >= 0 else len(document)].rstrip("\n") + "\n"


def add_rows(rows: list[Result], configuration: str) -> None:
    """Put `rows` into the section's table: each replaces the row of the same figure and
    setup (its configuration up to the first ';'), or is appended. For a supplementary
    run, or to re-measure a row whose run a concurrent load disturbed."""
    path = BENCH_DIR / "RESULTS.md"
    document = path.read_text()
    section = existing_section(document)
    if not section:
        raise SystemExit("no 'Venue streams' section to add to: run with --write first")
    lines = section.rstrip("\n").splitlines()
    for row, line in zip(rows, render_table(rows).splitlines()[2:], strict=True):
        same = f"| {row.figure} | {row.configuration.split(';')[0]}"
        at = [i for i, old in enumerate(lines) if old.startswith(same)]
        if at:
            lines[at[0]] = line
        else:
            last_row = max(i for i, old in enumerate(lines) if old.startswith("| "))
            lines.insert(last_row + 1, line)
    note = f"Rows re-measured or added by `bench/streams.py {configuration}`, run after it."
    path.write_text(replace_section(document, "\n".join(lines) + "\n\n" + note + "\n"))
    say(f"put {len(rows)} row(s) into the '{SECTION_TITLE[3:]}' section of {path.name}")


def write_section(rows: list[Result], configuration: str) -> None:
    path = BENCH_DIR / "RESULTS.md"
    document = path.read_text() if path.exists() else "# Benchmark results\n"
    path.write_text(replace_section(document, section_text(rows, configuration)))
    say(f"wrote the '{SECTION_TITLE[3:]}' section of {path.name}")


# --- entry points ----------------------------------------------------------------------

FULL = {
    "weight_bots": 40, "warmup_s": 40.0, "window_s": 90.0, "rounds": 15, "per_round": 8,
    "scale_bots": [1000, 5000], "scale_workers": [1, 2], "scale_seconds": 60.0,
    "takeover_credentials": 20, "lifted_bots": [5000],
}  # fmt: skip
QUICK = {
    "weight_bots": 10, "warmup_s": 20.0, "window_s": 30.0, "rounds": 3, "per_round": 4,
    "scale_bots": [200], "scale_workers": [1], "scale_seconds": 45.0,
    "takeover_credentials": 6, "lifted_bots": [200],
}  # fmt: skip
FIGURES = ("weight", "fills", "scale", "takeover")
# Not run unless asked (--only lifted): figure 3 without the weight limit, to tell the
# venue's ceiling from the worker's.
EXTRA_FIGURES = ("lifted",)


def run(only: tuple[str, ...] = FIGURES, **overrides: Any) -> list[Result]:
    p = FULL | overrides
    rows: list[Result] = []
    if "weight" in only:
        say(f"Streams 1: weight per bot-minute, {p['weight_bots']} bots")
        rows += weight_rows(p["weight_bots"], p["warmup_s"], p["window_s"])
    if "fills" in only:
        say(f"Streams 2: maker fill latency, {p['rounds']} x {p['per_round']} orders")
        rows += fill_rows(p["rounds"], p["per_round"])
    if "scale" in only:
        say(f"Streams 3: tick lag at {p['scale_bots']} bots, workers {p['scale_workers']}")
        rows += scale_rows(p["scale_bots"], p["scale_workers"], p["scale_seconds"])
    if "lifted" in only:
        say(f"Streams 3b: tick lag at {p['lifted_bots']} bots, 1 worker, limit lifted")
        rows += scale_rows(p["lifted_bots"], [1], p["scale_seconds"], enforce_limit=False)
    if "takeover" in only:
        say(f"Streams 4: takeover, {p['takeover_credentials']} credentials")
        rows += takeover_rows(p["takeover_credentials"])
    print_rows("Venue streams", rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small runs (a smoke test)")
    parser.add_argument("--only", default=",".join(FIGURES), help="comma-separated figures")
    parser.add_argument("--scale-bots", default="", help="e.g. 1000,5000")
    parser.add_argument("--scale-workers", default="", help="e.g. 1,2")
    parser.add_argument("--scale-seconds", type=float, default=0.0)
    parser.add_argument("--write", action="store_true", help="write the RESULTS.md section")
    parser.add_argument(
        "--add", action="store_true", help="add this run's rows to the RESULTS.md section"
    )
    args = parser.parse_args()
    quiet_logs()
    overrides: dict[str, Any] = dict(QUICK) if args.quick else {}
    if args.scale_bots:
        overrides["scale_bots"] = [int(n) for n in args.scale_bots.split(",")]
    if args.scale_workers:
        overrides["scale_workers"] = [int(n) for n in args.scale_workers.split(",")]
    if args.scale_seconds:
        overrides["scale_seconds"] = args.scale_seconds
    only = tuple(f for f in args.only.split(",") if f)
    started = time.monotonic()
    rows = run(only, **overrides)
    say(f"took {time.monotonic() - started:.0f} s")
    flags = " ".join(a for a in sys.argv[1:] if a not in ("--write", "--add"))
    if args.write:
        write_section(rows, flags)
    elif args.add:
        add_rows(rows, flags)


if __name__ == "__main__":
    main()
