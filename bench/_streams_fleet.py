"""Spread-bot fleets for bench.streams: request weight per bot-minute (figure 1), tick
lag and worker CPU at scale with the weight limit enforced (figure 3) and the takeover
of a killed stream owner's credentials (figure 4). Each run gets its own throwaway
database, paper exchange and `tradebridge worker` subprocesses; streams on or off is
the worker's TRADEBRIDGE_STREAM_VENUES (empty = REST polling only)."""

from __future__ import annotations

import asyncio
import math
import signal
import time
from dataclasses import dataclass
from typing import Any

from bench._common import PaperExchange
from bench.bot_scale import create_bots, start_staggered, tick_lags
from bench.end_to_end import Workers, scalar, worker_env

# Every process of the benchmark talks to the paper exchange from this address: it is
# the one "egress IP" whose weight Binance would count.
EGRESS_IP = "127.0.0.1"
BINANCE_WEIGHT_LIMIT_1M = 6000
PAPER_SEED = 20261202
WORKER_COMMAND = ["-m", "tradebridge", "worker"]
DEPTH_WEIGHT = 5  # GET /api/v3/depth with limit <= 100, what the worker asks (limit 20)


def spread_config(refresh_s: int) -> dict[str, Any]:
    return {"spread_bps": "20", "order_size": "0.001", "levels": 1, "refresh_interval_s": refresh_s}


def paper_config(*, walk: bool, enforce_limit: bool = False) -> Any:
    """The paper market moving (one random-walk step a second) or still; Binance's
    6,000 weight a minute per IP enforced (429, then 418 bans) or only counted."""
    from paper_exchange.server import PaperConfig

    return PaperConfig(
        walk_interval_s=1.0 if walk else 0,
        seed=PAPER_SEED,
        weight_limit_1m=BINANCE_WEIGHT_LIMIT_1M if enforce_limit else None,
    )


def stream_env(env: dict[str, str], streams: bool) -> dict[str, str]:
    return env | {"TRADEBRIDGE_STREAM_VENUES": "binance" if streams else ""}


def mode(streams: bool) -> str:
    return "streams on" if streams else "streams off (REST)"


async def lift_venue_budget(db_url: str) -> None:
    """Take the product's own weight budget out of the figure (this database only)."""
    await scalar(
        db_url,
        "UPDATE venues SET request_weight_per_minute = 10000000 WHERE code = 'binance' "
        "RETURNING code",
    )


@dataclass(frozen=True)
class Ledger:
    """The paper exchange's counters for the egress IP, since it started."""

    weight: int
    requests: int
    http_429: int
    http_418: int
    by_path: dict[str, int]


async def read_ledger(paper: PaperExchange) -> Ledger:
    data = await paper.admin("GET", "/weights", params={"ip": EGRESS_IP})
    entry = data["ips"].get(EGRESS_IP, {})
    counts = await paper.admin("GET", "/requests")
    return Ledger(
        int(entry.get("weight", 0)),
        int(entry.get("requests", 0)),
        int(entry.get("http_429", 0)),
        int(entry.get("http_418", 0)),
        {str(k): int(v) for k, v in counts["by_path"].items()},
    )


async def live_streams(db_url: str) -> int:
    return int(await scalar(db_url, "SELECT count(*) FROM user_streams WHERE state = 'live'"))


# --- figure 1: request weight per spread bot-minute -----------------------------------


@dataclass(frozen=True)
class WeightFigure:
    per_bot_minute: float
    window_s: float
    live_streams: int
    requests_per_bot_minute: float
    top_paths: list[tuple[str, int]]  # requests in the window, most first
    # GET depth's weight a minute: place_order's pre-trade mid reads the REST book (at
    # most once a second per process and symbol), a cost per process, not per bot.
    depth_per_minute: float


async def weight_run(
    db_url: str, *, streams: bool, bots: int, warmup_s: float, window_s: float
) -> WeightFigure:
    """`bots` spread bots (refresh 10 s, one per credential, as one client's bot is),
    the market moving; weight the paper exchange counted for the IP over `window_s`
    after `warmup_s` (streams connected, gaps closed, first quotes placed)."""
    await lift_venue_budget(db_url)
    with PaperExchange(paper_config(walk=True)) as paper:
        keys, fleet = await create_bots(
            db_url, paper, bots, config=spread_config(10), per_account=1
        )
        env = stream_env(worker_env(db_url, paper.url, keys), streams)
        async with Workers(db_url, WORKER_COMMAND, env, 1):
            await start_staggered(db_url, fleet, 10)
            await asyncio.sleep(warmup_s)
            before, began = await read_ledger(paper), time.monotonic()
            await asyncio.sleep(window_s)
            after, elapsed = await read_ledger(paper), time.monotonic() - began
            live = await live_streams(db_url)
    bot_minutes = bots * elapsed / 60
    paths = {p: after.by_path.get(p, 0) - before.by_path.get(p, 0) for p in after.by_path}
    top = sorted(((p, n) for p, n in paths.items() if n > 0), key=lambda x: -x[1])[:6]
    return WeightFigure(
        (after.weight - before.weight) / bot_minutes,
        elapsed,
        live,
        (after.requests - before.requests) / bot_minutes,
        top,
        paths.get("GET /api/v3/depth", 0) * DEPTH_WEIGHT / (elapsed / 60),
    )


