"""Webhook secrets: random, shown once, stored as SHA-256 only, checked in constant time.

Charting tools cannot set headers, so a strategy's webhook carries its secret in the
body. Checking it must not tell a caller anything but "no": a wrong secret, no secret
and an unknown strategy id take the same path (always hash, always compare two 32-byte
digests with `hmac.compare_digest`) and get the same answer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "tbs_"  # noqa: S105 - a public marker, not a secret
HINT_LENGTH = 8  # "tbs_" + 4 characters: enough to tell two secrets apart
# Compared against when the strategy does not exist: the comparison still runs, on a
# digest no secret hashes to in practice (SHA-256 of nothing we ever issue).
_ABSENT_HASH = hashlib.sha256(b"tradebridge: no such strategy").digest()


def new_webhook_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> bytes:
    # 256 random bits need no slow hash (as for API tokens).
    return hashlib.sha256(secret.encode()).digest()


def secret_hint(secret: str) -> str:
    return secret[:HINT_LENGTH]


def secret_matches(given: str | None, stored_hash: bytes | None) -> bool:
    """True only when `given` hashes to `stored_hash`. Every path hashes and compares
    two equal-length digests: no early return tells a missing secret or an unknown
    strategy (`stored_hash` None) apart from a wrong secret."""
    given_hash = hash_secret(given if isinstance(given, str) else "")
    expected = stored_hash if stored_hash is not None else _ABSENT_HASH
    matches = hmac.compare_digest(given_hash, expected)
    return matches and given is not None and stored_hash is not None
