"""The worker's side of the order lifecycle (sql/queries/order_pipeline.sql).

Every write carries its own forward-only condition, so a late or repeated writer changes
nothing instead of failing. Functions take the connection: the caller owns the
transaction. Orders come back as the one order row type, `shared.repositories.orders.Order`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.statements import execute, fetch_all, fetch_one, fetch_value, fetch_values
from shared.domain import CredentialEnvironment, KillSwitchScope, OrderStatus
from shared.exchange.types import ExchangeOrder, Trade
from shared.repositories.orders import Order
from shared.repositories.rows import coerce_enums


@dataclass(frozen=True, slots=True)
class SealedCredential:
    """What opening a credential needs: the sealed blob and the ids bound into it."""

    id: UUID
    client_id: UUID
    exchange: str
    environment: CredentialEnvironment
    api_base_url: str | None
    sealed_secret: bytes
    key_id: str
    revoked_at: datetime | None
    # The egress route it is assigned to, if any: its name and sealed proxy URL.
    egress_route_id: UUID | None = None
    egress_route: str | None = None
    sealed_proxy_url: bytes | None = None
    route_key_id: str | None = None

    def __post_init__(self) -> None:
        coerce_enums(self)


@dataclass(frozen=True, slots=True)
class EngagedKillSwitch:
    scope: KillSwitchScope
    engage_reason: str | None

    def __post_init__(self) -> None:
        coerce_enums(self)

    @property
    def message(self) -> str:
        return f"{self.scope.value} kill switch engaged: {self.engage_reason or 'no reason given'}"


@dataclass(frozen=True, slots=True)
class PlacementSnapshot:
    """What place_order reads before its first write (pipeline_placement_snapshot)."""

    order: Order
    credential: SealedCredential
    kill_switch: EngagedKillSwitch | None  # why the order must not go out, if engaged


# Which path brought a venue's answer: a REST call, or an event of a user-data stream.
VenuePath = Literal["rest", "stream"]


@dataclass(frozen=True, slots=True)
class VenueCall:
    """The exchange call whose answer apply_venue_order writes, logged in the same
    statement (an `ok` exchange_call event)."""

    name: str
    latency_ms: int
    attempt: int | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    before: OrderStatus
    after: OrderStatus | None  # None: the row already knew better (terminal, or further)

    def __post_init__(self) -> None:
        coerce_enums(self)


@dataclass(frozen=True, slots=True)
class CredentialToReconcile:
    credential_id: UUID
    live_orders: int


@dataclass(frozen=True, slots=True)
class OrphanOrder:
    id: UUID
    task_name: str  # the job that advances it: place_order or cancel_order


_ORDER_FIELDS = tuple(field.name for field in fields(Order))


async def lock_order(conn: AsyncConnection[Any], order_id: UUID) -> Order | None:
    return await fetch_one(conn, Order, "pipeline_lock_order", order_id=order_id)


async def lock_live_orders_of_credential(
    conn: AsyncConnection[Any], credential_id: UUID
) -> list[Order]:
    """The credential's open orders, locked in one statement in id order (the lock order
    of every multi-row lock of orders)."""
    return await fetch_all(
        conn, Order, "pipeline_lock_live_orders_of_credential", credential_id=credential_id
    )


async def placement_snapshot(
    conn: AsyncConnection[Any], order_id: UUID
) -> PlacementSnapshot | None:
    row = await fetch_one(conn, dict, "pipeline_placement_snapshot", order_id=order_id)
    if row is None:
        return None
    credential = SealedCredential(
        id=row["credential_id"],
        client_id=row["client_id"],
        exchange=row["exchange"],
        environment=row["environment"],
        api_base_url=row["api_base_url"],
        sealed_secret=row["sealed_secret"],
        key_id=row["key_id"],
        revoked_at=row["credential_revoked_at"],
        egress_route_id=row["egress_route_id"],
        egress_route=row["egress_route"],
        sealed_proxy_url=row["sealed_proxy_url"],
        route_key_id=row["route_key_id"],
    )
    kill_switch = (
        None
        if row["kill_switch_scope"] is None
        else EngagedKillSwitch(row["kill_switch_scope"], row["kill_switch_reason"])
    )
    return PlacementSnapshot(
        Order(**{name: row[name] for name in _ORDER_FIELDS}), credential, kill_switch
    )


async def load_credential(
    conn: AsyncConnection[Any], credential_id: UUID
) -> SealedCredential | None:
    return await fetch_one(
        conn, SealedCredential, "pipeline_load_credential", credential_id=credential_id
    )


async def engaged_kill_switch(
    conn: AsyncConnection[Any], client_id: UUID, bot_id: UUID | None
) -> EngagedKillSwitch | None:
    """The broadest engaged kill switch covering the client's order or bot, if any."""
    return await fetch_one(
        conn,
        EngagedKillSwitch,
        "pipeline_engaged_kill_switch",
        client_id=client_id,
        bot_id=bot_id,
    )


async def begin_submit(conn: AsyncConnection[Any], order: Order, job_id: int | None) -> int | None:
    """submitting, attempt + 1, if the row is still as `order` saw it and no kill switch
    is engaged (checked under the row lock); the attempt number, or None to start over."""
    attempt = await fetch_value(
        conn,
        "pipeline_begin_submit",
        order_id=order.id,
        expected_status=order.status,
        job_id=job_id,
    )
    return None if attempt is None else int(attempt)


