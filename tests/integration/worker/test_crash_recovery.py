"""A real `tradebridge worker` subprocess killed at the worst moments, then replaced.

The in-process `worker` fixture only creates clients/credentials and submits intents
(it never runs jobs here: no `drain`). Jobs run in subprocesses with short timings
(heartbeat 0.5 s, stalled after 2 s, exchange timeout 1.5 s, settle 1.5 s). After a
SIGKILL the job stays `doing` until `retry_stalled_jobs` (every 5 s) re-queues it on
the fresh worker, so recovery is given ~30 s.

Every case checks the venue's own books: one venue order for the client order id, our
row `filled` with the venue's order id, our fills == the venue's trades, and no job
left `doing` / in `ops.stuck_jobs`.
"""

from __future__ import annotations

import time
from decimal import Decimal as D

import pytest

from shared.domain import OrderType
from shared.settings import Settings
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.worker.crash_rig import Rig
from tests.integration.worker.processes import HoldingProxy

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]


async def test_killed_after_submitting_before_the_venue_received_the_request(rig: Rig) -> None:
    """SIGKILL between the `submitting` commit and the venue receiving the order.

    How the kill lands there: the worker reaches the paper exchange through a TCP proxy
    that, once armed, holds the first `POST /api/v3/order` it sees and forwards nothing
    more on that connection. When the proxy reports the hold, the worker has committed
    `submitting` and sent its request, which the venue has not received — the kill comes
    within the 1.5 s exchange timeout, so the row is still `submitting`. Verified at kill
    time: row `submitting`, 0 order POSTs for the key at the venue.
    The new worker must look the order up, find nothing, wait out the settle time, and
    send exactly once.
    """
    proxy = HoldingProxy(rig.worker.paper.url)
    proxy_url = proxy.start()
    try:
        proxy.arm()
        client_id, credential_id = await rig.worker.client_with_credential(rig.account)
        first = rig.start(paper_url=proxy_url)
        order_id = await rig.worker.submit(client_id, credential_id, amount="0.002")

        async def held() -> bool:
            return proxy.held.is_set()

        await rig.wait(held, 30, "the order request held by the proxy", every_s=0.005)
        first.kill()
    finally:
        proxy.stop()

    at_kill = await rig.worker.order(order_id)
    assert at_kill["status"] == "submitting", (at_kill, rig.logs())
    assert at_kill["attempts"] == 1
    assert await rig.order_posts() == 0
    assert await rig.venue_orders(at_kill["client_order_id"]) == []

    rig.start()
    order = await rig.assert_recovered(order_id)
    assert order["filled"] == D("0.002")
    assert await rig.order_posts() == 1
    calls = await rig.calls(order_id)
    assert ("fetch_order", "ok", "not found at the venue") in calls, calls
    assert calls[-1][:2] == ("create_order", "ok"), calls


async def test_killed_after_the_venue_accepted_before_the_db_write(rig: Rig) -> None:
    """`accept_then_hang`: the venue creates (and fills) the order and never answers.
    The kill lands as soon as the venue's books show the order, well inside the worker's
    1.5 s timeout (row still `submitting`). The new worker adopts it by client order id."""
    client_id, credential_id = await rig.worker.client_with_credential(rig.account)
    await rig.worker.paper.inject_fault("accept_then_hang", api_key=rig.account.api_key, hang_s=30)
    first = rig.start()
    order_id = await rig.worker.submit(client_id, credential_id, amount="0.003")
    cid = (await rig.worker.order(order_id))["client_order_id"]

    async def at_venue() -> bool:
        return bool(await rig.venue_orders(cid))

    await rig.wait(at_venue, 30, "the order at the venue", every_s=0.02)
    first.kill()
    at_kill = await rig.worker.order(order_id)
    assert at_kill["status"] == "submitting", (at_kill, rig.logs())
    assert at_kill["exchange_order_id"] is None
    await rig.worker.paper.clear_faults(api_key=rig.account.api_key)

    rig.start()
    order = await rig.assert_recovered(order_id)
    assert order["filled"] == D("0.003")
    assert await rig.order_posts() == 1  # adopted, never sent again
    calls = await rig.calls(order_id)
    assert any(c[0] == "fetch_order" and "adopted" in (c[2] or "") for c in calls), calls
    assert ("create_order", "ok") not in [c[:2] for c in calls]


