"""Who the calling token belongs to."""

from __future__ import annotations

from uuid import UUID

import msgspec

from web.auth import ClientPrincipal


class MeRead(msgspec.Struct, frozen=True, kw_only=True):
    """The caller's identity. `client_id` is what `confirm` repeats when engaging the
    client kill switch."""

    client_id: UUID
    name: str
    token_id: UUID
    token_prefix: str

    @classmethod
    def of(cls, principal: ClientPrincipal) -> MeRead:
        return cls(
            client_id=principal.client_id,
            name=principal.client_name,
            token_id=principal.token_id,
            token_prefix=principal.token_prefix,
        )
