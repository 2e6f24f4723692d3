"""Exchange credentials: the rules for registering one, and what its sealed blob holds.

The web seals (public key only); the worker opens (private key). The plaintext is the
canonical JSON of `CredentialSecrets`, sealed with `info` bound to the credential id,
client id and venue (`shared.sealing.credential_info`), so a blob copied onto another
row does not open. The credential id is generated here, before the insert, because it is
part of `info`.

A caller-supplied `api_base_url` is where the worker will send signed requests: it is
accepted only over https and only when its origin is on the operator's allow-list
(`TRADEBRIDGE_ALLOWED_API_BASE_URLS`); no other caller-supplied URL is ever fetched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from urllib.parse import urlsplit
from uuid import UUID

import msgspec
from cryptography.hazmat.primitives.asymmetric import x25519
from psycopg import AsyncConnection

from shared.domain import CredentialEnvironment, Venue
from shared.errors import ConflictError, NotFoundError
from shared.repositories import credentials as repo
from shared.repositories.credentials import Credential, NewCredential, insert_credential
from shared.sealing import credential_info, seal, unseal
from shared.validation import FieldValidationError

# The venues whose dialect the paper exchange speaks.
PAPER_VENUES = frozenset({Venue.BINANCE, Venue.BITMART, Venue.COINSTORE})
# Venues with no spot sandbox: their keys are live or paper.
NO_TESTNET_VENUES = frozenset({Venue.BITMART, Venue.COINSTORE})
# Venues whose API keys come with a memo the signature covers, besides key and secret.
MEMO_VENUES = frozenset({Venue.BITMART})

_MASK = "\u2022\u2022\u2022\u2022"  # "••••"


class CredentialSecrets(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    api_key: str
    secret: str
    passphrase: str | None = None
    memo: str | None = None

    def __repr__(self) -> str:
        # Never let a traceback or a log line print the values.
        return "CredentialSecrets(<redacted>)"


def masked_hint(api_key: str) -> str:
    """ "••••wxyz": enough to recognise a key, never enough to use it (short keys: mask only)."""
    return _MASK + api_key[-4:] if len(api_key) >= 12 else _MASK


def seal_credential_secrets(
    secrets: CredentialSecrets,
    public_key: x25519.X25519PublicKey,
    *,
    credential_id: UUID,
    client_id: UUID,
    exchange: str,
) -> bytes:
    plaintext = msgspec.json.encode(secrets, order="sorted")
    return seal(plaintext, public_key, credential_info(credential_id, client_id, exchange))


def open_credential_secrets(
    blob: bytes,
    private_key: x25519.X25519PrivateKey,
    *,
    credential_id: UUID,
    client_id: UUID,
    exchange: str,
) -> CredentialSecrets:
    """The worker's side. Raises `shared.sealing.UnsealError` when the blob does not open."""
    plaintext = unseal(blob, private_key, credential_info(credential_id, client_id, exchange))
    return msgspec.json.decode(plaintext, type=CredentialSecrets)


def check_venue(exchange: str) -> Venue:
    """The venue named `exchange`, in any letter case: codes are lower case everywhere,
    and a key saved as "BitMart" must route to bitmart, never to nothing."""
    try:
        return Venue(exchange.lower())
    except ValueError:
        supported = ", ".join(venue.value for venue in Venue)
        raise FieldValidationError(
            "exchange", f"unsupported venue {exchange!r}; supported: {supported}"
        ) from None


def check_memo(venue: Venue, memo: str | None) -> None:
    if venue in MEMO_VENUES and not memo:
        raise FieldValidationError(
            "memo", f"{venue.value} API keys have a memo (chosen when the key was created)"
        )
    if venue not in MEMO_VENUES and memo is not None:
        raise FieldValidationError("memo", f"{venue.value} API keys have no memo")


def url_origin(url: str) -> str | None:
    """ "https://host[:port]" in lower case, or None if `url` is not a plain https URL."""
    url = url.strip()
    # urlsplit keeps spaces and control characters; the worker would send them verbatim.
    if any(character.isspace() or not character.isprintable() for character in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        return None
    host = parts.hostname.lower()
    return f"https://{host}" if port in (None, 443) else f"https://{host}:{port}"


def check_api_base_url(
    url: str | None,
    *,
    environment: CredentialEnvironment,
    allowed: Iterable[str],
) -> str | None:
    if url is None:
        return None
    if environment is CredentialEnvironment.PAPER:
        raise FieldValidationError(
            "api_base_url",
            "must be omitted for the paper environment: its URL comes from the server's settings",
        )
    origin = url_origin(url)
    if origin is None:
        raise FieldValidationError(
            "api_base_url", "must be an https URL without credentials, query or fragment"
        )
    allowed_origins = {o for o in (url_origin(entry) for entry in allowed) if o is not None}
    if origin not in allowed_origins:
        raise FieldValidationError(
            "api_base_url",
            f"origin {origin} is not on this server's allow-list "
            "(TRADEBRIDGE_ALLOWED_API_BASE_URLS)",
        )
    return url.strip().rstrip("/")


async def register_credential(
    conn: AsyncConnection,
    *,
    client_id: UUID,
    exchange: str,
    label: str,
    environment: CredentialEnvironment,
    api_base_url: str | None,
    secrets: CredentialSecrets,
    public_key: x25519.X25519PublicKey,
    key_id: str,
    allowed_api_base_urls: Iterable[str],
) -> Credential:
    venue = check_venue(exchange)
    if environment is CredentialEnvironment.PAPER and venue not in PAPER_VENUES:
        dialects = ", ".join(sorted(PAPER_VENUES))
        raise FieldValidationError(
            "environment", f"paper is available for {dialects} (the paper exchange's dialects)"
        )
    if environment is CredentialEnvironment.TESTNET and venue in NO_TESTNET_VENUES:
        raise FieldValidationError(
            "environment", f"{venue.value} has no testnet; use live or paper"
        )
    check_memo(venue, secrets.memo)
    base_url = check_api_base_url(
        api_base_url, environment=environment, allowed=allowed_api_base_urls
    )
    credential_id = uuid.uuid4()
    sealed = seal_credential_secrets(
        secrets,
        public_key,
        credential_id=credential_id,
        client_id=client_id,
        exchange=venue.value,
    )
    return await insert_credential(
        conn,
        NewCredential(
            id=credential_id,
            client_id=client_id,
            exchange=venue.value,
            environment=environment,
            api_base_url=base_url,
            label=label,
            sealed_secret=sealed,
            key_id=key_id,
            masked_hint=masked_hint(secrets.api_key),
        ),
    )


async def revoke_credential(
    conn: AsyncConnection, *, client_id: UUID, credential_id: UUID
) -> Credential:
    """Idempotent. Stops the bots that trade with it. Refused while orders on it may be live
    at the venue: the worker never uses a revoked credential, so they could no longer be
    canceled or reconciled."""
    credential = await repo.get_credential(conn, client_id, credential_id)
    if credential is None:
        raise NotFoundError(f"credential {credential_id} not found")
    if credential.is_revoked:
        return credential
    live = await repo.count_live_orders(conn, client_id, credential_id)
    if live:
        raise ConflictError(
            f"credential {credential_id} has {live} order(s) that may be live at the venue; "
            "cancel them (or engage a kill switch) and revoke once they are closed"
        )
    revoked = await repo.revoke_credential(conn, client_id, credential_id)
    assert revoked is not None
    return revoked
