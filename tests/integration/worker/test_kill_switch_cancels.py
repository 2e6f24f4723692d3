"""A kill switch is not held back by an open circuit breaker: its cancels go out at once
(bypassing the breaker, with their own short retry), while ordinary calls still wait."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D
from uuid import UUID

import pytest

from shared import kill_switch
from shared.domain import KillSwitchScope, OrderType
from shared.exchange.breaker import BreakerRegistry
from shared.exchange.errors import ExchangeCallError
from shared.orders.cancel import request_cancel
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness

pytestmark = pytest.mark.slow

OPEN = ("NEW", "PARTIALLY_FILLED")


async def resting_orders(worker: WorkerHarness, account: PaperAccount, n: int) -> list[UUID]:
    client_id, credential_id = await worker.client_with_credential(account)
    mid = D(str((await worker.paper.market("BTCUSDT"))["mid"]))
    price = str((mid * D("0.95")).quantize(D("0.01")))
    ids = [
        await worker.submit(
            client_id, credential_id, type=OrderType.LIMIT, amount="0.01", price=price
        )
        for _ in range(n)
    ]
    for order_id in ids:
        await worker.drain(worker.status_is(order_id, "open"))
    return ids


async def open_the_breaker(worker: WorkerHarness, account: PaperAccount, order_id: UUID) -> str:
    """Five venue-wide failures (503s) on this account's balance reads open the breaker."""
    rows = await worker.fetch("SELECT credential_id FROM orders WHERE id = %s", order_id)
    async with worker.pool.connection() as conn:
        credential = await worker.ctx.vault.open(conn, rows[0][0])
    adapter = worker.ctx.adapters.for_credential(credential)
    await worker.paper.inject_fault(
        "http_503", "/api/v3/account", "GET", times=50, api_key=account.api_key
    )
    try:
        for _ in range(10):
            if adapter.breaker.state == "open":
                break
            with pytest.raises(ExchangeCallError):
                await adapter.fetch_balance()
    finally:
        await worker.paper.clear_faults(api_key=account.api_key)  # the venue is back
    return adapter.breaker.state


async def venue_open_count(worker: WorkerHarness, account: PaperAccount) -> int:
    orders = await worker.paper.orders(api_key=account.api_key)
    return sum(o["status"] in OPEN for o in orders)


async def test_kill_switch_cancels_go_out_while_the_breaker_is_open(
    worker: WorkerHarness, paper_exchange: object
) -> None:
    worker.ctx.adapters.breakers = BreakerRegistry(fail_max=5, reset_timeout_s=30.0)
    killed_account = await worker.paper.create_account({"BTC": "1", "USDT": "60000"})
    other_account = await worker.paper.create_account({"BTC": "1", "USDT": "60000"})
    killed = await resting_orders(worker, killed_account, 3)
    (other,) = await resting_orders(worker, other_account, 1)
    assert await open_the_breaker(worker, killed_account, killed[0]) == "open"

    client_rows = await worker.fetch("SELECT client_id FROM orders WHERE id = %s", killed[0])
    other_client = (await worker.fetch("SELECT client_id FROM orders WHERE id = %s", other))[0][0]
    async with worker.pool.connection() as conn:
        await kill_switch.engage(
            conn, worker.app, KillSwitchScope.CLIENT, client_id=client_rows[0][0], bot_id=None,
            engaged_by="test", reason="test",
        )  # fmt: skip
        # An ordinary cancel, no kill switch: it still respects the open breaker.
        await request_cancel(
            conn, worker.app, client_id=other_client, order_id=other, requested_by="test"
        )

    loop = asyncio.get_running_loop()
    started = loop.time()

    async def killed_orders_gone() -> bool:
        return await venue_open_count(worker, killed_account) == 0

    await worker.drain(killed_orders_gone, within_s=5)
    assert loop.time() - started < 5  # far less than the breaker's 30 s reset timeout
    for order_id in killed:
        await worker.drain(worker.status_is(order_id, "canceled"), within_s=5)

    # The breaker is untouched by the kill switch's calls, and still holds everyone else.
    assert list(worker.ctx.adapters.breakers.states().values()) == ["open"]
    assert await venue_open_count(worker, other_account) == 1
    assert (await worker.order(other))["status"] == "open"
    refused = await worker.fetch(
        "SELECT count(*) FROM order_events WHERE order_id = %s"
        " AND error_class = 'CircuitOpenError'",
        other,
    )
    assert refused[0][0] >= 1
