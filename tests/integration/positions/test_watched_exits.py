"""A position watched by the worker (exit_mode watched), against the paper exchange: the
stop crossed sends the exit, a stopped bot closes and sells, a kill switch leaves the
position open with nothing resting."""

from __future__ import annotations

from decimal import Decimal as D

from shared.bots import lifecycle
from shared.domain import KillSwitchScope
from shared.kill_switch import engage, release
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.bots.support import VENUE_SYMBOL
from tests.integration.positions.support import (
    closed_all_sold,
    enter,
    events,
    nothing_resting,
    position,
    protected,
    signal_bot_with_position,
    status_is,
)


async def test_crossing_the_stop_sells_the_position(bots: WorkerHarness) -> None:
    account = await bots.paper.create_account({"BTC": "0", "USDT": "10000"})
    ids = await signal_bot_with_position(bots, account, exit_mode="watched")
    await enter(bots, ids, amount="0.01", price="60100")
    await bots.drain(protected(bots, ids["position"]))
    opened = await position(bots, ids["position"])
    assert opened["status"] == "open"
    assert opened["size"] == D("0.01")
    avg = opened["avg_entry_price"]
    assert opened["stop_price"] == avg * D("0.98")
    assert opened["take_profit_price"] == avg * D("1.04")
    assert await nothing_resting(bots, account)  # watched: nothing at the venue

    await bots.paper.set_mid(VENUE_SYMBOL, str(avg * D("0.97")))
    await bots.drain(status_is(bots, ids["position"], "closed"))
    closed = await closed_all_sold(bots, ids["position"], "stop_loss")
    assert closed["realized_pnl"] < 0
    kinds = [row[0] for row in await events(bots, ids["position"])]
    assert kinds[0] == "exits_placed"
    assert "exit_triggered" in kinds
    assert kinds[-1] == "closed"
    assert await nothing_resting(bots, account)
    assert (await bots.paper.balances(account.api_key))["BTC"].free == 0


async def test_trailing_stop_ratchets_up_and_never_down(bots: WorkerHarness) -> None:
    account = await bots.paper.create_account({"BTC": "0", "USDT": "10000"})
    ids = await signal_bot_with_position(
        bots, account, exit_mode="watched", trailing="pct", trailing_pct="1",
        take_profit_pct="50",
    )  # fmt: skip
    await enter(bots, ids, amount="0.01", price="60100")
    await bots.drain(protected(bots, ids["position"]))
    first = (await position(bots, ids["position"]))["stop_price"]

    async def stop_above(level: D) -> bool:
        return (await position(bots, ids["position"]))["stop_price"] > level

    await bots.paper.set_mid(VENUE_SYMBOL, "61000")
    await bots.drain(lambda: stop_above(first))
    risen = (await position(bots, ids["position"]))["stop_price"]
    await bots.paper.set_mid(VENUE_SYMBOL, "62000")
    await bots.drain(lambda: stop_above(risen))
    top = (await position(bots, ids["position"]))["stop_price"]
    assert top > risen > first
    # Falls, above the stop: the stop stays where it is.
    await bots.paper.set_mid(VENUE_SYMBOL, "61500")
    for _ in range(3):
        await bots.drain(lambda: _true())
    assert (await position(bots, ids["position"]))["stop_price"] == top
    moves = [
        (f, t) for kind, f, t, _ in await events(bots, ids["position"]) if kind == "stop_moved"
    ]
    assert len(moves) >= 2
    assert all(t > f for f, t in moves)
    assert moves[-1][1] == top
    await _stop(bots, ids)
    await bots.drain(status_is(bots, ids["position"], "closed"))


async def test_stopping_the_bot_closes_and_sells(bots: WorkerHarness) -> None:
    account = await bots.paper.create_account({"BTC": "0", "USDT": "10000"})
    ids = await signal_bot_with_position(bots, account, exit_mode="watched")
    await enter(bots, ids, amount="0.01", price="60100")
    await bots.drain(protected(bots, ids["position"]))
    await _stop(bots, ids)
    await bots.drain(status_is(bots, ids["position"], "closed"))
    await closed_all_sold(bots, ids["position"], "bot_stopped")
    assert await nothing_resting(bots, account)


async def test_kill_switch_leaves_the_position_open_and_start_resumes_it(
    bots: WorkerHarness,
) -> None:
    account = await bots.paper.create_account({"BTC": "0", "USDT": "10000"})
    ids = await signal_bot_with_position(bots, account, exit_mode="watched")
    await enter(bots, ids, amount="0.01", price="60100")
    await bots.drain(protected(bots, ids["position"]))
    async with bots.pool.connection() as conn, conn.transaction():
        await engage(
            conn, bots.app, KillSwitchScope.BOT, client_id=ids["client"], bot_id=ids["bot"],
            engaged_by="test", reason="test",
        )  # fmt: skip
    await bots.drain()  # the chain pauses: no job left
    row = await position(bots, ids["position"])
    assert row["status"] == "open"
    assert row["size"] == D("0.01")
    notes = [d for kind, _, _, d in await events(bots, ids["position"]) if kind == "note"]
    assert any("kill switch" in (d or "") for d in notes)
    assert await nothing_resting(bots, account)

    async with bots.pool.connection() as conn, conn.transaction():
        await release(
            conn, KillSwitchScope.BOT, client_id=ids["client"], bot_id=ids["bot"],
            released_by="test", reason="test",
        )  # fmt: skip
        await lifecycle.start_bot(conn, bots.app, client_id=ids["client"], bot_id=ids["bot"])
    # Watched again: a drop through the stop sells.
    await bots.paper.set_mid(VENUE_SYMBOL, "58000")
    await bots.drain(status_is(bots, ids["position"], "closed"))
    assert (await position(bots, ids["position"]))["close_reason"] == "stop_loss"


async def _true() -> bool:
    return True


async def _stop(bots: WorkerHarness, ids: dict) -> None:  # type: ignore[type-arg]
    async with bots.pool.connection() as conn, conn.transaction():
        await lifecycle.stop_bot(
            conn, bots.app, client_id=ids["client"], bot_id=ids["bot"], requested_by="test"
        )
