"""Stop orders and OCO order lists on the paper exchange, through ccxt's implicit API.

Each test sets the BTCUSDT mid it needs (the market is shared by the session) and uses
its own account (1 BTC, 100000 USDT). Around a mid M the book's touch is M -/+ 0.01,
levels 1.00 apart holding 0.05 BTC and more, so a 0.01-0.02 BTC order fills at the touch.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import ccxt
import pytest

from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin

D = Decimal


# The venue is shared: what a test leaves open is canceled after it.
pytestmark = pytest.mark.usefixtures("btcusdt_leftovers_canceled")


def binance_error(exc: BaseException) -> tuple[int, str]:
    """``(code, msg)`` of the Binance JSON body ccxt put in the exception message."""
    text = str(exc)
    assert "{" in text, text
    body = json.loads(text[text.index("{") :])
    return int(body["code"]), str(body["msg"])


def last_body(client: Any) -> Any:
    """The JSON body of the client's last response (ccxt keeps only the message of some
    errors in the exception)."""
    return json.loads(client.last_http_response)


def sell_oco(list_client_id: str, **overrides: Any) -> dict[str, Any]:
    """A long's protective exit at mid 60000: take profit 61000, stop 59000 -> 58900."""
    params: dict[str, Any] = {
        "symbol": "BTCUSDT",
        "side": "SELL",
        "quantity": "0.02",
        "listClientOrderId": list_client_id,
        "aboveType": "LIMIT_MAKER",
        "abovePrice": "61000",
        "aboveClientOrderId": f"{list_client_id}-tp",
        "belowType": "STOP_LOSS_LIMIT",
        "belowStopPrice": "59000",
        "belowPrice": "58900",
        "belowTimeInForce": "GTC",
        "belowClientOrderId": f"{list_client_id}-sl",
        "newOrderRespType": "RESULT",
    }
    params.update(overrides)
    return params


async def btc(paper: PaperExchangeAdmin, account: PaperAccount) -> tuple[Decimal, Decimal]:
    balance = (await paper.balances(account.api_key))["BTC"]
    return balance.free, balance.locked


async def by_client_id(client: Any, client_id: str) -> dict[str, Any]:
    order: dict[str, Any] = await client.private_get_order(
        {"symbol": "BTCUSDT", "origClientOrderId": client_id}
    )
    return order


async def test_a_stop_loss_limit_waits_off_the_book_then_triggers_and_fills(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    placed = await paper_client.private_post_order(
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "STOP_LOSS_LIMIT",
            "quantity": "0.01",
            "price": "58900",
            "stopPrice": "59000",
            "timeInForce": "GTC",
            "newClientOrderId": "sl-1",
            "newOrderRespType": "RESULT",
        }
    )
    assert (placed["status"], placed["stopPrice"], placed["workingTime"]) == (
        "NEW",
        "59000.00000000",
        -1,
    )
    assert await btc(paper_exchange, paper_account) == (D("0.99"), D("0.01"))
    open_orders = await paper_client.private_get_openorders({"symbol": "BTCUSDT"})
    assert [
        (o["clientOrderId"], o["type"], o["stopPrice"], o["isWorking"]) for o in open_orders
    ] == [("sl-1", "STOP_LOSS_LIMIT", "59000.00000000", False)]

    # Above the stop nothing happens, and a resting stop is not on the book.
    await paper_exchange.set_mid("BTCUSDT", "59000.01")
    assert (await by_client_id(paper_client, "sl-1"))["status"] == "NEW"
    moved = await paper_exchange.set_mid("BTCUSDT", "58950")
    mine = [f for f in moved["fills"] if f["apiKey"] == paper_account.api_key]
    assert [(f["price"], f["qty"]) for f in mine] == [("58949.99000000", "0.01000000")]
    order = await by_client_id(paper_client, "sl-1")
    assert (order["status"], order["executedQty"], order["isWorking"]) == (
        "FILLED",
        "0.01000000",
        True,
    )
    assert order["workingTime"] > 0
    assert await btc(paper_exchange, paper_account) == (D("0.99"), D("0"))