async def test_killed_during_reconciliation(rig: Rig) -> None:
    """A resting order fills at the venue while the batched reconciliation call
    (`GET /api/v3/openOrders`) hangs; the kill lands once the venue counted that call."""
    client_id, credential_id = await rig.worker.client_with_credential(rig.account)
    rig.start()
    mid = D(str((await rig.worker.paper.market("BTCUSDT"))["mid"]))
    bid = (mid * D("0.99")).quantize(D("0.01"))
    order_id = await rig.worker.submit(
        client_id, credential_id, type=OrderType.LIMIT, amount="0.01", price=str(bid)
    )
    await rig.wait(rig.worker.status_is(order_id, "open"), 30, "order open")

    key = rig.account.api_key
    await rig.worker.paper.inject_fault(
        "hang", "/api/v3/openOrders", "GET", times=100, api_key=key, hang_s=60
    )
    moved = await rig.worker.paper.set_mid("BTCUSDT", bid * D("0.98"))
    assert moved["fills"], "the mid crossed the resting order"
    venue = await rig.venue_orders((await rig.worker.order(order_id))["client_order_id"])
    assert [o["status"] for o in venue] == ["FILLED"]

    async def reconciling() -> bool:
        counts = await rig.worker.paper.request_counts(api_key=key)
        return counts.get("GET /api/v3/openOrders", 0) >= 1

    await rig.wait(reconciling, 30, "the reconciliation call at the venue", every_s=0.02)
    rig.procs[0].kill()
    assert (await rig.worker.order(order_id))["status"] == "open"  # not reconciled yet
    await rig.worker.paper.clear_faults(api_key=key)

    rig.start()
    order = await rig.assert_recovered(order_id)
    assert order["filled"] == D("0.01")
    assert await rig.order_posts() == 1


async def test_sigterm_during_a_hanging_call_exits_in_time_and_recovers(rig: Rig) -> None:
    """SIGTERM while the create-order call hangs (the venue accepted it): the process
    stops within the shutdown timeout (3 s); a new worker finishes the order once."""
    client_id, credential_id = await rig.worker.client_with_credential(rig.account)
    await rig.worker.paper.inject_fault("accept_then_hang", api_key=rig.account.api_key, hang_s=30)
    first = rig.start(TRADEBRIDGE_WORKER_SHUTDOWN_TIMEOUT_S="3")
    order_id = await rig.worker.submit(client_id, credential_id, amount="0.004")
    cid = (await rig.worker.order(order_id))["client_order_id"]

    async def at_venue() -> bool:
        return bool(await rig.venue_orders(cid))

    await rig.wait(at_venue, 30, "the order at the venue", every_s=0.02)
    started = time.monotonic()
    first.terminate()
    code = await first.wait_exit(within_s=3 + 2)  # the timeout plus process teardown
    took = time.monotonic() - started
    assert code is not None, f"still running {took:.1f}s after SIGTERM\n{rig.logs()}"
    assert code == 0, rig.logs()
    await rig.worker.paper.clear_faults(api_key=rig.account.api_key)

    rig.start(TRADEBRIDGE_WORKER_SHUTDOWN_TIMEOUT_S="3")
    order = await rig.assert_recovered(order_id)
    assert order["filled"] == D("0.004")
    assert await rig.order_posts() == 1


