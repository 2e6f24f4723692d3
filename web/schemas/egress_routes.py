"""Egress routes (admin). A proxy URL goes in once and never comes back out: reads carry
its scheme://host:port only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from shared.egress import MAX_PROXY_URL_LENGTH
from shared.orders.views import utc
from shared.repositories.egress_routes import EgressRoute
from shared.validation import whole_string
from web.schemas.common import TEXT_PATTERN

RouteName = Annotated[
    str,
    Meta(
        pattern=whole_string(r"[a-z0-9][a-z0-9_-]{0,62}"),
        description="1-63 lowercase letters, digits, '-' or '_'",
        examples=["fra-static-1"],
    ),
]
# The IP-echo answer when no worker has seen the route's public IP yet.
UNKNOWN_IP = "unknown"


class EgressRouteCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: RouteName
    proxy_url: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=MAX_PROXY_URL_LENGTH,
            pattern=TEXT_PATTERN,
            description=(
                "scheme://[user:password@]host:port, scheme one of http, https, socks5, "
                "socks5h. Sealed to the worker's key; never shown again."
            ),
            examples=["http://user:password@203.0.113.10:3128"],
        ),
    ]


class EgressRouteRead(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    proxy: str  # scheme://host:port, never the user or password
    key_id: str
    assigned_credentials: int
    public_ip: str  # as last seen by a worker through the route, or "unknown"
    public_ip_seen_at: datetime | None
    last_checked_at: datetime | None
    last_check_error: str | None
    created_at: datetime
    updated_at: datetime
    retired_at: datetime | None

    @classmethod
    def of(cls, route: EgressRoute) -> EgressRouteRead:
        return cls(
            id=route.id,
            name=route.name,
            proxy=route.proxy_display,
            key_id=route.key_id,
            assigned_credentials=route.assigned_credentials,
            public_ip=route.public_ip or UNKNOWN_IP,
            public_ip_seen_at=utc(route.public_ip_seen_at),
            last_checked_at=utc(route.last_checked_at),
            last_check_error=route.last_check_error,
            created_at=utc(route.created_at),
            updated_at=utc(route.updated_at),
            retired_at=utc(route.retired_at),
        )


class EgressRouteAssign(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # The route's name; null sends the credential's traffic by the worker's own egress.
    egress_route: RouteName | None


class CredentialRoute(msgspec.Struct, frozen=True, kw_only=True):
    credential_id: UUID
    egress_route: str | None
