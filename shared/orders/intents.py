"""Submitting an order intent: the one path every order takes, from the API or a bot tick.

In the caller's transaction: validate, fingerprint the normalised request, insert the
order and its `accepted` event with `ON CONFLICT (client_id, idempotency_key) DO
NOTHING` (one statement, which also checks the credential), store the first response,
and defer `place_order` on the same connection. Intent, response and job commit
together or not at all.

Idempotency (IETF `Idempotency-Key` semantics): the same key with the same request
returns the stored first response (`replayed=True`); the same key with another request
is refused. A concurrent duplicate waits on the unique index for the winner's commit
and then reads the winner's row: never check-then-insert.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
from procrastinate import App
from psycopg import AsyncConnection

from shared.domain import (
    OrderSide,
    OrderSource,
    OrderType,
    TimeInForce,
)
from shared.errors import NotFoundError, ValidationError
from shared.jobs import PLACE_ORDER, defer, order_lock
from shared.metrics import ORDERS_ACCEPTED
from shared.orders.client_order_id import client_order_id_for
from shared.orders.views import order_body
from shared.repositories import orders as orders_repo
from shared.repositories.credentials import get_credential
from shared.validation import FieldValidationError, is_symbol, normalize_decimal, whole_string

ACCEPTED_STATUS_CODE = 202
# 1-255 printable ASCII characters (the CHECK on orders.idempotency_key), neither first
# nor last a space: HTTP strips those from a header's value, so no key could carry them.
IDEMPOTENCY_KEY_BODY = r"[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?"
IDEMPOTENCY_KEY_PATTERN = whole_string(IDEMPOTENCY_KEY_BODY)
_IDEMPOTENCY_KEY_RE = re.compile(IDEMPOTENCY_KEY_BODY)


class OrderIntent(msgspec.Struct, frozen=True, kw_only=True):
    """What an order asks for; amounts are Decimals already parsed from their wire form."""

    credential_id: UUID
    symbol: str
    side: OrderSide
    type: OrderType
    amount: Decimal
    price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    # Stop types only: the market price that turns the order into a limit at `price`.
    stop_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class IntentOutcome:
    status_code: int
    body: dict[str, Any]
    replayed: bool


class IdempotencyKeyReused(ValidationError):
    """The key was already used by this client for a different request."""


def is_valid_idempotency_key(key: str | None) -> bool:
    return key is not None and _IDEMPOTENCY_KEY_RE.fullmatch(key) is not None


def normalize_intent(intent: OrderIntent) -> OrderIntent:
    """One spelling per request, and the rules the schema cannot express in one column."""
    if not is_symbol(intent.symbol):
        raise FieldValidationError("symbol", "must look like BASE/QUOTE in capitals, e.g. BTC/USDT")
    if intent.amount <= 0:
        raise FieldValidationError("amount", "must be greater than 0")
    price = intent.price
    time_in_force = intent.time_in_force
    if intent.type.has_limit_price:
        if price is None:
            raise FieldValidationError("price", f"is required for a {intent.type.value} order")
        if price <= 0:
            raise FieldValidationError("price", "must be greater than 0")
        time_in_force = time_in_force or TimeInForce.GTC
    else:
        if price is not None:
            raise FieldValidationError("price", "must be omitted for a market order")
        if time_in_force is not None:
            raise FieldValidationError("time_in_force", "applies to limit orders only")
    stop_price = intent.stop_price
    if intent.type.has_stop_price:
        if stop_price is None:
            raise FieldValidationError("stop_price", f"is required for a {intent.type.value} order")
        if stop_price <= 0:
            raise FieldValidationError("stop_price", "must be greater than 0")
    elif stop_price is not None:
        raise FieldValidationError("stop_price", "applies to stop_loss_limit and take_profit_limit")
    return OrderIntent(
        credential_id=intent.credential_id,
        symbol=intent.symbol,
        side=intent.side,
        type=intent.type,
        amount=normalize_decimal(intent.amount),
        price=normalize_decimal(price) if price is not None else None,
        time_in_force=time_in_force,
        stop_price=normalize_decimal(stop_price) if stop_price is not None else None,
    )


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: equal values give equal bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def request_fingerprint(intent: OrderIntent) -> bytes:
    """SHA-256 of the canonical JSON of the normalised request."""
    normalized = normalize_intent(intent)
    return hashlib.sha256(canonical_json(msgspec.to_builtins(normalized))).digest()


async def submit_order_intent(
    conn: AsyncConnection,
    job_app: App,
    *,
    client_id: UUID,
    request: OrderIntent,
    idempotency_key: str,
    source: OrderSource | str = OrderSource.API,
    bot_id: UUID | None = None,
    bot_tick: int | None = None,
    bot_leg: str | None = None,
    signal_id: UUID | None = None,
    position_id: UUID | None = None,
    order_list_id: UUID | None = None,
) -> IntentOutcome:
    """Raises FieldValidationError / NotFoundError (credential) / IdempotencyKeyReused;
    the caller's transaction is then to be rolled back. `order_list_id`: a leg of an
    order list, placed by the list's job (no place_order job of its own)."""
    source = OrderSource(source)
    if not is_valid_idempotency_key(idempotency_key):
        raise FieldValidationError("Idempotency-Key", "must be 1-255 printable ASCII characters")
    origin = bot_tick is not None or signal_id is not None or position_id is not None
    if source is OrderSource.BOT and (bot_id is None or not origin or not bot_leg):
        raise ValueError("a bot's order intent needs bot_id, bot_leg and a tick or a position")
    intent = normalize_intent(request)
    fingerprint = request_fingerprint(intent)

    order_id = uuid.uuid4()
    order = await orders_repo.insert_order_intent(
        conn,
        orders_repo.NewOrder(
            id=order_id,
            client_id=client_id,
            credential_id=intent.credential_id,
            bot_id=bot_id,
            source=source,
            bot_tick=bot_tick,
            bot_leg=bot_leg,
            symbol=intent.symbol,
            side=intent.side,
            type=intent.type,
            time_in_force=intent.time_in_force,
            amount=intent.amount,
            price=intent.price,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
            client_order_id=client_order_id_for(order_id),
            stop_price=intent.stop_price,
            signal_id=signal_id,
            position_id=position_id,
            order_list_id=order_list_id,
        ),
    )
    if order is None:
        # The key is taken (a replay, or a reuse with another body; after a race the
        # winner has committed by now, ON CONFLICT waited), or the credential is not
        # usable. A replay does not depend on today's state of the credential: key first.
        replay = await _replay(conn, client_id, idempotency_key, fingerprint)
        if replay is not None:
            return replay
        credential = await get_credential(conn, client_id, intent.credential_id)
        if credential is None:
            raise NotFoundError(f"credential {intent.credential_id} not found")
        if credential.is_revoked:
            raise FieldValidationError("credential_id", "this credential is revoked")
        raise RuntimeError(  # pragma: no cover - the conflicting row vanished (rolled back?)
            "idempotency key conflict without a committed row"
        )

    body = await orders_repo.store_order_response(
        conn, order.id, ACCEPTED_STATUS_CODE, order_body(order)
    )
    if order_list_id is None:
        await defer(job_app, conn, PLACE_ORDER, lock=order_lock(order.id), order_id=str(order.id))
    ORDERS_ACCEPTED.labels(source.value).inc()
    return IntentOutcome(status_code=ACCEPTED_STATUS_CODE, body=body, replayed=False)


async def _replay(
    conn: AsyncConnection, client_id: UUID, idempotency_key: str, fingerprint: bytes
) -> IntentOutcome | None:
    record = await orders_repo.get_idempotency_record(conn, client_id, idempotency_key)
    if record is None:
        return None
    if record.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request body; "
            "use a new key for a new order"
        )
    if record.response_status is None or record.response_body is None:
        # Rows written by this module always carry their response; anything else is a bug.
        raise RuntimeError(f"order {record.id} has no stored response to replay")
    return IntentOutcome(
        status_code=record.response_status, body=record.response_body, replayed=True
    )
