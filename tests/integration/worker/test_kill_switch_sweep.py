"""A kill switch cancels through the one cancel path: every order it cancels gets the
same "cancel requested by …" note as an HTTP cancel or a bot's, then is canceled."""

from __future__ import annotations

from decimal import Decimal as D

from shared import kill_switch
from shared.domain import KillSwitchScope, OrderType
from shared.orders.cancel import request_cancel
from tests.fixtures.fix_worker import WorkerHarness

NOTE = "SELECT message FROM order_events WHERE order_id = %s AND kind = 'note' ORDER BY id"


async def test_kill_switch_cancels_write_the_same_event_as_any_cancel(
    worker: WorkerHarness, paper_exchange: object
) -> None:
    account = await worker.paper.create_account({"BTC": "1", "USDT": "60000"})
    client_id, credential_id = await worker.client_with_credential(account)
    mid = D(str((await worker.paper.market("BTCUSDT"))["mid"]))
    price = str((mid * D("0.95")).quantize(D("0.01")))
    killed, canceled = [
        await worker.submit(
            client_id, credential_id, type=OrderType.LIMIT, amount="0.01", price=price
        )
        for _ in range(2)
    ]
    for order_id in (killed, canceled):
        await worker.drain(worker.status_is(order_id, "open"))

    async with worker.pool.connection() as conn:
        await request_cancel(
            conn, worker.app, client_id=client_id, order_id=canceled, requested_by="test"
        )
    await worker.drain(worker.status_is(canceled, "canceled"))
    async with worker.pool.connection() as conn:
        switch = await kill_switch.engage(
            conn, worker.app, KillSwitchScope.CLIENT, client_id=client_id, bot_id=None,
            engaged_by="test", reason="drill",
        )  # fmt: skip
    await worker.drain(worker.status_is(killed, "canceled"))

    by_hand = [row[0] for row in await worker.fetch(NOTE, canceled)]
    by_switch = [row[0] for row in await worker.fetch(NOTE, killed)]
    assert by_hand == ["cancel requested by test"]
    assert by_switch == [f"cancel requested by kill switch {switch.id}"]