async def test_stalled_job_whose_queueing_lock_twin_is_queued_does_not_break_the_sweep(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    """Found by the soak: a SIGKILLed reconcile_credential job stays `doing` while the
    reconcile sweep queues a fresh one with the same queueing lock; re-queueing the
    stalled one then violates the queueing-lock index. That must not fail the whole
    retry_stalled_jobs run (the other stalled jobs would stay `doing`), and the stalled
    twin must not stay `doing` forever."""
    from shared.jobs import RECONCILE_CREDENTIAL, defer, reconcile_queueing_lock
    from worker.tasks.maintenance import retry_stalled_jobs

    client_id, credential_id = await worker.client_with_credential(paper_account)
    order_id = await worker.submit(client_id, credential_id)
    lock = reconcile_queueing_lock(credential_id)
    async with worker.pool.connection() as conn:
        stalled_reconcile = await defer(
            worker.app, conn, RECONCILE_CREDENTIAL, queueing_lock=lock,
            credential_id=str(credential_id),
        )  # fmt: skip
        cur = await conn.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat)"
            " VALUES (now() - interval '10 minutes') RETURNING id"
        )
        row = await cur.fetchone()
        assert row is not None
        await conn.execute(
            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s"
            " WHERE id = %s OR args->>'order_id' = %s",
            (row[0], stalled_reconcile, str(order_id)),
        )
        # The sweep's fresh twin, queued while the stalled one is still `doing`.
        twin = await defer(
            worker.app, conn, RECONCILE_CREDENTIAL, queueing_lock=lock,
            credential_id=str(credential_id),
        )  # fmt: skip

    assert await retry_stalled_jobs(worker.task_context("retry_stalled_jobs"), timestamp=0) == 2
    jobs = dict(
        await worker.fetch(
            "SELECT coalesce(args->>'order_id', id::text), status FROM procrastinate_jobs"
        )
    )
    assert jobs[str(order_id)] == "todo"  # the stalled placement is back in the queue
    assert jobs[str(twin)] == "todo"
    assert jobs[str(stalled_reconcile)] != "doing"
    assert await worker.fetch("SELECT count(*) FROM ops.stuck_jobs") == [(0,)]


async def test_a_killed_workers_order_recovers_within_seconds_on_default_timings(
    rig: Rig,
) -> None:
    """Issue 12 item 6, with the shipped heartbeat, stall, sweep and settle settings (not
    the short ones above): SIGKILL while the order request is in flight; a replica that
    was already running reaches the venue outcome within 15 s of the kill, sending once."""
    defaults = Settings()
    shipped = {
        "TRADEBRIDGE_WORKER_HEARTBEAT_S": str(defaults.worker_heartbeat_s),
        "TRADEBRIDGE_WORKER_STALLED_AFTER_S": str(defaults.worker_stalled_after_s),
        "TRADEBRIDGE_ORDER_SETTLE_S": str(defaults.order_settle_s),
        "TRADEBRIDGE_EXCHANGE_TIMEOUT_MS": str(defaults.exchange_timeout_ms),
        "TRADEBRIDGE_EXCHANGE_RECV_WINDOW_MS": str(defaults.exchange_recv_window_ms),
    }
    proxy = HoldingProxy(rig.worker.paper.url)
    proxy_url = proxy.start()
    try:
        proxy.arm()
        client_id, credential_id = await rig.worker.client_with_credential(rig.account)
        doomed = rig.start(paper_url=proxy_url, **shipped)
        order_id = await rig.worker.submit(client_id, credential_id, amount="0.002")

        async def held() -> bool:
            return proxy.held.is_set()

        await rig.wait(held, 30, "the order request held by the proxy", every_s=0.005)
        rig.start(**shipped)

        async def two_workers_beating() -> bool:
            rows = await rig.worker.fetch("SELECT count(*) FROM procrastinate_workers")
            return bool(rows[0][0] >= 2)

        await rig.wait(two_workers_beating, 30, "the replica's first heartbeat")
        killed_at = time.monotonic()
        doomed.kill()
    finally:
        proxy.stop()
    assert (await rig.worker.order(order_id))["status"] == "submitting", rig.logs()

    await rig.wait(rig.worker.status_is(order_id, "filled"), 15, "filled within 15 s of the kill")
    recovered_in = time.monotonic() - killed_at
    print(f"recovered {recovered_in:.1f} s after SIGKILL")
    await rig.assert_recovered(order_id)
    assert await rig.order_posts() == 1
