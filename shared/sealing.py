"""Exchange secrets sealed with HPKE (RFC 9180) to the worker's public key.

The web process holds public keys only and can seal but never open. `info` binds a
blob to its credential id, client id and venue, so a ciphertext copied onto another
row does not open. Blobs are prefixed with nothing: the key id lives in its own column,
so rotation is "seal again under the new id": `tradebridge reseal` does it for every row,
opening with the current or a retired private key (`load_private_keys`).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from shared.errors import ConfigurationError, TradebridgeError

SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.CHACHA20_POLY1305)
INFO_PREFIX = b"tradebridge/exchange-credential/v1"
EGRESS_ROUTE_INFO_PREFIX = b"tradebridge/egress-route/v1"


class UnsealError(TradebridgeError):
    """The blob does not open with this key and context (never says more)."""


@dataclass(frozen=True)
class SealingKeyPair:
    key_id: str
    public_key_b64: str
    private_key_b64: str


def credential_info(credential_id: UUID, client_id: UUID, exchange: str) -> bytes:
    return b"|".join(
        (INFO_PREFIX, str(credential_id).encode(), str(client_id).encode(), exchange.encode())
    )


def egress_route_info(route_id: UUID) -> bytes:
    """An egress route's proxy URL is bound to its route id (shared.egress)."""
    return b"|".join((EGRESS_ROUTE_INFO_PREFIX, str(route_id).encode()))


def generate_key_pair() -> SealingKeyPair:
    private = x25519.X25519PrivateKey.generate()
    key_id = f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"
    return SealingKeyPair(
        key_id=key_id,
        public_key_b64=_b64(private.public_key().public_bytes_raw()),
        private_key_b64=_b64(private.private_bytes_raw()),
    )


def load_public_key(b64: str) -> x25519.X25519PublicKey:
    try:
        return x25519.X25519PublicKey.from_public_bytes(base64.b64decode(b64, validate=True))
    except ValueError as exc:
        raise ConfigurationError("sealing public key is not a base64 X25519 public key") from exc


def load_private_key(b64: str) -> x25519.X25519PrivateKey:
    try:
        return x25519.X25519PrivateKey.from_private_bytes(base64.b64decode(b64, validate=True))
    except ValueError:
        # Never echo the value or chain the exception: both could carry the key.
        raise ConfigurationError("sealing private key is not a base64 X25519 private key") from None


def load_private_keys(
    key_id: str | None, private_key_b64: str | None, retired: str | None
) -> dict[str, x25519.X25519PrivateKey]:
    """Key id → private key: the current pair plus the retired ones ("id:key,id:key"),
    which open credentials sealed before a rotation until they are re-sealed."""
    keys: dict[str, x25519.X25519PrivateKey] = {}
    if key_id and private_key_b64:
        keys[key_id] = load_private_key(private_key_b64)
    for entry in (retired or "").split(","):
        if not entry.strip():
            continue
        retired_id, _, key = entry.strip().partition(":")
        if not retired_id or not key:
            raise ConfigurationError(
                "TRADEBRIDGE_SEALING_RETIRED_PRIVATE_KEYS must be 'id:key,id:key'"
            )
        keys.setdefault(retired_id, load_private_key(key))
    return keys


def seal(plaintext: bytes, public_key: x25519.X25519PublicKey, info: bytes) -> bytes:
    return SUITE.encrypt(plaintext, public_key, info=info)


def unseal(blob: bytes, private_key: x25519.X25519PrivateKey, info: bytes) -> bytes:
    try:
        return SUITE.decrypt(blob, private_key, info=info)
    except (InvalidTag, ValueError):
        raise UnsealError("credential secret does not open with this key and context") from None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
