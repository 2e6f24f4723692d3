"""kill -9 of the worker during a fan-out and during the placement of its entries: the
next worker finishes the job, and every bot still gets exactly one entry at the venue."""

from __future__ import annotations

import pytest

from tests.integration.signals.support import (
    assert_exactly_one_entry_each,
    new_fleet,
    pipeline_quiet,
    send_signal,
)
from tests.integration.worker.crash_rig import RECOVERY_S, Rig

pytestmark = pytest.mark.slow
DEPTH_GET = "GET /api/v3/depth"
BOTS = 4


async def test_kill_during_the_fan_out_and_during_placement(rig: Rig) -> None:
    worker, paper = rig.worker, rig.worker.paper
    fleet = await new_fleet(worker, rig.account, bots=BOTS)
    await paper.clear_request_counts()

    # 1. The fan-out hangs on its book read (nothing written yet): kill -9 there.
    await paper.inject_fault("hang", "/api/v3/depth", "GET", times=1, hang_s=30)
    first = rig.start()
    await send_signal(worker, fleet, "crash-1")

    async def reading_the_book() -> bool:
        return (await paper.request_counts()).get(DEPTH_GET, 0) >= 1

    await rig.wait(reading_the_book, 20, "the fan-out reading the book")
    first.kill()
    await paper.clear_faults()
    assert await worker.fetch("SELECT count(*) FROM orders WHERE client_id = %s",
                              fleet.client_id) == [(0,)]  # fmt: skip

    # 2. The next worker re-runs the stalled fan-out; its first order post hangs after the
    # venue took the order: kill -9 there, with the other entries queued or in flight.
    await paper.inject_fault("accept_then_hang", api_key=rig.account.api_key, times=1, hang_s=30)
    second = rig.start()

    async def posting() -> bool:
        return await rig.order_posts() >= 1

    await rig.wait(posting, RECOVERY_S, "an entry posted")
    second.kill()
    await paper.clear_faults()

    rig.start()
    await send_signal(worker, fleet, "crash-2")
    await rig.wait(lambda: pipeline_quiet(worker, fleet), RECOVERY_S * 2, "pipeline quiet")
    await assert_exactly_one_entry_each(worker, fleet, signals=2)
    assert await rig.order_posts() == 2 * BOTS
