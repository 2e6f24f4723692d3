"""Exchange credentials. Secrets go in once and never come back out: reads carry only a
masked hint of the API key."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from shared.domain import CredentialEnvironment
from shared.orders.views import utc
from shared.repositories.credentials import Credential
from web.schemas.common import TEXT_PATTERN, Label

Secret = Annotated[str, Meta(min_length=1, max_length=4096, pattern=TEXT_PATTERN)]


class CredentialCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    exchange: Annotated[
        str,
        Meta(
            pattern=TEXT_PATTERN,
            description="A supported venue (any letter case; stored lower case), e.g. binance",
            examples=["binance", "bitmart", "coinstore"],
        ),
    ]
    label: Label
    api_key: Secret
    secret: Secret
    passphrase: Secret | None = None
    memo: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=4096,
                pattern=TEXT_PATTERN,
                description="BitMart only: the memo chosen when the API key was created",
            ),
        ]
        | None
    ) = None
    environment: CredentialEnvironment = CredentialEnvironment.LIVE
    api_base_url: (
        Annotated[
            str,
            Meta(
                max_length=500,
                pattern=TEXT_PATTERN,
                description="https URL whose origin is in TRADEBRIDGE_ALLOWED_API_BASE_URLS",
            ),
        ]
        | None
    ) = None


class CredentialRead(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    exchange: str
    environment: CredentialEnvironment
    api_base_url: str | None
    label: str
    key_id: str
    masked_hint: str
    created_at: datetime
    updated_at: datetime
    revoked_at: datetime | None
    # The egress route its venue traffic leaves by (set by an operator), or null.
    egress_route: str | None

    @classmethod
    def of(cls, credential: Credential) -> CredentialRead:
        return cls(
            id=credential.id,
            exchange=credential.exchange,
            environment=credential.environment,
            api_base_url=credential.api_base_url,
            label=credential.label,
            key_id=credential.key_id,
            masked_hint=credential.masked_hint,
            created_at=utc(credential.created_at),
            updated_at=utc(credential.updated_at),
            revoked_at=utc(credential.revoked_at),
            egress_route=credential.egress_route,
        )
