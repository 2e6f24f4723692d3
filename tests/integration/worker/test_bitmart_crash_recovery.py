"""A real `tradebridge worker` subprocess on a BitMart credential, SIGKILLed mid-send,
then replaced: the order ends filled with exactly one BitMart order for its client id.

The machinery (subprocess workers with short timings, the holding proxy) is
test_crash_recovery.py's. The subprocess runs the shipped connector, so its settle floor
is BitMart's own (a minute plus a margin): the case where the request never arrived
waits that out, as production would.
"""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any
from uuid import UUID

import pytest

from paper_exchange.bitmart_shapes import ID_SYMBOL_SLOTS
from shared.exchange.bitmart import BitMart
from tests.integration.worker.crash_rig import Rig
from tests.integration.worker.processes import HoldingProxy, wait_for

pytestmark = pytest.mark.slow

SUBMIT = "/bitmart/spot/v2/submit_order"
RECOVERY_S = 35.0


async def submits(rig: Rig) -> int:
    counts = await rig.worker.paper.request_counts(api_key=rig.account.api_key)
    return counts.get(f"POST {SUBMIT}", 0)


async def assert_recovered(rig: Rig, order_id: UUID, within_s: float) -> dict[str, Any]:
    await rig.wait(rig.worker.status_is(order_id, "filled"), within_s, "order filled")
    order = await rig.worker.order(order_id)
    at_venue = await rig.venue_orders(order["client_order_id"])
    assert len(at_venue) == 1, (at_venue, rig.logs())
    assert at_venue[0]["status"] == "FILLED"
    # BitMart's id for the engine's BTCUSDT order n is n * slots + 1 (see bitmart_shapes).
    assert order["exchange_order_id"] == str(int(at_venue[0]["orderId"]) * ID_SYMBOL_SLOTS + 1)
    ours = await rig.worker.fetch("SELECT amount FROM fills WHERE order_id = %s", order_id)
    assert sum(r[0] for r in ours) == order["filled"] == D(at_venue[0]["executedQty"])
    return order


@pytest.mark.timeout(150)
async def test_killed_after_bitmart_accepted_before_the_db_write(rig: Rig) -> None:
    """`accept_then_hang`: BitMart creates (and fills) the order and never answers; the
    kill lands while our row is still `submitting`. The new worker adopts it."""
    client_id, credential_id = await rig.worker.client_with_credential(rig.account, "bitmart")
    await rig.worker.paper.inject_fault("accept_then_hang", SUBMIT, api_key=rig.account.api_key,
                                        hang_s=30)  # fmt: skip
    first = rig.start()
    order_id = await rig.worker.submit(client_id, credential_id, amount="0.003")
    cid = (await rig.worker.order(order_id))["client_order_id"]

    async def at_venue() -> bool:
        return bool(await rig.venue_orders(cid))

    await wait_for(at_venue, 30, "the order at the venue", every_s=0.02, on_timeout=rig.logs)
    first.kill()
    assert (await rig.worker.order(order_id))["status"] == "submitting", rig.logs()
    await rig.worker.paper.clear_faults(api_key=rig.account.api_key)

    rig.start()
    order = await assert_recovered(rig, order_id, RECOVERY_S)
    assert order["filled"] == D("0.003")
    assert await submits(rig) == 1  # adopted, never sent again


@pytest.mark.timeout(240)
async def test_killed_before_bitmart_received_the_request_waits_out_its_window(
    rig: Rig,
) -> None:
    """SIGKILL with the order request held in a proxy (BitMart never got it). The new
    worker finds nothing by client order id and sends only once BitMart's timestamp
    window (plus margin) has passed since the lost request: once."""
    proxy = HoldingProxy(rig.worker.paper.url, hold=f"POST {SUBMIT} ".encode())
    proxy_url = proxy.start()
    try:
        proxy.arm()
        client_id, credential_id = await rig.worker.client_with_credential(rig.account, "bitmart")
        first = rig.start(paper_url=proxy_url)
        order_id = await rig.worker.submit(client_id, credential_id, amount="0.002")

        async def held() -> bool:
            return proxy.held.is_set()

        await wait_for(held, 30, "the order request held", every_s=0.005, on_timeout=rig.logs)
        first.kill()
    finally:
        proxy.stop()
    at_kill = await rig.worker.order(order_id)
    assert at_kill["status"] == "submitting", (at_kill, rig.logs())
    assert await submits(rig) == 0

    rig.start()
    order = await assert_recovered(rig, order_id, BitMart.min_settle_s + RECOVERY_S)
    assert order["filled"] == D("0.002")
    assert await submits(rig) == 1
    events = await rig.worker.fetch(
        "SELECT call, outcome, message, created_at FROM order_events"
        " WHERE order_id = %s AND kind = 'exchange_call' ORDER BY id",
        order_id,
    )
    assert ("fetch_order", "ok", "not found at the venue") in [e[:3] for e in events], events
    sent = [e[3] for e in events if e[:2] == ("create_order", "ok")]
    submitted = await rig.worker.fetch("SELECT created_at FROM orders WHERE id = %s", order_id)
    assert len(sent) == 1
    assert (sent[0] - submitted[0][0]).total_seconds() >= BitMart.min_settle_s