async def test_a_stop_market_order_sells_at_the_touch_once_triggered(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    await paper_client.private_post_order(
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "STOP_LOSS",
            "quantity": "0.01",
            "stopPrice": "59500",
            "newClientOrderId": "slm-1",
        }
    )
    assert await btc(paper_exchange, paper_account) == (D("0.99"), D("0.01"))
    await paper_exchange.set_mid("BTCUSDT", "59400")
    order = await by_client_id(paper_client, "slm-1")
    assert (order["status"], order["cummulativeQuoteQty"]) == ("FILLED", "593.99990000")
    assert await btc(paper_exchange, paper_account) == (D("0.99"), D("0"))


@pytest.mark.parametrize(
    ("side", "order_type", "stop"),
    [
        ("SELL", "STOP_LOSS_LIMIT", "60000"),  # sell stop at or above the price
        ("SELL", "TAKE_PROFIT_LIMIT", "59999"),  # sell take profit at or below it
        ("BUY", "STOP_LOSS_LIMIT", "59000"),
        ("BUY", "TAKE_PROFIT_LIMIT", "61000"),
    ],
)
async def test_a_stop_that_would_trigger_at_once_is_refused(
    paper_exchange: PaperExchangeAdmin,
    paper_account: PaperAccount,
    paper_client: Any,
    side: str,
    order_type: str,
    stop: str,
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        await paper_client.private_post_order(
            {
                "symbol": "BTCUSDT",
                "side": side,
                "type": order_type,
                "quantity": "0.01",
                "price": stop,
                "stopPrice": stop,
                "timeInForce": "GTC",
            }
        )
    assert last_body(paper_client) == {"code": -2010, "msg": "Order would trigger immediately."}
    assert await paper_exchange.orders(api_key=paper_account.api_key) == []


async def test_a_stop_without_stop_price_is_refused(paper_client: Any) -> None:
    with pytest.raises(ccxt.BadRequest) as err:
        await paper_client.private_post_order(
            {
                "symbol": "BTCUSDT",
                "side": "SELL",
                "type": "STOP_LOSS_LIMIT",
                "quantity": "0.01",
                "price": "58000",
                "timeInForce": "GTC",
            }
        )
    assert binance_error(err.value)[0] == -1102


async def test_an_oco_locks_once_and_its_legs_are_orders_of_the_list(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    placed = await paper_client.private_post_orderlist_oco(sell_oco("oco-lock"))
    list_id = placed["orderListId"]
    assert (placed["contingencyType"], placed["listStatusType"], placed["listOrderStatus"]) == (
        "OCO",
        "EXEC_STARTED",
        "EXECUTING",
    )
    assert placed["listClientOrderId"] == "oco-lock"
    assert [o["clientOrderId"] for o in placed["orders"]] == ["oco-lock-sl", "oco-lock-tp"]
    reports = {r["clientOrderId"]: r for r in placed["orderReports"]}
    assert {r["orderListId"] for r in reports.values()} == {list_id}
    assert (reports["oco-lock-sl"]["type"], reports["oco-lock-sl"]["stopPrice"]) == (
        "STOP_LOSS_LIMIT",
        "59000.00000000",
    )
    assert (reports["oco-lock-tp"]["type"], reports["oco-lock-tp"]["price"]) == (
        "LIMIT_MAKER",
        "61000.00000000",
    )
    assert await btc(paper_exchange, paper_account) == (D("0.98"), D("0.02"))

    open_orders = await paper_client.private_get_openorders({"symbol": "BTCUSDT"})
    assert {(o["clientOrderId"], o["orderListId"]) for o in open_orders} == {
        ("oco-lock-sl", list_id),
        ("oco-lock-tp", list_id),
    }
    by_list_client = await paper_client.private_get_orderlist({"origClientOrderId": "oco-lock"})
    assert (by_list_client["orderListId"], by_list_client["listOrderStatus"]) == (
        list_id,
        "EXECUTING",
    )
    by_id = await paper_client.private_get_orderlist({"orderListId": list_id})
    assert by_id["listClientOrderId"] == "oco-lock"
    open_lists = await paper_client.private_get_openorderlist()
    assert [lst["orderListId"] for lst in open_lists] == [list_id]
    all_lists = await paper_client.private_get_allorderlist()
    assert [lst["orderListId"] for lst in all_lists] == [list_id]


async def test_the_take_profit_fills_and_the_stop_expires(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    placed = await paper_client.private_post_orderlist_oco(sell_oco("oco-tp"))
    await paper_exchange.set_mid("BTCUSDT", "61000")
    take_profit = await by_client_id(paper_client, "oco-tp-tp")
    stop = await by_client_id(paper_client, "oco-tp-sl")
    assert (take_profit["status"], take_profit["executedQty"]) == ("FILLED", "0.02000000")
    assert (stop["status"], stop["expiryReason"]) == ("EXPIRED", "OCO_TRIGGER")
    assert await btc(paper_exchange, paper_account) == (D("0.98"), D("0"))
    listed = await paper_client.private_get_orderlist({"orderListId": placed["orderListId"]})
    assert (listed["listStatusType"], listed["listOrderStatus"]) == ("ALL_DONE", "ALL_DONE")
    assert await paper_client.private_get_openorderlist() == []
    trades = await paper_client.private_get_mytrades({"symbol": "BTCUSDT"})
    assert [(t["orderListId"], t["price"], t["isMaker"]) for t in trades] == [
        (placed["orderListId"], "61000.00000000", True)
    ]
    # A mid back through the stop does not revive the expired leg.
    await paper_exchange.set_mid("BTCUSDT", "58000")
    assert (await by_client_id(paper_client, "oco-tp-sl"))["status"] == "EXPIRED"


async def test_the_stop_triggers_fills_and_the_take_profit_expires(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    await paper_client.private_post_orderlist_oco(sell_oco("oco-sl"))
    await paper_exchange.set_mid("BTCUSDT", "58950")
    stop = await by_client_id(paper_client, "oco-sl-sl")
    take_profit = await by_client_id(paper_client, "oco-sl-tp")
    assert (stop["status"], stop["executedQty"], stop["price"]) == (
        "FILLED",
        "0.02000000",
        "58900.00000000",
    )
    assert stop["cummulativeQuoteQty"] == "1178.99980000"  # at the touch, 58949.99
    assert take_profit["status"] == "EXPIRED"
    assert await btc(paper_exchange, paper_account) == (D("0.98"), D("0"))


async def test_a_stop_triggered_below_its_limit_rests_with_the_list_lock(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    await paper_client.private_post_orderlist_oco(sell_oco("oco-gap"))
    # A gap through the stop and below its limit: the leg works but cannot fill yet.
    await paper_exchange.set_mid("BTCUSDT", "58000")
    stop = await by_client_id(paper_client, "oco-gap-sl")
    assert (stop["status"], stop["isWorking"]) == ("NEW", True)
    assert (await by_client_id(paper_client, "oco-gap-tp"))["status"] == "EXPIRED"
    assert await btc(paper_exchange, paper_account) == (D("0.98"), D("0.02"))
    await paper_exchange.set_mid("BTCUSDT", "58900")
    assert (await by_client_id(paper_client, "oco-gap-sl"))["status"] == "FILLED"
    assert await btc(paper_exchange, paper_account) == (D("0.98"), D("0"))


async def test_canceling_one_leg_cancels_the_list(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    placed = await paper_client.private_post_orderlist_oco(sell_oco("oco-leg"))
    canceled = await paper_client.private_delete_order(
        {"symbol": "BTCUSDT", "origClientOrderId": "oco-leg-tp"}
    )
    assert (canceled["status"], canceled["orderListId"]) == ("CANCELED", placed["orderListId"])
    assert (await by_client_id(paper_client, "oco-leg-sl"))["status"] == "CANCELED"
    listed = await paper_client.private_get_orderlist({"orderListId": placed["orderListId"]})
    assert listed["listOrderStatus"] == "ALL_DONE"
    assert await btc(paper_exchange, paper_account) == (D("1"), D("0"))


async def test_delete_order_list_by_list_client_id_and_unknown_lists(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    await paper_client.private_post_orderlist_oco(sell_oco("oco-del"))
    canceled = await paper_client.private_delete_orderlist(
        {"symbol": "BTCUSDT", "listClientOrderId": "oco-del"}
    )
    assert canceled["listStatusType"] == "ALL_DONE"
    assert [(r["origClientOrderId"], r["status"]) for r in canceled["orderReports"]] == [
        ("oco-del-sl", "CANCELED"),
        ("oco-del-tp", "CANCELED"),
    ]
    assert await btc(paper_exchange, paper_account) == (D("1"), D("0"))

    with pytest.raises(ccxt.OrderNotFound) as err:
        await paper_client.private_delete_orderlist(
            {"symbol": "BTCUSDT", "listClientOrderId": "no-such-list"}
        )
    assert binance_error(err.value) == (-2011, "Order list does not exist.")
    with pytest.raises(ccxt.OrderNotFound) as err:
        await paper_client.private_get_orderlist({"orderListId": 999_999})
    assert binance_error(err.value) == (-2013, "Order list does not exist.")


async def test_cancel_all_open_orders_reports_the_list_as_one_entry(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    placed = await paper_client.private_post_orderlist_oco(sell_oco("oco-all"))
    canceled = await paper_client.private_delete_openorders({"symbol": "BTCUSDT"})
    assert [(c["orderListId"], c.get("contingencyType")) for c in canceled] == [
        (placed["orderListId"], "OCO")
    ]
    assert {r["status"] for r in canceled[0]["orderReports"]} == {"CANCELED"}


async def test_a_duplicate_list_client_id_is_refused_while_the_list_is_open(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    await paper_client.private_post_orderlist_oco(sell_oco("oco-dup", quantity="0.01"))
    again = sell_oco(
        "oco-dup", quantity="0.01", aboveClientOrderId="b-tp", belowClientOrderId="b-sl"
    )
    with pytest.raises(ccxt.InvalidOrder) as err:
        await paper_client.private_post_orderlist_oco(again)
    assert binance_error(err.value) == (-2010, "Duplicate order sent.")
    await paper_client.private_delete_orderlist(
        {"symbol": "BTCUSDT", "listClientOrderId": "oco-dup"}
    )
    relisted = await paper_client.private_post_orderlist_oco(again)
    assert relisted["listOrderStatus"] == "EXECUTING"


@pytest.mark.parametrize(
    "overrides",
    [
        {"abovePrice": "59999"},  # take profit below the price
        {"belowStopPrice": "60001", "belowPrice": "60001"},  # stop above it
        # Legs the wrong way round for a SELL.
        {
            "aboveType": "STOP_LOSS_LIMIT",
            "abovePrice": "61000",
            "aboveStopPrice": "61000",
            "aboveTimeInForce": "GTC",
            "belowType": "LIMIT_MAKER",
            "belowPrice": "59000",
            "belowStopPrice": None,
            "belowTimeInForce": None,
        },
    ],
)
async def test_prices_on_the_wrong_side_of_the_market_are_refused(
    paper_exchange: PaperExchangeAdmin,
    paper_account: PaperAccount,
    paper_client: Any,
    overrides: dict[str, Any],
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    params = {k: v for k, v in sell_oco("oco-bad", **overrides).items() if v is not None}
    with pytest.raises(ccxt.InvalidOrder) as err:
        await paper_client.private_post_orderlist_oco(params)
    assert binance_error(err.value) == (
        -2010,
        "The relationship of the prices for the orders is not correct.",
    )
    assert await paper_exchange.orders(api_key=paper_account.api_key) == []
    assert await btc(paper_exchange, paper_account) == (D("1"), D("0"))


async def test_a_buy_oco_with_take_profit_limit_below_and_stop_above(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    await paper_client.private_post_orderlist_oco(
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "quantity": "0.01",
            "aboveType": "STOP_LOSS_LIMIT",
            "aboveStopPrice": "61000",
            "abovePrice": "61100",
            "aboveTimeInForce": "GTC",
            "aboveClientOrderId": "buy-sl",
            "belowType": "TAKE_PROFIT_LIMIT",
            "belowStopPrice": "59000",
            "belowPrice": "59000",
            "belowTimeInForce": "GTC",
            "belowClientOrderId": "buy-tp",
        }
    )
    usdt = (await paper_exchange.balances(paper_account.api_key))["USDT"]
    assert usdt.locked == D("611")  # once, at the dearer leg's limit
    await paper_exchange.set_mid("BTCUSDT", "58999")
    assert (await by_client_id(paper_client, "buy-tp"))["status"] == "FILLED"
    assert (await by_client_id(paper_client, "buy-sl"))["status"] == "EXPIRED"
    usdt = (await paper_exchange.balances(paper_account.api_key))["USDT"]
    assert usdt.locked == D("0")
    assert usdt.free == D("100000") - D("589.9901")  # bought at the touch, 58999.01


async def test_exchange_info_lists_the_new_order_types(paper_client: Any) -> None:
    info = await paper_client.public_get_exchangeinfo({"symbol": "BTCUSDT"})
    symbol = info["symbols"][0]
    assert {"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"} <= set(
        symbol["orderTypes"]
    )
    assert (symbol["ocoAllowed"], symbol["otoAllowed"]) == (True, False)