async def mark_sending(conn: AsyncConnection[Any], order_id: UUID) -> None:
    """A lookup found nothing and the lost request can no longer arrive: this attempt
    sends, so submitted_at moves to now."""
    await execute(conn, "pipeline_mark_sending", order_id=order_id)


async def set_pre_venue_status(
    conn: AsyncConnection[Any],
    order_id: UUID,
    status: OrderStatus,
    *,
    error_code: str | None,
    error_message: str | None,
) -> None:
    await execute(
        conn,
        "pipeline_set_pre_venue_status",
        order_id=order_id,
        status=status,
        error_code=error_code,
        error_message=error_message,
    )


async def close_without_venue(
    conn: AsyncConnection[Any],
    order_id: UUID,
    status: OrderStatus,
    reason: str,
    *,
    error_code: str | None,
    error_message: str,
) -> bool:
    """False when the order was terminal already."""
    closed = await fetch_value(
        conn,
        "pipeline_close_without_venue",
        order_id=order_id,
        status=status,
        reject_reason=reason,
        error_code=error_code,
        error_message=error_message,
    )
    return closed is not None


async def apply_venue_order(
    conn: AsyncConnection[Any],
    order: Order,
    venue_order: ExchangeOrder | None,
    *,
    status: OrderStatus | None,
    trades: Sequence[Trade],
    call: VenueCall | None,
    job_id: int | None,
    via: VenuePath = "rest",
) -> StatusChange:
    """The venue's view (forward only), its fills (once each) and the call, in one
    statement that locks the row. No venue order (and no status): the fills alone."""
    change = await fetch_one(
        conn,
        StatusChange,
        "pipeline_apply_venue_order",
        order_id=order.id,
        status=status,
        exchange_order_id=venue_order.exchange_order_id if venue_order else None,
        filled=venue_order.filled if venue_order else 0,
        average_price=venue_order.average_price if venue_order else None,
        message=(
            f"venue: {venue_order.status.value}, filled {venue_order.filled}"
            if venue_order
            else None
        ),
        via=via,
        job_id=job_id,
        call=call.name if call else None,
        attempt=call.attempt if call else None,
        latency_ms=call.latency_ms if call else None,
        call_message=call.message if call else None,
        client_id=order.client_id,
        credential_id=order.credential_id,
        bot_id=order.bot_id,
        symbol=order.symbol,
        trade_ids=[t.trade_id for t in trades],
        exchange_order_ids=[t.order_id for t in trades],
        sides=[t.side.value for t in trades],
        prices=[t.price for t in trades],
        amounts=[t.amount for t in trades],
        fee_amounts=[t.fee_amount for t in trades],
        fee_currencies=[t.fee_currency for t in trades],
        is_makers=[t.is_maker for t in trades],
        traded_ats=[t.traded_at for t in trades],
    )
    assert change is not None, f"apply_venue_order: order {order.id} does not exist"
    return change


async def venue_denies_order(
    conn: AsyncConnection[Any],
    order_id: UUID,
    *,
    call: str | None,
    latency_ms: int | None,
    settle_s: float,
    job_id: int | None,
) -> OrderStatus:
    status = await fetch_value(
        conn,
        "pipeline_venue_denies_order",
        order_id=order_id,
        settle_s=settle_s,
        call=call,
        latency_ms=latency_ms,
        job_id=job_id,
    )
    assert status is not None, f"venue_denies_order: order {order_id} does not exist"
    return OrderStatus(status)


async def credentials_with_live_orders(
    conn: AsyncConnection[Any], *, min_age_s: float
) -> list[CredentialToReconcile]:
    return await fetch_all(
        conn, CredentialToReconcile, "pipeline_credentials_with_live_orders", min_age_s=min_age_s
    )


async def orders_without_live_job(
    conn: AsyncConnection[Any], *, min_age_s: float, limit: int
) -> list[OrphanOrder]:
    return await fetch_all(
        conn, OrphanOrder, "pipeline_orders_without_live_job", min_age_s=min_age_s, limit=limit
    )


async def orders_by_client_order_ids(
    conn: AsyncConnection[Any], credential_id: UUID, client_order_ids: Sequence[str]
) -> dict[str, Order]:
    """The credential's orders with these client order ids (not locked), by that id."""
    rows = await fetch_all(
        conn,
        Order,
        "pipeline_orders_by_client_order_ids",
        credential_id=credential_id,
        client_order_ids=list(client_order_ids),
    )
    return {row.client_order_id: row for row in rows}


async def orders_missing_fills(
    conn: AsyncConnection[Any], credential_id: UUID, *, within_s: float
) -> list[Order]:
    """The credential's orders (changed within `within_s`) whose fills add up to less
    than their filled amount."""
    return await fetch_all(
        conn, Order, "pipeline_orders_missing_fills", credential_id=credential_id,
        within_s=within_s,
    )  # fmt: skip


async def credentials_missing_fills(
    conn: AsyncConnection[Any], *, within_s: float, min_age_s: float
) -> list[UUID]:
    return await fetch_values(
        conn, "pipeline_credentials_missing_fills", within_s=within_s, min_age_s=min_age_s
    )
