"""Fills as clients read them (sql/queries/fills.sql). Every read is scoped by client.

Fills are written by the order pipeline (shared.repositories.order_pipeline), each once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.statements import fetch_all
from shared.domain import OrderSide
from shared.repositories.rows import coerce_enums


@dataclass(frozen=True, slots=True)
class Fill:
    id: int
    order_id: UUID | None
    bot_id: UUID | None
    credential_id: UUID
    symbol: str
    exchange_trade_id: str
    exchange_order_id: str | None
    side: OrderSide
    price: Decimal
    amount: Decimal
    quote_amount: Decimal
    fee_amount: Decimal
    fee_currency: str | None
    is_maker: bool | None
    traded_at: datetime
    created_at: datetime

    def __post_init__(self) -> None:
        coerce_enums(self)


@dataclass(frozen=True, slots=True)
class FillFilters:
    symbol: str | None = None
    order_id: UUID | None = None
    bot_id: UUID | None = None
    credential_id: UUID | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


async def list_fills(
    conn: AsyncConnection,
    client_id: UUID,
    filters: FillFilters,
    *,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[Fill]:
    params = {
        "client_id": client_id,
        "before_created_at": before[0] if before else None,
        "before_id": before[1] if before else None,
        "symbol": filters.symbol,
        "order_id": filters.order_id,
        "bot_id": filters.bot_id,
        "credential_id": filters.credential_id,
        "created_after": filters.created_after,
        "created_before": filters.created_before,
        "limit": limit,
    }
    return await fetch_all(conn, Fill, "list_fills", **params)
