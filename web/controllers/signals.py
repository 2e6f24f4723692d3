"""The signal webhook (POST /v1/signals/{strategy_id}) and one signal with its deliveries.

The webhook authenticates EITHER with the client's bearer token (its own strategies
only; another client's strategy answers 404) OR with the strategy's secret in the body,
for senders that cannot set headers. Secret authentication answers one and the same 401
for a wrong secret, a missing secret and an unknown strategy id, after the same work
(one lookup by id, one hash, one constant-time comparison): nothing tells which
strategies exist. Rate limit: the strategy's client's, charged once authenticated.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from shared.errors import NotFoundError
from shared.repositories import received_signals as signals_repo
from shared.repositories import strategies as strategies_repo
from shared.repositories.strategies import Strategy
from shared.signals.intake import (
    ACCEPTED_STATUS_CODE,
    SignalIdReused,
    SignalRecorded,
    record_signal,
)
from shared.signals.request import MalformedSignal, body_secret, decode_body, parse_signal
from shared.signals.secrets import secret_matches
from web.auth import (
    BEARER_OPTIONAL,
    WWW_AUTHENTICATE,
    AdminPrincipal,
    ClientPrincipal,
    charge_rate_limit,
    requires_client,
)
from web.controllers.orders import REPLAYED_HEADER
from web.dependencies import Client, Conn, Context, JobApp
from web.errors import ApiError, ErrorDetail, FieldError
from web.openapi import CLIENT_SECURITY, error_responses
from web.request_context import request_id_of
from web.schemas.signal_body import SignalWebhookOperation
from web.schemas.signals import (
    DeliveryRead,
    SignalDetail,
    SignalRead,
    SignalReceipt,
    SignalRefused,
    SignalSummary,
)
from web.untrusted_input import check_json_body

_BAD_SECRET = "invalid or missing webhook secret"  # noqa: S105 - a message, not a secret


def _unauthorized() -> ApiError:
    # One message and header set for every way secret authentication fails.
    return ApiError(401, _BAD_SECRET, headers=WWW_AUTHENTICATE)


def _malformed(exc: MalformedSignal) -> ApiError:
    return ApiError(
        400, str(exc), details=[FieldError(field=exc.field, message=exc.reason, source="body")]
    )


def _webhook_responses() -> dict[int, ResponseSpec]:
    responses = error_responses(401, 404, 410, 413, 415, 422)
    responses[422] = ResponseSpec(
        data_container=SignalRefused,
        description=(
            "Refused and recorded (`error.code` signal_refused, with `signal`: too old, in "
            "the future, outside the session); or a value out of range, or a signal_id "
            "reused with other content (`signal_id_reused`), in the one error shape"
        ),
        generate_examples=False,
    )
    return responses


class SignalWebhookController(Controller):
    path = "/v1/signals"
    tags = ["signals"]

    @post(
        "/{strategy_id:uuid}",
        operation_id="receiveSignal",
        summary="Send a signal to a strategy (bearer token, or the strategy's secret in the body)",
        description=(
            "202: recorded and its fan-out queued. 422 `signal_refused`: recorded, not acted "
            "on (the reason says why). The same signal_id with the same content answers the "
            "first response again with `Idempotent-Replayed: true`; with other content 422 "
            "`signal_id_reused`. Archived strategy: 410."
        ),
        status_code=ACCEPTED_STATUS_CODE,
        opt={BEARER_OPTIONAL: True},
        # Either scheme: the client's token, or none (the secret in the body).
        security=[*CLIENT_SECURITY, {}],
        operation_class=SignalWebhookOperation,
        response_headers=[
            ResponseHeader(
                name=REPLAYED_HEADER,
                description="true when this answers a repeat of the signal_id",
                documentation_only=True,
            )
        ],
        responses=_webhook_responses(),
    )
    async def receive_signal(
        self,
        request: Request[Any, Any, Any],
        conn: Conn,
        job_app: JobApp,
        context: Context,
        strategy_id: FromPath[UUID],
    ) -> Response[SignalReceipt]:
        """Documented as its 202; a refusal answers 422 with `SignalRefused`."""
        try:
            body = decode_body(await request.body())
            check_json_body(body)
        except MalformedSignal as exc:
            raise _malformed(exc) from None
        user = request.scope.get("user")
        if isinstance(user, AdminPrincipal):
            raise ApiError(
                403, "the admin token sends no signals: use a client token or the secret"
            )
        if isinstance(user, ClientPrincipal):
            strategy: Strategy | None = await strategies_repo.get_strategy(
                conn, user.client_id, strategy_id
            )
            if strategy is None:
                raise NotFoundError(f"strategy {strategy_id} not found")
            # A secret sent along with the token is checked too (never silently ignored).
            if "secret" in body:
                await _authenticate_by_secret(conn, strategy_id, body)
        else:
            strategy = await _authenticate_by_secret(conn, strategy_id, body)
            charge_rate_limit(context, strategy.client_id)
        if strategy.is_archived:
            raise ApiError(410, f"strategy {strategy_id} is archived; its webhook is closed")
        try:
            signal = parse_signal(body)
        except MalformedSignal as exc:
            raise _malformed(exc) from None
        try:
            recorded = await record_signal(conn, job_app, strategy=strategy, request=signal)
        except SignalIdReused as exc:
            raise ApiError(
                422,
                str(exc),
                code="signal_id_reused",
                details=[FieldError(field="signal_id", message="already used with other content")],
            ) from None
        return _answer(request, recorded)


async def _authenticate_by_secret(conn: Conn, strategy_id: UUID, body: dict[str, Any]) -> Strategy:
    row = await strategies_repo.strategy_for_webhook(conn, strategy_id)
    if not secret_matches(body_secret(body), row.secret_hash if row is not None else None):
        raise _unauthorized()
    assert row is not None  # a match needs a stored hash
    return row


def _answer(request: Request[Any, Any, Any], recorded: SignalRecorded) -> Response[Any]:
    """The recorded answer: 202 with the signal, or 422 with the error and the signal."""
    headers = {REPLAYED_HEADER: "true"} if recorded.replayed else {}
    summary = msgspec.convert(recorded.body["signal"], SignalSummary)
    if recorded.status_code == ACCEPTED_STATUS_CODE:
        content: Any = SignalReceipt(signal=summary)
    else:
        content = SignalRefused(
            error=ErrorDetail(
                code="signal_refused",
                message=summary.refusal_reason or "refused",
                request_id=request_id_of(request.scope),
            ),
            signal=summary,
        )
    return Response(content, status_code=recorded.status_code, headers=headers)


class SignalController(Controller):
    # Under its strategy: /v1/signals/{id} would be the webhook's path template with
    # another parameter name, which OpenAPI forbids.
    path = "/v1/strategies"
    tags = ["signals"]
    guards = [requires_client]
    security = CLIENT_SECURITY

    @get(
        "/{strategy_id:uuid}/signals/{signal_id:uuid}",
        operation_id="getSignal",
        summary="One signal (our id) with what it did for each subscribed bot",
        responses=error_responses(404),
    )
    async def get_signal(
        self, conn: Conn, client: Client, strategy_id: FromPath[UUID], signal_id: FromPath[UUID]
    ) -> SignalDetail:
        signal = await signals_repo.get_signal(conn, client.client_id, signal_id)
        if signal is None or signal.strategy_id != strategy_id:
            raise NotFoundError(f"signal {signal_id} not found")
        deliveries = await signals_repo.list_signal_deliveries(conn, client.client_id, signal_id)
        return SignalDetail(
            **msgspec.structs.asdict(SignalRead.of(signal)),
            deliveries=[DeliveryRead.of(delivery) for delivery in deliveries],
        )
