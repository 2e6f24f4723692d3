"""place_order / cancel_order / reconciliation: the real worker, real Postgres, the paper
exchange over HTTP through ccxt. Every test checks the venue's own books, not just ours."""

from __future__ import annotations

from decimal import Decimal as D
from uuid import UUID

import pytest

from shared.domain import OrderSide, OrderType
from shared.exchange.breaker import BreakerRegistry
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from worker.orders.reconciliation import reconcile_order


async def venue_orders(
    worker: WorkerHarness, account: PaperAccount, cid: str
) -> list[dict[str, object]]:
    return [
        o for o in await worker.paper.orders(api_key=account.api_key) if o["clientOrderId"] == cid
    ]


async def fills_of(worker: WorkerHarness, order_id: UUID) -> list[tuple[object, ...]]:
    return await worker.fetch(
        "SELECT exchange_trade_id, amount, price, fee_amount FROM fills WHERE order_id = %s ORDER BY 1",
        order_id,
    )


async def assert_exactly_once(worker: WorkerHarness, account: PaperAccount, order_id: UUID) -> None:
    """One venue order for the intent; our row carries its id; fills equal venue trades."""
    order = await worker.order(order_id)
    at_venue = await venue_orders(worker, account, order["client_order_id"])
    assert len(at_venue) == 1, at_venue
    assert order["exchange_order_id"] == str(at_venue[0]["orderId"])
    venue_trades = [t for t in await worker.paper.trades(api_key=account.api_key)
                    if str(t["orderId"]) == order["exchange_order_id"]]  # fmt: skip
    ours = await fills_of(worker, order_id)
    assert sorted(str(t["id"]) for t in venue_trades) == [f[0] for f in ours]
    assert sum(D(str(t["qty"])) for t in venue_trades) == order["filled"]


