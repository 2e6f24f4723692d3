"""Exchange credentials: sealed to the worker's public key on the way in, never readable."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from procrastinate import App

from shared.credentials import CredentialSecrets, register_credential, revoke_credential
from shared.errors import NotFoundError
from shared.jobs import REFRESH_BALANCES, balances_queueing_lock, defer_once
from shared.repositories.balances import get_balance_snapshot
from shared.repositories.credentials import get_credential, list_credentials
from web.auth import requires_client
from web.dependencies import Client, Conn, Context, JobApp
from web.errors import ApiError
from web.openapi import CLIENT_SECURITY, error_responses
from web.schemas.balances import BalanceRead, RefreshAccepted
from web.schemas.credentials import CredentialCreate, CredentialRead


def _not_found(credential_id: FromPath[UUID]) -> NotFoundError:
    return NotFoundError(f"credential {credential_id} not found")


class CredentialController(Controller):
    path = "/v1/credentials"
    tags = ["credentials"]
    guards = [requires_client]
    security = CLIENT_SECURITY

    @post(
        operation_id="createCredential",
        summary="Register exchange API keys (sealed at rest; the response holds no secret)",
        status_code=201,
        responses=error_responses(409, 413, 415, 422, 503),
    )
    async def create_credential(
        self,
        conn: Conn,
        client: Client,
        context: Context,
        data: JSONBody[CredentialCreate],
    ) -> CredentialRead:
        public_key = context.sealing_public_key
        key_id = context.settings.sealing_key_id
        if public_key is None or not key_id:
            raise ApiError(
                503,
                "credentials cannot be stored: no sealing public key is configured "
                "(TRADEBRIDGE_SEALING_KEY_ID and TRADEBRIDGE_SEALING_PUBLIC_KEY)",
            )
        credential = await register_credential(
            conn,
            client_id=client.client_id,
            exchange=data.exchange,
            label=data.label,
            environment=data.environment,
            api_base_url=data.api_base_url,
            secrets=CredentialSecrets(
                api_key=data.api_key,
                secret=data.secret,
                passphrase=data.passphrase,
                memo=data.memo,
            ),
            public_key=public_key,
            key_id=key_id,
            allowed_api_base_urls=context.settings.allowed_api_base_urls,
        )
        return CredentialRead.of(credential)

    @get(
        operation_id="listCredentials",
        summary="List your credentials",
        responses=error_responses(),
    )
    async def list_credentials(
        self, conn: Conn, client: Client, include_revoked: FromQuery[bool] = True
    ) -> list[CredentialRead]:
        credentials = await list_credentials(
            conn, client.client_id, include_revoked=include_revoked
        )
        return [CredentialRead.of(credential) for credential in credentials]

    @get(
        "/{credential_id:uuid}",
        operation_id="getCredential",
        summary="One credential",
        responses=error_responses(404),
    )
    async def get_credential(
        self, conn: Conn, client: Client, credential_id: FromPath[UUID]
    ) -> CredentialRead:
        credential = await get_credential(conn, client.client_id, credential_id)
        if credential is None:
            raise _not_found(credential_id)
        return CredentialRead.of(credential)

    @post(
        "/{credential_id:uuid}/revoke",
        operation_id="revokeCredential",
        summary="Revoke a credential; its running bots stop (idempotent)",
        description=(
            "Refused (409) while orders on this credential may be live at the venue: a "
            "revoked credential is never used again, so they could not be canceled."
        ),
        status_code=200,
        responses=error_responses(404, 409),
    )
    async def revoke_credential(
        self, conn: Conn, client: Client, credential_id: FromPath[UUID]
    ) -> CredentialRead:
        credential = await revoke_credential(
            conn, client_id=client.client_id, credential_id=credential_id
        )
        return CredentialRead.of(credential)

    @get(
        "/{credential_id:uuid}/balance",
        operation_id="getCredentialBalance",
        summary="The stored balance snapshot (the web never calls a venue)",
        description=(
            "`stale` is true when the snapshot is older than the configured age or the last "
            "refresh failed (`last_error`); the values are then the last good ones, never zeros."
        ),
        responses=error_responses(404),
    )
    async def get_balance(
        self, conn: Conn, client: Client, context: Context, credential_id: FromPath[UUID]
    ) -> BalanceRead:
        if await get_credential(conn, client.client_id, credential_id) is None:
            raise _not_found(credential_id)
        snapshot = await get_balance_snapshot(conn, credential_id)
        return BalanceRead.of(credential_id, snapshot, context.settings.balance_stale_after_s)

    @post(
        "/{credential_id:uuid}/balance/refresh",
        operation_id="refreshCredentialBalance",
        summary="Ask the worker to fetch balances now (one pending refresh per credential)",
        status_code=202,
        responses=error_responses(404, 409),
    )
    async def refresh_balance(
        self, conn: Conn, client: Client, job_app: JobApp, credential_id: FromPath[UUID]
    ) -> RefreshAccepted:
        credential = await get_credential(conn, client.client_id, credential_id)
        if credential is None:
            raise _not_found(credential_id)
        if credential.is_revoked:
            raise ApiError(409, "this credential is revoked")
        status = await request_balance_refresh(conn, job_app, credential_id)
        return RefreshAccepted(credential_id=credential_id, status=status)


async def request_balance_refresh(conn: Conn, job_app: App, credential_id: UUID) -> str:
    """Defer one refresh job for the credential, unless one is already queued."""
    queued = await defer_once(
        job_app, conn, REFRESH_BALANCES,
        queueing_lock=balances_queueing_lock(credential_id), credential_id=str(credential_id),
    )  # fmt: skip
    return "queued" if queued else "already queued"
