"""The user-data stream of the paper exchange, as ccxt.pro's binance sees it.

ccxt subscribes over the WebSocket API (``userDataStream.subscribe.signature`` on
``/ws-api/v3``); orders are placed over REST with the plain ccxt client, and resting
orders fill when the admin API moves the mid through them. BTCUSDT around a mid M: touch
M -/+ 0.01, levels 1.00 apart.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import ccxt
import pytest

from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin
from tests.integration.stream_helpers import (
    EVENT_TIMEOUT_S,
    pro_client,
    raw_socket,
    signed_subscribe,
    wait_user_stream,
    ws_url,
)

D = Decimal


async def test_an_order_arrives_on_watch_orders_new_then_filled_with_its_trade(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    async with pro_client(paper_account) as pro:
        first = asyncio.create_task(pro.watch_orders("BTC/USDT"))
        await wait_user_stream(paper_exchange, paper_account.api_key)
        placed = await paper_client.create_order(
            "BTC/USDT", "limit", "buy", 0.01, 59000, {"clientOrderId": "stream-new-1"}
        )
        orders = await asyncio.wait_for(first, EVENT_TIMEOUT_S)
        new = orders[-1]
        assert (new["id"], new["clientOrderId"], new["status"]) == (
            placed["id"],
            "stream-new-1",
            "open",
        )
        assert (new["side"], new["type"], new["price"], new["amount"]) == (
            "buy",
            "limit",
            59000.0,
            0.01,
        )
        assert new["info"]["x"] == "NEW"

        filled_task = asyncio.create_task(pro.watch_orders("BTC/USDT"))
        trades_task = asyncio.create_task(pro.watch_my_trades("BTC/USDT"))
        await asyncio.sleep(0)  # both watchers wait before the fill is published
        await paper_exchange.set_mid("BTCUSDT", "58900")
        filled = (await asyncio.wait_for(filled_task, EVENT_TIMEOUT_S))[-1]
        trades = await asyncio.wait_for(trades_task, EVENT_TIMEOUT_S)

    assert (filled["id"], filled["status"], filled["filled"]) == (placed["id"], "closed", 0.01)
    assert filled["info"]["x"] == "TRADE"
    [venue_trade] = await paper_exchange.trades(api_key=paper_account.api_key)
    [trade] = trades
    assert trade["id"] == str(venue_trade["id"])
    assert (trade["order"], trade["price"], trade["amount"]) == (placed["id"], 59000.0, 0.01)
    assert (trade["side"], trade["takerOrMaker"]) == ("buy", "maker")
    assert trade["fee"] == {"cost": 0.00001, "currency": "BTC"}


async def test_a_taker_order_reports_one_trade_per_level_then_expires(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    """IOC buying 0.2 BTC up to M+1.01 takes two levels (0.05 + 0.10), the rest expires."""
    await paper_exchange.set_mid("BTCUSDT", "60000")
    updates: list[dict[str, Any]] = []
    async with raw_socket(ws_url(paper_account, "/ws-api/v3")) as ws:
        assert (await ws.request(signed_subscribe(paper_account)))["status"] == 200
        await paper_client.create_order(
            "BTC/USDT", "limit", "buy", 0.2, 60001.01, {"timeInForce": "IOC"}
        )
        while len(updates) < 4:
            event = (await ws.receive())["event"]
            if event["e"] == "executionReport":
                updates.append(event)
    assert [(u["x"], u["X"], u["l"], u["z"]) for u in updates] == [
        ("NEW", "NEW", "0.00000000", "0.00000000"),
        ("TRADE", "PARTIALLY_FILLED", "0.05000000", "0.05000000"),
        ("TRADE", "PARTIALLY_FILLED", "0.10000000", "0.15000000"),
        ("EXPIRED", "EXPIRED", "0.00000000", "0.15000000"),
    ]
    assert [u["L"] for u in updates[1:3]] == ["60000.01000000", "60001.01000000"]
    assert [u["m"] for u in updates[1:3]] == [False, False]
    assert updates[3]["eR"] == "UNFILLED_IOC_QUANTITY_EXPIRED"
    assert updates[1]["t"] < updates[2]["t"]
    assert len({u["I"] for u in updates}) == 4  # execution ids are unique


async def test_a_cancel_reports_the_cancel_id_and_the_original_one(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    async with pro_client(paper_account) as pro:
        await paper_client.create_order(
            "BTC/USDT", "limit", "sell", 0.01, 61000, {"clientOrderId": "stream-cxl"}
        )
        watch = asyncio.create_task(pro.watch_orders("BTC/USDT"))
        await wait_user_stream(paper_exchange, paper_account.api_key)
        placed = (await paper_exchange.orders(api_key=paper_account.api_key))[0]
        canceled = await paper_client.cancel_order(str(placed["orderId"]), "BTC/USDT")
        order = (await asyncio.wait_for(watch, EVENT_TIMEOUT_S))[-1]
    assert (order["status"], order["clientOrderId"]) == ("canceled", "stream-cxl")
    assert order["info"]["C"] == "stream-cxl"
    assert order["info"]["c"] == canceled["info"]["clientOrderId"]  # the cancel's own id


async def test_balances_arrive_on_watch_balance(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    async with pro_client(paper_account) as pro:
        watch = asyncio.create_task(pro.watch_balance())
        await wait_user_stream(paper_exchange, paper_account.api_key)
        await paper_client.create_order("BTC/USDT", "limit", "buy", 0.01, 59000)
        balance = await asyncio.wait_for(watch, EVENT_TIMEOUT_S)
        assert balance["USDT"] == {"free": 99410.0, "used": 590.0, "total": 100000.0}
        assert balance["BTC"]["free"] == 1.0

        deposit = asyncio.create_task(pro.watch_balance())
        await asyncio.sleep(0)
        await paper_exchange.set_balances(paper_account.api_key, {"ETH": "3"})
        balance = await asyncio.wait_for(deposit, EVENT_TIMEOUT_S)
    assert balance["ETH"]["free"] == 3.0


async def test_a_bad_signature_is_refused_with_binances_error(
    paper_account: PaperAccount,
) -> None:
    """ccxt maps -1022 to AuthenticationError. ccxt 4.5.x then trips over its own cleanup
    (``del client.subscriptions['spot']`` twice) and raises KeyError('spot') with the
    AuthenticationError as its context; a caller must expect either."""
    wrong = PaperAccount(url=paper_account.url, api_key=paper_account.api_key, secret="x" * 64)
    async with pro_client(wrong) as pro:
        with pytest.raises((ccxt.AuthenticationError, KeyError)) as raised:
            await asyncio.wait_for(pro.watch_orders(), EVENT_TIMEOUT_S)
    error = raised.value
    if isinstance(error, KeyError):
        error = error.__context__  # type: ignore[assignment]
    assert isinstance(error, ccxt.AuthenticationError)
    assert "-1022" in str(error)


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"signature": "00" * 32}, 400, -1022),
        ({"apiKey": "NoSuchKey"}, 401, -2015),
        ({"apiKey": "bad-key!"}, 401, -2014),
        ({"timestamp": 1_600_000_000_000}, 400, -1021),
        ({"recvWindow": 70000}, 400, -1131),
    ],
)
async def test_the_ws_api_refuses_a_bad_subscription_in_its_error_shape(
    paper_account: PaperAccount, overrides: dict[str, Any], status: int, code: int
) -> None:
    async with raw_socket(ws_url(paper_account, "/ws-api/v3")) as ws:
        reply = await ws.request(signed_subscribe(paper_account, "req-1", **overrides))
    assert reply["id"] == "req-1"
    assert reply["status"] == status
    assert reply["error"]["code"] == code
    assert "result" not in reply


async def test_every_param_is_signed_including_return_rate_limits(
    paper_account: PaperAccount,
) -> None:
    async with raw_socket(ws_url(paper_account, "/ws-api/v3")) as ws:
        request = signed_subscribe(paper_account, 1, returnRateLimits=False, recvWindow=5000)
        assert (await ws.request(request))["result"] == {"subscriptionId": 0}


async def test_ping_time_unsubscribe_and_one_subscription_per_account(
    paper_account: PaperAccount, paper_client: Any
) -> None:
    async with raw_socket(ws_url(paper_account, "/ws-api/v3")) as ws:
        pong = await ws.request({"id": 1, "method": "ping"})
        assert {k: pong[k] for k in ("id", "status", "result")} == {
            "id": 1,
            "status": 200,
            "result": {},
        }
        # Binance's default returnRateLimits: the IP's weight this minute, counted with REST.
        (limit,) = pong["rateLimits"]
        assert (limit["rateLimitType"], limit["limit"]) == ("REQUEST_WEIGHT", 6000)
        assert limit["count"] >= 3  # the connection (2) and this ping (1) at least
        server_time = (await ws.request({"id": 2, "method": "time"}))["result"]["serverTime"]
        assert abs(server_time - await paper_client.fetch_time()) < 5000
        assert (await ws.request(signed_subscribe(paper_account, 3)))["result"] == {
            "subscriptionId": 0
        }
        again = await ws.request(signed_subscribe(paper_account, 4))
        assert again["error"]["code"] == -2035
        subscriptions = await ws.request({"id": 5, "method": "session.subscriptions"})
        assert subscriptions["result"] == [{"subscriptionId": 0}]
        unknown = await ws.request(
            {"id": 6, "method": "userDataStream.unsubscribe", "params": {"subscriptionId": 9}}
        )
        assert unknown["error"]["code"] == -2036
        ended = await ws.request(
            {"id": 7, "method": "userDataStream.unsubscribe", "params": {"subscriptionId": 0}}
        )
        assert (ended["id"], ended["status"], ended["result"]) == (7, 200, {})
        terminated = await ws.receive()
        assert terminated["subscriptionId"] == 0
        assert terminated["event"]["e"] == "eventStreamTerminated"
        # No more events for this account on this connection.
        await paper_client.create_order("BTC/USDT", "limit", "buy", 0.01, 50000)
        assert await ws.nothing_within(0.3)
        assert (await ws.request({"id": 8, "method": "order.place"}))["error"]["code"] == -1020
