"""A venue that forgets everything and starts its ids again (a wiped testnet, a restarted
paper exchange): the pipeline records every new order and fill, never mistakes a new venue
order for an old one of ours, and closes the orders the venue has lost."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D
from uuid import UUID

from shared.domain import OrderType
from shared.orders.cancel import request_cancel
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.worker.test_order_pipeline import assert_exactly_once
from worker.orders.reconciliation import reconcile_credential, reconcile_order


async def wipe_venue(worker: WorkerHarness, account: PaperAccount) -> None:
    """What a testnet wipe does: no orders, no trades, ids from 1 again; same API key."""
    await worker.paper.reset()
    await worker.paper.create_account(api_key=account.api_key, secret=account.secret)


async def resting_bid(worker: WorkerHarness, client_id: UUID, credential_id: UUID) -> UUID:
    mid = D(str((await worker.paper.market("BTCUSDT"))["mid"]))
    bid = (mid * D("0.95")).quantize(D("0.01"))
    order_id = await worker.submit(
        client_id, credential_id, type=OrderType.LIMIT, amount="0.001", price=str(bid)
    )
    await worker.drain(worker.status_is(order_id, "open"))
    return order_id


async def events_of(worker: WorkerHarness, order_id: UUID) -> list[tuple[str, str | None, str]]:
    rows = await worker.fetch(
        "SELECT kind::text, to_status::text, coalesce(message, '') FROM order_events"
        " WHERE order_id = %s ORDER BY id",
        order_id,
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def test_orders_after_a_venue_reset_are_recorded_and_old_holders_retired(
    worker_on_own_venue: WorkerHarness,
) -> None:
    worker = worker_on_own_venue
    account = await worker.paper.create_account()
    client_id, credential_id = await worker.client_with_credential(account)
    filled_before = await worker.submit(client_id, credential_id, amount="0.002")
    await worker.drain(worker.status_is(filled_before, "filled"))
    resting_before = await resting_bid(worker, client_id, credential_id)

    await wipe_venue(worker, account)

    # The venue hands out the filled order's id (and its trade ids) again.
    filled_after = await worker.submit(client_id, credential_id, amount="0.003")
    await worker.drain(worker.status_is(filled_after, "filled"), within_s=15)
    old, new = await worker.order(filled_before), await worker.order(filled_after)
    assert new["exchange_order_id"] == old["exchange_order_id"]
    await assert_exactly_once(worker, account, filled_after)
    assert (old["status"], old["filled"]) == ("filled", D("0.002"))
    assert any("has reset its ids" in e[2] for e in await events_of(worker, filled_after))

    # ... then the resting order's id: that one is gone at the venue, and is retired.
    resting_after = await resting_bid(worker, client_id, credential_id)
    retired = await worker.order(resting_before)
    assert (await worker.order(resting_after))["exchange_order_id"] == retired["exchange_order_id"]
    assert (retired["status"], retired["last_error_code"]) == ("expired", "venue_reset")
    assert ("status_change", "expired") in [e[:2] for e in await events_of(worker, resting_before)]

    # Cancelling the new order cancels it, and only it, at the venue.
    async with worker.pool.connection() as conn:
        await request_cancel(
            conn, worker.app, client_id=client_id, order_id=resting_after, requested_by="test"
        )
    await worker.drain(worker.status_is(resting_after, "canceled"))
    venue = {o["clientOrderId"]: o["status"] for o in await worker.paper.orders(account.api_key)}
    ours = (await worker.order(resting_after))["client_order_id"]
    assert venue[ours] == "CANCELED"


async def test_an_id_reused_for_an_outside_order_is_not_taken_for_ours(
    worker_on_own_venue: WorkerHarness,
) -> None:
    """After a reset, the venue's id of our resting order names an order placed elsewhere
    (here by hand) that filled: reconciliation must not give ours its fills."""
    worker = worker_on_own_venue
    account = await worker.paper.create_account()
    client_id, credential_id = await worker.client_with_credential(account)
    ours = await resting_bid(worker, client_id, credential_id)
    await wipe_venue(worker, account)
    client = account.client()
    try:
        outside = await client.create_order("BTC/USDT", "market", "buy", 0.004)
    finally:
        await client.close()
    assert outside["id"] == (await worker.order(ours))["exchange_order_id"]

    assert await reconcile_credential(worker.ctx, credential_id) == 0
    assert await reconcile_order(worker.ctx, ours) == "open"  # denied once: not yet lost
    row = await worker.order(ours)
    assert (row["status"], row["filled"]) == ("open", D("0"))
    assert await worker.fetch("SELECT 1 FROM fills WHERE order_id = %s", ours) == []

    await asyncio.sleep(worker.settings.order_settle_s)
    assert await reconcile_order(worker.ctx, ours) == "expired"
    row = await worker.order(ours)
    assert (row["status"], row["filled"], row["last_error_code"]) == ("expired", 0, "venue_lost")


async def test_a_cancel_of_an_order_the_venue_lost_ends(
    worker_on_own_venue: WorkerHarness,
) -> None:
    worker = worker_on_own_venue
    account = await worker.paper.create_account()
    client_id, credential_id = await worker.client_with_credential(account)
    order_id = await resting_bid(worker, client_id, credential_id)
    await wipe_venue(worker, account)

    async with worker.pool.connection() as conn:
        await request_cancel(
            conn, worker.app, client_id=client_id, order_id=order_id, requested_by="test"
        )
    await worker.drain(worker.status_is(order_id, "expired"), within_s=15)
    row = await worker.order(order_id)
    assert row["last_error_code"] == "venue_lost"
    assert await worker.pending_jobs() == 0
