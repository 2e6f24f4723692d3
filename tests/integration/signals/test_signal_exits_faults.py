"""Signal bots with venue exits under faults, through real worker processes: an exit
signal while the entry's OCO list hangs at the venue, and kill -9 while ten bots'
entries are being placed with the webhook retrying."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from tests.integration.positions.support import base_fees
from tests.integration.signals.support import (
    VENUE_CONFIG,
    Fleet,
    assert_exactly_one_entry_each,
    fleet_positions,
    lists_resting,
    new_fleet,
    oco_posts,
    pipeline_quiet,
    send_signal,
    venue_open_orders,
    venue_order_lists,
)
from tests.integration.worker.crash_rig import RECOVERY_S, Rig

pytestmark = pytest.mark.slow
OCO_PATH = "/api/v3/orderList/oco"
BOTS = 10
LOT_STEP = Decimal("0.00001")  # BTCUSDT at the paper venue


def all_closed(rig: Rig, fleet: Fleet) -> Any:
    async def check() -> bool:
        positions = await fleet_positions(rig.worker, fleet)
        return bool(positions) and all(p["status"] == "closed" for p in positions.values())

    return check


async def test_an_exit_signal_while_the_list_hangs_leaves_nothing_at_the_venue(
    rig: Rig,
) -> None:
    worker, paper, account = rig.worker, rig.worker.paper, rig.account
    fleet = await new_fleet(worker, account, bots=1, config=VENUE_CONFIG)
    # The venue takes the list and never answers: the worker times out not knowing.
    await paper.inject_fault(
        "accept_then_hang", OCO_PATH, "POST", api_key=account.api_key, times=1, hang_s=4
    )
    rig.start()
    assert await send_signal(worker, fleet, "in") is not None

    async def list_posted() -> bool:
        return await oco_posts(worker, account) >= 1

    await rig.wait(list_posted, 20, "the exit list posted")
    assert await send_signal(worker, fleet, "out", action="exit", reference_price=None)
    in_flight = await worker.fetch(
        "SELECT status::text FROM order_lists WHERE client_id = %s", fleet.client_id
    )
    assert in_flight in ([("submitting",)], [("unknown",)])  # the exit met it unanswered
    await rig.wait(all_closed(rig, fleet), 30, "the position closed")

    assert await venue_open_orders(worker, account) == []
    assert await venue_order_lists(account) == []
    assert await oco_posts(worker, account) == 1  # looked up, never sent again
    [position] = (await fleet_positions(worker, fleet)).values()
    assert position["close_reason"] == "exit_signal"
    # What is left (docs/positions.md): the fee the venue took from the bought BTC, and
    # what it left below one lot step, kept as dust.
    fees = await base_fees(worker, position["id"])
    assert fees > 0
    assert 0 <= position["size"] - fees < LOT_STEP
    legs = await worker.fetch(
        "SELECT o.bot_leg, o.status::text FROM orders o WHERE o.position_id = %s"
        " AND o.order_list_id IS NOT NULL ORDER BY o.bot_leg",
        position["id"],
    )
    assert [leg for leg, _ in legs] == ["stop_loss", "take_profit"]  # one list, adopted
    assert all(status in ("canceled", "expired") for _, status in legs), legs


async def test_kill_9_while_ten_entries_are_placed_gives_one_list_per_position(
    rig: Rig,
) -> None:
    worker, paper, account = rig.worker, rig.worker.paper, rig.account
    fleet = await new_fleet(worker, account, bots=BOTS, config=VENUE_CONFIG)
    await paper.inject_fault("accept_then_hang", api_key=account.api_key, times=1, hang_s=30)
    first = rig.start()
    assert await send_signal(worker, fleet, "crash") is not None

    async def posting() -> bool:
        return await rig.order_posts() >= 1

    await rig.wait(posting, RECOVERY_S, "an entry posted")
    # The sender retries while the worker dies mid-placement, and once more after.
    assert await send_signal(worker, fleet, "crash") is None
    first.kill()
    await paper.clear_faults(api_key=account.api_key)
    assert await send_signal(worker, fleet, "crash") is None

    rig.start()

    async def protected() -> bool:
        return await pipeline_quiet(worker, fleet) and await lists_resting(account, BOTS)()

    await rig.wait(protected, RECOVERY_S * 2, "every position protected by its list")

    await assert_exactly_one_entry_each(worker, fleet, signals=1)
    assert await rig.order_posts() == BOTS
    assert await oco_posts(worker, account) == BOTS
    positions = await fleet_positions(worker, fleet)
    assert sorted(positions) == sorted(fleet.bot_ids)
    assert all(p["status"] == "open" for p in positions.values())
    venue_lists = await venue_order_lists(account)
    by_position = await _venue_lists_by_position(rig, fleet, venue_lists)
    assert by_position == {p["id"]: 1 for p in positions.values()}
    live_lists = await worker.fetch(
        "SELECT position_id, count(DISTINCT order_list_id) FROM orders WHERE client_id = %s"
        " AND order_list_id IS NOT NULL AND status = 'open' GROUP BY 1",
        fleet.client_id,
    )
    assert dict(live_lists) == by_position  # our books agree: one live list each

    assert await send_signal(worker, fleet, "out", action="exit", reference_price=None)
    await rig.wait(all_closed(rig, fleet), RECOVERY_S, "every position closed")
    assert await venue_open_orders(worker, account) == []


async def _venue_lists_by_position(
    rig: Rig, fleet: Fleet, venue_lists: list[dict[str, Any]]
) -> dict[UUID, int]:
    """How many of the venue's executing lists carry each position's legs."""
    legs = await rig.worker.fetch(
        "SELECT client_order_id, position_id FROM orders"
        " WHERE client_id = %s AND order_list_id IS NOT NULL",
        fleet.client_id,
    )
    position_of = dict(legs)
    counts: dict[UUID, int] = {}
    for venue_list in venue_lists:
        owners = {position_of[o["clientOrderId"]] for o in venue_list["orders"]}
        assert len(owners) == 1, venue_list
        owner = owners.pop()
        counts[owner] = counts.get(owner, 0) + 1
    return counts
