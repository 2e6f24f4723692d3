"""Bearer authentication, the per-client rate limit, and the two guards.

- The middleware authenticates: the admin token (from settings, compared with
  `hmac.compare_digest`) or a client token (looked up by its SHA-256 on the unique
  index). Missing, unknown, revoked, or a disabled client's token → 401 with
  `WWW-Authenticate: Bearer`, the same answer for each, so nothing can be probed.
  A route with `opt={BEARER_OPTIONAL: True}` (the signal webhook, which charting tools
  call with a secret in the body) also runs without a token, with no principal; it then
  authenticates the caller itself and charges the rate limit with `charge_rate_limit`.
- The guards authorize: admin routes need the admin token, every other route a client
  token (403 otherwise). Admin routes answer 403 when no admin token is configured.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from shared.repositories.tokens import find_token_owner
from web.context import WebContext, web_context
from web.errors import ApiError

# Where the middleware leaves the connection of an authenticated client's request.
REQUEST_CONNECTION = "tradebridge_db_connection"
WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="tradebridge"'}
_MAX_TOKEN_LENGTH = 256
BEARER_OPTIONAL = "bearer_optional"


@dataclass(frozen=True, slots=True)
class ClientPrincipal:
    client_id: UUID
    client_name: str
    token_id: UUID
    token_prefix: str

    @property
    def actor(self) -> str:
        """How kill switches and cancel requests record who did it."""
        return f"token:{self.token_prefix}"


@dataclass(frozen=True, slots=True)
class AdminPrincipal:
    actor: str = "admin"


Principal = ClientPrincipal | AdminPrincipal


def _unauthorized(message: str) -> NotAuthorizedException:
    return NotAuthorizedException(detail=message, headers=WWW_AUTHENTICATE)


def _bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    return token


class BearerAuthMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_opt_key = "exclude_from_auth"

    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        # The OpenAPI document and its UIs are public.
        path: str = scope["path"]
        return path == "/schema" or path.startswith("/schema/")

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        if scope.get("method") == "OPTIONS":
            await next_app(scope, receive, send)
            return
        context = web_context(connection.app)
        token = _bearer_token(connection)
        if token is None and connection.route_handler.opt.get(BEARER_OPTIONAL):
            await next_app(scope, receive, send)
            return
        if token is None:
            raise _unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")

        admin_token = context.settings.admin_token
        if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
            scope["user"] = AdminPrincipal()
            scope["state"]["client_id"] = "admin"
            with structlog.contextvars.bound_contextvars(client_id="admin"):
                await next_app(scope, receive, send)
            return

        # The token is looked up on the connection the handler then works on (see
        # web.dependencies.provide_conn): one pool borrow per request, and the lookup
        # (autocommit) needs no transaction of its own.
        async with context.require_pool().connection() as conn:
            owner = await find_token_owner(conn, token)
            if owner is None or not owner.is_usable:
                raise _unauthorized("invalid, revoked or disabled token")
            principal = ClientPrincipal(
                client_id=owner.client_id,
                client_name=owner.client_name,
                token_id=owner.token_id,
                token_prefix=owner.token_prefix,
            )
            scope["user"] = principal
            scope["state"]["client_id"] = str(principal.client_id)
            scope["state"][REQUEST_CONNECTION] = conn
            with structlog.contextvars.bound_contextvars(client_id=str(principal.client_id)):
                charge_rate_limit(context, principal.client_id)
                await next_app(scope, receive, send)


def charge_rate_limit(context: WebContext, client_id: UUID) -> None:
    """One request of the client's per-minute budget; 429 with Retry-After when spent."""
    retry_after = context.rate_limiter.acquire(str(client_id))
    if retry_after is not None:
        raise ApiError(
            429,
            f"rate limit of {context.rate_limiter.per_minute} requests per minute "
            f"exceeded; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )


def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not web_context(connection.app).settings.admin_token:
        raise PermissionDeniedException("admin API disabled: TRADEBRIDGE_ADMIN_TOKEN is not set")
    if not isinstance(connection.scope.get("user"), AdminPrincipal):
        raise PermissionDeniedException("this route needs the admin token")


def requires_client(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not isinstance(connection.scope.get("user"), ClientPrincipal):
        raise PermissionDeniedException(
            "this route needs a client token (the admin token acts on no client's behalf)"
        )
