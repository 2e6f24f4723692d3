"""A BitMart credential saved through the API, in any letter case, routes to the native
BitMart connector: the order placed with it over HTTP trades on the paper exchange's
BitMart dialect (the old system lost orders to an exchange-name case mismatch)."""

from __future__ import annotations

from decimal import Decimal as D
from uuid import UUID

import pytest

from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_web import StartWeb
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.web.support import create_credential, error_of, place_order


@pytest.mark.parametrize("spelling", ["bitmart", "BitMart", "BITMART"])
async def test_a_paper_bitmart_credential_trades_on_the_bitmart_dialect(
    start_web: StartWeb, worker: WorkerHarness, paper_account: PaperAccount, spelling: str
) -> None:
    # The web seals to the worker's key, as in production.
    async with start_web(
        sealing_key_id=worker.keys.key_id, sealing_public_key=worker.keys.public_key_b64
    ) as web:
        client = await web.create_client()
        async with web.http(client.token) as http:
            created = await create_credential(
                http, exchange=spelling, api_key=paper_account.api_key,
                secret=paper_account.secret, memo=paper_account.memo, passphrase=None,
            )  # fmt: skip
            assert created["exchange"] == "bitmart"
            placed = await place_order(http, created["id"], type="market", price=None,
                                       amount="0.002")  # fmt: skip

    order_id = UUID(placed["id"])
    await worker.drain(worker.status_is(order_id, "filled"))
    order = await worker.order(order_id)
    at_venue = [o for o in await worker.paper.orders(api_key=paper_account.api_key)
                if o["clientOrderId"] == order["client_order_id"]]  # fmt: skip
    assert [(o["status"], D(o["executedQty"])) for o in at_venue] == [("FILLED", D("0.002"))]
    paths = await worker.paper.request_counts(api_key=paper_account.api_key)
    assert paths.get("POST /bitmart/spot/v2/submit_order") == 1  # BitMart's path, not Binance's
    assert not any(path.endswith("/api/v3/order") for path in paths)


async def test_a_bitmart_credential_without_its_memo_is_refused(
    start_web: StartWeb, paper_account: PaperAccount
) -> None:
    async with start_web() as web:
        client = await web.create_client()
        async with web.http(client.token) as http:
            response = await http.post("/v1/credentials", json={
                "exchange": "BitMart", "label": "no memo", "api_key": paper_account.api_key,
                "secret": paper_account.secret, "environment": "paper",
            })  # fmt: skip
    assert response.status_code == 422, response.text
    assert [d["field"] for d in error_of(response)["details"]] == ["memo"]
