"""Clients and their API tokens. Functions take the connection: the caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.errors import db_errors_as_domain_errors
from shared.db.statements import fetch_all, fetch_one
from shared.errors import ConflictError, ValidationError
from shared.tokens import display_prefix, hash_token, new_token


@dataclass(frozen=True, slots=True)
class Client:
    id: UUID
    name: str
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: UUID
    client_id: UUID
    token_prefix: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """The one moment the plaintext token exists: returned to the caller, never stored."""

    token: str
    record: ApiToken


async def create_client(conn: AsyncConnection, name: str) -> Client:
    try:
        async with db_errors_as_domain_errors():
            row = await fetch_one(conn, Client, "insert_client", name=name)
    except ConflictError:
        raise ConflictError(f"a client named {name!r} already exists") from None
    except ValidationError:
        raise ValidationError(
            f"invalid client name {name!r}: use 1-63 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit"
        ) from None
    assert row is not None
    return row


async def get_client_by_name(conn: AsyncConnection, name: str) -> Client | None:
    return await fetch_one(conn, Client, "get_client_by_name", name=name)


async def issue_api_token(conn: AsyncConnection, client_id: UUID, label: str = "") -> IssuedToken:
    token = new_token()
    async with db_errors_as_domain_errors():
        record = await fetch_one(
            conn,
            ApiToken,
            "insert_api_token",
            client_id=client_id,
            token_hash=hash_token(token),
            token_prefix=display_prefix(token),
            label=label,
        )
    assert record is not None
    return IssuedToken(token=token, record=record)


async def list_clients(conn: AsyncConnection) -> list[Client]:
    return await fetch_all(conn, Client, "list_clients")


async def get_client(conn: AsyncConnection, client_id: UUID) -> Client | None:
    return await fetch_one(conn, Client, "get_client", client_id=client_id)
