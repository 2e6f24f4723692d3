"""A credential assigned to an egress route streams through the route's proxy, like its
REST calls."""

from __future__ import annotations

from decimal import Decimal as D

from shared.domain import OrderSide, OrderType
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.fixtures.forward_proxy import running_proxy
from tests.integration.worker.processes import wait_for
from tests.integration.worker.test_egress_routes import (
    PROXY_PASSWORD,
    PROXY_USER,
    assign,
    make_route,
)


async def test_a_routed_credentials_user_data_stream_leaves_by_its_route(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    async with running_proxy(PROXY_USER, PROXY_PASSWORD) as proxy:
        await make_route(worker, "fra-1", proxy.url)
        client_id, credential_id = await worker.client_with_credential(paper_account)
        await assign(worker, credential_id, "fra-1")
        mid = D(str((await worker.paper.market("BTCUSDT"))["mid"]))
        order_id = await worker.submit(
            client_id, credential_id, type=OrderType.LIMIT, side=OrderSide.BUY,
            amount="0.002", price=str((mid * D("0.98")).quantize(D("0.01"))),
        )  # fmt: skip
        await worker.drain(worker.status_is(order_id, "open"))
        async with worker.streaming():
            await wait_for(worker.stream_is(credential_id, "live"), 15, "stream live")
            await worker.paper.set_mid("BTCUSDT", (mid * D("0.96")).quantize(D("0.01")))
            await wait_for(worker.status_is(order_id, "filled"), 5, "fill by stream")

    handshakes = [r for r in proxy.requests if r.path.startswith("/ws-api/v3")]
    assert handshakes, [(r.method, r.path) for r in proxy.requests]
    assert all(r.headers.get("upgrade", "").lower() == "websocket" for r in handshakes)
    assert proxy.refused == 0
    events = await worker.fetch(
        "SELECT via FROM order_events WHERE order_id = %s AND to_status = 'filled'", order_id
    )
    assert events == [("stream",)]
