"""The fan-out of signals to subscribed bots: exactly one entry per (signal, bot) at the
venue, whatever duplicates, concurrent runs or venue faults."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.signals.support import (
    ORDER_POST,
    Fleet,
    assert_exactly_one_entry_each,
    entry_orders,
    new_fleet,
    pipeline_quiet,
    send_signal,
)
from worker.signals.fan_out import FanOutOutcome, fan_out_signal


async def settle(worker: WorkerHarness, fleet: Fleet, within_s: float = 30) -> None:
    await worker.drain(lambda: pipeline_quiet(worker, fleet), within_s=within_s)


async def test_n_bots_times_m_signals_is_n_times_m_entries(
    signals_worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    worker = signals_worker
    fleet = await new_fleet(worker, paper_account, bots=5)
    await worker.paper.clear_request_counts()
    for n in range(3):
        assert await send_signal(worker, fleet, f"sig-{n}") is not None
    await settle(worker, fleet)

    orders = await assert_exactly_one_entry_each(worker, fleet, signals=3)
    counts = await worker.paper.request_counts(api_key=paper_account.api_key)
    assert counts.get(ORDER_POST) == 15
    # Each entry belongs to a position of its own bot; a bot's later entries reuse its open
    # position (one that closed meanwhile, e.g. an IOC entry the market left unfilled,
    # gives way to a new one), so never more than one unclosed position per bot.
    owners: dict[Any, set[Any]] = {}
    for o in orders:
        owners.setdefault(o["position_id"], set()).add(o["bot_id"])
    assert all(len(bots) == 1 for bots in owners.values()), owners
    assert len(owners) >= 5
    unclosed = await worker.fetch(
        "SELECT bot_id, count(*) FROM positions WHERE client_id = %s AND status <> 'closed'"
        " GROUP BY bot_id HAVING count(*) > 1",
        fleet.client_id,
    )
    assert unclosed == []
    rows = await worker.fetch(
        "SELECT bots_targeted, orders_created FROM signals WHERE client_id = %s",
        fleet.client_id,
    )
    assert rows == [(5, 5)] * 3
    deliveries = await worker.fetch(
        "SELECT outcome, count(*) FROM signal_deliveries WHERE client_id = %s GROUP BY 1",
        fleet.client_id,
    )
    assert deliveries == [("ordered", 15)]
    # Written as submit_order_intent writes: key, stored response, accepted event.
    order = orders[0]
    assert order["idempotency_key"] == f"signal:{order['signal_id']}:{order['bot_id']}"
    assert order["response_body"]["id"] == str(order["id"])
    assert order["response_body"]["status"] == "accepted"
    assert order["response_body"]["time_in_force"] == "IOC"
    events = await worker.fetch(
        "SELECT to_status FROM order_events WHERE order_id = %s AND kind = 'status_change'"
        " ORDER BY id LIMIT 1",
        order["id"],
    )
    assert events == [("accepted",)]
    watches = await worker.fetch(
        # Each new position's watch chain started (its later runs defer the next ones).
        "SELECT count(DISTINCT args->>'position_id') FROM procrastinate_jobs"
        " WHERE task_name = 'watch_position'"
        " AND args->>'position_id' IN (SELECT id::text FROM positions WHERE client_id = %s)",
        fleet.client_id,
    )
    assert watches == [(5,)]


async def test_a_retried_webhook_and_a_twice_run_job_make_one_set(
    signals_worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    worker = signals_worker
    fleet = await new_fleet(worker, paper_account, bots=4)
    signal_id = await send_signal(worker, fleet, "dup")
    assert signal_id is not None
    assert await send_signal(worker, fleet, "dup") is None  # the webhook retried: a replay
    # The job delivered twice and run concurrently, then once more afterwards.
    reports = await asyncio.gather(
        fan_out_signal(worker.ctx, signal_id), fan_out_signal(worker.ctx, signal_id)
    )
    assert sorted(r.outcome for r in reports) == sorted(
        [FanOutOutcome.FANNED_OUT, FanOutOutcome.ALREADY]
    )
    assert (await fan_out_signal(worker.ctx, signal_id)).outcome is FanOutOutcome.ALREADY
    await settle(worker, fleet)
    await assert_exactly_one_entry_each(worker, fleet, signals=1)


async def test_faults_on_order_posts_still_give_exactly_one_entry_each(
    signals_worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    worker = signals_worker
    fleet = await new_fleet(worker, paper_account, bots=4)
    key = paper_account.api_key
    await worker.paper.inject_fault("http_503", api_key=key, times=2)
    await worker.paper.inject_fault("accept_then_drop", api_key=key, times=2)
    await worker.paper.inject_fault("accept_then_504", api_key=key, times=1)
    for n in range(2):
        await send_signal(worker, fleet, f"faulty-{n}")
    await settle(worker, fleet, within_s=60)
    await assert_exactly_one_entry_each(worker, fleet, signals=2)


async def test_skips_are_recorded_with_their_reason(
    signals_worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    worker = signals_worker
    fleet = await new_fleet(worker, paper_account, bots=2)
    killed = fleet.bot_ids[0]
    async with worker.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO kill_switches (scope, client_id, bot_id, engaged_by, engage_reason)"
            " VALUES ('bot', %s, %s, 'test', 'test')",
            (fleet.client_id, killed),
        )
    # A reference far below the market: the ask is beyond every bot's slippage bound.
    low = await send_signal(worker, fleet, "too-low", reference_price=Decimal(50000))
    assert low is not None
    await fan_out_signal(worker.ctx, low)
    reasons = dict(
        await worker.fetch("SELECT bot_id, reason FROM signal_deliveries WHERE signal_id = %s", low)
    )
    assert reasons[killed] == "kill switch engaged"
    other = reasons[fleet.bot_ids[1]]
    assert other.startswith("slippage: ask ")
    assert other.endswith("above the reference 50000 (max 50)")
    assert await entry_orders(worker, fleet) == []


async def test_an_exit_signal_sets_open_positions_closing(
    signals_worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    worker = signals_worker
    fleet = await new_fleet(worker, paper_account, bots=3)
    # Two bots hold a position, the third has none.
    entered = await send_signal(worker, fleet, "in")
    assert entered is not None
    await fan_out_signal(worker.ctx, entered)
    await worker.fetch(
        "UPDATE positions SET status = 'closed', close_reason = 't', closed_at = now()"
        " WHERE bot_id = %s RETURNING id",
        fleet.bot_ids[2],
    )
    out = await send_signal(worker, fleet, "out", action="exit", reference_price=None)
    assert out is not None
    report = await fan_out_signal(worker.ctx, out)
    assert (report.bots_targeted, report.skipped) == (3, 1)
    outcomes = dict(
        await worker.fetch(
            "SELECT bot_id, outcome || ': ' || reason FROM signal_deliveries WHERE signal_id = %s",
            out,
        )
    )
    assert outcomes == {
        fleet.bot_ids[0]: "closing: position set closing",
        fleet.bot_ids[1]: "closing: position set closing",
        fleet.bot_ids[2]: "skipped: no open position",
    }  # fmt: skip
    positions = await worker.fetch(
        "SELECT status, close_reason FROM positions WHERE client_id = %s AND status <> 'closed'",
        fleet.client_id,
    )
    assert positions == [("closing", "exit_signal")] * 2
    events = await worker.fetch(
        "SELECT count(*) FROM position_events e JOIN positions p ON p.id = e.position_id"
        " WHERE p.client_id = %s AND e.kind = 'closing'",
        fleet.client_id,
    )
    assert events == [(2,)]


async def test_a_credential_without_a_balance_snapshot_is_fetched_before_sizing(
    signals_worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    """A new credential's first signal: no snapshot yet (no stream, no refresh). The
    fan-out fetches the balances from the venue and sizes on them, instead of skipping
    every bot for "no balance on record"."""
    worker = signals_worker
    fleet = await new_fleet(worker, paper_account, bots=2)
    async with worker.pool.connection() as conn:
        await conn.execute("DELETE FROM balances WHERE credential_id = %s", (fleet.credential_id,))
    signal = await send_signal(worker, fleet, "first-ever")
    assert signal is not None
    report = await fan_out_signal(worker.ctx, signal)
    assert (report.orders_created, report.skipped) == (2, 0)
    venue_usdt = (await worker.paper.balances(paper_account.api_key))["USDT"]
    stored = await worker.fetch(
        "SELECT free FROM balances WHERE credential_id = %s AND asset = 'USDT'",
        fleet.credential_id,
    )
    assert stored == [(venue_usdt.free,)]
