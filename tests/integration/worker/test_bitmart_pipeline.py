"""The order pipeline on BitMart: the real worker, real Postgres, the native BitMart
connector against the paper exchange's BitMart dialect over HTTP. Every test checks the
venue's own books: one venue order per client order id, our fills == its trades.

The venue here accepts a request for 1 s after its X-BM-TIMESTAMP (BitMart: a minute),
and the connector's settle floor follows it (BitMart: 65 s), so "not found" after a lost
send is waited out in test time; the worker's configured settle time is 1.5 s.

Copied in spirit (not parametrized) from the Binance tests in test_order_pipeline.py,
test_kill_switch_cancels.py and test_crash_recovery.py: those read venue ids from the
admin dump, which are the engine's (Binance's) ids, while BitMart's ids differ.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal as D
from typing import Any
from uuid import UUID

import pytest

from paper_exchange.bitmart_shapes import ID_SYMBOL_SLOTS
from paper_exchange.server import PaperConfig, PaperExchangeThread
from shared import kill_switch
from shared.bots import lifecycle
from shared.domain import BotKind, KillSwitchScope, OrderType
from shared.exchange.bitmart import BitMart
from shared.exchange.market_data import MarketDataCache
from shared.orders.cancel import request_cancel
from tests.fixtures.fix_paper import PAPER_SEED, PaperAccount, PaperExchangeAdmin
from tests.fixtures.fix_worker import WorkerHarness, running_harness
from worker.accounts import refresh_balances
from worker.orders.reconciliation import reconcile_order

SUBMIT = "/bitmart/spot/v2/submit_order"
WALLET = "/bitmart/spot/v1/wallet"
BTC_NUMBER = 1  # BTCUSDT's place among the paper symbols: BitMart ids end with it
WINDOW_MS = 1000


@pytest.fixture
def bitmart_venue() -> Iterator[PaperExchangeAdmin]:
    config = PaperConfig(walk_interval_s=0, seed=PAPER_SEED, bitmart_timestamp_window_ms=WINDOW_MS)
    server = PaperExchangeThread(config)
    try:
        yield PaperExchangeAdmin(server.start())
    finally:
        server.stop()


@pytest.fixture
async def worker(
    db_url: str, bitmart_venue: PaperExchangeAdmin, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[WorkerHarness]:
    # The venue's window plus a margin, as live: WINDOW_MS + 0.5 s (BitMart: 60 s + 5 s).
    monkeypatch.setattr(BitMart, "min_settle_s", WINDOW_MS / 1000 + 0.5)
    async with running_harness(db_url, bitmart_venue) as harness:
        yield harness


@pytest.fixture
async def account(bitmart_venue: PaperExchangeAdmin) -> PaperAccount:
    return await bitmart_venue.create_account()


def bitmart_id(engine_id: Any, number: int = BTC_NUMBER) -> str:
    return str(int(engine_id) * ID_SYMBOL_SLOTS + number)


async def venue_orders(
    worker: WorkerHarness, account: PaperAccount, cid: str
) -> list[dict[str, Any]]:
    return [
        o for o in await worker.paper.orders(api_key=account.api_key) if o["clientOrderId"] == cid
    ]


async def assert_exactly_once(
    worker: WorkerHarness, account: PaperAccount, order_id: UUID
) -> dict[str, Any]:
    """One venue order for the intent; our row carries its BitMart id; fills == trades."""
    order = await worker.order(order_id)
    at_venue = await venue_orders(worker, account, order["client_order_id"])
    assert len(at_venue) == 1, at_venue
    assert order["exchange_order_id"] == bitmart_id(at_venue[0]["orderId"])
    venue_trades = [t for t in await worker.paper.trades(api_key=account.api_key)
                    if bitmart_id(t["orderId"]) == order["exchange_order_id"]]  # fmt: skip
    ours = await worker.fetch(
        "SELECT exchange_trade_id, amount FROM fills WHERE order_id = %s ORDER BY 1", order_id
    )
    assert sorted((bitmart_id(t["id"]), D(str(t["qty"]))) for t in venue_trades) == sorted(ours)
    assert sum(D(str(t["qty"])) for t in venue_trades) == order["filled"]
    return order


async def calls_of(worker: WorkerHarness, order_id: UUID) -> list[tuple[Any, ...]]:
    return await worker.fetch(
        "SELECT call, outcome, message FROM order_events"
        " WHERE order_id = %s AND kind = 'exchange_call' ORDER BY id",
        order_id,
    )


async def resting_order(worker: WorkerHarness, client_id: UUID, credential_id: UUID) -> UUID:
    mid = D(str((await worker.paper.market("BTCUSDT"))["mid"]))
    order_id = await worker.submit(client_id, credential_id, type=OrderType.LIMIT, amount="0.01",
                                   price=str((mid * D("0.95")).quantize(D("0.01"))))  # fmt: skip
    await worker.drain(worker.status_is(order_id, "open"))
    return order_id


async def test_an_order_is_placed_once_and_filled(
    worker: WorkerHarness, account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(account, "bitmart")
    order_id = await worker.submit(client_id, credential_id, amount="0.002")
    await worker.drain(worker.status_is(order_id, "filled"))
    order = await assert_exactly_once(worker, account, order_id)
    assert (order["filled"], order["attempts"]) == (D("0.002"), 1)
    assert ("create_order", "ok") in [c[:2] for c in await calls_of(worker, order_id)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "first_outcome"),
    [
        ("accept_then_drop", "ambiguous"),
        ("accept_then_504", "ambiguous"),
        ("accept_then_hang", "ambiguous"),
        ("http_500", "ambiguous"),
        ("http_503", "ambiguous"),
        ("hang", "ambiguous"),
        ("drop", "ambiguous"),
        ("http_429", "transient"),
    ],
)
async def test_every_fault_on_the_send_ends_with_one_venue_order(
    worker: WorkerHarness, account: PaperAccount, fault: str, first_outcome: str
) -> None:
    client_id, credential_id = await worker.client_with_credential(account, "bitmart")
    await worker.paper.inject_fault(fault, SUBMIT, api_key=account.api_key, hang_s=3,
                                    retry_after_s=1)  # fmt: skip
    order_id = await worker.submit(client_id, credential_id, amount="0.003")
    await worker.drain(worker.status_is(order_id, "filled"), within_s=40)
    order = await assert_exactly_once(worker, account, order_id)
    assert order["filled"] == D("0.003")
    calls = await calls_of(worker, order_id)
    assert calls[0][:2] == ("create_order", first_outcome), calls
    if fault.startswith("accept_then"):  # the venue had it: adopted, never sent again
        assert ("create_order", "ok") not in [c[:2] for c in calls], calls
    else:
        assert calls[-1][:2] == ("create_order", "ok"), calls


async def test_a_resting_order_is_reconciled_to_filled(
    worker: WorkerHarness, account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(account, "bitmart")
    order_id = await resting_order(worker, client_id, credential_id)
    mid = D(str((await worker.paper.market("BTCUSDT"))["mid"]))
    moved = await worker.paper.set_mid("BTCUSDT", mid * D("0.94"))
    assert moved["fills"], "the mid crossed the resting order"
    assert await reconcile_order(worker.ctx, order_id) == "filled"
    assert await reconcile_order(worker.ctx, order_id) == "nothing_to_do"
    order = await assert_exactly_once(worker, account, order_id)
    assert order["filled"] == D("0.01")


async def test_a_resting_order_is_cancelled(worker: WorkerHarness, account: PaperAccount) -> None:
    client_id, credential_id = await worker.client_with_credential(account, "bitmart")
    order_id = await resting_order(worker, client_id, credential_id)
    async with worker.pool.connection() as conn:
        await request_cancel(conn, worker.app, client_id=client_id, order_id=order_id,
                             requested_by="test")  # fmt: skip
    await worker.drain(worker.status_is(order_id, "canceled"))
    order = await worker.order(order_id)
    assert [o["status"] for o in await venue_orders(worker, account, order["client_order_id"])] == [
        "CANCELED"
    ]
    held = await worker.paper.balances(account.api_key)
    assert held["USDT"].locked == 0


async def test_balances_refresh_and_keep_the_last_good_values_on_failure(
    worker: WorkerHarness, account: PaperAccount
) -> None:
    _, credential_id = await worker.client_with_credential(account, "bitmart")
    assert await refresh_balances(worker.ctx, credential_id) == "refreshed"
    query = "SELECT asset, free, used, fetched_at FROM balances WHERE credential_id = %s ORDER BY 1"
    before = await worker.fetch(query, credential_id)
    assert [r[:3] for r in before if r[0] == "USDT"] == [("USDT", D(100000), D(0))]
    await worker.paper.inject_fault("http_503", WALLET, "GET", times=20, api_key=account.api_key)
    assert await refresh_balances(worker.ctx, credential_id) == "failed"
    assert await worker.fetch(query, credential_id) == before  # never zeroed, never touched


@pytest.mark.slow
async def test_a_kill_switch_cancels_the_clients_orders_at_the_venue(
    worker: WorkerHarness, account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(account, "bitmart")
    orders = [await resting_order(worker, client_id, credential_id) for _ in range(3)]
    async with worker.pool.connection() as conn:
        await kill_switch.engage(conn, worker.app, KillSwitchScope.CLIENT, client_id=client_id,
                                 bot_id=None, engaged_by="test", reason="drill")  # fmt: skip
    for order_id in orders:
        await worker.drain(worker.status_is(order_id, "canceled"), within_s=15)
    venue = await worker.paper.orders(api_key=account.api_key)
    assert sorted(o["status"] for o in venue) == ["CANCELED"] * 3
    refused = await worker.submit(client_id, credential_id)
    await worker.drain(worker.status_is(refused, "rejected"))
    assert len(await worker.paper.orders(api_key=account.api_key)) == 3  # nothing new sent


@pytest.mark.slow
async def test_a_spread_bot_quotes_on_bitmart(worker: WorkerHarness) -> None:
    from tests.integration.bots.support import assert_stats_match_the_venue, pipeline_quiet
    from worker.bots.tick import run_tick

    worker.ctx.market_data = MarketDataCache(ttl_s=0)
    await worker.paper.set_mid("BTCUSDT", "60000")
    account = await worker.paper.create_account({"BTC": "1", "USDT": "60000"})
    client_id, credential_id = await worker.client_with_credential(account, "bitmart")
    config = {"spread_bps": "20", "order_size": "0.01", "refresh_interval_s": 3600}
    async with worker.pool.connection() as conn:
        bot = await lifecycle.create_bot(
            conn, client_id=client_id, name="bm-spread", kind=BotKind.SPREAD,
            credential_id=credential_id, symbol="BTC/USDT", config=config,
        )  # fmt: skip
        await lifecycle.start_bot(conn, worker.app, client_id=client_id, bot_id=bot.id)

    async def quiet() -> bool:
        return await pipeline_quiet(worker)

    await worker.drain(quiet, within_s=20)

    async def quotes() -> dict[str, list[D]]:
        found: dict[str, list[D]] = {"BUY": [], "SELL": []}
        for o in await worker.paper.orders(api_key=account.api_key):
            if o["status"] in ("NEW", "PARTIALLY_FILLED"):
                found[o["side"]].append(D(o["price"]))
        return found

    assert await quotes() == {"BUY": [D("59940.00")], "SELL": [D("60060.00")]}
    await worker.paper.set_mid("BTCUSDT", "60300")
    report = await run_tick(worker.ctx, bot.id)
    assert report.canceled == 2
    await worker.drain(quiet, within_s=20)
    await run_tick(worker.ctx, bot.id)
    await worker.drain(quiet, within_s=20)
    assert await quotes() == {"BUY": [D("60239.70")], "SELL": [D("60360.30")]}
    ours = await worker.fetch("SELECT client_order_id FROM orders WHERE bot_id = %s", bot.id)
    venue_ids = [o["clientOrderId"] for o in await worker.paper.orders(api_key=account.api_key)]
    assert sorted(venue_ids) == sorted(r[0] for r in ours)  # every venue order is ours, once
    # The ask at 60060 filled when the mid moved through it: the stats count it once.
    await assert_stats_match_the_venue(worker, bot.id, account, mid=D("60300"))
