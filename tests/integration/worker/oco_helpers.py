"""Submitting OCO order lists in tests and reading them back, ours and the venue's."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any, NamedTuple
from uuid import UUID

from shared.domain import OrderSide
from shared.orders.order_lists import OcoOutcome, submit_oco_intent
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness

SYMBOL = "SOL/USDT"
VENUE_SYMBOL = "SOLUSDT"
OCO_POST = "POST /api/v3/orderList/oco"


@dataclass(frozen=True)
class OcoPrices:
    mid: D
    take_profit: D
    stop: D
    stop_limit: D


async def prices_around_mid(worker: WorkerHarness) -> OcoPrices:
    """A long's exits around today's mid: take profit +2%, stop -2%, stop limit -2.5%."""
    mid = D(str((await worker.paper.market(VENUE_SYMBOL))["mid"]))
    cent = D("0.01")
    return OcoPrices(
        mid=mid,
        take_profit=(mid * D("1.02")).quantize(cent),
        stop=(mid * D("0.98")).quantize(cent),
        stop_limit=(mid * D("0.975")).quantize(cent),
    )


async def submit_oco(
    worker: WorkerHarness,
    client_id: UUID,
    credential_id: UUID,
    prices: OcoPrices,
    *,
    amount: str = "1",
    key: str | None = None,
) -> OcoOutcome:
    async with worker.pool.connection() as conn, conn.transaction():
        return await submit_oco_intent(
            conn, worker.app, client_id=client_id, credential_id=credential_id,
            symbol=SYMBOL, side=OrderSide.SELL, amount=D(amount),
            take_profit_price=prices.take_profit, stop_price=prices.stop,
            stop_limit_price=prices.stop_limit, idempotency_key=key or uuid.uuid4().hex,
            bot_id=None, position_id=None,
        )  # fmt: skip


class OpenOco(NamedTuple):
    client_id: UUID
    credential_id: UUID
    prices: OcoPrices
    outcome: OcoOutcome


async def open_oco(worker: WorkerHarness, paper_account: PaperAccount) -> OpenOco:
    """A new client's OCO sell list around today's mid, both legs open at the venue."""
    client_id, credential_id = await worker.client_with_credential(paper_account)
    prices = await prices_around_mid(worker)
    outcome = await submit_oco(worker, client_id, credential_id, prices)
    await worker.drain(legs_are(worker, outcome, "open"))
    return OpenOco(client_id, credential_id, prices, outcome)


async def order_list_row(worker: WorkerHarness, list_id: UUID) -> dict[str, Any]:
    rows = await worker.fetch(
        "SELECT status, attempts, exchange_list_id, list_client_order_id, reject_reason,"
        " last_error_code FROM order_lists WHERE id = %s",
        list_id,
    )
    keys = ("status", "attempts", "exchange_list_id", "list_client_order_id", "reject_reason",
            "last_error_code")  # fmt: skip
    return dict(zip(keys, rows[0], strict=True))


async def venue_legs(
    worker: WorkerHarness, account: PaperAccount, outcome: OcoOutcome
) -> list[dict[str, Any]]:
    """The venue's orders carrying either leg's client order id."""
    ids = {
        (await worker.order(outcome.take_profit_order_id))["client_order_id"],
        (await worker.order(outcome.stop_order_id))["client_order_id"],
    }
    return [
        o for o in await worker.paper.orders(api_key=account.api_key) if o["clientOrderId"] in ids
    ]


async def assert_one_list_at_venue(
    worker: WorkerHarness, account: PaperAccount, outcome: OcoOutcome
) -> list[dict[str, Any]]:
    """Exactly one venue order per leg, both of one venue list, our rows carrying their ids."""
    at_venue = await venue_legs(worker, account, outcome)
    assert len(at_venue) == 2, at_venue
    assert len({o["orderListId"] for o in at_venue}) == 1, at_venue
    row = await order_list_row(worker, outcome.list_id)
    assert row["status"] == "placed", row
    assert row["exchange_list_id"] == str(at_venue[0]["orderListId"])
    for order_id in (outcome.take_profit_order_id, outcome.stop_order_id):
        order = await worker.order(order_id)
        venue = [o for o in at_venue if o["clientOrderId"] == order["client_order_id"]]
        assert order["exchange_order_id"] == str(venue[0]["orderId"]), (order, venue)
    return at_venue


def legs_are(worker: WorkerHarness, outcome: OcoOutcome, *statuses: str) -> Any:
    async def check() -> bool:
        return all(
            [
                (await worker.order(order_id))["status"] in statuses
                for order_id in (outcome.take_profit_order_id, outcome.stop_order_id)
            ]
        )

    return check


async def leg_calls(worker: WorkerHarness, order_id: UUID) -> list[tuple[Any, ...]]:
    return await worker.fetch(
        "SELECT call, outcome, message FROM order_events"
        " WHERE order_id = %s AND kind = 'exchange_call' ORDER BY id",
        order_id,
    )
