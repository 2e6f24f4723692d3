"""reconcile_credential jobs carry a queueing lock (one pending per credential), so the
sweep queues a fresh one while another runs. A run that fails at the venue must not be
retried in place: procrastinate's retry would put it back to `todo` beside its queued
twin, the queueing lock refuses that, and the job stays `doing` for as long as its
worker lives (seen in the soak run)."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

from shared.domain import OrderType
from shared.jobs import RECONCILE_CREDENTIAL, defer, reconcile_queueing_lock
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.worker.processes import wait_for


async def test_a_reconciliation_failing_at_the_venue_beside_its_queued_twin_is_not_left_doing(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    mid = D(str((await worker.paper.market("BTCUSDT"))["mid"]))
    order_id = await worker.submit(
        client_id, credential_id, type=OrderType.LIMIT, amount="0.001",
        price=str((mid * D("0.95")).quantize(D("0.01"))),
    )  # fmt: skip
    await worker.drain(worker.status_is(order_id, "open"))

    # The open-orders call hangs past the client timeout: the run fails at the venue.
    await worker.paper.inject_fault(
        "hang", "/api/v3/openOrders", "GET", times=20, api_key=paper_account.api_key, hang_s=5
    )
    lock = reconcile_queueing_lock(credential_id)
    async with worker.pool.connection() as conn:
        first = await defer(
            worker.app, conn, RECONCILE_CREDENTIAL, queueing_lock=lock,
            credential_id=str(credential_id),
        )  # fmt: skip

    async def job_status(job_id: int) -> str:
        rows = await worker.fetch(
            "SELECT status::text FROM procrastinate_jobs WHERE id = %s", job_id
        )
        return str(rows[0][0])

    async def first_done() -> bool:
        return await job_status(first) not in ("todo", "doing")

    running = asyncio.create_task(worker.drain(first_done, within_s=20))

    async def counted() -> bool:
        counts = await worker.paper.request_counts(api_key=paper_account.api_key)
        return counts.get("GET /api/v3/openOrders", 0) >= 1

    await wait_for(counted, 10, "the open-orders call at the venue", every_s=0.02)
    # What the sweep does meanwhile (the running job no longer holds the queueing lock);
    # due later, so that it is still queued when the running one fails.
    async with worker.pool.connection() as conn:
        twin = await defer(
            worker.app, conn, RECONCILE_CREDENTIAL, queueing_lock=lock,
            schedule_in_seconds=60, credential_id=str(credential_id),
        )  # fmt: skip
    await running  # the failed run is over, not left `doing`

    assert await job_status(first) == "succeeded"
    assert await job_status(twin) == "todo"  # the sweep's twin comes back for the work
    assert (await worker.order(order_id))["status"] == "open"
