"""Kill switches: a client's (client or bot scope) and the admin's (global scope)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.params import JSONBody

from shared import kill_switch
from shared.domain import KillSwitchScope
from shared.errors import NotFoundError
from shared.repositories import bots as bots_repo
from shared.repositories.kill_switches import list_engaged_for_client
from shared.validation import FieldValidationError
from web.auth import AdminPrincipal, requires_admin, requires_client
from web.dependencies import Client, Conn, JobApp
from web.openapi import ADMIN_SECURITY, CLIENT_SECURITY, error_responses
from web.schemas.kill_switch import (
    GlobalKillSwitchChange,
    KillSwitchChange,
    KillSwitchRead,
    KillSwitchStatus,
)


def _confirmed(confirm: str, expected: UUID) -> bool:
    try:
        return UUID(confirm.strip()) == expected
    except ValueError:
        return False


async def _target(
    conn: Conn, client: Client, change: KillSwitchChange
) -> tuple[KillSwitchScope, UUID | None]:
    """(scope, bot_id) once `confirm` repeats the target's id and the bot is the client's."""
    if change.scope == "client":
        if change.bot_id is not None:
            raise FieldValidationError("bot_id", "must be omitted for scope client")
        if not _confirmed(change.confirm, client.client_id):
            raise FieldValidationError("confirm", "must repeat your client id for scope client")
        return KillSwitchScope.CLIENT, None
    if change.bot_id is None:
        raise FieldValidationError("bot_id", "is required for scope bot")
    if not _confirmed(change.confirm, change.bot_id):
        raise FieldValidationError("confirm", "must repeat the bot id for scope bot")
    if await bots_repo.get_bot(conn, client.client_id, change.bot_id) is None:
        raise NotFoundError(f"bot {change.bot_id} not found")
    return KillSwitchScope.BOT, change.bot_id


class KillSwitchController(Controller):
    path = "/v1/kill-switch"
    tags = ["kill-switch"]
    guards = [requires_client]
    security = CLIENT_SECURITY

    @get(
        operation_id="getKillSwitches",
        summary="What is engaged for you: global, client, bots",
        responses=error_responses(),
    )
    async def status(self, conn: Conn, client: Client) -> KillSwitchStatus:
        switches = await list_engaged_for_client(conn, client.client_id)
        return KillSwitchStatus(engaged=[KillSwitchRead.of(switch) for switch in switches])

    @post(
        "/engage",
        operation_id="engageKillSwitch",
        summary="Stop your bots (client scope) or one bot, and cancel their open orders",
        status_code=201,
        responses=error_responses(404, 409, 413, 415, 422),
    )
    async def engage(
        self, conn: Conn, client: Client, job_app: JobApp, data: JSONBody[KillSwitchChange]
    ) -> KillSwitchRead:
        scope, bot_id = await _target(conn, client, data)
        switch = await kill_switch.engage(
            conn,
            job_app,
            scope,
            client_id=client.client_id,
            bot_id=bot_id,
            engaged_by=client.actor,
            reason=data.reason,
        )
        return KillSwitchRead.of(switch)

    @post(
        "/release",
        operation_id="releaseKillSwitch",
        summary="Release a switch (bots stay stopped until started again)",
        status_code=200,
        responses=error_responses(404, 409, 413, 415, 422),
    )
    async def release(
        self, conn: Conn, client: Client, data: JSONBody[KillSwitchChange]
    ) -> KillSwitchRead:
        scope, bot_id = await _target(conn, client, data)
        switch = await kill_switch.release(
            conn,
            scope,
            client_id=client.client_id,
            bot_id=bot_id,
            released_by=client.actor,
            reason=data.reason,
        )
        return KillSwitchRead.of(switch)


def _check_global(change: GlobalKillSwitchChange) -> None:
    if change.confirm.strip() != "global":
        raise FieldValidationError("confirm", 'must be "global" for scope global')


class AdminKillSwitchController(Controller):
    path = "/v1/admin/kill-switch"
    tags = ["admin", "kill-switch"]
    guards = [requires_admin]
    security = ADMIN_SECURITY

    @post(
        "/engage",
        operation_id="adminEngageGlobalKillSwitch",
        summary="Stop every bot and cancel every open order",
        status_code=201,
        responses=error_responses(409, 413, 415, 422),
    )
    async def engage(
        self, conn: Conn, job_app: JobApp, data: JSONBody[GlobalKillSwitchChange]
    ) -> KillSwitchRead:
        _check_global(data)
        switch = await kill_switch.engage(
            conn,
            job_app,
            KillSwitchScope.GLOBAL,
            client_id=None,
            bot_id=None,
            engaged_by=AdminPrincipal().actor,
            reason=data.reason,
        )
        return KillSwitchRead.of(switch)

    @post(
        "/release",
        operation_id="adminReleaseGlobalKillSwitch",
        summary="Release the global switch (nothing restarts by itself)",
        status_code=200,
        responses=error_responses(409, 413, 415, 422),
    )
    async def release(self, conn: Conn, data: JSONBody[GlobalKillSwitchChange]) -> KillSwitchRead:
        _check_global(data)
        switch = await kill_switch.release(
            conn,
            KillSwitchScope.GLOBAL,
            client_id=None,
            bot_id=None,
            released_by=AdminPrincipal().actor,
            reason=data.reason,
        )
        return KillSwitchRead.of(switch)
