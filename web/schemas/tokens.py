"""API tokens. The plaintext token appears once, in `TokenIssued`; only its hash is stored."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from shared.orders.views import utc
from shared.repositories.clients import ApiToken, IssuedToken
from web.schemas.common import TokenLabel


class TokenCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    label: TokenLabel = ""


class TokenRead(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    client_id: UUID
    token_prefix: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenRead:
        return cls(
            id=token.id,
            client_id=token.client_id,
            token_prefix=token.token_prefix,
            label=token.label,
            created_at=utc(token.created_at),
            last_used_at=utc(token.last_used_at),
            revoked_at=utc(token.revoked_at),
        )


class TokenIssued(msgspec.Struct, frozen=True, kw_only=True):
    """Shown once: store `token` now, it cannot be retrieved again."""

    id: UUID
    client_id: UUID
    token: str
    token_prefix: str
    label: str
    created_at: datetime

    @classmethod
    def of(cls, issued: IssuedToken) -> TokenIssued:
        return cls(
            id=issued.record.id,
            client_id=issued.record.client_id,
            token=issued.token,
            token_prefix=issued.record.token_prefix,
            label=issued.record.label,
            created_at=utc(issued.record.created_at),
        )
