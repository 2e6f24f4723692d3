"""The order pipeline on Coinstore: the real worker, real Postgres, the paper exchange's
Coinstore dialect over HTTP through the native connector. Every test checks the venue's
own books (the admin dump), not just ours.

Orders here are mostly limit orders: a buy priced above the touch fills at once, one
priced far below rests. Market buys (Coinstore sizes them in quote) go out as capped
limit IOC orders; the first test covers them.
"""

from __future__ import annotations

import uuid
from decimal import Decimal as D
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from paper_exchange.coinstore_shapes import ID_SPAN
from shared import kill_switch
from shared.bots import lifecycle
from shared.domain import BotKind, KillSwitchScope, OrderType
from shared.exchange.market_data import MarketDataCache
from shared.orders.cancel import request_cancel
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.bots.support import assert_stats_match_the_venue, pipeline_quiet
from tests.integration.worker.crash_rig import Rig
from tests.integration.worker.processes import HoldingProxy
from worker.bots.tick import run_tick

PLACE = "/coinstore/api/trade/order/place"
PLACE_POST = f"POST {PLACE}"
VENUE_SYMBOL = "BTCUSDT"
FIRST_SYMBOL_IDS = ID_SPAN  # BTCUSDT is the paper exchange's first symbol
OPEN = ("NEW", "PARTIALLY_FILLED")


async def coinstore_client(worker: WorkerHarness, account: PaperAccount) -> tuple[UUID, UUID]:
    return await worker.client_with_credential(account, exchange="coinstore")


async def buy_now(worker: WorkerHarness, client_id: UUID, credential_id: UUID, amount: str) -> UUID:
    """A limit buy above the touch: it fills at once (the touch holds 0.05)."""
    ask = D(str((await worker.paper.market(VENUE_SYMBOL))["bestAsk"]))
    return await worker.submit(client_id, credential_id, type=OrderType.LIMIT, amount=amount,
                               price=str(ask + 10))  # fmt: skip


async def rest(worker: WorkerHarness, client_id: UUID, credential_id: UUID) -> UUID:
    mid = D(str((await worker.paper.market(VENUE_SYMBOL))["mid"]))
    return await worker.submit(client_id, credential_id, type=OrderType.LIMIT, amount="0.01",
                               price=str((mid * D("0.95")).quantize(D("0.01"))))  # fmt: skip


async def venue_orders(
    worker: WorkerHarness, account: PaperAccount, cid: str
) -> list[dict[str, Any]]:
    return [o for o in await worker.paper.orders(api_key=account.api_key)
            if o["clientOrderId"] == cid]  # fmt: skip


async def assert_exactly_once(
    worker: WorkerHarness, account: PaperAccount, order_id: UUID
) -> dict[str, Any]:
    """One venue order for the intent, filled; our row carries its Coinstore id; our fills
    are the venue's trades."""
    order = await worker.order(order_id)
    at_venue = await venue_orders(worker, account, order["client_order_id"])
    assert len(at_venue) == 1, at_venue
    assert at_venue[0]["status"] == "FILLED"
    assert order["exchange_order_id"] == str(FIRST_SYMBOL_IDS + at_venue[0]["orderId"])
    trades = [t for t in await worker.paper.trades(api_key=account.api_key)
              if t["orderId"] == at_venue[0]["orderId"]]  # fmt: skip
    ours = await worker.fetch(
        "SELECT exchange_trade_id, amount FROM fills WHERE order_id = %s ORDER BY 1", order_id
    )
    assert trades
    assert sorted((str(t["id"]), D(str(t["qty"]))) for t in trades) == sorted(ours)
    assert sum(D(str(t["qty"])) for t in trades) == order["filled"]
    return order


@pytest.mark.parametrize("kind", [OrderType.MARKET, OrderType.LIMIT])
async def test_an_order_is_placed_once_and_filled(
    worker: WorkerHarness, paper_account: PaperAccount, kind: OrderType
) -> None:
    client_id, credential_id = await coinstore_client(worker, paper_account)
    if kind is OrderType.MARKET:  # sent as a capped limit IOC (Coinstore sizes these in quote)
        order_id = await worker.submit(client_id, credential_id, amount="0.002")
    else:
        order_id = await buy_now(worker, client_id, credential_id, "0.002")
    await worker.drain(worker.status_is(order_id, "filled"))
    order = await assert_exactly_once(worker, paper_account, order_id)
    assert (order["filled"], order["attempts"]) == (D("0.002"), 1)
    counts = await worker.paper.request_counts(api_key=paper_account.api_key)
    assert counts[PLACE_POST] == 1
    assert not any(path.startswith("POST /api/v3") for path in counts)  # not the Binance dialect


