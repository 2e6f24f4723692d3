"""The aggregates the `fills` trigger keeps, against the Python FIFO oracle and hand counts.

Fills go in through SQL, `INSERT ... ON CONFLICT DO NOTHING` as the worker writes them;
every expectation comes from the fills as stored, folded from scratch by shared.stats.fifo.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any
from unittest import mock

import psycopg
import pytest

from shared.domain import OrderSide
from shared.errors import NotFoundError
from shared.repositories.stats import book_lots, bot_stats, client_stats, rebuild_stale_books
from shared.stats.fifo import FifoBook
from shared.stats.models import Position, Volume
from tests.factories import make_bot, make_client, make_credential, make_order
from tests.integration.stats.helpers import (
    BookKey,
    NewFill,
    book_rows,
    expected_fees,
    expected_volume,
    insert_fill,
    insert_fills,
    oracle_books,
    stats_snapshot,
    stored_fills,
)

BUY, SELL = OrderSide.BUY, OrderSide.SELL
NOW = datetime(2024, 6, 1, 12, 30, 15, 250_000, tzinfo=UTC)
DAY = timedelta(hours=24)
US = timedelta(microseconds=1)
ANY: Any = mock.ANY


@dataclass(frozen=True)
class Tenant:
    client_id: uuid.UUID
    credential_id: uuid.UUID
    other_credential_id: uuid.UUID
    bot_btc: uuid.UUID
    bot_eth: uuid.UUID
    order_id: uuid.UUID  # a manual (API) order the manual fills belong to


async def make_tenant(conn: psycopg.AsyncConnection[Any]) -> Tenant:
    client = await make_client(conn)
    credential = await make_credential(conn, client)
    other = await make_credential(conn, client)
    return Tenant(
        client_id=client,
        credential_id=credential,
        other_credential_id=other,
        bot_btc=await make_bot(conn, client, credential, symbol="BTC/USDT"),
        bot_eth=await make_bot(conn, client, credential, symbol="ETH/USDT"),
        order_id=await make_order(conn, client, credential),
    )


def bot_fill(t: Tenant, bot_id: uuid.UUID, symbol: str, **kw: Any) -> NewFill:
    return NewFill(
        client_id=t.client_id, credential_id=t.credential_id, bot_id=bot_id, symbol=symbol, **kw
    )


def manual_fill(t: Tenant, credential_id: uuid.UUID, symbol: str, **kw: Any) -> NewFill:
    return NewFill(
        client_id=t.client_id, credential_id=credential_id, order_id=t.order_id, symbol=symbol, **kw
    )


async def assert_books_match_oracle(
    conn: psycopg.AsyncConnection[Any], client_id: uuid.UUID
) -> dict[BookKey, FifoBook]:
    """Reads through client_stats (which rebuilds stale books), then compares every book's
    state and open lots with the oracle, digit for digit."""
    await client_stats(conn, client_id, mids={}, now=NOW)
    oracle = oracle_books(await stored_fills(conn, client_id))
    rows = await book_rows(conn, client_id)
    assert set(rows) == set(oracle)
    for key, expected in oracle.items():
        book_id, realized, lot_side, open_amount, open_value, folded, stale = rows[key]
        assert not stale
        assert folded == expected.fill_count
        assert realized == expected.realized_pnl, key
        assert lot_side == expected.lot_side
        position = expected.position
        assert open_amount == position.long_amount + position.short_amount
        assert open_value == position.long_cost + position.short_proceeds
        lots = await book_lots(conn, book_id)
        assert [(lot.fill_id, lot.opened_at, lot.amount, lot.value) for lot in lots] == [
            (lot.fill_id, lot.opened_at, lot.amount, lot.value) for lot in expected.lots
        ]
    return oracle


def random_fills(t: Tenant, rng: random.Random, count: int) -> list[NewFill]:
    """Four books; trade times mostly rising over the 72h before NOW, with late (older)
    fills, equal timestamps, and fees in base, quote, BNB or none."""
    books = [
        (t.credential_id, t.bot_btc, "BTC/USDT"),
        (t.credential_id, t.bot_eth, "ETH/USDT"),
        (t.credential_id, None, "BTC/USDT"),
        (t.other_credential_id, None, "BTC/USDT"),
    ]
    start = NOW - timedelta(hours=72)
    step = timedelta(hours=72) / count
    prices = {"BTC/USDT": D("100.00"), "ETH/USDT": D("20.00")}
    fills: list[NewFill] = []
    previous = start
    for i in range(count):
        credential_id, bot_id, symbol = rng.choice(books)
        traded_at = start + step * i + timedelta(microseconds=rng.randrange(1_000_000))
        roll = rng.random()
        if roll < 0.06:
            traded_at -= timedelta(seconds=rng.randrange(1, 6 * 3600))  # reconciliation, late
        elif roll < 0.09:
            traded_at = previous  # same timestamp: the fill id breaks the tie
        previous = traded_at
        base, quote = symbol.split("/")
        prices[symbol] = max(D("1.00"), prices[symbol] + D(rng.randrange(-150, 151)) / 100)
        price = prices[symbol]
        amount = D(rng.randrange(1, 200_000)) / D(10) ** rng.choice([3, 5, 8])
        fee_currency = rng.choice([base, quote, "BNB", None])
        fee = {
            base: (amount / 1000).quantize(D("1e-10")),
            quote: (price * amount / 1000).quantize(D("1e-8")),
            "BNB": D(rng.randrange(1, 5000)) / D(10) ** 7,
            None: D(0),
        }[fee_currency]
        fills.append(
            NewFill(
                client_id=t.client_id,
                credential_id=credential_id,
                bot_id=bot_id,
                order_id=None if bot_id else t.order_id,
                symbol=symbol,
                side=rng.choice([BUY, SELL]),
                price=price,
                amount=amount,
                fee_amount=fee,
                fee_currency=fee_currency,
                traded_at=traded_at,
            )
        )
    return fills


async def test_db_fifo_matches_the_oracle_on_2000_random_fills(
    db_conn: psycopg.AsyncConnection[Any],
) -> None:
    rng = random.Random(20240601)
    t = await make_tenant(db_conn)
    await db_conn.execute("SET tradebridge.stats_checkpoint_every = '40'")
    fills = random_fills(t, rng, 2000)
    sent = 0
    inserted = 0
    while sent < len(fills):
        batch = fills[sent : sent + rng.randrange(1, 40)]
        sent += len(batch)
        if rng.random() < 0.2:
            # The worker sees a trade twice: same trade id (even with other numbers) is a no-op.
            again = rng.choice(fills[:sent])
            batch = [*batch, replace(again, price=again.price + 1)]
        rng.shuffle(batch)
        inserted += await insert_fills(db_conn, batch)
        if rng.random() < 0.04:
            await assert_books_match_oracle(db_conn, t.client_id)  # rebuilds midway
    assert inserted == len(fills)

    rows = await book_rows(db_conn, t.client_id)
    assert any(row[-1] for row in rows.values()), "the late fills made no book stale"
    cur = await db_conn.execute("SELECT count(*) FROM stats_fifo_checkpoints")
    checkpoints = await cur.fetchone()
    assert checkpoints is not None
    assert checkpoints[0] > 0

    oracle = await assert_books_match_oracle(db_conn, t.client_id)
    stored = await stored_fills(db_conn, t.client_id)
    span = (NOW - DAY, NOW)
    mids = {"BTC/USDT": D("101.5"), "ETH/USDT": D("19.75")}

    stats = await client_stats(db_conn, t.client_id, mids=mids, now=NOW)
    assert [s.symbol for s in stats.symbols] == ["BTC/USDT", "ETH/USDT"]
    for s in stats.symbols:
        books = [b for key, b in oracle.items() if key[2] == s.symbol]
        of_symbol = [f for f in stored if f.symbol == s.symbol]
        position = sum((b.position for b in books), Position())
        assert s.realized_pnl == sum(b.realized_pnl for b in books)
        assert s.position == position
        assert s.unrealized_pnl == position.unrealized_pnl(mids[s.symbol])
        assert s.volume_all_time == expected_volume(of_symbol)
        assert s.volume_24h == expected_volume(of_symbol, span)
        assert 0 < s.volume_24h.trade_count < s.volume_all_time.trade_count
        assert s.fees_all_time == expected_fees(of_symbol)
        assert s.fees_24h == expected_fees(of_symbol, span)
        assert s.other_fees_all_time.keys() == {"BNB"}

    for bot_id, symbol in ((t.bot_btc, "BTC/USDT"), (t.bot_eth, "ETH/USDT")):
        b = (await bot_stats(db_conn, bot_id, mid=mids[symbol], now=NOW)).symbol(symbol)
        expected = oracle[(t.credential_id, bot_id, symbol)]
        mine = [f for f in stored if f.bot_id == bot_id]
        assert b.realized_pnl == expected.realized_pnl
        assert b.position == expected.position
        assert b.unrealized_pnl == expected.unrealized_pnl(mids[symbol])
        assert b.volume_all_time == expected_volume(mine)
        assert b.volume_24h == expected_volume(mine, span)
        assert b.fees_all_time == expected_fees(mine)

    # A full replay from nothing (no checkpoints) lands on the same state.
    before = await book_rows(db_conn, t.client_id)
    await db_conn.execute("SELECT stats_rebuild_book(id, true) FROM stats_books")
    after = await book_rows(db_conn, t.client_id)
    assert after == before


async def test_24h_volume_counts_both_sides_and_excludes_older_fills(
    db_conn: psycopg.AsyncConnection[Any],
) -> None:
    t = await make_tenant(db_conn)

    def fill(side: OrderSide, age: timedelta, amount: str, fee: str = "0") -> NewFill:
        return bot_fill(
            t,
            t.bot_btc,
            "BTC/USDT",
            side=side,
            price=D(100),
            amount=D(amount),
            fee_amount=D(fee),
            fee_currency="USDT",
            traded_at=NOW - age,
        )

    # NOW is 12:30:15.25; the window is (yesterday 12:30:15.25, today 12:30:15.25].
    inside = [
        fill(BUY, DAY - US, "1", "0.1"),  # first microsecond in: sub-minute edge (fills)
        fill(SELL, DAY - timedelta(seconds=30), "2", "0.2"),  # still the partial first minute
        fill(BUY, DAY - timedelta(minutes=5), "4"),  # minute buckets before the first hour
        fill(SELL, timedelta(hours=20), "8"),  # hour buckets
        fill(BUY, timedelta(minutes=10), "16"),  # minute buckets of the last hour
        fill(SELL, timedelta(seconds=5), "32", "0.4"),  # partial last minute (fills)
        fill(BUY, timedelta(0), "64"),  # exactly now
    ]
    outside = [
        fill(SELL, DAY, "128", "1"),  # exactly 24h old
        fill(BUY, DAY + timedelta(minutes=1), "256", "2"),
        fill(SELL, timedelta(hours=48), "512", "4"),
        fill(BUY, -US, "1024", "8"),  # after `now`
    ]
    for f in [*outside, *inside]:
        await insert_fill(db_conn, f)

    s = (await bot_stats(db_conn, t.bot_btc, mid=None, now=NOW)).symbol("BTC/USDT")
    # buys 1 + 4 + 16 + 64 = 85 BTC, sells 2 + 8 + 32 = 42 BTC, all at 100 USDT
    assert s.volume_24h == Volume(
        buy_count=4,
        sell_count=3,
        buy_base=D(85),
        sell_base=D(42),
        buy_quote=D(8500),
        sell_quote=D(4200),
    )
    assert s.volume_24h.base_volume == D(127)
    assert s.fees_24h == {"USDT": D("0.7")}  # 0.1 + 0.2 + 0.4
    # all time: buys 85 + 256 + 1024 = 1365, sells 42 + 128 + 512 = 682
    assert s.volume_all_time == Volume(
        buy_count=6,
        sell_count=5,
        buy_base=D(1365),
        sell_base=D(682),
        buy_quote=D(136500),
        sell_quote=D(68200),
    )
    assert s.fees_all_time == {"USDT": D("15.7")}  # 0.7 + 1 + 2 + 4 + 8
    assert s.unrealized_pnl is None

    # A day later nothing of these is inside the window any more.
    later = (await bot_stats(db_conn, t.bot_btc, mid=None, now=NOW + DAY)).symbol("BTC/USDT")
    assert later.volume_24h == Volume(buy_count=1, buy_base=D(1024), buy_quote=D(102400))
    assert later.fees_24h == {"USDT": D(8)}


async def test_24h_volume_at_every_cut_of_the_window(
    db_conn: psycopg.AsyncConnection[Any],
) -> None:
    """One fill every 7 minutes 13.5 seconds for 50 hours; for many `now`s the window must
    count exactly the fills with now - 24h < traded_at <= now."""
    t = await make_tenant(db_conn)
    start = NOW - timedelta(hours=50)
    step = timedelta(minutes=7, seconds=13, milliseconds=500)
    fills = [
        bot_fill(
            t,
            t.bot_btc,
            "BTC/USDT",
            side=(BUY, SELL)[i % 2],
            price=D(10 + i % 7),
            amount=D(i + 1),
            traded_at=start + step * i,
        )
        for i in range(int(timedelta(hours=50) / step))
    ]
    await insert_fills(db_conn, fills)
    stored = await stored_fills(db_conn, t.client_id)
    rng = random.Random(7)
    ends = [fills[-1].traded_at, fills[200].traded_at, NOW.replace(minute=0, second=0)]
    ends += [start + DAY + timedelta(seconds=rng.randrange(26 * 3600)) for _ in range(12)]
    for end in ends:
        s = (await bot_stats(db_conn, t.bot_btc, mid=None, now=end)).symbol("BTC/USDT")
        assert s.volume_24h == expected_volume(stored, (end - DAY, end)), end


async def test_client_stats_sum_over_bots_and_manual_orders(
    db_conn: psycopg.AsyncConnection[Any],
) -> None:
    t = await make_tenant(db_conn)
    other_bot = await make_bot(db_conn, t.client_id, t.credential_id, symbol="BTC/USDT")
    stranger = await make_tenant(db_conn)  # another client's fills must not count
    at = NOW - timedelta(hours=1)

    def f(side: OrderSide, price: int, amount: str, **kw: Any) -> dict[str, Any]:
        return {"side": side, "price": D(price), "amount": D(amount), "traded_at": at, **kw}

    await insert_fills(
        db_conn,
        [
            # bot A: buy 1 @ 100, sell 1 @ 110 -> +10; fee 0.5 USDT on the sell -> +9.5
            bot_fill(t, t.bot_btc, "BTC/USDT", **f(BUY, 100, "1")),
            bot_fill(
                t,
                t.bot_btc,
                "BTC/USDT",
                **f(SELL, 110, "1", fee_amount=D("0.5"), fee_currency="USDT"),
            ),
            # bot B: buy 2 @ 90 -> open long 2 @ 90
            bot_fill(
                t,
                other_bot,
                "BTC/USDT",
                **f(BUY, 90, "2", fee_amount=D("0.01"), fee_currency="BNB"),
            ),
            # manual on the first credential: sell 1 @ 120 with nothing open -> short 1 @ 120
            manual_fill(t, t.credential_id, "BTC/USDT", **f(SELL, 120, "1")),
            # manual on the other credential: buy 1 @ 100, sell 1 @ 95 -> -5
            manual_fill(t, t.other_credential_id, "BTC/USDT", **f(BUY, 100, "1")),
            manual_fill(t, t.other_credential_id, "BTC/USDT", **f(SELL, 95, "1")),
            # the ETH bot: buy 10 @ 20 paying 0.1 ETH -> long 9.9 costing 200
            bot_fill(
                t,
                t.bot_eth,
                "ETH/USDT",
                **f(BUY, 20, "10", fee_amount=D("0.1"), fee_currency="ETH"),
            ),
        ],
    )
    await insert_fill(
        db_conn, manual_fill(stranger, stranger.credential_id, "BTC/USDT", **f(BUY, 1, "100"))
    )

    mids = {"BTC/USDT": D(100), "ETH/USDT": D(21)}
    c = await client_stats(db_conn, t.client_id, mids=mids, now=NOW)
    btc, eth = c.symbol("BTC/USDT"), c.symbol("ETH/USDT")
    assert btc.books == 4  # two bots, two manual books (one per credential)
    assert btc.realized_pnl == D("4.5")  # 9.5 + 0 + 0 - 5
    assert btc.position == Position(
        long_amount=D(2), long_cost=D(180), short_amount=D(1), short_proceeds=D(120)
    )
    assert btc.position.net_amount == D(1)
    # unrealized at 100: bot B 2 * 100 - 180 = 20; manual short 120 - 100 = 20 -> 40
    assert btc.unrealized_pnl == D(40)
    # 6 trades: buys 1 + 2 + 1 = 4 BTC, sells 1 + 1 + 1 = 3 BTC
    assert btc.volume_24h == Volume(
        buy_count=3,
        sell_count=3,
        buy_base=D(4),
        sell_base=D(3),
        buy_quote=D(380),
        sell_quote=D(325),
    )
    assert btc.fees_all_time == {"USDT": D("0.5"), "BNB": D("0.01")}
    assert btc.other_fees_all_time == {"BNB": D("0.01")}
    assert eth.realized_pnl == 0
    assert eth.position == Position(long_amount=D("9.9"), long_cost=D(200))
    assert eth.unrealized_pnl == D("7.9")  # 9.9 * 21 - 200 = 207.9 - 200
    assert c.fees_all_time == {"USDT": D("0.5"), "BNB": D("0.01"), "ETH": D("0.1")}

    # The client's figures are the sums of its bots' and its manual books'.
    bots = [
        (await bot_stats(db_conn, bot, mid=D(100), now=NOW)).symbol("BTC/USDT")
        for bot in (t.bot_btc, other_bot)
    ]
    assert [b.realized_pnl for b in bots] == [D("9.5"), D(0)]
    assert [b.unrealized_pnl for b in bots] == [D(0), D(20)]
    oracle = oracle_books(await stored_fills(db_conn, t.client_id))
    manual = [
        oracle[(t.credential_id, None, "BTC/USDT")],
        oracle[(t.other_credential_id, None, "BTC/USDT")],
    ]
    assert btc.realized_pnl == sum(b.realized_pnl for b in bots) + sum(
        m.realized_pnl for m in manual
    )
    assert btc.volume_all_time == Volume.total(
        [
            *(b.volume_all_time for b in bots),
            expected_volume(
                [
                    f
                    for f in await stored_fills(db_conn, t.client_id)
                    if f.bot_id is None and f.symbol == "BTC/USDT"
                ]
            ),
        ]
    )
    eth_bot = (await bot_stats(db_conn, t.bot_eth, mid=D(21), now=NOW)).symbol("ETH/USDT")
    assert eth_bot == replace(eth, books=1)


async def test_a_duplicate_fill_changes_nothing(db_conn: psycopg.AsyncConnection[Any]) -> None:
    t = await make_tenant(db_conn)
    first = bot_fill(
        t,
        t.bot_btc,
        "BTC/USDT",
        side=BUY,
        price=D(100),
        amount=D(1),
        fee_amount=D("0.1"),
        fee_currency="USDT",
        traded_at=NOW,
    )
    second = bot_fill(
        t, t.bot_btc, "BTC/USDT", side=SELL, price=D(105), amount=D("0.4"), traded_at=NOW + US
    )
    assert await insert_fills(db_conn, [first, second]) == 2
    before = await stats_snapshot(db_conn)
    stats_before = await bot_stats(db_conn, t.bot_btc, mid=D(100), now=NOW)

    # Seen again, alone, in a batch, and with different numbers under the same trade id.
    assert await insert_fill(db_conn, first) == 0
    assert await insert_fills(db_conn, [second, first]) == 0
    assert (
        await insert_fill(db_conn, replace(first, price=D(1), amount=D(50), traded_at=NOW - DAY))
        == 0
    )

    assert await stats_snapshot(db_conn) == before  # updated_at included: nothing was touched
    assert await bot_stats(db_conn, t.bot_btc, mid=D(100), now=NOW) == stats_before
    s = stats_before.symbol("BTC/USDT")
    # 0.4 * 105 - 0.4 * 100.1 = 42 - 40.04 = 1.96
    assert s.realized_pnl == D("1.96")
    assert s.volume_all_time.trade_count == 2


async def test_an_out_of_order_fill_marks_the_book_stale_and_the_read_rebuilds_it(
    db_conn: psycopg.AsyncConnection[Any],
) -> None:
    t = await make_tenant(db_conn)
    at = NOW - timedelta(hours=2)
    await insert_fills(
        db_conn,
        [
            bot_fill(t, t.bot_btc, "BTC/USDT", side=BUY, price=D(100), amount=D(1), traded_at=at),
            bot_fill(
                t,
                t.bot_btc,
                "BTC/USDT",
                side=SELL,
                price=D(130),
                amount=D(1),
                traded_at=at + timedelta(hours=1),
            ),
        ],
    )
    s = (await bot_stats(db_conn, t.bot_btc, mid=None, now=NOW)).symbol("BTC/USDT")
    assert s.realized_pnl == D(30)

    # Reconciliation finds an older buy @ 70: in trade order the sell closes it instead:
    # 130 - 70 = 60 realized, and the 100 lot stays open.
    late = bot_fill(
        t,
        t.bot_btc,
        "BTC/USDT",
        side=BUY,
        price=D(70),
        amount=D(1),
        traded_at=at - timedelta(minutes=1),
    )
    await insert_fill(db_conn, late)
    rows = await book_rows(db_conn, t.client_id)
    _, realized, *_, stale = rows[(t.credential_id, t.bot_btc, "BTC/USDT")]
    assert stale
    assert realized == D(30)  # not folded: the trigger only marked the book

    s = (await bot_stats(db_conn, t.bot_btc, mid=D(110), now=NOW)).symbol("BTC/USDT")
    assert s.realized_pnl == D(60)
    assert s.position == Position(long_amount=D(1), long_cost=D(100))
    assert s.unrealized_pnl == D(10)
    rows = await book_rows(db_conn, t.client_id)
    assert not rows[(t.credential_id, t.bot_btc, "BTC/USDT")][-1]

    # A newer fill folds incrementally again: sell 1 @ 90 against the 100 lot -> -10.
    await insert_fill(
        db_conn,
        bot_fill(t, t.bot_btc, "BTC/USDT", side=SELL, price=D(90), amount=D(1), traded_at=NOW),
    )
    rows = await book_rows(db_conn, t.client_id)
    assert rows[(t.credential_id, t.bot_btc, "BTC/USDT")][1] == D(50)
    await assert_books_match_oracle(db_conn, t.client_id)


async def test_rebuild_stale_books_function_and_checkpoints(
    db_conn: psycopg.AsyncConnection[Any],
) -> None:
    t = await make_tenant(db_conn)
    await db_conn.execute("SET tradebridge.stats_checkpoint_every = '10'")
    rng = random.Random(3)
    for i in range(60):  # one statement each, as the worker writes: 6 checkpoints
        await insert_fill(
            db_conn,
            bot_fill(
                t,
                t.bot_btc,
                "BTC/USDT",
                side=rng.choice([BUY, SELL]),
                price=D(100 + rng.randrange(-20, 20)),
                amount=D(rng.randrange(1, 30)) / 10,
                traded_at=NOW - timedelta(minutes=60 - i),
            ),
        )

    async def checkpoints() -> list[tuple[Any, ...]]:
        cur = await db_conn.execute(
            "SELECT folded_count, created_at FROM stats_fifo_checkpoints ORDER BY folded_count"
        )
        return await cur.fetchall()

    kept = await checkpoints()
    assert [row[0] for row in kept] == [10, 20, 30, 40, 50, 60]

    # A late fill between the 35th and 36th: checkpoints after it are dropped, the one at
    # 30 is the starting point of the replay, and the replay writes new ones.
    await insert_fill(
        db_conn,
        bot_fill(
            t,
            t.bot_btc,
            "BTC/USDT",
            side=SELL,
            price=D(150),
            amount=D(3),
            traded_at=NOW - timedelta(minutes=25.5),
        ),
    )
    assert await rebuild_stale_books(db_conn) == 1
    assert await rebuild_stale_books(db_conn) == 0
    after = await checkpoints()
    assert after[:3] == kept[:3]  # 10, 20, 30 untouched
    assert [row[0] for row in after] == [10, 20, 30, 61]  # one replay of 31 fills: one more
    cur = await db_conn.execute("SELECT rebuild_count FROM stats_books")
    assert await cur.fetchall() == [(1,)]
    await assert_books_match_oracle(db_conn, t.client_id)

    # A book that only buys piles up lots (lots = fills); it is still checkpointed, each
    # checkpoint max(10, lots // 10) fills after the previous one: 10, 20, ... 100; then
    # 100 + max(10, 111 // 10 = 11) = 111; then 111 + max(10, 123 // 10 = 12) = 123.
    for i in range(125):
        await insert_fill(
            db_conn,
            bot_fill(
                t,
                t.bot_eth,
                "ETH/USDT",
                side=BUY,
                price=D(20),
                amount=D(1),
                traded_at=NOW + timedelta(seconds=i),
            ),
        )
    cur = await db_conn.execute(
        "SELECT c.folded_count, cardinality(c.lots) FROM stats_fifo_checkpoints c"
        " JOIN stats_books b ON b.id = c.book_id WHERE b.bot_id = %s ORDER BY 1",
        (t.bot_eth,),
    )
    spaced = await cur.fetchall()
    assert [count for count, _ in spaced] == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 111, 123]
    assert all(count == lots for count, lots in spaced)  # every buy is still an open lot


async def test_prune_keeps_what_the_window_and_a_rebuild_need(
    db_conn: psycopg.AsyncConnection[Any],
) -> None:
    t = await make_tenant(db_conn)
    await db_conn.execute("SET tradebridge.stats_checkpoint_every = '5'")
    real_now = datetime.now(UTC)
    start = real_now - timedelta(days=4)
    for i in range(40):  # one fill per 2.4 hours over 4 days, a checkpoint every 5
        await insert_fill(
            db_conn,
            bot_fill(
                t,
                t.bot_btc,
                "BTC/USDT",
                side=(BUY, SELL)[i % 2],
                price=D(100 + i),
                amount=D(1),
                traded_at=start + timedelta(hours=2.4 * i),
            ),
        )
    before = await bot_stats(db_conn, t.bot_btc, mid=D(120))

    cur = await db_conn.execute("SELECT stats_prune(interval '2 days')")
    pruned = await cur.fetchone()
    assert pruned is not None
    assert pruned[0] > 0
    cur = await db_conn.execute(
        "SELECT count(*) FILTER (WHERE bucket_seconds = 60 AND bucket_start < now() - interval"
        " '2 days'), count(*) FILTER (WHERE bucket_seconds = 3600) FROM stats_volume"
    )
    assert await cur.fetchone() == (0, 40)  # old minutes gone, every hour bucket kept
    cur = await db_conn.execute(
        "SELECT count(*) FILTER (WHERE traded_at < now() - interval '2 days'), count(*)"
        " FROM stats_fifo_checkpoints"
    )
    assert await cur.fetchone() == (1, 5)  # the newest of the 4 old ones, and 4 recent ones
    assert await bot_stats(db_conn, t.bot_btc, mid=D(120)) == replace(before, as_of=ANY)

    # A late fill three days back, older than every checkpoint left: a replay from nothing.
    await insert_fill(
        db_conn,
        bot_fill(
            t,
            t.bot_btc,
            "BTC/USDT",
            side=BUY,
            price=D(50),
            amount=D(1),
            traded_at=start + timedelta(minutes=1),
        ),
    )
    await assert_books_match_oracle(db_conn, t.client_id)


async def test_deleted_and_updated_fills_are_taken_back(
    db_conn: psycopg.AsyncConnection[Any],
) -> None:
    t = await make_tenant(db_conn)
    at = NOW - timedelta(hours=3)
    await insert_fills(
        db_conn,
        [
            bot_fill(
                t,
                t.bot_btc,
                "BTC/USDT",
                side=BUY,
                price=D(100),
                amount=D(1),
                traded_at=at,
                fee_amount=D("0.2"),
                fee_currency="BNB",
                trade_id="a",
            ),
            bot_fill(
                t,
                t.bot_btc,
                "BTC/USDT",
                side=BUY,
                price=D(120),
                amount=D(1),
                traded_at=at + timedelta(hours=1),
                trade_id="b",
            ),
            bot_fill(
                t,
                t.bot_btc,
                "BTC/USDT",
                side=SELL,
                price=D(130),
                amount=D(1),
                traded_at=at + timedelta(hours=2),
                trade_id="c",
            ),
        ],
    )
    s = (await bot_stats(db_conn, t.bot_btc, mid=None, now=NOW)).symbol("BTC/USDT")
    assert s.realized_pnl == D(30)  # 130 - 100

    await db_conn.execute("DELETE FROM fills WHERE exchange_trade_id = 'a'")
    s = (await bot_stats(db_conn, t.bot_btc, mid=None, now=NOW)).symbol("BTC/USDT")
    assert s.realized_pnl == D(10)  # 130 - 120
    assert s.volume_all_time == Volume(
        buy_count=1,
        sell_count=1,
        buy_base=D(1),
        sell_base=D(1),
        buy_quote=D(120),
        sell_quote=D(130),
    )
    assert s.fees_all_time == {}

    await db_conn.execute("UPDATE fills SET price = 125 WHERE exchange_trade_id = 'c'")
    s = (await bot_stats(db_conn, t.bot_btc, mid=None, now=NOW)).symbol("BTC/USDT")
    assert s.realized_pnl == D(5)  # 125 - 120
    assert s.volume_all_time.sell_quote == D(125)
    await assert_books_match_oracle(db_conn, t.client_id)


async def test_concurrent_writers_of_one_bot(db_url: str) -> None:
    """Four connections write interleaved fills of one bot in overlapping transactions:
    commit order differs from id and trade-time order, and the result is still exact."""
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as setup:
        t = await make_tenant(setup)
    rng = random.Random(11)
    fills = random_fills(t, rng, 400)
    fills = [
        replace(
            f, bot_id=t.bot_btc, credential_id=t.credential_id, symbol="BTC/USDT", order_id=None
        )
        for f in fills
    ]
    shares: dict[int, list[NewFill]] = defaultdict(list)
    for i, f in enumerate(fills):
        shares[i % 4].append(f)

    async def writer(mine: list[NewFill]) -> None:
        async with await psycopg.AsyncConnection.connect(db_url) as conn:
            for start in range(0, len(mine), 10):
                async with conn.transaction():
                    await insert_fills(conn, mine[start : start + 5])
                    await asyncio.sleep(0.001)
                    await insert_fills(conn, mine[start + 5 : start + 10])

    await asyncio.gather(*(writer(mine) for mine in shares.values()))
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        oracle = await assert_books_match_oracle(conn, t.client_id)
        assert oracle[(t.credential_id, t.bot_btc, "BTC/USDT")].fill_count == 400


async def test_copy_is_covered_too(db_conn: psycopg.AsyncConnection[Any]) -> None:
    t = await make_tenant(db_conn)
    async with (
        db_conn.cursor() as cur,
        cur.copy(
            "COPY fills (client_id, credential_id, bot_id, symbol, exchange_trade_id, side, price,"
            " amount, traded_at) FROM STDIN"
        ) as copy,
    ):
        await copy.write_row(
            (
                t.client_id,
                t.credential_id,
                t.bot_btc,
                "BTC/USDT",
                "x1",
                "buy",
                D(100),
                D(2),
                NOW - timedelta(minutes=2),
            )
        )
        await copy.write_row(
            (
                t.client_id,
                t.credential_id,
                t.bot_btc,
                "BTC/USDT",
                "x2",
                "sell",
                D(101),
                D(1),
                NOW - timedelta(minutes=1),
            )
        )
    s = (await bot_stats(db_conn, t.bot_btc, mid=D(102), now=NOW)).symbol("BTC/USDT")
    assert s.realized_pnl == D(1)
    assert s.unrealized_pnl == D(2)  # 1 * 102 - 100
    assert s.volume_24h.trade_count == 2


async def test_a_bot_without_fills_and_an_unknown_bot(
    db_conn: psycopg.AsyncConnection[Any],
) -> None:
    t = await make_tenant(db_conn)
    stats = await bot_stats(db_conn, t.bot_eth, mid=D(20), now=NOW)
    (s,) = stats.symbols
    assert (s.symbol, s.base, s.quote, s.books) == ("ETH/USDT", "ETH", "USDT", 0)
    assert s.realized_pnl == 0
    assert s.unrealized_pnl == 0
    assert s.volume_24h == Volume()
    assert (await client_stats(db_conn, t.client_id, mids={}, now=NOW)).symbols == ()
    with pytest.raises(NotFoundError):
        await bot_stats(db_conn, uuid.uuid4(), mid=None)
    with pytest.raises(NotFoundError):
        await client_stats(db_conn, uuid.uuid4(), mids={})
