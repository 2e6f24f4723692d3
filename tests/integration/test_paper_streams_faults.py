"""Stream faults, as a client sees them: ccxt.pro where ccxt notices, raw sockets where it
does not (ccxt's caches absorb a duplicated order update).

User-stream faults are scoped to the test account's API key; market-stream faults to the
``market`` streams of the one connection each test opens.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import ccxt
import pytest

from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin
from tests.integration.stream_helpers import (
    EVENT_TIMEOUT_S,
    pro_client,
    raw_socket,
    signed_subscribe,
    wait_market_stream,
    wait_user_stream,
    ws_url,
)


async def stream_fault(paper: PaperExchangeAdmin, kind: str, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = await paper.admin("POST", "/faults", json={"kind": kind, **fields})
    return result


async def test_drop_closes_the_user_stream_and_ccxt_raises_a_network_error(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    async with pro_client(paper_account) as pro:
        watch = asyncio.create_task(pro.watch_orders())
        await wait_user_stream(paper_exchange, paper_account.api_key)
        fault = await stream_fault(
            paper_exchange, "stream_drop", stream="user", api_key=paper_account.api_key
        )
        assert fault["hits"] == 1
        with pytest.raises(ccxt.NetworkError):
            await asyncio.wait_for(watch, EVENT_TIMEOUT_S)

        # ccxt reconnects and resubscribes on the next call.
        again = asyncio.create_task(pro.watch_orders())
        await wait_user_stream(paper_exchange, paper_account.api_key)
        await paper_client.create_order("BTC/USDT", "limit", "buy", 0.01, 50000)
        orders = await asyncio.wait_for(again, EVENT_TIMEOUT_S)
    assert orders[-1]["status"] == "open"


async def test_a_stall_is_noticed_by_ccxts_keepalive_within_seconds(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    """The venue stops reading (so it answers no ping) and writing; with keepAlive 500 ms
    and two missed pongs allowed, ccxt gives up within about 1.5 s."""
    async with pro_client(paper_account, keepAlive=500, maxPingPongMisses=2) as pro:
        watch = asyncio.create_task(pro.watch_orders())
        await wait_user_stream(paper_exchange, paper_account.api_key)
        await stream_fault(
            paper_exchange, "stream_stall", api_key=paper_account.api_key, stall_s=30
        )
        started = time.monotonic()
        with pytest.raises(ccxt.RequestTimeout, match="ping-pong keepalive"):
            await asyncio.wait_for(watch, EVENT_TIMEOUT_S)
    assert time.monotonic() - started < 3.0


async def test_a_stalled_connection_sends_what_queued_once_it_ends(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    async with raw_socket(ws_url(paper_account, "/ws-api/v3")) as ws:
        await ws.request(signed_subscribe(paper_account))
        # Long enough that a slow order call (a loaded machine) still ends inside the stall.
        await stream_fault(
            paper_exchange, "stream_stall", api_key=paper_account.api_key, stall_s=2.0
        )
        await paper_client.create_order("BTC/USDT", "limit", "buy", 0.01, 50000)
        assert await ws.nothing_within(0.3)
        event = (await ws.receive())["event"]
    assert (event["e"], event["x"]) == ("executionReport", "NEW")


async def test_duplicate_sends_the_next_events_twice(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    async with raw_socket(ws_url(paper_account, "/ws-api/v3")) as ws:
        await ws.request(signed_subscribe(paper_account))
        await stream_fault(
            paper_exchange, "stream_duplicate", api_key=paper_account.api_key, times=1
        )
        await paper_client.create_order("BTC/USDT", "limit", "buy", 0.01, 50000)
        frames = [await ws.receive() for _ in range(3)]
        assert await ws.nothing_within(0.2)
    kinds = [f["event"]["e"] for f in frames]
    assert kinds == ["executionReport", "executionReport", "outboundAccountPosition"]
    assert frames[0] == frames[1]  # the same event, execution id and all
    assert not [f for f in await paper_exchange.faults() if f["api_key"] == paper_account.api_key]


async def test_reorder_sends_an_event_after_the_next_one(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    async with raw_socket(ws_url(paper_account, "/ws-api/v3")) as ws:
        await ws.request(signed_subscribe(paper_account))
        await stream_fault(paper_exchange, "stream_reorder", api_key=paper_account.api_key)
        await paper_client.create_order("BTC/USDT", "limit", "buy", 0.01, 50000)
        frames = [await ws.receive() for _ in range(2)]
    assert [f["event"]["e"] for f in frames] == ["outboundAccountPosition", "executionReport"]


async def test_reordered_depth_diffs_make_ccxt_resync_its_book(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    """A diff that arrives after its successor leaves a gap in the update ids: ccxt's
    watch_order_book raises ChecksumError (it then drops the book and resubscribes)."""
    await paper_exchange.set_mid("SOLUSDT", "150")
    async with pro_client(paper_account) as pro:
        await asyncio.wait_for(pro.watch_order_book("SOL/USDT"), EVENT_TIMEOUT_S)
        fault = await stream_fault(paper_exchange, "stream_reorder", stream="market")
        try:
            watch = asyncio.create_task(pro.watch_order_book("SOL/USDT"))
            for mid in ("150.10", "150.20", "150.30"):
                await paper_exchange.set_mid("SOLUSDT", mid)
                await asyncio.sleep(0.15)  # one diff per 100 ms interval
            with pytest.raises(ccxt.ChecksumError):
                await asyncio.wait_for(watch, EVENT_TIMEOUT_S)
        finally:  # a market fault has no API key the account fixture would clear
            if any(f["id"] == fault["id"] for f in await paper_exchange.faults()):
                await paper_exchange.admin("DELETE", f"/faults/{fault['id']}")


async def test_market_faults_do_not_touch_user_streams(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    async with (
        raw_socket(ws_url(paper_account, "/ws-api/v3")) as user,
        raw_socket(ws_url(paper_account, "/ws/btcusdt@bookTicker")) as market,
    ):
        await user.request(signed_subscribe(paper_account))
        await wait_market_stream(paper_exchange, "btcusdt@bookTicker")
        fault = await stream_fault(paper_exchange, "stream_drop", stream="market")
        assert fault["hits"] >= 1
        closed = await market.ws.receive(timeout=EVENT_TIMEOUT_S)
        assert closed.type.name in {"CLOSE", "CLOSED", "ERROR"}
        assert (await user.request({"id": 9, "method": "ping"}))["status"] == 200


async def test_a_bad_stream_fault_is_refused(paper_exchange: PaperExchangeAdmin) -> None:
    for body in (
        {"kind": "stream_drop", "stream": "fix"},
        {"kind": "stream_explode"},
        {"kind": "stream_stall", "stall_s": 0},
    ):
        with pytest.raises(AssertionError, match="400"):
            await paper_exchange.admin("POST", "/faults", json=body)
