"""A real `tradebridge worker` SIGKILLed while an OCO list's send hangs at the venue
(it created the list and never answers), then replaced: the new worker adopts the list
by its client id, and the venue holds exactly one list. Rig: crash_rig.py."""

from __future__ import annotations

import pytest

from tests.integration.worker.crash_rig import RECOVERY_S, Rig
from tests.integration.worker.oco_helpers import (
    OCO_POST,
    assert_one_list_at_venue,
    leg_calls,
    legs_are,
    order_list_row,
    prices_around_mid,
    submit_oco,
    venue_legs,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]


async def test_killed_while_the_list_send_hangs_after_the_venue_created_it(rig: Rig) -> None:
    client_id, credential_id = await rig.worker.client_with_credential(rig.account)
    await rig.worker.paper.inject_fault(
        "accept_then_hang", "/api/v3/orderList/oco", api_key=rig.account.api_key, hang_s=30
    )
    first = rig.start()
    prices = await prices_around_mid(rig.worker)
    outcome = await submit_oco(rig.worker, client_id, credential_id, prices)

    async def at_venue() -> bool:
        return len(await venue_legs(rig.worker, rig.account, outcome)) == 2

    await rig.wait(at_venue, 30, "the list at the venue", every_s=0.02)
    first.kill()
    at_kill = await order_list_row(rig.worker, outcome.list_id)
    assert at_kill["status"] == "submitting", (at_kill, rig.logs())
    assert at_kill["exchange_list_id"] is None
    for order_id in (outcome.take_profit_order_id, outcome.stop_order_id):
        assert (await rig.worker.order(order_id))["status"] == "submitting"
    await rig.worker.paper.clear_faults(api_key=rig.account.api_key)

    rig.start()
    await rig.wait(legs_are(rig.worker, outcome, "open"), RECOVERY_S, "both legs open")
    await assert_one_list_at_venue(rig.worker, rig.account, outcome)
    requests = await rig.worker.paper.request_counts(api_key=rig.account.api_key)
    assert requests.get(OCO_POST) == 1, requests  # adopted, never sent again
    for order_id in (outcome.take_profit_order_id, outcome.stop_order_id):
        calls = await leg_calls(rig.worker, order_id)
        assert any(c[0] == "fetch_order_list" and "adopted" in (c[2] or "") for c in calls)
        assert ("create_oco", "ok") not in [c[:2] for c in calls]

    async def nothing_doing() -> bool:
        rows = await rig.worker.fetch(
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'"
        )
        return bool(rows[0][0] == 0)

    await rig.wait(nothing_doing, RECOVERY_S, "no job left doing")
    assert await rig.worker.fetch("SELECT * FROM ops.stuck_jobs") == []
