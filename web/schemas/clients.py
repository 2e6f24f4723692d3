"""Clients (tenants), managed with the admin token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from shared.orders.views import utc
from shared.repositories.clients import Client
from shared.validation import whole_string
from web.schemas.common import TokenLabel
from web.schemas.tokens import TokenIssued


class ClientCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[
        str,
        Meta(
            pattern=whole_string(r"[a-z0-9][a-z0-9_-]{0,62}"),
            description="1-63 lowercase letters, digits, '-' or '_'",
            examples=["acme"],
        ),
    ]
    token_label: TokenLabel = "initial"  # noqa: S105 - a label


class ClientRead(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    created_at: datetime
    disabled_at: datetime | None

    @classmethod
    def of(cls, client: Client) -> ClientRead:
        return cls(
            id=client.id,
            name=client.name,
            created_at=utc(client.created_at),
            disabled_at=utc(client.disabled_at),
        )


class ClientCreated(msgspec.Struct, frozen=True, kw_only=True):
    client: ClientRead
    token: TokenIssued
