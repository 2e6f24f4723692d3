"""Submitting an OCO order list: one list row, its two legs, one placement job, all in
the caller's transaction.

A position's protective exits: a take profit (a limit, sent maker-only) and a stop loss
(a stop-limit) of the same side and amount, placed at the venue by one request so that
one filling (or triggering) cancels the other. The legs are ordinary order rows
(bot_leg 'take_profit' / 'stop_loss', both with order_list_id) written through
submit_order_intent, so after placement they are orders like any other: stream and REST
reconciliation, cancel by client order id (the venue cancels the whole list).

Idempotency: by (client, key) on order_lists; the legs get the derived keys
`{key}:tp` and `{key}:sl`. A replay returns the same ids; the same key with another
request is refused (IdempotencyKeyReused): the legs' own fingerprints tell, plus the
list's credential, symbol and position. A concurrent duplicate waits on the unique
index for the winner's commit and then replays: never check-then-insert.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from procrastinate import App
from psycopg import AsyncConnection

from shared.domain import OrderSide, OrderSource, OrderType, TimeInForce
from shared.errors import NotFoundError
from shared.jobs import PLACE_ORDER_LIST, defer, order_list_lock
from shared.orders.client_order_id import client_order_id_for
from shared.orders.intents import (
    IdempotencyKeyReused,
    OrderIntent,
    is_valid_idempotency_key,
    submit_order_intent,
)
from shared.repositories import order_lists as lists_repo
from shared.repositories.credentials import get_credential
from shared.validation import FieldValidationError, is_symbol

TAKE_PROFIT_LEG = "take_profit"
STOP_LOSS_LEG = "stop_loss"
# The derived keys add 3 characters; the orders' key CHECK allows 255.
MAX_LIST_KEY_LENGTH = 252


@dataclass(frozen=True, slots=True)
class OcoOutcome:
    list_id: UUID
    take_profit_order_id: UUID
    stop_order_id: UUID
    replayed: bool


async def submit_oco_intent(
    conn: AsyncConnection,
    job_app: App,
    *,
    client_id: UUID,
    credential_id: UUID,
    symbol: str,
    side: OrderSide,
    amount: Decimal,
    take_profit_price: Decimal,
    stop_price: Decimal,
    stop_limit_price: Decimal,
    idempotency_key: str,
    bot_id: UUID | None,
    position_id: UUID | None,
) -> OcoOutcome:
    """Raises FieldValidationError / NotFoundError (credential) / IdempotencyKeyReused;
    the caller's transaction is then to be rolled back. A bot's list needs its position
    (the legs' origin)."""
    if not is_valid_idempotency_key(idempotency_key) or len(idempotency_key) > MAX_LIST_KEY_LENGTH:
        raise FieldValidationError(
            "idempotency_key", f"must be 1-{MAX_LIST_KEY_LENGTH} printable ASCII characters"
        )
    if bot_id is not None and position_id is None:
        raise ValueError("a bot's order list belongs to a position")
    if not is_symbol(symbol):
        raise FieldValidationError("symbol", "must look like BASE/QUOTE in capitals, e.g. BTC/USDT")
    # Checked before the list row, whose foreign key would otherwise answer first.
    credential = await get_credential(conn, client_id, credential_id)
    if credential is None:
        raise NotFoundError(f"credential {credential_id} not found")
    list_id = uuid.uuid4()
    inserted = await lists_repo.insert_order_list(
        conn,
        lists_repo.NewOrderList(
            id=list_id,
            client_id=client_id,
            credential_id=credential_id,
            symbol=symbol,
            list_client_order_id=client_order_id_for(list_id),
            idempotency_key=idempotency_key,
            position_id=position_id,
        ),
    )
    if inserted is None:
        existing = await lists_repo.order_list_by_idempotency_key(conn, client_id, idempotency_key)
        if existing is None:  # pragma: no cover - the conflicting row vanished (rolled back?)
            raise RuntimeError("idempotency key conflict without a committed order list")
        if (existing.credential_id, existing.symbol, existing.position_id) != (
            credential_id, symbol, position_id,
        ):  # fmt: skip
            raise IdempotencyKeyReused(
                "this idempotency key was already used for another order list"
            )
        list_id = existing.id

    def leg(order_type: OrderType, price: Decimal, stop: Decimal | None) -> OrderIntent:
        return OrderIntent(
            credential_id=credential_id, symbol=symbol, side=side, type=order_type,
            amount=amount, price=price, time_in_force=TimeInForce.GTC, stop_price=stop,
        )  # fmt: skip

    # On a replay both legs replay too (same fingerprints), or one raises
    # IdempotencyKeyReused: the same key was used with other prices or amount.
    legs = {}
    for name, key_suffix, intent in (
        (TAKE_PROFIT_LEG, "tp", leg(OrderType.LIMIT, take_profit_price, None)),
        (STOP_LOSS_LEG, "sl", leg(OrderType.STOP_LOSS_LIMIT, stop_limit_price, stop_price)),
    ):
        outcome = await submit_order_intent(
            conn,
            job_app,
            client_id=client_id,
            request=intent,
            idempotency_key=f"{idempotency_key}:{key_suffix}",
            source=OrderSource.BOT if bot_id is not None else OrderSource.API,
            bot_id=bot_id,
            bot_leg=name if bot_id is not None else None,
            position_id=position_id,
            order_list_id=list_id,
        )
        if outcome.replayed != (inserted is None):
            raise IdempotencyKeyReused(
                f"the idempotency key {idempotency_key}:{key_suffix} was already used "
                "for another order"
            )
        legs[name] = UUID(outcome.body["id"])
    if inserted is None and set(legs.values()) != {
        leg.id for leg in await lists_repo.legs_of(conn, list_id)
    }:
        raise IdempotencyKeyReused("this idempotency key's orders belong to no such order list")

    if inserted is not None:
        await defer(
            job_app, conn, PLACE_ORDER_LIST, lock=order_list_lock(list_id),
            order_list_id=str(list_id),
        )  # fmt: skip
    return OcoOutcome(
        list_id=list_id,
        take_profit_order_id=legs[TAKE_PROFIT_LEG],
        stop_order_id=legs[STOP_LOSS_LEG],
        replayed=inserted is None,
    )
