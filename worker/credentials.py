"""Opening sealed credentials: the only place a secret exists in plaintext, in memory.

The worker holds the private sealing key of the current key id (and, during a rotation,
retired ones). Secrets never go to logs, job args or exception messages: OpenedCredential
hides them from repr, and a failure to open says which credential, never why in bytes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from cryptography.hazmat.primitives.asymmetric import x25519
from psycopg import AsyncConnection

from shared.credentials import open_credential_secrets
from shared.errors import NotFoundError
from shared.exchange.types import OpenedCredential
from shared.repositories.order_pipeline import SealedCredential, load_credential
from shared.sealing import UnsealError, load_private_keys
from shared.settings import Settings


class CredentialUnavailableError(NotFoundError):
    """Revoked, missing, or sealed under a key this worker does not hold."""


class CredentialVault:
    def __init__(self, private_keys: dict[str, x25519.X25519PrivateKey]) -> None:
        self._keys = private_keys
        # Opened once per sealed blob, not once per job: every order, cancel and
        # reconciliation needs the credential. Keyed by the blob itself, so a re-seal or
        # a rotated secret is a new entry; revocation is still read from the row each time.
        self._opened: dict[tuple[str, bytes], OpenedCredential] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> CredentialVault:
        return cls(
            load_private_keys(
                settings.sealing_key_id,
                settings.sealing_private_key,
                settings.sealing_retired_private_keys,
            )
        )

    async def open(self, conn: AsyncConnection[Any], credential_id: UUID) -> OpenedCredential:
        return self.open_row(credential_id, await load_credential(conn, credential_id))

    def open_row(self, credential_id: UUID, row: SealedCredential | None) -> OpenedCredential:
        """The credential from a row already read, e.g. by the placement snapshot."""
        if row is None or row.revoked_at is not None:
            raise CredentialUnavailableError(f"credential {credential_id} is revoked or missing")
        blob = bytes(row.sealed_secret)
        cached = self._opened.get((row.key_id, blob))
        if cached is not None:
            return cached
        key = self._keys.get(row.key_id)
        if key is None:
            raise CredentialUnavailableError(
                f"credential {credential_id} is sealed under key {row.key_id!r}, "
                "which this worker does not hold"
            )
        try:
            secrets = open_credential_secrets(
                blob,
                key,
                credential_id=row.id,
                client_id=row.client_id,
                exchange=row.exchange,
            )
        except (UnsealError, msgspec.DecodeError):
            raise CredentialUnavailableError(
                f"credential {credential_id} does not open with key {row.key_id!r}"
            ) from None
        opened = self._opened[(row.key_id, blob)] = OpenedCredential(
            credential_id=str(row.id),
            client_id=str(row.client_id),
            exchange=row.exchange,
            environment=row.environment,
            api_key=secrets.api_key,
            secret=secrets.secret,
            passphrase=secrets.passphrase,
            memo=secrets.memo,
            api_base_url=row.api_base_url,
            key_id=row.key_id,
        )
        return opened
