"""Request ids and the structlog context of a request.

Every response carries `X-Request-ID`: the caller's own when it is sane (so ids can be
followed across services), else a fresh one. The id lives in the ASGI scope's state, so
the middleware, the error handlers and the `before_send` hook agree on it, including for
responses that never reach a route (404, 405).
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_HEADER_RAW = REQUEST_ID_HEADER.lower().encode()
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_STATE_KEY = "request_id"

log = structlog.get_logger("web.request")


def request_id_of(scope: Scope | dict[str, Any]) -> str:
    """The request's id, chosen once per request."""
    state: dict[str, Any] = scope.setdefault("state", {})
    request_id = state.get(_STATE_KEY)
    if isinstance(request_id, str):
        return request_id
    incoming = next(
        (
            value.decode("latin-1")
            for name, value in scope.get("headers", ())
            if name.lower() == _REQUEST_ID_HEADER_RAW
        ),
        None,
    )
    request_id = incoming if incoming and _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    state[_STATE_KEY] = request_id
    return request_id


async def add_request_id_header(message: Message, scope: Scope) -> None:
    """`before_send` hook: echo the id on every response, errors included."""
    if message["type"] == "http.response.start":
        headers = [
            (name, value)
            for name, value in message.get("headers", ())
            if name.lower() != _REQUEST_ID_HEADER_RAW
        ]
        headers.append((_REQUEST_ID_HEADER_RAW, request_id_of(scope).encode()))
        message["headers"] = headers


class RequestContextMiddleware(ASGIMiddleware):
    """Binds `request_id` into structlog's context and logs one line per request."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_id = request_id_of(scope)
        started = time.perf_counter()
        status: list[int] = []

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await next_app(scope, receive, send_and_record)
            except Exception as exc:
                # Raised by an inner middleware (401, 429): the app-level handler answers.
                status.append(getattr(exc, "status_code", 500))
                raise
            finally:
                log.info(
                    "request",
                    method=scope.get("method"),
                    path=scope.get("path"),
                    status=status[0] if status else None,
                    client_id=scope["state"].get("client_id"),
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )
