"""Client and token management with the admin token."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from shared.errors import NotFoundError
from shared.repositories.clients import create_client, get_client, issue_api_token, list_clients
from shared.repositories.tokens import revoke_api_token
from web.auth import requires_admin
from web.dependencies import Conn
from web.openapi import ADMIN_SECURITY, error_responses
from web.schemas.clients import ClientCreate, ClientCreated, ClientRead
from web.schemas.tokens import TokenCreate, TokenIssued, TokenRead


class AdminClientController(Controller):
    path = "/v1/admin"
    tags = ["admin"]
    guards = [requires_admin]
    security = ADMIN_SECURITY

    @post(
        "/clients",
        operation_id="adminCreateClient",
        summary="Create a client and its first token (shown once)",
        status_code=201,
        responses=error_responses(409, 413, 415, 422),
    )
    async def create_client(self, conn: Conn, data: JSONBody[ClientCreate]) -> ClientCreated:
        client = await create_client(conn, data.name)
        issued = await issue_api_token(conn, client.id, data.token_label)
        return ClientCreated(client=ClientRead.of(client), token=TokenIssued.of(issued))

    @get(
        "/clients",
        operation_id="adminListClients",
        summary="List clients",
        responses=error_responses(),
    )
    async def list_clients(self, conn: Conn) -> list[ClientRead]:
        return [ClientRead.of(client) for client in await list_clients(conn)]

    @post(
        "/clients/{client_id:uuid}/tokens",
        operation_id="adminIssueToken",
        summary="Issue another token for a client (shown once)",
        status_code=201,
        responses=error_responses(404, 413, 415),
    )
    async def issue_token(
        self, conn: Conn, client_id: FromPath[UUID], data: JSONBody[TokenCreate | None] = None
    ) -> TokenIssued:
        if await get_client(conn, client_id) is None:
            raise NotFoundError(f"client {client_id} not found")
        issued = await issue_api_token(conn, client_id, data.label if data else "")
        return TokenIssued.of(issued)

    @post(
        "/tokens/{token_id:uuid}/revoke",
        operation_id="adminRevokeToken",
        summary="Revoke any client's token",
        status_code=200,
        responses=error_responses(404),
    )
    async def revoke_token(self, conn: Conn, token_id: FromPath[UUID]) -> TokenRead:
        token = await revoke_api_token(conn, token_id, client_id=None)
        if token is None:
            raise NotFoundError(f"token {token_id} not found")
        return TokenRead.of(token)
