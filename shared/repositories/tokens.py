"""Authentication lookups, token listing and revocation, and the admin's client directory.

Issuing tokens and creating clients live in `shared.repositories.clients`.
Functions take the connection: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.statements import fetch_all, fetch_one
from shared.repositories.clients import ApiToken
from shared.tokens import hash_token


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """What a presented token resolves to; usable only if neither revoked nor disabled."""

    token_id: UUID
    client_id: UUID
    token_prefix: str
    client_name: str
    revoked_at: datetime | None
    disabled_at: datetime | None

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.disabled_at is None


async def find_token_owner(conn: AsyncConnection, token: str) -> TokenOwner | None:
    return await fetch_one(conn, TokenOwner, "authenticate_token", token_hash=hash_token(token))


async def list_api_tokens(conn: AsyncConnection, client_id: UUID) -> list[ApiToken]:
    return await fetch_all(conn, ApiToken, "list_api_tokens", client_id=client_id)


async def revoke_api_token(
    conn: AsyncConnection, token_id: UUID, *, client_id: UUID | None
) -> ApiToken | None:
    """Idempotent. `client_id=None` is the admin's reach (any token)."""
    return await fetch_one(
        conn, ApiToken, "revoke_api_token", token_id=token_id, client_id=client_id
    )
