"""API bearer tokens: random, shown once, stored as SHA-256 only."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "tb_"  # noqa: S105 - a public marker, not a secret
DISPLAY_PREFIX_LENGTH = 10  # "tb_" + 7 characters: enough to tell tokens apart in a list


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> bytes:
    # A 256-bit random token needs no slow hash: SHA-256 is preimage-resistant, and an
    # index lookup on the digest keeps authentication to one query.
    return hashlib.sha256(token.encode()).digest()


def display_prefix(token: str) -> str:
    return token[:DISPLAY_PREFIX_LENGTH]
