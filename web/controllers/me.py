"""The calling client's own identity, as its token resolves it (no database read)."""

from __future__ import annotations

from litestar import Controller, get

from web.auth import requires_client
from web.dependencies import Client
from web.openapi import CLIENT_SECURITY, error_responses
from web.schemas.me import MeRead


class MeController(Controller):
    path = "/v1/me"
    tags = ["me"]
    guards = [requires_client]
    security = CLIENT_SECURITY

    @get(
        operation_id="getMe",
        summary="Your client id, name and the prefix of the token you called with",
        responses=error_responses(),
    )
    async def get_me(self, client: Client) -> MeRead:
        return MeRead.of(client)
