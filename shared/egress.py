"""Egress routes: which IP a credential's venue traffic leaves by.

Venues allow-list API keys by IP. An operator (admin API only: nothing a client sends is
ever fetched or used as a proxy) names routes, each a proxy URL, and assigns credentials
to them; the worker then sends all of that credential's venue requests through the
route's proxy, and its request budget is the route's (`budget_egress`).

A proxy URL carries the proxy's password, so it is sealed like an exchange secret: HPKE
to the worker's public key with `info` binding the route id (`shared.sealing.
egress_route_info`), so the web can store one but never read it back. What an operator
sees is `ProxyUrl.display`: scheme://host:port. No error message here quotes the URL.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric import x25519
from psycopg import AsyncConnection

from shared.errors import ConflictError, NotFoundError
from shared.repositories import egress_routes as repo
from shared.repositories.egress_routes import EgressRoute, NewEgressRoute
from shared.sealing import egress_route_info, seal, unseal
from shared.validation import FieldValidationError

# http(s): the proxy is asked with absolute URIs / CONNECT; socks5h resolves venue host
# names at the proxy (socks5 resolves them locally).
PROXY_SCHEMES = frozenset({"http", "https", "socks5", "socks5h"})
ROUTE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
MAX_PROXY_URL_LENGTH = 2000
# The request budget of traffic that leaves by a route (venue_request_budgets.egress).
ROUTE_EGRESS_PREFIX = "route:"


@dataclass(frozen=True)
class ProxyUrl:
    url: str = field(repr=False)
    scheme: str
    host: str
    port: int

    @property
    def display(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def parse_proxy_url(raw: str, *, field_name: str = "proxy_url") -> ProxyUrl:
    """The URL if it is a proxy we can use: one of PROXY_SCHEMES, a host and an explicit
    port, user:password optional, nothing else. Refusals never quote the value."""

    def refuse(why: str) -> FieldValidationError:
        return FieldValidationError(field_name, why)

    url = raw.strip()
    if not url or len(url) > MAX_PROXY_URL_LENGTH:
        raise refuse(f"must be 1 to {MAX_PROXY_URL_LENGTH} characters")
    if any(character.isspace() or not character.isprintable() for character in url):
        raise refuse("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise refuse("is not a valid URL (check the host and port)") from None
    scheme = parts.scheme.lower()
    if scheme not in PROXY_SCHEMES:
        raise refuse(f"scheme must be one of {', '.join(sorted(PROXY_SCHEMES))}")
    if not parts.hostname:
        raise refuse("must name the proxy's host")
    if port is None or port == 0:
        raise refuse("must give the proxy's port explicitly (host:port)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise refuse("must be scheme://[user:password@]host:port with no path, query or fragment")
    return ProxyUrl(url=url.rstrip("/"), scheme=scheme, host=parts.hostname.lower(), port=port)


def check_route_name(name: str) -> str:
    if not ROUTE_NAME_RE.match(name):
        raise FieldValidationError(
            "name", "must be 1-63 of a-z, 0-9, '_' and '-', starting with a letter or digit"
        )
    return name


def budget_egress(route_name: str | None, process_egress: str) -> str:
    """The budget's egress: the route's for an assigned credential, else the process's."""
    return process_egress if route_name is None else f"{ROUTE_EGRESS_PREFIX}{route_name}"


def seal_proxy_url(url: str, public_key: x25519.X25519PublicKey, route_id: UUID) -> bytes:
    return seal(url.encode(), public_key, egress_route_info(route_id))


def open_proxy_url(blob: bytes, private_key: x25519.X25519PrivateKey, route_id: UUID) -> str:
    """The worker's side. Raises `shared.sealing.UnsealError` when the blob does not open."""
    return unseal(blob, private_key, egress_route_info(route_id)).decode()


async def create_route(
    conn: AsyncConnection,
    *,
    name: str,
    proxy_url: str,
    public_key: x25519.X25519PublicKey,
    key_id: str,
) -> EgressRoute:
    check_route_name(name)
    proxy = parse_proxy_url(proxy_url)
    route_id = uuid.uuid4()  # before the insert: it is bound into the sealed blob's info
    return await repo.insert_egress_route(
        conn,
        NewEgressRoute(
            id=route_id,
            name=name,
            sealed_proxy_url=seal_proxy_url(proxy.url, public_key, route_id),
            key_id=key_id,
            proxy_display=proxy.display,
        ),
    )


async def retire_route(conn: AsyncConnection, name: str) -> EgressRoute:
    """Refused while a usable credential is assigned: its traffic would have no route.
    Run in one transaction (the route row stays locked until the end)."""
    route_id = await repo.lock_active_egress_route(conn, name)
    if route_id is None:
        raise NotFoundError(f"egress route {name!r} not found")
    assigned = await repo.count_credentials_on_route(conn, route_id)
    if assigned:
        raise ConflictError(
            f"egress route {name!r} has {assigned} credential(s) assigned; unassign them first"
        )
    await repo.retire_egress_route(conn, route_id)
    retired = await repo.get_egress_route(conn, route_id)
    assert retired is not None
    return retired


async def assign_route(conn: AsyncConnection, credential_id: UUID, route_name: str | None) -> None:
    """Points the credential's venue traffic at the route (None: the worker's own egress).
    The worker reads the assignment with the credential on every job, so it takes effect
    from the next venue call on."""
    route_id = None
    if route_name is not None:
        route = await repo.get_active_egress_route(conn, route_name)
        if route is None:
            raise NotFoundError(f"egress route {route_name!r} not found")
        route_id = route.id
    revoked = await repo.credential_is_revoked(conn, credential_id)
    if revoked is None:
        raise NotFoundError(f"credential {credential_id} not found")
    if revoked or not await repo.assign_credential_route(conn, credential_id, route_id):
        raise ConflictError(f"credential {credential_id} is revoked")
