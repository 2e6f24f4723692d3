"""A client's own API tokens."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from shared.errors import NotFoundError
from shared.repositories.clients import issue_api_token
from shared.repositories.tokens import list_api_tokens, revoke_api_token
from web.auth import requires_client
from web.dependencies import Client, Conn
from web.openapi import CLIENT_SECURITY, error_responses
from web.schemas.tokens import TokenCreate, TokenIssued, TokenRead


class TokenController(Controller):
    path = "/v1/tokens"
    tags = ["tokens"]
    guards = [requires_client]
    security = CLIENT_SECURITY

    @get(
        operation_id="listTokens",
        summary="List your tokens (never the tokens themselves)",
        responses=error_responses(),
    )
    async def list_tokens(self, conn: Conn, client: Client) -> list[TokenRead]:
        return [TokenRead.of(token) for token in await list_api_tokens(conn, client.client_id)]

    @post(
        operation_id="createToken",
        summary="Issue a new token (shown once)",
        status_code=201,
        responses=error_responses(413, 415),
    )
    async def create_token(
        self, conn: Conn, client: Client, data: JSONBody[TokenCreate | None] = None
    ) -> TokenIssued:
        issued = await issue_api_token(conn, client.client_id, data.label if data else "")
        return TokenIssued.of(issued)

    @post(
        "/{token_id:uuid}/revoke",
        operation_id="revokeToken",
        summary="Revoke one of your tokens (idempotent)",
        status_code=200,
        responses=error_responses(404),
    )
    async def revoke_token(self, conn: Conn, client: Client, token_id: FromPath[UUID]) -> TokenRead:
        token = await revoke_api_token(conn, token_id, client_id=client.client_id)
        if token is None:
            raise NotFoundError(f"token {token_id} not found")
        return TokenRead.of(token)
