"""Egress routes, admin only: routes are set by the operator, and a client can never
point its traffic anywhere. The web seals a proxy URL with the public key and can never
read it back."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from shared.egress import assign_route, create_route, retire_route
from shared.errors import NotFoundError
from shared.repositories.egress_routes import get_active_egress_route, list_egress_routes
from web.auth import requires_admin
from web.dependencies import Conn, Context
from web.errors import ApiError
from web.openapi import ADMIN_SECURITY, error_responses
from web.schemas.egress_routes import (
    CredentialRoute,
    EgressRouteAssign,
    EgressRouteCreate,
    EgressRouteRead,
)


class AdminEgressRouteController(Controller):
    path = "/v1/admin"
    tags = ["admin"]
    guards = [requires_admin]
    security = ADMIN_SECURITY

    @post(
        "/egress-routes",
        operation_id="adminCreateEgressRoute",
        summary="Create an egress route (its proxy URL is sealed and never shown again)",
        status_code=201,
        responses=error_responses(409, 413, 415, 422, 503),
    )
    async def create_route(
        self, conn: Conn, context: Context, data: JSONBody[EgressRouteCreate]
    ) -> EgressRouteRead:
        public_key = context.sealing_public_key
        key_id = context.settings.sealing_key_id
        if public_key is None or not key_id:
            raise ApiError(
                503,
                "egress routes cannot be stored: no sealing public key is configured "
                "(TRADEBRIDGE_SEALING_KEY_ID and TRADEBRIDGE_SEALING_PUBLIC_KEY)",
            )
        route = await create_route(
            conn, name=data.name, proxy_url=data.proxy_url, public_key=public_key, key_id=key_id
        )
        return EgressRouteRead.of(route)

    @get(
        "/egress-routes",
        operation_id="adminListEgressRoutes",
        summary="List egress routes with their public IP as last seen by a worker",
        responses=error_responses(),
    )
    async def list_routes(
        self, conn: Conn, include_retired: FromQuery[bool] = False
    ) -> list[EgressRouteRead]:
        routes = await list_egress_routes(conn, include_retired=include_retired)
        return [EgressRouteRead.of(route) for route in routes]

    @get(
        "/egress-routes/{name:str}",
        operation_id="adminGetEgressRoute",
        summary="One active egress route",
        responses=error_responses(404),
    )
    async def get_route(self, conn: Conn, name: FromPath[str]) -> EgressRouteRead:
        route = await get_active_egress_route(conn, name)
        if route is None:
            raise NotFoundError(f"egress route {name!r} not found")
        return EgressRouteRead.of(route)

    @post(
        "/egress-routes/{name:str}/retire",
        operation_id="adminRetireEgressRoute",
        summary="Retire an egress route (refused while credentials are assigned to it)",
        status_code=200,
        responses=error_responses(404, 409),
    )
    async def retire_route(self, conn: Conn, name: FromPath[str]) -> EgressRouteRead:
        return EgressRouteRead.of(await retire_route(conn, name))

    @put(
        "/credentials/{credential_id:uuid}/egress-route",
        operation_id="adminAssignEgressRoute",
        summary="Send a credential's venue traffic by an egress route (null: the worker's own)",
        responses=error_responses(404, 409, 413, 415, 422),
    )
    async def assign_route(
        self, conn: Conn, credential_id: FromPath[UUID], data: JSONBody[EgressRouteAssign]
    ) -> CredentialRoute:
        await assign_route(conn, credential_id, data.egress_route)
        return CredentialRoute(credential_id=credential_id, egress_route=data.egress_route)
