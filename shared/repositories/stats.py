"""Read the statistics kept by the `fills` trigger (sql/migrations/0005_stats.sql;
queries in sql/queries/stats.sql).

Functions take the connection: the caller owns the transaction. A read may write: a book
marked stale by an out-of-order fill is rebuilt first (stats_rebuild_book), inside the
caller's transaction, so the connection must not be read-only. Cost per call: three or four
round trips reading O(books + buckets in 24h + fills of two partial minutes), independent of
the number of fills in history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.statements import execute, fetch_all, fetch_one, fetch_value
from shared.errors import NotFoundError
from shared.stats.models import (
    ZERO,
    BotStats,
    ClientStats,
    Position,
    SymbolStats,
    Volume,
    merge_fees,
    split_symbol,
)
from shared.stats.window import rolling_window


@dataclass(frozen=True, slots=True)
class _BotHead:
    bot_id: UUID
    client_id: UUID
    symbol: str
    as_of: datetime


@dataclass(frozen=True, slots=True)
class _ClientHead:
    client_id: UUID
    as_of: datetime


@dataclass(frozen=True, slots=True)
class BookRow:
    id: int
    symbol: str
    base: str
    quote: str
    realized_pnl: Decimal
    lot_side: int
    open_amount: Decimal
    open_value: Decimal
    folded_count: int
    stale: bool

    @property
    def position(self) -> Position:
        if self.lot_side > 0:
            return Position(long_amount=self.open_amount, long_cost=self.open_value)
        if self.lot_side < 0:
            return Position(short_amount=self.open_amount, short_proceeds=self.open_value)
        return Position()


@dataclass(frozen=True, slots=True)
class VolumeRow:
    period: str  # 'all' or '24h'
    book_id: int
    fee_currency: str  # '' when the fills had none
    buy_count: int
    sell_count: int
    buy_base: Decimal
    sell_base: Decimal
    buy_quote: Decimal
    sell_quote: Decimal
    fee_amount: Decimal

    @property
    def volume(self) -> Volume:
        return Volume(
            self.buy_count,
            self.sell_count,
            self.buy_base,
            self.sell_base,
            self.buy_quote,
            self.sell_quote,
        )


@dataclass(frozen=True, slots=True)
class LotRow:
    seq: int
    fill_id: int
    opened_at: datetime
    amount: Decimal
    value: Decimal


async def bot_stats(
    conn: AsyncConnection[Any], bot_id: UUID, *, mid: Decimal | None, now: datetime | None = None
) -> BotStats:
    """Statistics of one bot; `mid` values its open position (the bot's symbol)."""
    bot = await fetch_one(conn, _BotHead, "stats_bot", bot_id=bot_id, now=now)
    if bot is None:
        raise NotFoundError(f"bot {bot_id} not found")
    books = await _fresh_books(conn, "stats_bot_books", bot_id=bot_id)
    volumes = await _volumes(conn, books, bot.as_of)
    mids = {bot.symbol: mid} if mid is not None else {}
    return BotStats(
        bot_id=bot_id,
        client_id=bot.client_id,
        as_of=bot.as_of,
        symbols=_symbol_stats(books, volumes, mids, always=(bot.symbol,)),
    )


async def client_stats(
    conn: AsyncConnection[Any],
    client_id: UUID,
    *,
    mids: Mapping[str, Decimal],
    now: datetime | None = None,
) -> ClientStats:
    """Statistics of a client: per symbol, the sum over its bots' and manual books.

    `mids` maps symbols to the mid that values their open position; a symbol without one
    has unrealized_pnl None.
    """
    client = await fetch_one(conn, _ClientHead, "stats_client", client_id=client_id, now=now)
    if client is None:
        raise NotFoundError(f"client {client_id} not found")
    books = await _fresh_books(conn, "stats_client_books", client_id=client_id)
    volumes = await _volumes(conn, books, client.as_of)
    return ClientStats(
        client_id=client_id, as_of=client.as_of, symbols=_symbol_stats(books, volumes, mids)
    )


async def rebuild_stale_books(conn: AsyncConnection[Any]) -> int:
    """Rebuilds every stale book (for a periodic job); returns how many."""
    return int(await fetch_value(conn, "stats_rebuild_stale_books"))


async def prune(conn: AsyncConnection[Any]) -> None:
    """Drop minute buckets and checkpoints older than the 24h window needs."""
    await execute(conn, "stats_prune")


async def book_lots(conn: AsyncConnection[Any], book_id: int) -> list[LotRow]:
    return await fetch_all(conn, LotRow, "stats_book_lots", book_id=book_id)


@dataclass(frozen=True, slots=True)
class LatestMid:
    """The newest mid a bot's tick saw: it values open positions without a venue call."""

    symbol: str
    mid: Decimal
    ticked_at: datetime


async def bot_latest_mid(conn: AsyncConnection[Any], bot_id: UUID) -> LatestMid | None:
    return await fetch_one(conn, LatestMid, "stats_bot_latest_mid", bot_id=bot_id)


async def client_latest_mids(conn: AsyncConnection[Any], client_id: UUID) -> list[LatestMid]:
    """Per symbol, the newest mid any of the client's bots saw in the last hour."""
    return await fetch_all(conn, LatestMid, "stats_client_latest_mids", client_id=client_id)


async def _fresh_books(conn: AsyncConnection[Any], query_name: str, **owner: Any) -> list[BookRow]:
    """The owner's books (query_name: stats_bot_books or stats_client_books), stale ones
    rebuilt first."""
    books = await fetch_all(conn, BookRow, query_name, **owner)
    stale = [book.id for book in books if book.stale]
    if stale:
        await execute(conn, "stats_rebuild_books", book_ids=stale)
        books = await fetch_all(conn, BookRow, query_name, **owner)
    return books


async def _volumes(
    conn: AsyncConnection[Any], books: Sequence[BookRow], as_of: datetime
) -> list[VolumeRow]:
    if not books:
        return []
    window = rolling_window(as_of).as_params()
    return await fetch_all(
        conn, VolumeRow, "stats_volume", book_ids=[b.id for b in books], **window
    )


def _fees(rows: Iterable[VolumeRow]) -> dict[str, Decimal]:
    fees = merge_fees(*({row.fee_currency: row.fee_amount} for row in rows if row.fee_currency))
    return {currency: amount for currency, amount in fees.items() if amount != 0}


def _symbol_stats(
    books: Sequence[BookRow],
    volumes: Sequence[VolumeRow],
    mids: Mapping[str, Decimal],
    always: Iterable[str] = (),
) -> tuple[SymbolStats, ...]:
    books_by_symbol: dict[str, list[BookRow]] = defaultdict(list)
    for book in books:
        books_by_symbol[book.symbol].append(book)
    for symbol in always:
        books_by_symbol.setdefault(symbol, [])
    symbol_of_book = {book.id: book.symbol for book in books}
    rows: dict[tuple[str, str], list[VolumeRow]] = defaultdict(list)
    for row in volumes:
        rows[(symbol_of_book[row.book_id], row.period)].append(row)

    result: list[SymbolStats] = []
    for symbol in sorted(books_by_symbol):
        group = books_by_symbol[symbol]
        base, quote = (group[0].base, group[0].quote) if group else split_symbol(symbol)
        position = sum((book.position for book in group), Position())
        mid = mids.get(symbol)
        all_time, last_24h = rows[(symbol, "all")], rows[(symbol, "24h")]
        result.append(
            SymbolStats(
                symbol=symbol,
                base=base,
                quote=quote,
                realized_pnl=sum((book.realized_pnl for book in group), ZERO),
                position=position,
                mid=mid,
                unrealized_pnl=position.unrealized_pnl(mid) if mid is not None else None,
                volume_24h=Volume.total(row.volume for row in last_24h),
                volume_all_time=Volume.total(row.volume for row in all_time),
                fees_24h=_fees(last_24h),
                fees_all_time=_fees(all_time),
                books=len(group),
            )
        )
    return tuple(result)
