"""User-data streams against the paper exchange's Binance WebSocket dialect: fills and
balances land without REST polling, every change says it came by stream, and faults on
the stream (drop, stall, duplicate, reorder, two owners, a racing REST answer) leave
every order's state right and its fills equal to the venue's trades."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal as D
from typing import Any
from uuid import UUID

from shared.domain import OrderSide, OrderType
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.worker.processes import wait_for
from worker.orders.reconciliation import reconcile_credential
from worker.streams.user_stream import CredentialStream

SYMBOL = "BTC/USDT"
VENUE_SYMBOL = "BTCUSDT"


async def _mid(worker: WorkerHarness) -> D:
    return D(str((await worker.paper.market(VENUE_SYMBOL))["mid"]))


async def _resting_buy(
    worker: WorkerHarness, client_id: UUID, credential_id: UUID, below: D = D("0.98")
) -> UUID:
    """A buy under the mid (2% by default), open at the venue (placed through the pipeline)."""
    price = (await _mid(worker) * below).quantize(D("0.01"))
    order_id = await worker.submit(
        client_id, credential_id, type=OrderType.LIMIT, side=OrderSide.BUY, amount="0.002",
        price=str(price),
    )  # fmt: skip
    await worker.drain(worker.status_is(order_id, "open"))
    return order_id


async def _fill_it(worker: WorkerHarness) -> None:
    """Move the mid well under every resting buy: the paper engine fills them."""
    await worker.paper.set_mid(VENUE_SYMBOL, (await _mid(worker) * D("0.96")).quantize(D("0.01")))


async def _stream_fault(worker: WorkerHarness, kind: str, api_key: str, **extra: Any) -> None:
    await worker.paper.admin(
        "POST", "/faults", json={"kind": kind, "stream": "user", "api_key": api_key, **extra}
    )


async def _fills(worker: WorkerHarness, order_id: UUID) -> list[tuple[Any, ...]]:
    return await worker.fetch(
        "SELECT exchange_trade_id, price, amount FROM fills WHERE order_id = %s ORDER BY 1",
        order_id,
    )


async def _venue_trades(worker: WorkerHarness, account: PaperAccount) -> list[tuple[str, D, D]]:
    trades = await worker.paper.trades(api_key=account.api_key)
    return sorted((str(t["id"]), D(str(t["price"])), D(str(t["qty"]))) for t in trades)


async def _assert_books_match_the_venue(
    worker: WorkerHarness, account: PaperAccount, order_ids: list[UUID]
) -> None:
    ours = sorted(
        [
            (str(trade_id), D(price), D(amount))
            for order_id in order_ids
            for trade_id, price, amount in await _fills(worker, order_id)
        ]
    )
    assert ours == await _venue_trades(worker, account)
    for order_id in order_ids:
        venue = [o for o in await worker.paper.orders(api_key=account.api_key)
                 if o["clientOrderId"] == (await worker.order(order_id))["client_order_id"]]  # fmt: skip
        assert len(venue) == 1
        assert (await worker.order(order_id))["status"] == {
            "FILLED": "filled", "NEW": "open", "PARTIALLY_FILLED": "partially_filled",
            "CANCELED": "canceled", "EXPIRED": "expired",
        }[venue[0]["status"]]  # fmt: skip


def _filled(worker: WorkerHarness, order_id: UUID) -> Any:
    async def check() -> bool:
        return (await worker.order(order_id))["status"] == "filled" and bool(
            await _fills(worker, order_id)
        )

    return check


async def test_a_resting_order_fill_arrives_by_stream_without_polling(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    order_id = await _resting_buy(worker, client_id, credential_id)
    async with worker.streaming():
        await wait_for(worker.stream_is(credential_id, "live"), 15, "stream live")
        await worker.paper.clear_request_counts()
        await _fill_it(worker)
        # No job runs here: only the stream can write the fill.
        await wait_for(_filled(worker, order_id), 5, "fill written from the stream", every_s=0.01)
        counts = await worker.paper.request_counts(api_key=paper_account.api_key)

    assert not counts, f"REST calls while the stream was live: {counts}"
    events = await worker.fetch(
        "SELECT to_status::text, via FROM order_events WHERE order_id = %s AND kind = 'status_change'"
        " AND to_status = 'filled'",
        order_id,
    )
    assert events == [("filled", "stream")]
    placed = await worker.fetch(
        "SELECT via FROM order_events WHERE order_id = %s AND to_status = 'open'", order_id
    )
    assert placed in ([("rest",)], [("stream",)])  # the ack or the stream's NEW, whichever first
    await _assert_books_match_the_venue(worker, paper_account, [order_id])


async def test_balances_follow_the_stream_and_ticks_read_them_from_the_database(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    # A live order makes the credential want a stream (streams_wanted).
    await _resting_buy(worker, client_id, credential_id)
    async with worker.streaming():
        await wait_for(worker.stream_is(credential_id, "live"), 15, "stream live")
        before = dict(await worker.fetch(
            "SELECT asset, total FROM balances WHERE credential_id = %s", credential_id
        ))  # fmt: skip
        assert before, "the gap-closing balance fetch stored a snapshot"
        await _fill_it(worker)

        async def btc_grew() -> bool:
            rows = await worker.fetch(
                "SELECT total FROM balances WHERE credential_id = %s AND asset = 'BTC'",
                credential_id,
            )
            return bool(rows) and rows[0][0] > before.get("BTC", D(0))

        await wait_for(btc_grew, 5, "BTC balance from the stream", every_s=0.02)
    venue = await worker.paper.balances(paper_account.api_key)
    stored = dict(await worker.fetch(
        "SELECT asset, total FROM balances WHERE credential_id = %s", credential_id
    ))  # fmt: skip
    assert stored["BTC"] == venue["BTC"].total
    assert stored["USDT"] == venue["USDT"].total


async def test_duplicated_and_reordered_events_change_nothing_wrong(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    orders = [await _resting_buy(worker, client_id, credential_id) for _ in range(3)]
    async with worker.streaming():
        await wait_for(worker.stream_is(credential_id, "live"), 15, "stream live")
        await _stream_fault(worker, "stream_duplicate", paper_account.api_key, times=20)
        await _stream_fault(worker, "stream_reorder", paper_account.api_key, times=20)
        await _fill_it(worker)
        for order_id in orders:
            await wait_for(_filled(worker, order_id), 10, "filled by stream", every_s=0.02)
        await asyncio.sleep(0.5)  # late duplicates land too
    await _assert_books_match_the_venue(worker, paper_account, orders)


async def test_a_dropped_stream_falls_back_to_rest_and_closes_the_gap_on_reconnect(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    order_id = await _resting_buy(worker, client_id, credential_id)
    # An order the moves below never reach keeps the credential's stream wanted after the
    # first one filled (a credential with nothing live gives its stream up).
    anchor = await _resting_buy(worker, client_id, credential_id, below=D("0.92"))
    async with worker.streaming():
        await wait_for(worker.stream_is(credential_id, "live"), 15, "stream live")
        # The stream stalls (pings unanswered) while the order fills: no event arrives.
        await _stream_fault(worker, "stream_stall", paper_account.api_key, stall_s=30)
        await _fill_it(worker)
        started = time.monotonic()
        await wait_for(worker.stream_is(credential_id, "down"), 10, "stall noticed", every_s=0.05)
        noticed_s = time.monotonic() - started
        await worker.paper.clear_faults()
        # The reconnect's REST reconciliation closes the gap.
        await wait_for(_filled(worker, order_id), 30, "gap closed after reconnect")
        await wait_for(worker.stream_is(credential_id, "live"), 30, "live again")
    assert noticed_s < 8
    rows = await worker.fetch(
        "SELECT fallbacks >= 1, reconnects >= 1 FROM user_streams WHERE credential_id = %s",
        credential_id,
    )
    assert rows == [(True, True)]
    await _assert_books_match_the_venue(worker, paper_account, [order_id, anchor])


async def test_two_owners_for_a_moment_and_a_racing_rest_answer_write_each_fill_once(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    orders = [await _resting_buy(worker, client_id, credential_id) for _ in range(3)]

    async def accept_any(_: Any) -> bool:
        return True

    # Two streams of one credential at once (a lease changing hands), bypassing the lease.
    twins = [CredentialStream(worker.ctx, credential_id, accept_any) for _ in range(2)]
    tasks = [asyncio.create_task(twin.run()) for twin in twins]
    try:

        async def both_live() -> bool:
            return all(twin.state == "live" for twin in twins)

        await wait_for(both_live, 15, "both streams live")
        await _fill_it(worker)
        # ...and a REST reconciliation racing them.
        await reconcile_credential(worker.ctx, credential_id)
        for order_id in orders:
            await wait_for(_filled(worker, order_id), 10, "filled", every_s=0.02)
        await asyncio.sleep(0.5)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await _assert_books_match_the_venue(worker, paper_account, orders)


async def test_a_gap_close_refused_for_weight_waits_with_the_subscription_kept(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    await _resting_buy(worker, client_id, credential_id)
    # The venue refuses the gap close's open-orders read for want of weight more often
    # than a read retries (3 attempts): the gap close itself is refused once. (Four 429s:
    # a fifth venue-wide failure would open the breaker.)
    await worker.paper.inject_fault(
        "http_429", "/api/v3/openOrders", "GET", times=4, api_key=paper_account.api_key,
        retry_after_s=1,
    )  # fmt: skip
    async with worker.streaming():
        await wait_for(worker.stream_is(credential_id, "live"), 20, "stream live")
    rows = await worker.fetch(
        "SELECT reconnects, fallbacks FROM user_streams WHERE credential_id = %s", credential_id
    )
    assert rows == [(0, 0)]  # waited it out on the same subscription
    assert not [f for f in await worker.paper.faults() if f["api_key"] == paper_account.api_key]