@pytest.mark.slow
@pytest.mark.parametrize(
    "fault", ["accept_then_drop", "accept_then_504", "hang", "http_500", "http_503", "http_429"]
)
async def test_every_fault_on_the_send_ends_filled_with_one_venue_order(
    worker: WorkerHarness, paper_account: PaperAccount, fault: str
) -> None:
    client_id, credential_id = await coinstore_client(worker, paper_account)
    await worker.paper.inject_fault(fault, PLACE, api_key=paper_account.api_key, hang_s=3,
                                    retry_after_s=1)  # fmt: skip
    order_id = await buy_now(worker, client_id, credential_id, "0.003")
    await worker.drain(worker.status_is(order_id, "filled"), within_s=60)
    await assert_exactly_once(worker, paper_account, order_id)
    calls = await worker.fetch(
        "SELECT call, outcome FROM order_events WHERE order_id = %s AND kind = 'exchange_call' ORDER BY id",
        order_id,
    )
    assert calls[0][0] == "create_order"
    assert calls[0][1] == ("transient" if fault == "http_429" else "ambiguous"), calls


async def test_a_resting_order_is_canceled_at_the_venue(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await coinstore_client(worker, paper_account)
    order_id = await rest(worker, client_id, credential_id)
    await worker.drain(worker.status_is(order_id, "open"))
    async with worker.pool.connection() as conn:
        await request_cancel(conn, worker.app, client_id=client_id, order_id=order_id,
                             requested_by="test")  # fmt: skip
    await worker.drain(worker.status_is(order_id, "canceled"))
    cid = (await worker.order(order_id))["client_order_id"]
    assert [o["status"] for o in await venue_orders(worker, paper_account, cid)] == ["CANCELED"]


async def test_balance_refresh_and_a_failed_refresh_keeps_the_last_values(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    from worker.accounts import refresh_balances

    _, credential_id = await coinstore_client(worker, paper_account)
    assert await refresh_balances(worker.ctx, credential_id) == "refreshed"
    query = (
        "SELECT asset, free, used, fetched_at FROM balances WHERE credential_id = %s ORDER BY asset"
    )
    before = await worker.fetch(query, credential_id)
    assert ("USDT", D("100000"), D("0")) in [row[:3] for row in before]
    await worker.paper.inject_fault("http_503", "/coinstore/api/spot/accountList", "POST",
                                    times=20, api_key=paper_account.api_key)  # fmt: skip
    assert await refresh_balances(worker.ctx, credential_id) == "failed"
    assert await worker.fetch(query, credential_id) == before  # never zeroed, never touched


async def test_a_kill_switch_cancels_the_clients_orders_at_the_venue(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await coinstore_client(worker, paper_account)
    resting = [await rest(worker, client_id, credential_id) for _ in range(3)]
    for order_id in resting:
        await worker.drain(worker.status_is(order_id, "open"))
    async with worker.pool.connection() as conn:
        await kill_switch.engage(
            conn, worker.app, KillSwitchScope.CLIENT, client_id=client_id, bot_id=None,
            engaged_by="test", reason="drill",
        )  # fmt: skip
    for order_id in resting:
        await worker.drain(worker.status_is(order_id, "canceled"), within_s=20)
    venue = await worker.paper.orders(api_key=paper_account.api_key)
    assert [o["status"] for o in venue] == ["CANCELED"] * 3


async def test_a_spread_bot_quotes_on_coinstore(
    worker: WorkerHarness, paper_exchange: object
) -> None:
    worker.ctx.market_data = MarketDataCache(ttl_s=0)
    await worker.paper.set_mid(VENUE_SYMBOL, "60000")
    account = await worker.paper.create_account({"BTC": "1", "USDT": "60000"})
    client_id, credential_id = await coinstore_client(worker, account)
    config = {"spread_bps": "20", "order_size": "0.01", "refresh_interval_s": 3600}
    async with worker.pool.connection() as conn:
        bot = await lifecycle.create_bot(
            conn, client_id=client_id, name=f"bot-{uuid.uuid4().hex[:6]}", kind=BotKind.SPREAD,
            credential_id=credential_id, symbol="BTC/USDT", config=config,
        )  # fmt: skip
        await lifecycle.start_bot(conn, worker.app, client_id=client_id, bot_id=bot.id)

    async def quoted() -> bool:
        venue = await worker.paper.orders(api_key=account.api_key)
        return sorted(o["side"] for o in venue if o["status"] in OPEN) == ["BUY", "SELL"]

    await worker.drain(quoted, within_s=30)
    quotes = {o["side"]: D(o["price"]) for o in await worker.paper.orders(api_key=account.api_key)}
    assert abs(quotes["BUY"] - D("59940")) <= D("30")  # mid * (1 - 0.001), within tolerance
    assert abs(quotes["SELL"] - D("60060")) <= D("30")
    placed = await worker.fetch("SELECT count(*) FROM orders WHERE bot_id = %s", bot.id)
    assert placed == [(2,)]
    # The mid moves through the ask: it fills, the requote finds it filled, and the stats
    # count that fill once.
    await worker.paper.set_mid(VENUE_SYMBOL, "60300")
    await run_tick(worker.ctx, bot.id)
    await worker.drain(lambda: pipeline_quiet(worker), within_s=30)
    await assert_stats_match_the_venue(worker, bot.id, account, mid=D("60300"))


# ---- kill -9 of the worker mid-send (a real `tradebridge worker` subprocess) -----------


async def assert_recovered(rig: Rig, order_id: UUID) -> dict[str, Any]:
    await rig.wait(rig.worker.status_is(order_id, "filled"), 35, "order filled")
    order = await assert_exactly_once(rig.worker, rig.account, order_id)

    async def nothing_doing() -> bool:
        rows = await rig.worker.fetch(
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'"
        )
        return bool(rows[0][0] == 0)

    await rig.wait(nothing_doing, 35, "no job left doing")
    assert await rig.worker.fetch("SELECT * FROM ops.stuck_jobs") == []
    return order


async def place_posts(rig: Rig) -> int:
    return (await rig.worker.paper.request_counts(api_key=rig.account.api_key)).get(PLACE_POST, 0)


@pytest.mark.slow
@pytest.mark.timeout(150)
@pytest.mark.parametrize("moment", ["before_the_venue_received_it", "after_the_venue_accepted_it"])
async def test_a_worker_killed_mid_send_places_the_order_once(
    worker: WorkerHarness, paper_account: PaperAccount, db_url: str, tmp_path: Path, moment: str
) -> None:
    rig = Rig(worker, paper_account, db_url, tmp_path)
    client_id, credential_id = await coinstore_client(worker, paper_account)
    held = moment == "before_the_venue_received_it"
    proxy = HoldingProxy(worker.paper.url, hold=f"{PLACE_POST} ".encode()) if held else None
    try:
        if proxy is not None:
            proxy.arm()
            first = rig.start(paper_url=proxy.start())
        else:
            await worker.paper.inject_fault("accept_then_hang", PLACE, api_key=paper_account.api_key,
                                            hang_s=30)  # fmt: skip
            first = rig.start()
        order_id = await buy_now(worker, client_id, credential_id, "0.002")
        cid = (await worker.order(order_id))["client_order_id"]

        async def request_out() -> bool:
            if proxy is not None:
                return proxy.held.is_set()
            return bool(await venue_orders(worker, paper_account, cid))

        await rig.wait(request_out, 30, "the order request out", every_s=0.005)
        first.kill()
        at_kill = await worker.order(order_id)
        assert at_kill["status"] == "submitting", (at_kill, rig.logs())
        assert at_kill["exchange_order_id"] is None
        await worker.paper.clear_faults(api_key=paper_account.api_key)

        rig.start()
        await assert_recovered(rig, order_id)
        calls = await rig.calls(order_id)
        if held:
            assert ("fetch_order", "ok", "not found at the venue") in calls, calls
            assert await place_posts(rig) == 1  # sent once, after the settle time
        else:
            assert any(c[0] == "fetch_order" and "adopted" in (c[2] or "") for c in calls), calls
            assert await place_posts(rig) == 1  # adopted, never sent again
    finally:
        if proxy is not None:
            proxy.stop()
        for proc in rig.procs:
            proc.kill()
