"""The real ccxt binance client against the paper exchange over HTTP: the happy paths.

Each test sets the mid it needs first (the market is shared by the session), and
works with its own funded account (``paper_account``: 100000 USDT, 1 BTC, 10 ETH,
100 SOL). BTCUSDT around a mid M: touch M -/+ 0.01, levels 1.00 apart, level i
holding 0.05 * (i + 1) BTC.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin

D = Decimal
FEE = D("0.001")


def dec(value: Any) -> Decimal:
    return D(str(value))


async def test_load_markets_parses_precision_and_limits(paper_client: Any) -> None:
    markets = await paper_client.load_markets()
    assert {"BTC/USDT", "ETH/USDT", "SOL/USDT"} <= set(markets)
    btc = markets["BTC/USDT"]
    assert (btc["id"], btc["base"], btc["quote"], btc["type"]) == ("BTCUSDT", "BTC", "USDT", "spot")
    assert btc["spot"] is True
    assert btc["active"] is True
    assert btc["precision"]["price"] == 0.01
    assert btc["precision"]["amount"] == 0.00001
    assert btc["limits"]["amount"] == {"min": 0.00001, "max": 9000.0}
    assert btc["limits"]["cost"]["min"] == 5.0
    assert btc["limits"]["market"]["max"] == 100.0
    assert markets["SOL/USDT"]["precision"]["amount"] == 0.001
    assert paper_client.price_to_precision("BTC/USDT", 60000.123) == "60000.12"


async def test_public_market_data(paper_exchange: PaperExchangeAdmin, paper_client: Any) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    book = await paper_client.fetch_order_book("BTC/USDT", 5)
    assert book["bids"][0] == [59999.99, 0.05]
    assert book["asks"][0] == [60000.01, 0.05]
    assert book["asks"][1] == [60001.01, 0.1]
    assert len(book["bids"]) == len(book["asks"]) == 5
    ticker = await paper_client.fetch_ticker("BTC/USDT")
    assert (ticker["bid"], ticker["ask"]) == (59999.99, 60000.01)
    server_time = await paper_client.fetch_time()
    assert abs(server_time - paper_client.milliseconds()) < 5000
    assert paper_client.last_response_headers["X-MBX-USED-WEIGHT-1M"].isdigit()


async def test_balance(paper_client: Any) -> None:
    balance = await paper_client.fetch_balance()
    assert balance["USDT"] == {"free": 100000.0, "used": 0.0, "total": 100000.0}
    assert balance["BTC"]["free"] == 1.0


async def test_limit_order_rests_locks_and_is_found_by_client_id(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    order = await paper_client.create_order(
        "BTC/USDT", "limit", "buy", 0.1, 59000, {"clientOrderId": "rest-1"}
    )
    assert order["status"] == "open"
    assert order["clientOrderId"] == "rest-1"
    assert (order["filled"], order["remaining"]) == (0.0, 0.1)
    balances = await paper_exchange.balances(paper_account.api_key)
    assert balances["USDT"].locked == D("5900")
    assert balances["USDT"].free == D("94100")

    by_client = await paper_client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "rest-1"})
    assert by_client["id"] == order["id"]
    assert by_client["price"] == 59000.0
    by_id = await paper_client.fetch_order(order["id"], "BTC/USDT")
    assert by_id["clientOrderId"] == "rest-1"
    open_orders = await paper_client.fetch_open_orders("BTC/USDT")
    assert [o["id"] for o in open_orders] == [order["id"]]


async def test_cancel_releases_funds(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    order = await paper_client.create_order("BTC/USDT", "limit", "sell", 0.3, 65000)
    assert (await paper_exchange.balances(paper_account.api_key))["BTC"].locked == D("0.3")
    cancelled = await paper_client.cancel_order(order["id"], "BTC/USDT")
    assert cancelled["status"] == "canceled"
    assert cancelled["info"]["origClientOrderId"] == order["clientOrderId"]
    balances = await paper_exchange.balances(paper_account.api_key)
    assert (balances["BTC"].free, balances["BTC"].locked) == (D("1"), D("0"))
    fetched = await paper_client.fetch_order(order["id"], "BTC/USDT")
    assert fetched["status"] == "canceled"


async def test_cancel_by_client_id_and_cancel_all(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("ETHUSDT", "3000")
    await paper_client.create_order("ETH/USDT", "limit", "buy", 1, 2900, {"clientOrderId": "a"})
    await paper_client.create_order("ETH/USDT", "limit", "buy", 1, 2800, {"clientOrderId": "b"})
    await paper_client.create_order("ETH/USDT", "limit", "sell", 1, 3100, {"clientOrderId": "c"})
    one = await paper_client.cancel_order(None, "ETH/USDT", {"origClientOrderId": "a"})
    assert one["info"]["origClientOrderId"] == "a"
    rest = await paper_client.cancel_all_orders("ETH/USDT")
    assert sorted(o["info"]["origClientOrderId"] for o in rest) == ["b", "c"]
    assert all(o["status"] == "canceled" for o in rest)
    assert await paper_client.fetch_open_orders("ETH/USDT") == []
    balances = await paper_exchange.balances(paper_account.api_key)
    assert (balances["USDT"].locked, balances["ETH"].locked) == (D("0"), D("0"))


async def test_partial_fill_walks_the_book_and_rests(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    # Crosses 60000.01 (0.05) and 60001.01 (0.10); 0.05 left rests at 60001.50.
    order = await paper_client.create_order("BTC/USDT", "limit", "buy", 0.2, 60001.5)
    assert order["status"] == "open"
    assert order["filled"] == 0.15
    assert order["info"]["status"] == "PARTIALLY_FILLED"
    fills = order["info"]["fills"]
    assert [(f["price"], f["qty"]) for f in fills] == [
        ("60000.01000000", "0.05000000"),
        ("60001.01000000", "0.10000000"),
    ]
    assert all(f["commissionAsset"] == "BTC" for f in fills)
    expected_cost = D("60000.01") * D("0.05") + D("60001.01") * D("0.10")
    assert dec(order["cost"]) == expected_cost
    balances = await paper_exchange.balances(paper_account.api_key)
    assert balances["USDT"].locked == D("0.05") * D("60001.5")
    assert balances["BTC"].free == D("1") + D("0.15") - D("0.15") * FEE


async def test_market_orders_by_amount_and_by_cost(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("SOLUSDT", "150")
    sell = await paper_client.create_order("SOL/USDT", "market", "sell", 15)
    # SOL levels are one tick apart holding 10, 20, ...: 10 @ 149.99 and 5 @ 149.98.
    assert sell["status"] == "closed"
    assert dec(sell["cost"]) == D("149.99") * 10 + D("149.98") * 5
    buy = await paper_client.create_market_buy_order_with_cost("SOL/USDT", 100)
    assert buy["status"] == "closed"
    assert buy["info"]["origQuoteOrderQty"] == "100.00000000"
    assert dec(buy["cost"]) <= D("100")
    assert dec(buy["filled"]) == D("0.666")  # floor(100 / 150.01, step 0.001)
    balances = await paper_exchange.balances(paper_account.api_key)
    assert balances["SOL"].free == D("100") - 15 + D("0.666") - D("0.666") * FEE


async def test_ioc_and_fok(paper_exchange: PaperExchangeAdmin, paper_client: Any) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    ioc = await paper_client.create_order(
        "BTC/USDT", "limit", "buy", 0.2, 60000.5, {"timeInForce": "IOC"}
    )
    assert (ioc["status"], ioc["filled"]) == ("expired", 0.05)
    fok = await paper_client.create_order(
        "BTC/USDT", "limit", "buy", 0.2, 60000.5, {"timeInForce": "FOK"}
    )
    assert (fok["status"], fok["filled"]) == ("expired", 0.0)
    assert await paper_client.fetch_open_orders("BTC/USDT") == []


async def test_post_only_maps_to_limit_maker(
    paper_exchange: PaperExchangeAdmin, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    order = await paper_client.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 59999.99, {"postOnly": True}
    )
    assert order["info"]["type"] == "LIMIT_MAKER"
    assert order["postOnly"] is True


async def test_resting_order_fills_after_the_mid_moves(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("ETHUSDT", "3000")
    order = await paper_client.create_order(
        "ETH/USDT", "limit", "sell", 2, 3050, {"clientOrderId": "tp"}
    )
    assert order["status"] == "open"
    moved = await paper_exchange.set_mid("ETHUSDT", "3050.01")
    assert [f["orderId"] for f in moved["fills"] if f["apiKey"] == paper_account.api_key] == [
        int(order["id"])
    ]
    filled = await paper_client.fetch_order(None, "ETH/USDT", {"origClientOrderId": "tp"})
    assert (filled["status"], filled["filled"], filled["average"]) == ("closed", 2.0, 3050.0)
    trades = await paper_client.fetch_my_trades("ETH/USDT")
    assert len(trades) == 1
    trade = trades[0]
    assert (trade["order"], trade["side"], trade["takerOrMaker"]) == (order["id"], "sell", "maker")
    assert trade["fee"] == {"cost": 6.1, "currency": "USDT"}  # 0.1% of 2 * 3050
    balances = await paper_exchange.balances(paper_account.api_key)
    assert balances["USDT"].free == D("100000") + D("6100") - D("6.1")
    assert balances["ETH"].total == D("8")


async def test_my_trades_filters(paper_exchange: PaperExchangeAdmin, paper_client: Any) -> None:
    await paper_exchange.set_mid("SOLUSDT", "150")
    first = await paper_client.create_order("SOL/USDT", "market", "buy", 35)  # 10+20+5
    second = await paper_client.create_order("SOL/USDT", "market", "sell", 5)  # 1 fill
    # ccxt sorts trades by timestamp, breaking ties by id as a string: the three fills of
    # one order share a millisecond, so ids 9 and 10 would come out as "10" < "9". Read
    # them in the venue's id order.
    all_trades = _by_id(await paper_client.fetch_my_trades("SOL/USDT"))
    assert [t["order"] for t in all_trades] == [first["id"]] * 3 + [second["id"]]
    ids = [int(t["id"]) for t in all_trades]
    assert len(set(ids)) == 4
    assert ids[-1] == ids[0] + 3  # consecutive: the venue numbers each symbol's trades
    by_order = await paper_client.fetch_my_trades("SOL/USDT", params={"orderId": second["id"]})
    assert [t["id"] for t in by_order] == [all_trades[3]["id"]]
    from_id = await paper_client.fetch_my_trades("SOL/USDT", params={"fromId": ids[1]})
    assert [int(t["id"]) for t in _by_id(from_id)] == ids[1:]
    limited = await paper_client.fetch_my_trades("SOL/USDT", limit=2)
    assert [int(t["id"]) for t in _by_id(limited)] == ids[-2:]
    since = await paper_client.fetch_my_trades("SOL/USDT", since=all_trades[0]["timestamp"])
    assert len(since) == 4
    future = await paper_client.fetch_my_trades(
        "SOL/USDT", since=paper_client.milliseconds() + 60_000
    )
    assert future == []


async def test_client_order_id_reuse_after_fill(
    paper_exchange: PaperExchangeAdmin, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    first = await paper_client.create_order(
        "BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "same-id"}
    )
    assert first["status"] == "closed"
    second = await paper_client.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 50000, {"clientOrderId": "same-id"}
    )
    assert second["id"] != first["id"]
    latest = await paper_client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "same-id"})
    assert (latest["id"], latest["status"]) == (second["id"], "open")
    orders = await paper_client.fetch_orders("BTC/USDT")
    assert [o["clientOrderId"] for o in orders] == ["same-id", "same-id"]
    assert [o["status"] for o in orders] == ["closed", "open"]


async def test_response_types(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    client = paper_account.client(newOrderRespType={"market": "ACK", "limit": "RESULT"})
    try:
        ack = await client.create_order("BTC/USDT", "market", "buy", 0.01)
        assert set(ack["info"]) == {
            "symbol",
            "orderId",
            "orderListId",
            "clientOrderId",
            "transactTime",
        }
        result = await client.create_order("BTC/USDT", "limit", "buy", 0.01, 50000)
        assert "fills" not in result["info"]
        assert result["info"]["status"] == "NEW"
    finally:
        await client.close()


async def test_raw_signed_request_like_curl(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    """The README's curl recipe: signature over query + body, key in X-MBX-APIKEY."""
    from paper_exchange.signing import sign

    await paper_exchange.set_mid("BTCUSDT", "60000")
    async with httpx.AsyncClient(base_url=paper_exchange.url) as http:
        server_time = (await http.get("/api/v3/time")).json()["serverTime"]
        query = "symbol=BTCUSDT&side=BUY&type=LIMIT"
        body = f"timeInForce=GTC&quantity=0.01&price=50000&timestamp={server_time}"
        signature = sign(paper_account.secret, query + body)
        response = await http.post(
            f"/api/v3/order?{query}",
            content=f"{body}&signature={signature}",
            headers={
                "X-MBX-APIKEY": paper_account.api_key,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["status"], data["price"], data["origQty"]) == (
        "NEW",
        "50000.00000000",
        "0.01000000",
    )
    assert response.headers["X-MBX-ORDER-COUNT-10S"] == "1"
    orders = await paper_exchange.orders(api_key=paper_account.api_key)
    assert [o["orderId"] for o in orders] == [data["orderId"]]


async def test_request_counters(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_client.fetch_balance()
    await paper_client.fetch_balance()
    counts = await paper_exchange.request_counts(api_key=paper_account.api_key)
    assert counts == {"GET /api/v3/account": 2}  # public calls carry no key
    everything = await paper_exchange.request_counts()
    assert everything["GET /api/v3/exchangeInfo"] >= 1


def _by_id(trades: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(trades, key=lambda t: int(t["id"]))
