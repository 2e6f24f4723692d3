"""Orders: submit an intent (idempotent), list, inspect, cancel."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from shared.domain import OrderSide, OrderStatus
from shared.errors import NotFoundError
from shared.orders.cancel import request_cancel
from shared.orders.intents import (
    IDEMPOTENCY_KEY_PATTERN,
    OrderIntent,
    is_valid_idempotency_key,
    submit_order_intent,
)
from shared.orders.views import order_view
from shared.repositories import orders as orders_repo
from shared.validation import parse_decimal
from web.auth import requires_client
from web.dependencies import Client, Conn, JobApp
from web.errors import ApiError
from web.openapi import CLIENT_SECURITY, error_responses
from web.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, split_page
from web.schemas.common import SymbolFilter
from web.schemas.orders import (
    FillRead,
    OrderCreate,
    OrderDetail,
    OrderEventRead,
    OrderPage,
    OrderRead,
)

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def _not_found(order_id: FromPath[UUID]) -> NotFoundError:
    return NotFoundError(f"order {order_id} not found")


def _money(value: str | None, field: str) -> Decimal | None:
    return parse_decimal(value, field) if value is not None else None


class OrderController(Controller):
    path = "/v1/orders"
    tags = ["orders"]
    guards = [requires_client]
    security = CLIENT_SECURITY

    @post(
        operation_id="createOrder",
        summary="Submit an order intent (202); repeat with the same Idempotency-Key safely",
        description=(
            "The first request stores the order (status `accepted`) and its `place_order` job "
            "and answers 202. The same key with the same body answers the stored response "
            "again with `Idempotent-Replayed: true`; the same key with another body answers "
            "422. Keys are scoped to your client."
        ),
        status_code=202,
        responses=error_responses(404, 413, 415, 422),
    )
    async def create_order(
        self,
        conn: Conn,
        client: Client,
        job_app: JobApp,
        data: JSONBody[OrderCreate],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name=IDEMPOTENCY_KEY_HEADER,
                required=True,
                description=(
                    "1-255 printable ASCII characters, neither first nor last a space; "
                    "unique per order you mean"
                ),
                # Documented here, checked below: a missing or invalid key has its own
                # error code, which Litestar's own header validation would not give. The
                # `None` default is that check's, not a null the caller may send.
                schema_extra={"one_of": None, "type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
            ),
        ] = None,
    ) -> Response[OrderRead]:
        if not is_valid_idempotency_key(idempotency_key):
            raise ApiError(
                400,
                f"{IDEMPOTENCY_KEY_HEADER} header is "
                + ("missing" if idempotency_key is None else "invalid")
                + ": send 1-255 printable ASCII characters",
                code="idempotency_key_missing" if idempotency_key is None else "bad_request",
            )
        assert idempotency_key is not None
        intent = OrderIntent(
            credential_id=data.credential_id,
            symbol=data.symbol,
            side=data.side,
            type=data.type,
            amount=parse_decimal(data.amount, "amount"),
            price=_money(data.price, "price"),
            time_in_force=data.time_in_force,
        )
        outcome = await submit_order_intent(
            conn,
            job_app,
            client_id=client.client_id,
            request=intent,
            idempotency_key=idempotency_key,
        )
        headers = {REPLAYED_HEADER: "true"} if outcome.replayed else {}
        return Response(
            msgspec.convert(outcome.body, OrderRead),
            status_code=outcome.status_code,
            headers=headers,
        )

    @get(
        operation_id="listOrders",
        summary="List your orders, newest first (cursor pagination)",
        responses=error_responses(),
    )
    async def list_orders(
        self,
        conn: Conn,
        client: Client,
        status: FromQuery[OrderStatus | None] = None,
        side: FromQuery[OrderSide | None] = None,
        symbol: SymbolFilter = None,
        bot_id: FromQuery[UUID | None] = None,
        credential_id: FromQuery[UUID | None] = None,
        created_after: FromQuery[datetime | None] = None,
        created_before: FromQuery[datetime | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> OrderPage:
        rows = await orders_repo.list_orders(
            conn,
            client.client_id,
            orders_repo.OrderFilters(
                status=status,
                side=side,
                symbol=symbol,
                bot_id=bot_id,
                credential_id=credential_id,
                created_after=created_after,
                created_before=created_before,
            ),
            before=decode_cursor(cursor, UUID) if cursor else None,
            limit=limit + 1,
        )
        page, next_cursor = split_page(rows, limit)
        items = [OrderRead(**msgspec.structs.asdict(order_view(row))) for row in page]
        return OrderPage(items=items, next_cursor=next_cursor)

    @get(
        "/{order_id:uuid}",
        operation_id="getOrder",
        summary="One order with its fills and event log",
        responses=error_responses(404),
    )
    async def get_order(self, conn: Conn, client: Client, order_id: FromPath[UUID]) -> OrderDetail:
        order = await orders_repo.get_order(conn, client.client_id, order_id)
        if order is None:
            raise _not_found(order_id)
        fills = await orders_repo.list_order_fills(conn, client.client_id, order_id)
        events = await orders_repo.list_order_events(conn, order_id)
        return OrderDetail(
            **msgspec.structs.asdict(order_view(order)),
            fills=[FillRead.of(fill) for fill in fills],
            events=[OrderEventRead.of(event) for event in events],
        )

    @post(
        "/{order_id:uuid}/cancel",
        operation_id="cancelOrder",
        summary="Ask for an order's cancellation (202; idempotent)",
        status_code=202,
        responses=error_responses(404, 409),
    )
    async def cancel_order(
        self, conn: Conn, client: Client, job_app: JobApp, order_id: FromPath[UUID]
    ) -> OrderRead:
        order = await request_cancel(
            conn, job_app, client_id=client.client_id, order_id=order_id, requested_by=client.actor
        )
        return OrderRead(**msgspec.structs.asdict(order_view(order)))
