"""An order whose fills add up to less than its filled amount (a trade lost on its way
in) gets its trades from the venue: the sweep finds it whatever path lost them, and
the reconciliation fetches and writes each once."""

from __future__ import annotations

import dataclasses
from decimal import Decimal as D

from shared.domain import OrderSide, OrderType
from shared.exchange.types import VenueOrderStatus
from shared.repositories import order_pipeline
from shared.repositories.order_pipeline import lock_order
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from worker.orders.reconciliation import reconcile_credential
from worker.orders.state import apply_venue_order


async def test_an_order_filled_without_its_fills_gets_them_from_the_venue(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    mid = D(str((await worker.paper.market("BTCUSDT"))["mid"]))
    order_id = await worker.submit(
        client_id, credential_id, type=OrderType.LIMIT, side=OrderSide.BUY, amount="0.002",
        price=str((mid * D("0.98")).quantize(D("0.01"))),
    )  # fmt: skip
    await worker.drain(worker.status_is(order_id, "open"))
    await worker.paper.set_mid("BTCUSDT", (mid * D("0.96")).quantize(D("0.01")))

    # A path that wrote the venue's status and filled amount but lost the trade.
    async with worker.pool.connection() as conn:
        adapter = worker.ctx.adapters.for_credential(
            await worker.ctx.vault.open(conn, credential_id)
        )
        order = await lock_order(conn, order_id)
        assert order is not None
        venue = await adapter.fetch_order(order.symbol, client_order_id=order.client_order_id)
        assert venue is not None
        assert venue.status is VenueOrderStatus.CLOSED
        await apply_venue_order(conn, order, dataclasses.replace(venue, trades=()))
    assert (await worker.order(order_id))["status"] == "filled"
    assert await worker.fetch("SELECT count(*) FROM fills WHERE order_id = %s", order_id) == [(0,)]

    async with worker.pool.connection() as conn:
        assert credential_id in await order_pipeline.credentials_missing_fills(
            conn, within_s=600, min_age_s=0
        )
    await reconcile_credential(worker.ctx, credential_id)
    await reconcile_credential(worker.ctx, credential_id)  # once only

    fills = await worker.fetch(
        "SELECT exchange_trade_id, amount FROM fills WHERE order_id = %s ORDER BY 1", order_id
    )
    trades = await worker.paper.trades(api_key=paper_account.api_key)
    assert fills == sorted((str(t["id"]), D(str(t["qty"]))) for t in trades)
    async with worker.pool.connection() as conn:
        assert credential_id not in await order_pipeline.credentials_missing_fills(
            conn, within_s=600, min_age_s=0
        )
