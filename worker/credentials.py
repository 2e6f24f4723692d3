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
from shared.egress import open_proxy_url
from shared.errors import NotFoundError
from shared.exchange.types import OpenedCredential
from shared.repositories.egress_routes import SealedRoute
from shared.repositories.order_pipeline import SealedCredential, load_credential
from shared.sealing import UnsealError, load_private_keys
from shared.settings import Settings


class CredentialUnavailableError(NotFoundError):
    """Revoked, missing, or sealed under a key this worker does not hold."""


class CredentialVault:
    def __init__(self, private_keys: dict[str, x25519.X25519PrivateKey]) -> None:
        self._keys = private_keys
        # Opened once per sealed blob, not once per job: every order, cancel and
        # reconciliation needs the credential. Keyed by the blobs themselves (the
        # credential's and its egress route's), so a re-seal, a rotated secret or a new
        # route assignment is a new entry; revocation and the assignment are still read
        # from the row each time.
        self._opened: dict[tuple[str, bytes, str | None, bytes | None], OpenedCredential] = {}

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
        route_blob = None if row.sealed_proxy_url is None else bytes(row.sealed_proxy_url)
        cache_key = (row.key_id, blob, row.route_key_id, route_blob)
        cached = self._opened.get(cache_key)
        if cached is not None:
            return cached
        proxy_url = self._open_route(credential_id, row)
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
        opened = self._opened[cache_key] = OpenedCredential(
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
            egress_route=row.egress_route if proxy_url is not None else None,
            proxy_url=proxy_url,
        )
        return opened

    def _open_route(self, credential_id: UUID, row: SealedCredential) -> str | None:
        """The proxy URL of the credential's egress route; None when it has none. A route
        that does not open makes the credential unusable: its traffic must never leave
        by another IP than the one the operator chose."""
        if row.egress_route_id is None:
            return None
        try:
            return self.open_route(
                SealedRoute(
                    id=row.egress_route_id,
                    name=row.egress_route or str(row.egress_route_id),
                    sealed_proxy_url=bytes(row.sealed_proxy_url or b""),
                    key_id=row.route_key_id or "",
                )
            )
        except CredentialUnavailableError as exc:
            raise CredentialUnavailableError(f"credential {credential_id}: {exc}") from None

    def open_route(self, route: SealedRoute) -> str:
        """An egress route's proxy URL (it carries the proxy's password: never log it)."""
        key = self._keys.get(route.key_id)
        if key is None:
            raise CredentialUnavailableError(
                f"egress route {route.name!r} is sealed under key {route.key_id!r}, "
                "which this worker does not hold"
            )
        try:
            return open_proxy_url(route.sealed_proxy_url, key, route.id)
        except (UnsealError, UnicodeDecodeError):
            raise CredentialUnavailableError(
                f"egress route {route.name!r} does not open with key {route.key_id!r}"
            ) from None
