"""Egress routes (sql/queries/egress_routes.sql). Only the worker's reads return the
sealed proxy URL; admin reads carry the display part (scheme://host:port) alone.

Functions take the connection: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg.errors
from psycopg import AsyncConnection

from shared.db.errors import db_errors_as_domain_errors
from shared.db.statements import execute, fetch_all, fetch_one, fetch_value
from shared.errors import ConflictError


@dataclass(frozen=True, slots=True)
class EgressRoute:
    id: UUID
    name: str
    proxy_display: str
    key_id: str
    assigned_credentials: int
    public_ip: str | None
    public_ip_seen_at: datetime | None
    last_checked_at: datetime | None
    last_check_error: str | None
    created_at: datetime
    updated_at: datetime
    retired_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewEgressRoute:
    id: UUID
    name: str
    sealed_proxy_url: bytes
    key_id: str
    proxy_display: str


@dataclass(frozen=True, slots=True)
class SealedRoute:
    """A route's sealed proxy URL with the id its `info` binds: the worker's only."""

    id: UUID
    name: str
    sealed_proxy_url: bytes
    key_id: str


async def insert_egress_route(conn: AsyncConnection[Any], new: NewEgressRoute) -> EgressRoute:
    try:
        async with db_errors_as_domain_errors():
            row = await fetch_one(
                conn,
                EgressRoute,
                "insert_egress_route",
                id=new.id,
                name=new.name,
                sealed_proxy_url=new.sealed_proxy_url,
                key_id=new.key_id,
                proxy_display=new.proxy_display,
            )
    except ConflictError:
        raise ConflictError(f"an egress route named {new.name!r} already exists") from None
    assert row is not None
    return row


async def list_egress_routes(
    conn: AsyncConnection[Any], *, include_retired: bool = False
) -> list[EgressRoute]:
    return await fetch_all(conn, EgressRoute, "list_egress_routes", include_retired=include_retired)


async def get_active_egress_route(conn: AsyncConnection[Any], name: str) -> EgressRoute | None:
    return await fetch_one(conn, EgressRoute, "get_active_egress_route", name=name)


async def get_egress_route(conn: AsyncConnection[Any], route_id: UUID) -> EgressRoute | None:
    return await fetch_one(conn, EgressRoute, "get_egress_route", route_id=route_id)


async def lock_active_egress_route(conn: AsyncConnection[Any], name: str) -> UUID | None:
    route_id = await fetch_value(conn, "lock_active_egress_route", name=name)
    return None if route_id is None else UUID(str(route_id))


async def count_credentials_on_route(conn: AsyncConnection[Any], route_id: UUID) -> int:
    return int(await fetch_value(conn, "count_credentials_on_route", route_id=route_id))


async def retire_egress_route(conn: AsyncConnection[Any], route_id: UUID) -> bool:
    return await execute(conn, "retire_egress_route", route_id=route_id) == 1


async def assign_credential_route(
    conn: AsyncConnection[Any], credential_id: UUID, route_id: UUID | None
) -> bool:
    """False when the credential is missing or revoked."""
    try:
        touched = await execute(
            conn, "assign_credential_route", credential_id=credential_id, route_id=route_id
        )
    except psycopg.errors.CheckViolation:
        # The trigger's backstop: the route was retired after the caller looked it up.
        raise ConflictError("the egress route was retired meanwhile") from None
    return touched == 1


async def credential_is_revoked(conn: AsyncConnection[Any], credential_id: UUID) -> bool | None:
    """None when there is no such credential."""
    revoked = await fetch_value(conn, "credential_is_revoked", credential_id=credential_id)
    return None if revoked is None else bool(revoked)


async def routes_to_check(conn: AsyncConnection[Any]) -> list[SealedRoute]:
    return await fetch_all(conn, SealedRoute, "routes_to_check")


async def record_route_public_ip(
    conn: AsyncConnection[Any], route_id: UUID, public_ip: str
) -> None:
    await execute(conn, "record_route_public_ip", route_id=route_id, public_ip=public_ip)


async def record_route_check_error(conn: AsyncConnection[Any], route_id: UUID, error: str) -> None:
    await execute(conn, "record_route_check_error", route_id=route_id, error=error)


async def list_egress_routes_to_reseal(
    conn: AsyncConnection[Any], current_key_id: str
) -> list[SealedRoute]:
    return await fetch_all(
        conn, SealedRoute, "list_egress_routes_to_reseal", current_key_id=current_key_id
    )


async def reseal_egress_route(
    conn: AsyncConnection[Any], old: SealedRoute, sealed_proxy_url: bytes, key_id: str
) -> bool:
    """Replaces the blob if it is still the one read; False when another writer was first."""
    touched = await execute(
        conn,
        "reseal_egress_route",
        route_id=old.id,
        old_key_id=old.key_id,
        old_sealed_proxy_url=old.sealed_proxy_url,
        sealed_proxy_url=sealed_proxy_url,
        key_id=key_id,
    )
    return touched == 1
