"""The paper exchange's market streams: ccxt.pro's book watchers and the raw protocol.

Each test moves its own symbol's mid first (the market is shared by the session).
ETHUSDT around a mid M: touch M -/+ 0.01, 20 levels 0.10 apart, level i 0.5 * (i + 1).
"""

from __future__ import annotations

import asyncio
import itertools
from decimal import Decimal
from typing import Any

import httpx

from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin
from tests.integration.stream_helpers import (
    EVENT_TIMEOUT_S,
    pro_client,
    raw_socket,
    wait_market_stream,
    wait_until,
    ws_url,
)

D = Decimal


def as_book(levels: list[list[str]]) -> list[tuple[Decimal, Decimal]]:
    return [(D(p), D(q)) for p, q in levels]


def ccxt_book(side: list[list[float]]) -> list[tuple[Decimal, Decimal]]:
    return [(D(str(p)), D(str(q))) for p, q in side]


async def test_watch_bids_asks_follows_the_mid(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    await paper_exchange.set_mid("ETHUSDT", "3000")
    async with pro_client(paper_account) as pro:
        watch = asyncio.create_task(pro.watch_bids_asks(["ETH/USDT"]))
        await wait_market_stream(paper_exchange, "ethusdt@bookTicker")
        await paper_exchange.set_mid("ETHUSDT", "3100")
        ticker = (await asyncio.wait_for(watch, EVENT_TIMEOUT_S))["ETH/USDT"]
        assert (ticker["bid"], ticker["ask"]) == (3099.99, 3100.01)
        assert (ticker["bidVolume"], ticker["askVolume"]) == (0.5, 0.5)

        moved = asyncio.create_task(pro.watch_bids_asks(["ETH/USDT"]))
        await asyncio.sleep(0)
        await paper_exchange.set_mid("ETHUSDT", "2950")
        ticker = (await asyncio.wait_for(moved, EVENT_TIMEOUT_S))["ETH/USDT"]
    assert (ticker["bid"], ticker["ask"]) == (2949.99, 2950.01)


async def test_watch_order_book_syncs_and_stays_equal_to_the_venues_book(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    """Snapshot + diffs: after moves (several steps per call too) ccxt's local book equals
    the venue's, all 20 levels, so every changed level was in a diff with the right ids."""
    await paper_exchange.set_mid("ETHUSDT", "3000")
    async with pro_client(paper_account) as pro:
        book = await asyncio.wait_for(pro.watch_order_book("ETH/USDT"), EVENT_TIMEOUT_S)
        assert book["bids"][0] == [2999.99, 0.5]

        for move in ("3000.55", "2999.00", "step", "3000.55", "step"):
            if move == "step":
                await paper_exchange.step("ETHUSDT", 7)
            else:
                await paper_exchange.set_mid("ETHUSDT", move)
            venue = await paper_exchange.admin("GET", "/market/ETHUSDT", params={"levels": "20"})

            async def synced(venue: dict[str, Any] = venue) -> bool:
                # ccxt applies diffs to its book whether or not a watcher waits.
                local = pro.orderbooks["ETH/USDT"]
                return ccxt_book(local["bids"]) == as_book(venue["bids"]) and ccxt_book(
                    local["asks"]
                ) == as_book(venue["asks"])

            await wait_until(synced, f"ccxt's book after {move}")


async def test_diff_depth_ids_continue_the_rest_snapshot(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    await paper_exchange.set_mid("SOLUSDT", "150")
    async with raw_socket(ws_url(paper_account, "/ws/solusdt@depth@100ms")) as ws:
        await wait_market_stream(paper_exchange, "solusdt@depth@100ms")
        async with httpx.AsyncClient(base_url=paper_account.url) as http:
            snapshot = (await http.get("/api/v3/depth", params={"symbol": "SOLUSDT"})).json()
        await paper_exchange.set_mid("SOLUSDT", "150.05")
        await paper_exchange.set_mid("SOLUSDT", "150.02")
        events = [await ws.receive()]
        while events[-1]["u"] < snapshot["lastUpdateId"] + 2:
            events.append(await ws.receive())
    first = events[0]
    assert (first["e"], first["s"]) == ("depthUpdate", "SOLUSDT")
    assert first["U"] <= snapshot["lastUpdateId"] + 1 <= first["u"]
    for before, after in itertools.pairwise(events):
        assert after["U"] == before["u"] + 1
    # 150.01 was the best ask at 150, a bid level (40) at 150.05, the best bid (10) at 150.02.
    changed_bids = {p: q for e in events for p, q in e["b"]}
    assert changed_bids["150.01000000"] == "10.00000000"


async def test_subscribe_list_unsubscribe_and_the_combined_wrapper(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    await paper_exchange.set_mid("ETHUSDT", "3000")
    url = ws_url(paper_account, "/stream?streams=ethusdt@bookTicker")
    async with raw_socket(url) as ws:
        reply = await ws.request({"method": "SUBSCRIBE", "params": ["ethusdt@depth5"], "id": 1})
        assert reply == {"result": None, "id": 1}
        partial = await ws.receive()  # a first snapshot on subscription
        assert partial["stream"] == "ethusdt@depth5"
        assert partial["data"]["bids"][0] == ["2999.99000000", "0.50000000"]
        assert len(partial["data"]["asks"]) == 5
        listed = await ws.request({"method": "LIST_SUBSCRIPTIONS", "id": 2})
        assert listed == {"result": ["ethusdt@bookTicker", "ethusdt@depth5"], "id": 2}
        reply = await ws.request({"method": "UNSUBSCRIBE", "params": ["ethusdt@depth5"], "id": 3})
        assert reply == {"result": None, "id": 3}

        await paper_exchange.set_mid("ETHUSDT", "3001")
        ticker = await ws.receive()
        assert ticker["stream"] == "ethusdt@bookTicker"
        data = ticker["data"]
        assert (data["s"], data["b"], data["a"]) == ("ETHUSDT", "3000.99000000", "3001.01000000")
        assert "e" not in data  # Binance's bookTicker has no event type
        assert isinstance(data["u"], int)
        assert await ws.nothing_within(0.3)  # depth5 is gone

        bad = await ws.request({"method": "SUBSCRIBE", "params": ["dogeusdt@depth"], "id": 4})
        assert bad == {"error": {"code": 2, "msg": "Invalid request: invalid stream"}, "id": 4}
        unknown = await ws.request({"method": "SUBSCRIBEX", "params": [], "id": 5})
        assert unknown["error"]["code"] == 2
        garbage = await ws.request({"method": "GET_PROPERTY", "params": ["combined"], "id": 6})
        assert garbage == {"result": True, "id": 6}


async def test_book_updates_are_rate_bounded(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    """A thousand steps in one call: the 1000 ms diff stream sends one event for them."""
    await paper_exchange.set_mid("SOLUSDT", "150")
    async with raw_socket(ws_url(paper_account, "/ws/solusdt@depth")) as ws:
        await wait_market_stream(paper_exchange, "solusdt@depth")
        await paper_exchange.step("SOLUSDT", 1000)
        event = await ws.receive()
        assert event["u"] - event["U"] >= 999
        assert await ws.nothing_within(0.5)
