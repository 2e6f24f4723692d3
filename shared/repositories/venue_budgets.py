"""The shared request-weight budget rows (sql/queries/venue_budgets.sql): one per venue
host and egress, leased by every worker process in one statement each, so concurrent
leases never over-grant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from shared.db.statements import execute, fetch_all, fetch_one


@dataclass(frozen=True, slots=True)
class Lease:
    weight_used: int
    weight_limit: int
    window_start: datetime


@dataclass(frozen=True, slots=True)
class BudgetState:
    weight_used: int
    weight_limit: int
    window_start: datetime
    blocked_until: datetime | None
    blocked_reason: str | None
    window_left_s: float
    blocked_left_s: float | None


async def lease_request_weight(
    conn: AsyncConnection[Any],
    budget_key: str,
    egress: str,
    *,
    want: int,
    weight_limit: int,
    window_s: int = 60,
) -> Lease | None:
    """`want` weight from the current `window_s`-second window; None when full or blocked."""
    return await fetch_one(
        conn,
        Lease,
        "lease_request_weight",
        budget_key=budget_key,
        egress=egress,
        want=want,
        weight_limit=weight_limit,
        window_s=window_s,
    )


async def get_request_budget(
    conn: AsyncConnection[Any], budget_key: str, egress: str
) -> BudgetState | None:
    return await fetch_one(
        conn, BudgetState, "get_request_budget", budget_key=budget_key, egress=egress
    )


async def block_venue_requests(
    conn: AsyncConnection[Any],
    budget_key: str,
    egress: str,
    *,
    weight_limit: int,
    seconds: float,
    reason: str,
    window_s: int = 60,
) -> None:
    """Every process stops sending until `seconds` from now (a 429/418 Retry-After)."""
    await execute(
        conn,
        "block_venue_requests",
        budget_key=budget_key,
        egress=egress,
        weight_limit=weight_limit,
        seconds=seconds,
        reason=reason,
        window_s=window_s,
    )


@dataclass(frozen=True, slots=True)
class VenueWeight:
    venue: str
    request_weight_per_minute: int


async def request_weights_per_minute(conn: AsyncConnection[Any]) -> dict[str, int]:
    rows = await fetch_all(conn, VenueWeight, "venue_request_weights")
    return {row.venue: row.request_weight_per_minute for row in rows}