# --- figure 3: tick lag and worker CPU at scale, the weight limit enforced ------------


@dataclass(frozen=True)
class ScaleFigure:
    lags: list[float]
    waiting: int
    outcomes: dict[str, int]
    orders: int
    cpu: float | None  # all worker processes together, share of one core
    ledger: Ledger
    live_streams: int


async def scale_run(
    db_url: str,
    *,
    streams: bool,
    bots: int,
    workers: int,
    seconds: float,
    refresh_s: int,
    enforce_limit: bool = True,
) -> ScaleFigure:
    """bench.bot_scale's fleet (50 bots per paper account) with the paper exchange
    enforcing Binance's 6,000 weight a minute and the product's venue budget at its
    default (Binance's 6,000, 80 % leased): what one egress IP really carries. With
    `enforce_limit` False both are lifted, as in bench.bot_scale: what the worker
    process carries."""
    if not enforce_limit:
        await lift_venue_budget(db_url)
    with PaperExchange(paper_config(walk=True, enforce_limit=enforce_limit)) as paper:
        keys, fleet = await create_bots(db_url, paper, bots, config=spread_config(refresh_s))
        env = stream_env(worker_env(db_url, paper.url, keys), streams)
        async with Workers(db_url, WORKER_COMMAND, env, workers) as procs:
            began, cpu_before = time.monotonic(), procs.cpu_seconds()
            await start_staggered(db_url, fleet, min(refresh_s, seconds / 2))
            await asyncio.sleep(max(0.0, began + seconds - time.monotonic()))
            cpu_after, elapsed = procs.cpu_seconds(), time.monotonic() - began
            lags, waiting, outcomes = await tick_lags(db_url)
            orders = int(await scalar(db_url, "SELECT count(*) FROM orders"))
            ledger = await read_ledger(paper)
            live = await live_streams(db_url)
    cpu = None
    if cpu_after is not None and cpu_before is not None:
        cpu = (cpu_after - cpu_before) / elapsed
    return ScaleFigure(lags, waiting, outcomes, orders, cpu, ledger, live)


# --- figure 4: takeover after kill -9 of the owning worker ----------------------------


@dataclass(frozen=True)
class TakeoverFigure:
    times: list[float]  # per credential of the killed owner: kill -> live under survivor
    victims: int
    credentials: int
    lease_ttl_s: float


async def takeover_run(db_url: str, *, credentials: int, limit_s: float = 60.0) -> TakeoverFigure:
    """Two workers share `credentials` streams (a running bot each); SIGKILL the one
    owning most, then poll `user_streams` every 100 ms until each of its credentials
    is `live` under the survivor."""
    from shared.settings import load_settings

    lease_ttl_s = load_settings({}).stream_lease_ttl_s
    await lift_venue_budget(db_url)
    with PaperExchange(paper_config(walk=True)) as paper:
        keys, fleet = await create_bots(
            db_url, paper, credentials, config=spread_config(10), per_account=1
        )
        env = stream_env(worker_env(db_url, paper.url, keys), True)
        async with Workers(db_url, WORKER_COMMAND, env, 2) as procs:
            await start_staggered(db_url, fleet, 5)
            fair = math.ceil(credentials / 2)
            await wait_until(
                db_url,
                """SELECT sum(n) = %s AND max(n) <= %s FROM (
                     SELECT owner, count(*) AS n FROM user_streams
                     WHERE state = 'live' GROUP BY owner) o""",
                (credentials, fair),
                90,
                "every stream live, split between the two workers",
            )
            owner = await scalar(
                db_url,
                "SELECT owner FROM user_streams GROUP BY owner ORDER BY count(*) DESC LIMIT 1",
            )
            victim = next(p for p in procs.procs if f":{p.pid}:" in owner)
            survivor = next(p for p in procs.procs if p is not victim)
            ids = await victims_of(db_url, owner)
            victim.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            taken: dict[str, float] = {}
            while len(taken) < len(ids) and time.monotonic() - killed_at < limit_s:
                for cid in await live_under(db_url, ids, f"%:{survivor.pid}:%"):
                    taken.setdefault(cid, time.monotonic() - killed_at)
                await asyncio.sleep(0.1)
    # A credential never taken over within the limit counts with the limit.
    times = [taken.get(cid, limit_s) for cid in ids]
    return TakeoverFigure(times, len(ids), credentials, lease_ttl_s)


async def victims_of(db_url: str, owner: str) -> list[str]:
    import psycopg

    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cur = await conn.execute(
            "SELECT credential_id::text FROM user_streams WHERE owner = %s", (owner,)
        )
        return [str(r[0]) for r in await cur.fetchall()]


async def live_under(db_url: str, ids: list[str], owner_like: str) -> list[str]:
    import psycopg

    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cur = await conn.execute(
            """SELECT credential_id::text FROM user_streams
               WHERE credential_id = ANY(%s::uuid[]) AND state = 'live' AND owner LIKE %s""",
            (ids, owner_like),
        )
        return [str(r[0]) for r in await cur.fetchall()]


async def wait_until(
    db_url: str, condition: str, params: tuple[Any, ...], limit_s: float, what: str
) -> None:
    deadline = time.monotonic() + limit_s
    while not await scalar(db_url, condition, *params):
        if time.monotonic() > deadline:
            raise TimeoutError(f"not reached within {limit_s:.0f} s: {what}")
        await asyncio.sleep(0.2)
