"""Fault injection on ``POST /api/v3/orderList/oco``: the faults match by method and path
like any route, so an OCO can be created and its answer lost, or refused outright."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import ccxt
import pytest

from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin

OCO_PATH = "/api/v3/orderList/oco"


# The venue is shared: what a test leaves open is canceled after it.
pytestmark = pytest.mark.usefixtures("btcusdt_leftovers_canceled")


def oco(list_client_id: str) -> dict[str, Any]:
    return {
        "symbol": "BTCUSDT",
        "side": "SELL",
        "quantity": "0.01",
        "listClientOrderId": list_client_id,
        "aboveType": "LIMIT_MAKER",
        "abovePrice": "61000",
        "belowType": "STOP_LOSS",
        "belowStopPrice": "59000",
    }


@pytest.fixture
async def short_timeout_client(paper_account: PaperAccount) -> AsyncIterator[Any]:
    client = paper_account.client(timeout=400)  # ms
    await client.load_markets()
    try:
        yield client
    finally:
        await client.close()


async def test_accept_then_hang_creates_the_list_and_loses_the_answer(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, short_timeout_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    await paper_exchange.inject_fault(
        "accept_then_hang", OCO_PATH, api_key=paper_account.api_key, hang_s=2
    )
    with pytest.raises(ccxt.RequestTimeout):
        await short_timeout_client.private_post_orderlist_oco(oco("held-oco"))
    venue = await paper_exchange.orders(api_key=paper_account.api_key)
    assert sorted((o["type"], o["status"]) for o in venue) == [
        ("LIMIT_MAKER", "NEW"),
        ("STOP_LOSS", "NEW"),
    ]
    # The caller can find what it sent by the list's client id.
    listed = await short_timeout_client.private_get_orderlist({"origClientOrderId": "held-oco"})
    assert listed["listOrderStatus"] == "EXECUTING"


async def test_http_503_creates_nothing(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    await paper_exchange.inject_fault("http_503", OCO_PATH, api_key=paper_account.api_key)
    with pytest.raises(ccxt.ExchangeNotAvailable):
        await paper_client.private_post_orderlist_oco(oco("refused-oco"))
    assert await paper_exchange.orders(api_key=paper_account.api_key) == []
    assert await paper_client.private_get_openorderlist() == []
    # One request only: the next one goes through.
    placed = await paper_client.private_post_orderlist_oco(oco("refused-oco"))
    assert placed["listStatusType"] == "EXEC_STARTED"
