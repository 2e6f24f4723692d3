"""Benchmark the trading statistics: aggregates vs a naive full scan, and the trigger's cost.

    .venv/bin/python bench/stats_bench.py [--fills 1000000] [--calls 200] [--naive-runs 5]

Builds a throwaway database on the same server the tests use (TEST_DATABASE_URL, else
DATABASE_URL, else the embedded Postgres in TRADEBRIDGE_EMBEDDED_PG_DIR or .pgdata), runs
the migrations, inserts the fills with `INSERT ... SELECT generate_series` so the trigger
runs as it does for the worker, then prints:

- bot_stats / client_stats latency (p50, p99) over --calls calls, and the naive approach
  (stream every fill of the bot in trade order through the Python FIFO and sum the volumes)
  over --naive-runs calls, with the ratio;
- the cost of a rebuild after an out-of-order fill (from a checkpoint, and from nothing);
- insert throughput with and without the statistics trigger, for batches (10k fills per
  statement) and for one fill per statement and transaction (the worker's pattern).

A script, not a test: it prints numbers and asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from shared.db.embedded import start_embedded_postgres, with_database
from shared.db.migrate import migrate
from shared.domain import OrderSide
from shared.repositories.stats import bot_stats, client_stats
from shared.settings import normalize_database_url
from shared.stats.fifo import FifoBook, Fill
from shared.stats.models import Volume, split_symbol
from shared.stats.window import DAY

SYMBOL = "BTC/USDT"
MID = Decimal("50000")
HISTORY = timedelta(days=30)

# Deterministic pseudo-random fills: i is the fill number, t0 the start of history.
# Sides come from a hash of i, so the inventory wanders long and short; one fill in ten pays
# its fee in BNB, the rest 0.1% in USDT.
_INSERT_BATCH = """
INSERT INTO fills (client_id, credential_id, bot_id, symbol, exchange_trade_id, side, price,
                   amount, fee_amount, fee_currency, traded_at)
SELECT %(client_id)s, %(credential_id)s, %(bot_id)s, %(symbol)s,
       %(prefix)s || i::text,
       CASE WHEN (i * 2654435761::bigint) %% 1000 < 500 THEN 'buy' ELSE 'sell' END::order_side,
       p.price, a.amount,
       CASE WHEN i %% 10 = 0 THEN 0.0001 ELSE round(p.price * a.amount * 0.001, 8) END,
       CASE WHEN i %% 10 = 0 THEN 'BNB' ELSE 'USDT' END,
       %(t0)s::timestamptz + i * %(step)s::interval
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
CROSS JOIN LATERAL (
    SELECT round((50000 + 2000 * sin(i / 20000.0) + (i * 7919) %% 250)::numeric, 2) AS price
) p
CROSS JOIN LATERAL (SELECT 0.0001 + ((i * 104729) %% 5000) / 100000.0 AS amount) a
ON CONFLICT DO NOTHING
"""

_INSERT_ONE = """
INSERT INTO fills (client_id, credential_id, bot_id, symbol, exchange_trade_id, side, price,
                   amount, fee_amount, fee_currency, traded_at)
VALUES (%(client_id)s, %(credential_id)s, %(bot_id)s, %(symbol)s, %(trade_id)s, %(side)s,
        %(price)s, %(amount)s, %(fee)s, 'USDT', %(traded_at)s)
ON CONFLICT DO NOTHING
"""


def server_url() -> str:
    configured = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if configured:
        return with_database(normalize_database_url(configured), "postgres")
    return start_embedded_postgres(os.environ.get("TRADEBRIDGE_EMBEDDED_PG_DIR", ".pgdata"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.2f} ms"


async def timed(call: Callable[[], Awaitable[Any]], runs: int) -> list[float]:
    times: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return times


async def scalar(conn: psycopg.AsyncConnection[Any], statement: str, *params: Any) -> Any:
    cur = await conn.execute(statement, params)
    row = await cur.fetchone()
    assert row is not None
    return row[0]


async def make_bot(
    conn: psycopg.AsyncConnection[Any], client_id: uuid.UUID, credential_id: uuid.UUID, name: str
) -> uuid.UUID:
    bot_id: uuid.UUID = await scalar(
        conn,
        """INSERT INTO bots (client_id, credential_id, name, kind, exchange, symbol, config)
           VALUES (%s, %s, %s, 'spread', 'binance', %s, '{}') RETURNING id""",
        client_id,
        credential_id,
        name,
        SYMBOL,
    )
    return bot_id


async def insert_batches(
    conn: psycopg.AsyncConnection[Any],
    ids: dict[str, Any],
    *,
    first: int,
    count: int,
    batch: int,
    t0: datetime,
    step: timedelta,
    prefix: str,
    progress: bool = False,
) -> float:
    """Inserts fills first .. first+count-1, `batch` per statement and transaction; seconds."""
    started = time.perf_counter()
    for start in range(first, first + count, batch):
        last = min(first + count, start + batch) - 1
        params = {
            **ids,
            "symbol": SYMBOL,
            "prefix": prefix,
            "first": start,
            "last": last,
            "t0": t0,
            "step": step,
        }
        await conn.execute(_INSERT_BATCH, params)
        if progress and (last + 1 - first) % (batch * 20) == 0:
            rate = (last + 1 - first) / (time.perf_counter() - started)
            print(f"  {last + 1 - first:>9,} fills  ({rate:,.0f} fills/s)", flush=True)
    return time.perf_counter() - started


async def insert_singles(
    conn: psycopg.AsyncConnection[Any],
    ids: dict[str, Any],
    *,
    count: int,
    t0: datetime,
    prefix: str,
    per_transaction: int = 1,
) -> float:
    """One fill per INSERT statement (the worker's executemany), `per_transaction` statements
    per transaction; seconds."""
    rows = [
        {
            **ids,
            "symbol": SYMBOL,
            "trade_id": f"{prefix}{i}",
            "side": "buy" if (i * 2654435761) % 1000 < 500 else "sell",
            "price": Decimal(50000 + i % 250),
            "amount": Decimal("0.01"),
            "fee": Decimal("0.5"),
            "traded_at": t0 + timedelta(milliseconds=i),
        }
        for i in range(count)
    ]
    started = time.perf_counter()
    for start in range(0, count, per_transaction):
        async with conn.transaction(), conn.cursor() as cur:
            await cur.executemany(_INSERT_ONE, rows[start : start + per_transaction])
    return time.perf_counter() - started


async def naive_bot_stats(
    conn: psycopg.AsyncConnection[Any], bot_id: uuid.UUID, now: datetime
) -> tuple[FifoBook, Volume]:
    """What a request would cost without aggregates: every fill, in trade order."""
    book = FifoBook(*split_symbol(SYMBOL))
    since = now - DAY
    buys = sells = 0
    buy_base = sell_base = buy_quote = sell_quote = Decimal(0)
    async with conn.cursor(name=f"naive_{uuid.uuid4().hex[:8]}") as cur:
        cur.itersize = 20_000
        await cur.execute(
            """SELECT id, side, price, amount, fee_amount, fee_currency, traded_at FROM fills
               WHERE bot_id = %s AND symbol = %s ORDER BY traded_at, id""",
            (bot_id, SYMBOL),
        )
        async for fill_id, side, price, amount, fee, fee_currency, traded_at in cur:
            fill_side = OrderSide(side)
            book.add(Fill(fill_side, price, amount, fee, fee_currency, traded_at, fill_id))
            if since < traded_at <= now:
                if fill_side is OrderSide.BUY:
                    buys, buy_base, buy_quote = (
                        buys + 1,
                        buy_base + amount,
                        buy_quote + price * amount,
                    )
                else:
                    sells, sell_base = sells + 1, sell_base + amount
                    sell_quote += price * amount
    return book, Volume(buys, sells, buy_base, sell_base, buy_quote, sell_quote)


def report(label: str, times: list[float]) -> None:
    print(
        f"  {label:<34} p50 {ms(statistics.median(times))}   p99 {ms(percentile(times, 0.99))}"
        f"   ({len(times)} calls)"
    )


async def run(url: str, args: argparse.Namespace) -> None:
    ids: dict[str, Any] = {}
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        server = await scalar(conn, "SHOW server_version")
        print(
            f"Postgres {server}; {args.fills:,} fills over {HISTORY.days} days, "
            f"{args.batch:,} per INSERT statement"
        )
        client_id = await scalar(conn, "INSERT INTO clients (name) VALUES ('bench') RETURNING id")
        credential_id = await scalar(
            conn,
            """INSERT INTO exchange_credentials (client_id, exchange, environment, label,
                   sealed_secret, key_id, masked_hint)
               VALUES (%s, 'binance', 'paper', 'bench', %s, 'k', 'abcd') RETURNING id""",
            client_id,
            b"\x01" * 64,
        )
        bot_id = await make_bot(conn, client_id, credential_id, "bench-main")
        ids = {"client_id": client_id, "credential_id": credential_id, "bot_id": bot_id}

        now = await scalar(conn, "SELECT date_trunc('second', now())")
        t0 = now - HISTORY
        step = HISTORY / args.fills

        print("\n1. Building the history (the trigger folds every batch)")
        seconds = await insert_batches(
            conn,
            ids,
            first=0,
            count=args.fills,
            batch=args.batch,
            t0=t0,
            step=step,
            prefix="m",
            progress=True,
        )
        print(
            f"  inserted {args.fills:,} fills in {seconds:.1f} s "
            f"({args.fills / seconds:,.0f} fills/s, trigger included)"
        )
        await conn.execute("VACUUM ANALYZE")
        in_window = await scalar(
            conn,
            "SELECT count(*) FROM fills WHERE bot_id = %s AND traded_at > %s",
            bot_id,
            now - DAY,
        )
        lots = await scalar(
            conn, "SELECT lot_next - lot_head FROM stats_books WHERE bot_id = %s", bot_id
        )
        print(f"  {in_window:,} fills in the last 24h; {lots:,} open lots")

    async with await psycopg.AsyncConnection.connect(url) as conn:
        print(f"\n2. Reads (one transaction per call, as the API does), now = {now:%Y-%m-%d %H:%M}")

        async def with_aggregates() -> Any:
            async with conn.transaction():
                return await bot_stats(conn, bot_id, mid=MID, now=now)

        async def client_call() -> Any:
            async with conn.transaction():
                return await client_stats(conn, client_id, mids={SYMBOL: MID}, now=now)

        async def naive() -> tuple[FifoBook, Volume]:
            async with conn.transaction():
                return await naive_bot_stats(conn, bot_id, now)

        await timed(with_aggregates, 5)  # warm caches and prepared statements
        fast = await timed(with_aggregates, args.calls)
        client_times = await timed(client_call, args.calls)
        slow = await timed(naive, args.naive_runs)
        report("bot_stats (aggregates)", fast)
        report("client_stats (aggregates)", client_times)
        report("naive: scan + Python FIFO", slow)
        ratio = statistics.median(slow) / statistics.median(fast)
        print(f"  ratio naive / aggregates: p50 x{ratio:,.0f}")

        stats = (await with_aggregates()).symbol(SYMBOL)
        book, volume = await naive()
        same = (
            stats.realized_pnl == book.realized_pnl
            and stats.position == book.position
            and stats.volume_24h == volume
        )
        print(
            f"  same answer both ways: {same} (realized {stats.realized_pnl:.2f} USDT, "
            f"24h {stats.volume_24h.trade_count:,} trades, "
            f"{stats.volume_24h.quote_volume:,.2f} USDT)"
        )

        print("\n3. An out-of-order fill (reconciliation found a trade 6 hours old)")
        async with conn.transaction():
            await conn.execute(
                _INSERT_ONE,
                {
                    **ids,
                    "symbol": SYMBOL,
                    "trade_id": "late-1",
                    "side": "buy",
                    "price": Decimal(49000),
                    "amount": Decimal("0.5"),
                    "fee": Decimal(0),
                    "traded_at": now - timedelta(hours=6, microseconds=1),
                },
            )
        rebuild = await timed(with_aggregates, 1)
        report("next bot_stats (checkpoint replay)", rebuild)
        after = await timed(with_aggregates, 20)
        report("bot_stats after the rebuild", after)
        started = time.perf_counter()
        async with conn.transaction():
            await conn.execute(
                "SELECT stats_rebuild_book(id, true) FROM stats_books WHERE bot_id = %s", (bot_id,)
            )
        print(
            f"  full replay of {args.fills + 1:,} fills (no checkpoint): "
            f"{time.perf_counter() - started:.1f} s"
        )

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        print("\n4. Insert cost of the trigger (fresh bots each run, same table and indexes;")
        print(f"   {args.rounds} rounds alternating trigger on/off, median fills/s;")
        print("   synchronous_commit off, so the commit's fsync does not drown the difference)")
        await conn.execute("SET synchronous_commit = off")
        patterns: list[tuple[str, Callable[[dict[str, Any], str], Awaitable[float]]]] = [
            (
                f"{args.batch:,} fills per INSERT",
                lambda i, p: insert_batches(
                    conn,
                    i,
                    first=0,
                    count=args.overhead_fills,
                    batch=args.batch,
                    t0=t0,
                    step=HISTORY / args.overhead_fills,
                    prefix=p,
                ),
            ),
            (
                "1 fill per INSERT and commit",
                lambda i, p: insert_singles(conn, i, count=args.single_fills, t0=t0, prefix=p),
            ),
            (
                "100 one-fill INSERTs per commit",
                lambda i, p: insert_singles(
                    conn, i, count=args.single_fills, t0=t0, prefix=p, per_transaction=100
                ),
            ),
        ]
        counts = [args.overhead_fills, args.single_fills, args.single_fills]
        rates: dict[tuple[int, bool], list[float]] = defaultdict(list)
        for round_ in range(args.rounds):
            for enabled in (True, False):
                verb = "ENABLE" if enabled else "DISABLE"
                await conn.execute(f"ALTER TABLE fills {verb} TRIGGER stats_fills_inserted")
                for k, (_, insert) in enumerate(patterns):
                    tag = f"{k}{'on' if enabled else 'off'}{round_}"
                    bot = await make_bot(conn, client_id, credential_id, f"overhead-{tag}")
                    seconds = await insert({**ids, "bot_id": bot}, f"o{tag}-")
                    rates[(k, enabled)].append(counts[k] / seconds)
        await conn.execute("ALTER TABLE fills ENABLE TRIGGER stats_fills_inserted")
        for k, (label, _) in enumerate(patterns):
            on = statistics.median(rates[(k, True)])
            off = statistics.median(rates[(k, False)])
            print(
                f"  {label:<32} with {on:>8,.0f} fills/s   without {off:>8,.0f} fills/s"
                f"   +{(1 / on - 1 / off) * 1e6:,.0f} us per fill (x{off / on:.2f})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fills", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--naive-runs", type=int, default=5)
    parser.add_argument("--overhead-fills", type=int, default=100_000)
    parser.add_argument("--single-fills", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args()

    server = server_url()
    name = f"tb_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(server, name)
    try:
        asyncio.run(migrate(url))
        asyncio.run(run(url, args))
    finally:
        if args.keep:
            print(f"\nkept database {name}")
        else:
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


if __name__ == "__main__":
    main()
