"""Dependencies every controller draws on.

`conn` yields a pooled connection inside a transaction. Litestar throws a handler's
exception back into this generator, so the transaction rolls back; otherwise it commits
when the handler (and the response's construction) is done, before anything is sent.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from procrastinate import App

from shared.db.pool import DbConnection, transaction
from web.auth import REQUEST_CONNECTION, ClientPrincipal
from web.context import WebContext, web_context


async def provide_conn(request: Request[Any, Any, Any]) -> AsyncGenerator[DbConnection, None]:
    # A client's request already holds the connection its token was looked up on (the
    # middleware returns it to the pool after the response); the admin's does not.
    conn: DbConnection | None = request.scope["state"].get(REQUEST_CONNECTION)
    if conn is None:
        async with transaction(web_context(request.app).require_pool()) as conn:
            yield conn
        return
    async with conn.transaction():
        yield conn


def provide_job_app(request: Request[Any, Any, Any]) -> App:
    return web_context(request.app).require_job_app()


def provide_context(request: Request[Any, Any, Any]) -> WebContext:
    return web_context(request.app)


def provide_client(request: Request[Any, Any, Any]) -> ClientPrincipal:
    user = request.scope.get("user")
    # The client guard ran first; this only narrows the type for the handler.
    assert isinstance(user, ClientPrincipal)
    return user


DEPENDENCIES = {
    "conn": Provide(provide_conn),
    "job_app": Provide(provide_job_app, sync_to_thread=False),
    "context": Provide(provide_context, sync_to_thread=False),
    "client": Provide(provide_client, sync_to_thread=False),
}

# What handlers annotate their parameters with (Litestar wants dependencies named).
Conn = NamedDependency[DbConnection]
JobApp = NamedDependency[App]
Client = NamedDependency[ClientPrincipal]
Context = NamedDependency[WebContext]
