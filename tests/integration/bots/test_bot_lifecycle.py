"""Kill switches, stop, archive, errors: a bot that is not running has nothing at the
venue, and its next tick exits without placing anything."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from shared import kill_switch
from shared.bots import lifecycle
from shared.domain import KillSwitchScope
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.bots.support import (
    VENUE_SYMBOL,
    bot_row,
    new_bot,
    settle,
    start_bot,
    venue_open_orders,
)
from worker.bots.tick import run_tick

SPREAD: dict[str, Any] = {"spread_bps": "20", "order_size": "0.01", "refresh_interval_s": 3600}


async def engage(worker: WorkerHarness, scope: KillSwitchScope, client_id: Any = None) -> None:
    async with worker.pool.connection() as conn:
        await kill_switch.engage(
            conn, worker.app, scope, client_id=client_id, bot_id=None, engaged_by="test",
            reason="test",
        )  # fmt: skip


async def test_kill_switch_stops_one_clients_bots_then_a_global_one_stops_all(
    bots: WorkerHarness,
) -> None:
    alice_account = await bots.paper.create_account({"BTC": "1", "USDT": "60000"})
    bob_account = await bots.paper.create_account({"BTC": "1", "USDT": "60000"})
    alice, alice_bot = await new_bot(bots, alice_account, SPREAD)
    _, bob_bot = await new_bot(bots, bob_account, SPREAD)
    await settle(bots)
    assert len(await venue_open_orders(bots, alice_account)) == 2
    assert len(await venue_open_orders(bots, bob_account)) == 2

    await engage(bots, KillSwitchScope.CLIENT, alice)
    await settle(bots)  # apply_kill_switch and its cancels
    assert await venue_open_orders(bots, alice_account) == []
    assert (await bot_row(bots, alice_bot))["status_reason"] == "kill_switch"
    killed = await run_tick(bots.ctx, alice_bot)
    assert (killed.outcome, killed.placed) == ("not_running", 0)
    assert (await bot_row(bots, alice_bot))["tick_number"] == 1  # the tick did not count

    await bots.paper.set_mid(VENUE_SYMBOL, "60050")  # Bob's quotes drift; his bot still runs
    running = await run_tick(bots.ctx, bob_bot)
    assert (running.outcome, running.canceled) == ("acted", 2)
    await settle(bots)
    running = await run_tick(bots.ctx, bob_bot)  # the replacements, once canceled
    assert running.placed == 2
    await settle(bots)
    assert len(await venue_open_orders(bots, bob_account)) == 2
    assert await venue_open_orders(bots, alice_account) == []

    await engage(bots, KillSwitchScope.GLOBAL)
    await settle(bots)
    assert await venue_open_orders(bots, bob_account) == []
    for bot_id in (alice_bot, bob_bot):
        assert (await bot_row(bots, bot_id))["status"] == "stopped"
        report = await run_tick(bots.ctx, bot_id)
        assert (report.outcome, report.placed) == ("not_running", 0)
    statuses = await bots.fetch("SELECT DISTINCT status FROM orders WHERE status <> 'canceled'")
    assert statuses == []


async def test_stop_then_archive_leaves_nothing_at_the_venue_and_keeps_the_history(
    bots: WorkerHarness,
) -> None:
    account = await bots.paper.create_account({"BTC": "1", "USDT": "60000"})
    client_id, bot_id = await new_bot(bots, account, SPREAD)
    await settle(bots)
    await bots.paper.set_mid(VENUE_SYMBOL, "59900")  # the bid at 59940 fills
    await run_tick(bots.ctx, bot_id)  # learns nothing of the fill yet; the reconcile does
    await settle(bots)
    await run_tick(bots.ctx, bot_id)  # the replacements of the quotes it canceled
    await settle(bots)

    async with bots.pool.connection() as conn:
        _, canceled = await lifecycle.stop_bot(
            conn, bots.app, client_id=client_id, bot_id=bot_id, requested_by="test"
        )
    assert len(canceled) >= 2  # the stop itself asks for the cancels...
    await settle(bots)
    assert await venue_open_orders(bots, account) == []
    report = await run_tick(bots.ctx, bot_id)  # ...the next tick only exits
    assert (report.outcome, report.canceled, report.placed) == ("not_running", 0, 0)

    async with bots.pool.connection() as conn:
        archived, canceled = await lifecycle.archive_bot(
            conn, bots.app, client_id=client_id, bot_id=bot_id, requested_by="test"
        )
    assert archived.is_archived
    assert canceled == []
    await settle(bots)
    assert await venue_open_orders(bots, account) == []
    history = await bots.fetch(
        "SELECT count(*), count(*) FILTER (WHERE status = 'canceled') FROM orders WHERE bot_id = %s",
        bot_id,
    )
    assert history[0][0] >= 4
    assert history[0][1] >= 3
    await bots.drain(lambda: _has_fill(bots, bot_id), within_s=20)  # the reconcile sweep
    fills = await bots.fetch("SELECT side, price FROM fills WHERE bot_id = %s", bot_id)
    assert fills
    assert fills[0] == ("buy", D("59940"))


async def _has_fill(worker: WorkerHarness, bot_id: Any) -> bool:
    return bool(await worker.fetch("SELECT 1 FROM fills WHERE bot_id = %s", bot_id))


async def test_a_failing_tick_puts_the_bot_in_error_and_a_start_resumes_it(
    bots: WorkerHarness,
) -> None:
    account = await bots.paper.create_account({"BTC": "1", "USDT": "60000"})
    client_id, bot_id = await new_bot(bots, account, SPREAD)
    await settle(bots)
    await bots.fetch(
        "UPDATE bots SET config = config || '{\"levels\": 9}' WHERE id = %s RETURNING id", bot_id
    )
    report = await run_tick(bots.ctx, bot_id)
    assert report.outcome == "error"
    row = await bot_row(bots, bot_id)
    assert row["status"] == "error"
    assert row["status_reason"].startswith("tick failed: FieldValidationError")
    assert "config.levels" in row["status_reason"]
    await settle(bots)
    assert await venue_open_orders(bots, account) == []  # no unattended quotes
    pending = await bots.fetch(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'bot_tick' AND status = 'todo'"
        " AND scheduled_at < now() + interval '1 minute'"
    )
    assert pending == [(0,)]  # the chain ended (only the far-off tick from before remains)

    await bots.fetch(
        "UPDATE bots SET config = config || '{\"levels\": 1}' WHERE id = %s RETURNING id", bot_id
    )
    await start_bot(bots, client_id, bot_id)
    resumed = await run_tick(bots.ctx, bot_id)
    assert resumed.outcome == "acted"
    assert resumed.tick_number == 2
    await settle(bots)
    assert len(await venue_open_orders(bots, account)) == 2
    assert (await bot_row(bots, bot_id))["status"] == "running"
