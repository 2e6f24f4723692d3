"""Exchange credentials. Every read is scoped by client; no read here returns the sealed blob.

Functions take the connection: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.errors import db_errors_as_domain_errors
from shared.db.statements import execute, fetch_all, fetch_one, fetch_value
from shared.domain import CredentialEnvironment
from shared.errors import ConflictError
from shared.repositories.rows import coerce_enums


@dataclass(frozen=True, slots=True)
class Credential:
    id: UUID
    client_id: UUID
    exchange: str
    environment: CredentialEnvironment
    api_base_url: str | None
    label: str
    key_id: str
    masked_hint: str
    created_at: datetime
    updated_at: datetime
    revoked_at: datetime | None
    # The name of the egress route its venue traffic leaves by (admin-set), if any.
    egress_route: str | None = None

    def __post_init__(self) -> None:
        coerce_enums(self)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class NewCredential:
    id: UUID
    client_id: UUID
    exchange: str
    environment: CredentialEnvironment
    api_base_url: str | None
    label: str
    sealed_secret: bytes
    key_id: str
    masked_hint: str


async def insert_credential(conn: AsyncConnection, new: NewCredential) -> Credential:
    params = {
        "id": new.id,
        "client_id": new.client_id,
        "exchange": new.exchange,
        "environment": new.environment.value,
        "api_base_url": new.api_base_url,
        "label": new.label,
        "sealed_secret": new.sealed_secret,
        "key_id": new.key_id,
        "masked_hint": new.masked_hint,
    }
    try:
        async with db_errors_as_domain_errors():
            row = await fetch_one(conn, Credential, "insert_credential", **params)
    except ConflictError:
        raise ConflictError(
            f"a credential labelled {new.label!r} already exists (revoke it or pick another label)"
        ) from None
    assert row is not None
    return row


async def get_credential(
    conn: AsyncConnection, client_id: UUID, credential_id: UUID
) -> Credential | None:
    return await fetch_one(
        conn, Credential, "get_credential", client_id=client_id, credential_id=credential_id
    )


async def get_usable_credential_by_label(
    conn: AsyncConnection, client_id: UUID, label: str
) -> Credential | None:
    return await fetch_one(
        conn, Credential, "get_usable_credential_by_label", client_id=client_id, label=label
    )


async def list_credentials(
    conn: AsyncConnection, client_id: UUID, *, include_revoked: bool = True
) -> list[Credential]:
    return await fetch_all(
        conn, Credential, "list_credentials", client_id=client_id, include_revoked=include_revoked
    )


async def count_live_orders(conn: AsyncConnection, client_id: UUID, credential_id: UUID) -> int:
    count = await fetch_value(
        conn, "count_live_orders_of_credential", client_id=client_id, credential_id=credential_id
    )
    return int(count)


async def revoke_credential(
    conn: AsyncConnection, client_id: UUID, credential_id: UUID
) -> Credential | None:
    """Marks the credential revoked (idempotent) and stops the bots that trade with it."""
    row = await fetch_one(
        conn, Credential, "revoke_credential", client_id=client_id, credential_id=credential_id
    )
    if row is not None:
        await execute(
            conn, "stop_bots_of_credential", client_id=client_id, credential_id=credential_id
        )
    return row


@dataclass(frozen=True, slots=True)
class CredentialToReseal:
    """A credential's sealed blob with what its `info` binds: for `tradebridge reseal` only."""

    id: UUID
    client_id: UUID
    exchange: str
    key_id: str
    sealed_secret: bytes


async def list_credentials_to_reseal(
    conn: AsyncConnection, current_key_id: str
) -> list[CredentialToReseal]:
    return await fetch_all(
        conn, CredentialToReseal, "list_credentials_to_reseal", current_key_id=current_key_id
    )


async def reseal_credential(
    conn: AsyncConnection, old: CredentialToReseal, sealed_secret: bytes, key_id: str
) -> bool:
    """Replaces the blob if it is still the one read; False when another writer was first."""
    touched = await execute(
        conn,
        "reseal_credential",
        credential_id=old.id,
        old_key_id=old.key_id,
        old_sealed_secret=old.sealed_secret,
        sealed_secret=sealed_secret,
        key_id=key_id,
    )
    return touched == 1
