"""The user-data stream for stop orders and OCO lists: ``executionReport`` per leg with
its list id (``g``) and stop price (``P``), ``listStatus`` on list changes, and ccxt.pro's
``watch_orders`` still parsing the legs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin
from tests.integration.stream_helpers import (
    EVENT_TIMEOUT_S,
    RawSocket,
    pro_client,
    raw_socket,
    signed_subscribe,
    wait_user_stream,
    ws_url,
)

OCO = {
    "symbol": "BTCUSDT",
    "side": "SELL",
    "quantity": "0.01",
    "aboveType": "LIMIT_MAKER",
    "abovePrice": "61000",
    "belowType": "STOP_LOSS_LIMIT",
    "belowStopPrice": "59000",
    "belowPrice": "58900",
    "belowTimeInForce": "GTC",
}


# The venue is shared: what a test leaves open is canceled after it.
pytestmark = pytest.mark.usefixtures("btcusdt_leftovers_canceled")


async def events_until(ws: RawSocket, done: Any) -> list[dict[str, Any]]:
    """User-data events (unwrapped) up to and including the first ``done(event)``."""
    events: list[dict[str, Any]] = []
    while True:
        frame = await ws.receive()
        if "event" not in frame:
            continue
        events.append(frame["event"])
        if done(frame["event"]):
            return events


def only(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["e"] == kind]


async def test_an_oco_reports_its_legs_and_list_status_then_the_trigger(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    async with raw_socket(ws_url(paper_account, "/ws-api/v3")) as ws:
        assert (await ws.request(signed_subscribe(paper_account)))["status"] == 200
        placed = await paper_client.private_post_orderlist_oco(
            {**OCO, "listClientOrderId": "stream-oco"}
        )
        list_id = placed["orderListId"]
        events = await events_until(ws, lambda e: e["e"] == "listStatus")
        reports = only(events, "executionReport")
        assert [(r["o"], r["x"], r["g"], r["P"], r["w"]) for r in reports] == [
            ("STOP_LOSS_LIMIT", "NEW", list_id, "59000.00000000", False),
            ("LIMIT_MAKER", "NEW", list_id, "0.00000000", True),
        ]
        status = events[-1]
        assert {k: status[k] for k in ("s", "g", "c", "l", "L", "r", "C")} == {
            "s": "BTCUSDT",
            "g": list_id,
            "c": "OCO",
            "l": "EXEC_STARTED",
            "L": "EXECUTING",
            "r": "NONE",
            "C": "stream-oco",
        }
        assert [(o["s"], o["i"]) for o in status["O"]] == [
            ("BTCUSDT", r["orderId"]) for r in placed["orders"]
        ]

        await paper_exchange.set_mid("BTCUSDT", "58950")
        events = await events_until(
            ws, lambda e: e["e"] == "executionReport" and e["X"] == "FILLED"
        )
        expired = [e for e in only(events, "executionReport") if e["x"] == "EXPIRED"]
        assert [(e["o"], e["X"], e["eR"]) for e in expired] == [
            ("LIMIT_MAKER", "EXPIRED", "OCO_TRIGGER")
        ]
        (done,) = only(events, "listStatus")
        assert (done["l"], done["L"]) == ("ALL_DONE", "ALL_DONE")
        filled = events[-1]
        assert (filled["o"], filled["g"], filled["L"], filled["w"]) == (
            "STOP_LOSS_LIMIT",
            list_id,
            "58949.99000000",
            False,
        )


async def test_ccxt_pro_watch_orders_parses_the_legs(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    async with pro_client(paper_account) as pro:
        watch = asyncio.create_task(pro.watch_orders("BTC/USDT"))
        await wait_user_stream(paper_exchange, paper_account.api_key)
        await paper_client.private_post_orderlist_oco(
            {
                **OCO,
                "listClientOrderId": "pro-oco",
                "aboveClientOrderId": "pro-tp",
                "belowClientOrderId": "pro-sl",
            }
        )
        await asyncio.wait_for(watch, EVENT_TIMEOUT_S)
        seen: dict[str, Any] = {}
        for _ in range(100):  # the second leg's report may follow in a later frame
            seen = {o["clientOrderId"]: o for o in pro.orders}
            if {"pro-tp", "pro-sl"} <= set(seen):
                break
            await asyncio.sleep(0.02)
    stop, take_profit = seen["pro-sl"], seen["pro-tp"]
    assert (stop["status"], stop["type"], stop["side"], stop["amount"]) == (
        "open",
        "limit",  # ccxt's unified type; the trigger price tells it is a stop
        "sell",
        0.01,
    )
    assert stop["triggerPrice"] == 59000.0
    assert stop["price"] == 58900.0
    assert (take_profit["status"], take_profit["type"], take_profit["price"]) == (
        "open",
        "limit",
        61000.0,
    )
    assert stop["info"]["g"] == take_profit["info"]["g"] >= 0
