"""Fills written through SQL (as the worker writes them) and the Python oracle beside them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection

from shared.domain import OrderSide
from shared.stats.fifo import FifoBook, Fill, fold
from shared.stats.models import ZERO, Volume, merge_fees, split_symbol

BookKey = tuple[uuid.UUID, uuid.UUID | None, str]  # credential, bot (None: manual), symbol


@dataclass(frozen=True)
class NewFill:
    client_id: uuid.UUID
    credential_id: uuid.UUID
    symbol: str
    side: OrderSide
    price: Decimal
    amount: Decimal
    traded_at: datetime
    bot_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    fee_amount: Decimal = ZERO
    fee_currency: str | None = None
    trade_id: str = field(default_factory=lambda: f"t-{uuid.uuid4().hex}")


_COLUMNS = (
    "client_id, credential_id, order_id, bot_id, symbol, exchange_trade_id, side, price, "
    "amount, fee_amount, fee_currency, traded_at"
)
# Whichever key applies (0009_venue_resets): per order, or per credential, symbol and
# trade id for a fill with no order.
_ON_CONFLICT = " ON CONFLICT DO NOTHING"


def _values(fill: NewFill) -> tuple[Any, ...]:
    return (
        fill.client_id,
        fill.credential_id,
        fill.order_id,
        fill.bot_id,
        fill.symbol,
        fill.trade_id,
        fill.side.value,
        fill.price,
        fill.amount,
        fill.fee_amount,
        fill.fee_currency,
        fill.traded_at,
    )


async def insert_fills(conn: AsyncConnection[Any], fills: list[NewFill]) -> int:
    """One multi-row INSERT ... ON CONFLICT DO NOTHING (one trigger run); rows inserted."""
    if not fills:
        return 0
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(fills))
    params = [value for fill in fills for value in _values(fill)]
    cur = await conn.execute(
        f"INSERT INTO fills ({_COLUMNS}) VALUES {placeholders}{_ON_CONFLICT}",
        params,
    )
    return cur.rowcount


async def insert_fill(conn: AsyncConnection[Any], fill: NewFill) -> int:
    return await insert_fills(conn, [fill])


@dataclass(frozen=True)
class StoredFill:
    id: int
    credential_id: uuid.UUID
    bot_id: uuid.UUID | None
    symbol: str
    side: OrderSide
    price: Decimal
    amount: Decimal
    fee_amount: Decimal
    fee_currency: str | None
    traded_at: datetime

    @property
    def book_key(self) -> BookKey:
        return (self.credential_id, self.bot_id, self.symbol)

    def as_fifo_fill(self) -> Fill:
        return Fill(
            self.side,
            self.price,
            self.amount,
            self.fee_amount,
            self.fee_currency,
            self.traded_at,
            self.id,
        )


async def stored_fills(conn: AsyncConnection[Any], client_id: uuid.UUID) -> list[StoredFill]:
    cur = await conn.execute(
        """SELECT id, credential_id, bot_id, symbol, side, price, amount, fee_amount,
                  fee_currency, traded_at
           FROM fills WHERE client_id = %s ORDER BY id""",
        (client_id,),
    )
    return [
        StoredFill(r[0], r[1], r[2], r[3], OrderSide(r[4]), *r[5:]) for r in await cur.fetchall()
    ]


def oracle_books(fills: list[StoredFill]) -> dict[BookKey, FifoBook]:
    """The reference: every book folded from scratch in (traded_at, id) order."""
    grouped: dict[BookKey, list[Fill]] = defaultdict(list)
    for fill in fills:
        grouped[fill.book_key].append(fill.as_fifo_fill())
    return {key: fold(book_fills, *split_symbol(key[2])) for key, book_fills in grouped.items()}


Span = tuple[datetime, datetime]  # (since, until]: since < traded_at <= until


def _in(fill: StoredFill, span: Span | None) -> bool:
    return span is None or span[0] < fill.traded_at <= span[1]


def expected_volume(fills: list[StoredFill], span: Span | None = None) -> Volume:
    chosen = [f for f in fills if _in(f, span)]
    buys = [f for f in chosen if f.side is OrderSide.BUY]
    sells = [f for f in chosen if f.side is OrderSide.SELL]
    return Volume(
        buy_count=len(buys),
        sell_count=len(sells),
        buy_base=sum((f.amount for f in buys), ZERO),
        sell_base=sum((f.amount for f in sells), ZERO),
        buy_quote=sum((f.price * f.amount for f in buys), ZERO),
        sell_quote=sum((f.price * f.amount for f in sells), ZERO),
    )


def expected_fees(fills: list[StoredFill], span: Span | None = None) -> dict[str, Decimal]:
    fees = merge_fees(
        *({f.fee_currency: f.fee_amount} for f in fills if f.fee_currency and _in(f, span))
    )
    return {c: a for c, a in fees.items() if a != 0}


async def book_rows(conn: AsyncConnection[Any], client_id: uuid.UUID) -> dict[BookKey, Any]:
    cur = await conn.execute(
        """SELECT credential_id, bot_id, symbol, id, realized_pnl, lot_side, open_amount,
                  open_value, folded_count, stale_from_fill_id IS NOT NULL
           FROM stats_books WHERE client_id = %s""",
        (client_id,),
    )
    return {(r[0], r[1], r[2]): r[3:] for r in await cur.fetchall()}


async def stats_snapshot(conn: AsyncConnection[Any]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every statistics table (as text: the all-time bucket starts at
    -infinity, which Python's datetime cannot hold), in a stable order."""
    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    for table, order in (
        ("stats_books", "id"),
        ("stats_fifo_lots", "book_id, seq"),
        ("stats_fifo_checkpoints", "book_id, traded_at, fill_id"),
        ("stats_volume", "book_id, bucket_seconds, bucket_start, fee_currency"),
    ):
        cur = await conn.execute(f"SELECT t::text FROM {table} t ORDER BY {order}")
        snapshot[table] = await cur.fetchall()
    return snapshot
