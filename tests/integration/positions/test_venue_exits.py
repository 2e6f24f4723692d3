"""A position protected at the venue (exit_mode venue): one OCO list for the filled size,
the stop or the take-profit filling closes it, an exit while the list rests leaves
nothing at the venue."""

from __future__ import annotations

from decimal import Decimal as D

from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.bots.support import VENUE_SYMBOL, venue_open_orders
from tests.integration.positions.support import (
    base_fees,
    closed_all_sold,
    enter,
    events,
    nothing_resting,
    pnl_from_fills,
    position,
    signal_bot_with_position,
    status_is,
)


async def _legs(bots: WorkerHarness, position_id: object) -> dict[str, tuple[str, D, D]]:
    rows = await bots.fetch(
        "SELECT bot_leg, status::text, amount, filled_amount FROM orders"
        " WHERE position_id = %s AND order_list_id IS NOT NULL ORDER BY created_at",
        position_id,
    )
    return {leg: (status, amount, filled) for leg, status, amount, filled in rows}


def _list_resting(bots: WorkerHarness, account: object) -> object:
    async def check() -> bool:
        return len(await venue_open_orders(bots, account)) == 2  # type: ignore[arg-type]

    return check


async def _protected_at_the_venue(bots: WorkerHarness, account: object, ids: dict) -> D:  # type: ignore[type-arg]
    await enter(bots, ids, amount="0.01", price="60100")
    await bots.drain(_list_resting(bots, account))  # type: ignore[arg-type]
    opened = await position(bots, ids["position"])
    held = opened["size"] - await base_fees(bots, ids["position"])
    resting = await venue_open_orders(bots, account)  # type: ignore[arg-type]
    assert sorted(o["type"] for o in resting) == ["LIMIT_MAKER", "STOP_LOSS_LIMIT"]
    assert {D(o["origQty"]) for o in resting} == {held}  # the list covers what is held
    assert len({o["orderListId"] for o in resting}) == 1
    return opened["avg_entry_price"]


async def test_stop_fills_take_profit_canceled_position_closed(bots: WorkerHarness) -> None:
    account = await bots.paper.create_account({"BTC": "0", "USDT": "10000"})
    ids = await signal_bot_with_position(bots, account, exit_mode="venue")
    avg = await _protected_at_the_venue(bots, account, ids)
    await bots.paper.set_mid(VENUE_SYMBOL, str(avg * D("0.979")))
    await bots.drain(status_is(bots, ids["position"], "closed"), within_s=45)
    closed = await closed_all_sold(bots, ids["position"], "stop_loss")
    assert closed["realized_pnl"] < 0
    legs = await _legs(bots, ids["position"])
    assert legs["stop_loss"][0] == "filled"
    assert legs["take_profit"][0] in ("canceled", "expired")
    assert await nothing_resting(bots, account)
    assert (await events(bots, ids["position"]))[0][0] == "exits_placed"


async def test_take_profit_fills_stop_canceled_position_closed(bots: WorkerHarness) -> None:
    account = await bots.paper.create_account({"BTC": "0", "USDT": "10000"})
    ids = await signal_bot_with_position(bots, account, exit_mode="venue")
    avg = await _protected_at_the_venue(bots, account, ids)
    await bots.paper.set_mid(VENUE_SYMBOL, str(avg * D("1.05")))
    await bots.drain(status_is(bots, ids["position"], "closed"), within_s=45)
    closed = await position(bots, ids["position"])
    assert closed["close_reason"] == "take_profit"
    assert closed["realized_pnl"] == await pnl_from_fills(bots, ids["position"])
    assert closed["realized_pnl"] > 0
    legs = await _legs(bots, ids["position"])
    assert legs["take_profit"][0] == "filled"
    assert legs["stop_loss"][0] in ("canceled", "expired")
    assert await nothing_resting(bots, account)


async def test_exit_while_the_list_rests_leaves_nothing_at_the_venue(
    bots: WorkerHarness,
) -> None:
    account = await bots.paper.create_account({"BTC": "0", "USDT": "10000"})
    ids = await signal_bot_with_position(bots, account, exit_mode="venue")
    await _protected_at_the_venue(bots, account, ids)
    # What the fan-out writes for an exit signal.
    async with bots.pool.connection() as conn, conn.transaction():
        await conn.execute(
            "UPDATE positions SET status = 'closing', close_reason = 'exit_signal',"
            " closing_since = now() WHERE id = %s",
            (ids["position"],),
        )
    await bots.drain(status_is(bots, ids["position"], "closed"), within_s=45)
    await closed_all_sold(bots, ids["position"], "exit_signal")
    assert await nothing_resting(bots, account)
    assert (await bots.paper.balances(account.api_key))["BTC"].free == 0