async def test_happy_path_reaches_the_venue_once_and_fills_land_once(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    order_id = await worker.submit(client_id, credential_id, amount="0.002")
    await worker.drain(worker.status_is(order_id, "filled"))

    order = await worker.order(order_id)
    assert order["filled"] == D("0.002")
    assert order["attempts"] == 1
    await assert_exactly_once(worker, paper_account, order_id)
    events = await worker.fetch(
        "SELECT kind, to_status, call, outcome FROM order_events WHERE order_id = %s ORDER BY id",
        order_id,
    )
    assert ("exchange_call", None, "create_order", "ok") in events
    assert [e[1] for e in events if e[0] == "status_change"][-2:] == ["submitting", "filled"]


async def test_resting_order_is_reconciled_to_filled(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    mid = D(str((await worker.paper.market("BTCUSDT"))["mid"]))
    bid = (mid * D("0.99")).quantize(D("0.01"))
    order_id = await worker.submit(
        client_id, credential_id, type=OrderType.LIMIT, amount="0.01", price=str(bid)
    )
    await worker.drain(worker.status_is(order_id, "open"))

    await worker.paper.set_mid("BTCUSDT", bid * D("0.98"))
    assert await reconcile_order(worker.ctx, order_id) == "filled"
    await assert_exactly_once(worker, paper_account, order_id)
    # Reconciling again reports the same fills: still one row each.
    assert await reconcile_order(worker.ctx, order_id) == "nothing_to_do"
    async with worker.pool.connection() as conn:
        from worker.orders.state import apply_venue_order, lock_order

        row = await lock_order(conn, order_id)
        assert row is not None
        adapter = worker.ctx.adapters.for_credential(
            await worker.ctx.vault.open(conn, credential_id)
        )
        venue_order = await adapter.fetch_order("BTC/USDT", exchange_order_id=row.exchange_order_id)
        assert venue_order is not None
        trades = await adapter.fetch_my_trades("BTC/USDT", exchange_order_id=row.exchange_order_id)
        assert trades
        for _ in range(2):
            assert await apply_venue_order(conn, row, venue_order, trades=trades) == "filled"
    await assert_exactly_once(worker, paper_account, order_id)


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["accept_then_drop", "accept_then_504"])
async def test_lost_answer_is_adopted_not_resent(
    worker: WorkerHarness, paper_account: PaperAccount, fault: str
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    await worker.paper.inject_fault(fault, api_key=paper_account.api_key)
    order_id = await worker.submit(client_id, credential_id, amount="0.003")
    await worker.drain(worker.status_is(order_id, "filled"))

    await assert_exactly_once(worker, paper_account, order_id)
    calls = await worker.fetch(
        "SELECT call, outcome FROM order_events WHERE order_id = %s AND kind = 'exchange_call' ORDER BY id",
        order_id,
    )
    assert calls == [("create_order", "ambiguous"), ("fetch_order", "ok")]


@pytest.mark.slow
async def test_unprocessed_timeout_waits_out_the_settle_time_then_sends_once(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    await worker.paper.inject_fault("hang", api_key=paper_account.api_key, hang_s=3)
    order_id = await worker.submit(client_id, credential_id)
    await worker.drain(worker.status_is(order_id, "filled"), within_s=40)

    await assert_exactly_once(worker, paper_account, order_id)
    calls = await worker.fetch(
        "SELECT call, outcome, message FROM order_events WHERE order_id = %s AND kind = 'exchange_call' ORDER BY id",
        order_id,
    )
    assert calls[0][:2] == ("create_order", "ambiguous")
    assert ("fetch_order", "ok", "not found at the venue") in calls
    assert calls[-1][:2] == ("create_order", "ok")


@pytest.mark.slow
async def test_concurrent_sends_of_one_credential_log_their_own_venue_codes(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    """Both orders share the credential's ccxt client. The send that hangs is logged
    with no venue code, not with the -1003 of the other's 429 that arrived meanwhile."""
    client_id, credential_id = await worker.client_with_credential(paper_account)
    # Faults are taken in order: the first send to arrive hangs past the client timeout,
    # the second, sent while it hangs, is refused with a 429.
    await worker.paper.inject_fault("hang", api_key=paper_account.api_key, hang_s=3)
    await worker.paper.inject_fault("http_429", api_key=paper_account.api_key, retry_after_s=1)
    orders = [await worker.submit(client_id, credential_id) for _ in range(2)]

    async def both_filled() -> bool:
        return all([await worker.status_is(order_id, "filled")() for order_id in orders])

    await worker.drain(both_filled, within_s=60)

    failed_sends = await worker.fetch(
        """SELECT order_id, error_class, outcome, venue_code FROM order_events
           WHERE order_id = ANY(%s) AND call = 'create_order' AND outcome <> 'ok'""",
        orders,
    )
    by_class = {row[1]: row for row in failed_sends}
    assert len(failed_sends) == 2, failed_sends
    assert by_class["RequestTimeout"][2:] == ("ambiguous", None)
    assert by_class["DDoSProtection"][2:] == ("transient", "-1003")
    assert by_class["RequestTimeout"][0] != by_class["DDoSProtection"][0]
    for order_id in orders:
        await assert_exactly_once(worker, paper_account, order_id)


@pytest.mark.parametrize(
    ("order_kwargs", "reason"),
    [
        ({"amount": "50"}, "insufficient_funds"),
        ({"symbol": "DOGE/USDT"}, "bad_symbol"),
        ({"type": OrderType.LIMIT, "price": "100", "amount": "0.001"}, "notional_too_small"),
        ({"type": OrderType.LIMIT, "price": "1", "amount": "10"}, "price_band"),
    ],
)
async def test_refusals_reject_with_the_reason_and_never_retry(
    worker: WorkerHarness, paper_account: PaperAccount, order_kwargs: dict[str, object], reason: str
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    order_id = await worker.submit(client_id, credential_id, **order_kwargs)  # type: ignore[arg-type]
    await worker.drain(worker.status_is(order_id, "rejected"))
    order = await worker.order(order_id)
    assert order["reject_reason"] == reason
    assert order["attempts"] <= 1
    jobs = await worker.fetch(
        "SELECT status, attempts FROM procrastinate_jobs WHERE args->>'order_id' = %s",
        str(order_id),
    )
    assert jobs == [("succeeded", 1)]  # ran once: no retry
    assert await venue_orders(worker, paper_account, order["client_order_id"]) == []


async def test_bad_key_is_rejected_once(worker: WorkerHarness, paper_account: PaperAccount) -> None:
    wrong = PaperAccount(paper_account.url, paper_account.api_key, "not-the-secret")
    client_id, credential_id = await worker.client_with_credential(wrong)
    order_id = await worker.submit(client_id, credential_id)
    await worker.drain(worker.status_is(order_id, "rejected"))
    order = await worker.order(order_id)
    assert (order["reject_reason"], order["attempts"]) == ("auth", 1)


@pytest.mark.slow
async def test_breaker_opens_on_outage_and_the_order_is_placed_once_after(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    worker.ctx.adapters.breakers = BreakerRegistry(fail_max=5, reset_timeout_s=2.0)
    client_id, credential_id = await worker.client_with_credential(paper_account)
    # A venue-wide outage: placing, looking up and market data all fail (any call that
    # succeeds in between resets the breaker's count of consecutive failures, as it should).
    for method, path in (
        ("POST", "/api/v3/order"),
        ("GET", "/api/v3/order"),
        ("GET", "/api/v3/depth"),
    ):
        await worker.paper.inject_fault("http_503", path, method, times=5)
    await worker.paper.clear_request_counts()
    order_id = await worker.submit(client_id, credential_id)
    try:
        await worker.drain(worker.status_is(order_id, "filled"), within_s=60)
    finally:
        await worker.paper.clear_faults()  # unkeyed faults would outlive this test

    await assert_exactly_once(worker, paper_account, order_id)
    counts = await worker.paper.request_counts(api_key=paper_account.api_key)
    assert counts["POST /api/v3/order"] == 6  # five 503s, then one success: nothing more
    refused = await worker.fetch(
        "SELECT count(*) FROM order_events WHERE order_id = %s AND error_class = 'CircuitOpenError'",
        order_id,
    )
    trail = await worker.fetch(
        "SELECT kind, call, outcome, error_class, left(message, 60) FROM order_events WHERE order_id = %s ORDER BY id",
        order_id,
    )
    assert refused[0][0] >= 1, trail  # calls were refused locally while the breaker was open


async def test_cancel_resting_order_and_cancel_before_send(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    from shared.jobs import CANCEL_ORDER, defer, order_lock

    client_id, credential_id = await worker.client_with_credential(paper_account)
    mid = D(str((await worker.paper.market("BTCUSDT"))["mid"]))
    resting = await worker.submit(client_id, credential_id, type=OrderType.LIMIT,
                                  amount="0.01", price=str((mid * D("0.95")).quantize(D("0.01"))))  # fmt: skip
    await worker.drain(worker.status_is(resting, "open"))
    never_sent = await worker.submit(client_id, credential_id, side=OrderSide.SELL)
    async with worker.pool.connection() as conn:
        # The never-sent order's place job is still queued; the cancel runs after it, so
        # take its place job away to model "cancelled while still queued" instead.
        await conn.execute(
            "DELETE FROM procrastinate_jobs WHERE args->>'order_id' = %s", (str(never_sent),)
        )
        for order_id in (resting, never_sent):
            await defer(
                worker.app, conn, CANCEL_ORDER, lock=order_lock(order_id), order_id=str(order_id)
            )
    await worker.drain()
    assert (await worker.order(resting))["status"] == "canceled"
    venue = await venue_orders(
        worker, paper_account, (await worker.order(resting))["client_order_id"]
    )
    assert [o["status"] for o in venue] == ["CANCELED"]
    cancelled = await worker.order(never_sent)
    assert (cancelled["status"], cancelled["reject_reason"]) == ("canceled", "canceled_before_send")
    assert await venue_orders(worker, paper_account, cancelled["client_order_id"]) == []


async def test_kill_switch_rejects_before_any_venue_call(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    async with worker.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO kill_switches (scope, client_id, engaged_by, engage_reason) VALUES ('client', %s, 'test', 'drill')",
            (client_id,),
        )
    order_id = await worker.submit(client_id, credential_id)
    await worker.drain(worker.status_is(order_id, "rejected"))
    order = await worker.order(order_id)
    assert order["reject_reason"] == "kill_switch"
    assert await venue_orders(worker, paper_account, order["client_order_id"]) == []


async def test_kill_switch_engaged_after_the_checks_began_still_stops_the_send(
    worker: WorkerHarness, paper_account: PaperAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot saw no switch; the pre-send write re-checks under the row lock."""
    from worker.orders import placement

    client_id, credential_id = await worker.client_with_credential(paper_account)
    original = placement.market_and_mid

    async def engage_meanwhile(*args: object) -> object:
        async with worker.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO kill_switches (scope, client_id, engaged_by, engage_reason) "
                "VALUES ('client', %s, 'test', 'during the checks') "
                "ON CONFLICT DO NOTHING",
                (client_id,),
            )
        return await original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(placement, "market_and_mid", engage_meanwhile)
    order_id = await worker.submit(client_id, credential_id)
    await worker.drain(worker.status_is(order_id, "rejected"))
    order = await worker.order(order_id)
    assert order["reject_reason"] == "kill_switch"
    assert await venue_orders(worker, paper_account, order["client_order_id"]) == []
    changes = await worker.fetch(
        "SELECT from_status, to_status FROM order_events "
        "WHERE order_id = %s AND kind = 'status_change' ORDER BY id",
        order_id,
    )
    assert changes == [(None, "accepted"), ("accepted", "rejected")]  # never `submitting`


async def test_kill_switch_on_an_order_of_unknown_outcome_cancels_it_at_the_venue(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    """A send whose answer was lost may have created the order: the kill switch must not
    close it locally (a live venue order nobody tracks), but find it and cancel it."""
    from shared.domain import TimeInForce
    from shared.exchange.types import OrderToSend

    client_id, credential_id = await worker.client_with_credential(paper_account)
    mid = D(str((await worker.paper.market("BTCUSDT"))["mid"]))
    bid = (mid * D("0.95")).quantize(D("0.01"))
    order_id = await worker.submit(
        client_id, credential_id, type=OrderType.LIMIT, amount="0.01", price=str(bid)
    )
    order = await worker.order(order_id)
    async with worker.pool.connection() as conn:
        # An earlier attempt sent it and lost the answer: the venue has it, we say unknown.
        adapter = worker.ctx.adapters.for_credential(
            await worker.ctx.vault.open(conn, credential_id)
        )
        await adapter.create_order(
            OrderToSend(
                symbol="BTC/USDT", side=OrderSide.BUY, type=OrderType.LIMIT,
                amount=D("0.01"), price=bid, client_order_id=order["client_order_id"],
                time_in_force=TimeInForce.GTC,
            )
        )  # fmt: skip
        await conn.execute(
            "UPDATE orders SET status = 'unknown', attempts = 1, submitted_at = now() "
            "WHERE id = %s",
            (order_id,),
        )
        await conn.execute(
            "INSERT INTO kill_switches (scope, client_id, engaged_by, engage_reason) "
            "VALUES ('client', %s, 'test', 'drill')",
            (client_id,),
        )
    await worker.drain(worker.status_is(order_id, "canceled", "rejected"))

    order = await worker.order(order_id)
    assert order["status"] == "canceled"
    at_venue = await venue_orders(worker, paper_account, order["client_order_id"])
    assert [o["status"] for o in at_venue] == ["CANCELED"]  # one order, and it is gone
    assert order["exchange_order_id"] == str(at_venue[0]["orderId"])


async def test_stalled_job_of_a_dead_worker_is_requeued_and_placed_once(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    from worker.tasks.maintenance import retry_stalled_jobs

    client_id, credential_id = await worker.client_with_credential(paper_account)
    order_id = await worker.submit(client_id, credential_id)
    async with worker.pool.connection() as conn:
        # A worker that took the job, committed `submitting`, and died (no heartbeat since).
        cur = await conn.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '10 minutes') RETURNING id"
        )
        row = await cur.fetchone()
        assert row is not None
        await conn.execute(
            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE args->>'order_id' = %s",
            (row[0], str(order_id)),
        )
        await conn.execute(
            "UPDATE orders SET status = 'submitting', attempts = 1, submitted_at = now() - interval '1 minute' WHERE id = %s",
            (order_id,),
        )

    assert await retry_stalled_jobs(worker.task_context("retry_stalled_jobs"), timestamp=0) == 1
    await worker.drain(worker.status_is(order_id, "filled"))
    await assert_exactly_once(worker, paper_account, order_id)
    stuck = await worker.fetch("SELECT count(*) FROM ops.stuck_jobs")
    assert stuck == [(0,)]


async def test_balance_refresh_keeps_last_good_values_on_failure(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    from worker.accounts import refresh_balances

    _, credential_id = await worker.client_with_credential(paper_account)
    assert await refresh_balances(worker.ctx, credential_id) == "refreshed"
    before = await worker.fetch(
        "SELECT asset, free, fetched_at FROM balances WHERE credential_id = %s ORDER BY asset",
        credential_id,
    )
    assert ("USDT", D("100000"), before[-1][2]) in before

    await worker.paper.inject_fault(
        "http_503", "/api/v3/account", "GET", times=20, api_key=paper_account.api_key
    )
    assert await refresh_balances(worker.ctx, credential_id) == "failed"
    after = await worker.fetch(
        "SELECT asset, free, fetched_at FROM balances WHERE credential_id = %s ORDER BY asset",
        credential_id,
    )
    assert after == before  # never zeroed, never touched
    refresh = await worker.fetch(
        "SELECT last_error IS NOT NULL, last_success_at < last_attempt_at FROM balance_refreshes WHERE credential_id = %s",
        credential_id,
    )
    assert refresh == [(True, True)]


async def test_credentials_open_once_per_blob_and_revocation_still_wins(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    from worker.credentials import CredentialUnavailableError

    _, credential_id = await worker.client_with_credential(paper_account)
    async with worker.pool.connection() as conn:
        first = await worker.ctx.vault.open(conn, credential_id)
        again = await worker.ctx.vault.open(conn, credential_id)
        assert again is first  # decrypted once, not per job
        assert first.secret == paper_account.secret
        await conn.execute(
            "UPDATE exchange_credentials SET revoked_at = now() WHERE id = %s", (credential_id,)
        )
        with pytest.raises(CredentialUnavailableError):
            await worker.ctx.vault.open(conn, credential_id)
