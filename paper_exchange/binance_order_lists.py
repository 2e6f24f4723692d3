"""Binance Spot REST routes for order lists (OCO) and candles, under ``/api/v3``.

Signed: ``POST orderList/oco``, ``GET``/``DELETE orderList``, ``GET openOrderList``,
``GET allOrderList``. Public: ``GET klines``. Engine semantics: ``oco``, ``engine``.
"""

from __future__ import annotations

from aiohttp import web

from paper_exchange import errors
from paper_exchange.binance_api import PREFIX, json_response, read_params, signed
from paper_exchange.klines import INTERVALS_MS, KlineSource
from paper_exchange.oco import parse_oco_request, place_oco
from paper_exchange.order_lists import OrderList
from paper_exchange.params import Params
from paper_exchange.state import STATE_KEY, PaperState, now_ms


def _state(request: web.Request) -> PaperState:
    return request.app[STATE_KEY]


async def new_oco(request: web.Request) -> web.Response:
    state = _state(request)
    account, params = await signed(request)
    req = parse_oco_request(params)
    now = now_ms()
    order_list = place_oco(state.engine, account, req, now)
    # An OCO adds two orders to the unfilled order count.
    state.order_counts.add(account.api_key, now)
    ten_s, day = state.order_counts.add(account.api_key, now)
    response = json_response(order_list.placement_json(req.resp_type))
    response.headers["X-MBX-ORDER-COUNT-10S"] = str(ten_s)
    response.headers["X-MBX-ORDER-COUNT-1D"] = str(day)
    return response


def _list_ref(params: Params, client_param: str) -> tuple[int | None, str | None]:
    list_id = params.int_opt("orderListId")
    client_id = params.str_opt(client_param)
    if list_id is None and client_id is None:
        raise errors.one_of_params("orderListId", client_param)
    return list_id, client_id


async def query_order_list(request: web.Request) -> web.Response:
    state = _state(request)
    account, params = await signed(request)
    list_id, client_id = _list_ref(params, "origClientOrderId")
    order_list = state.engine.lists.find(account.api_key, list_id, client_id, code=-2013)
    return json_response(order_list.list_json())


async def cancel_order_list(request: web.Request) -> web.Response:
    state = _state(request)
    account, params = await signed(request)
    symbol = params.str_req("symbol")
    state.engine.symbol_market(symbol)
    list_id, client_id = _list_ref(params, "listClientOrderId")
    cancel_id = params.client_order_id("newClientOrderId")
    order_list = state.engine.lists.find(account.api_key, list_id, client_id, code=-2011)
    if order_list.symbol != symbol:
        raise errors.BinanceError(-2011, "Order list does not exist.")
    state.engine.conditional.cancel_list(account, order_list, now_ms(), cancel_id)
    return json_response(order_list.cancel_json())


async def open_order_lists(request: web.Request) -> web.Response:
    state = _state(request)
    account, _ = await signed(request)
    lists = state.engine.lists.open_of_account(account.api_key)
    return json_response([lst.list_json() for lst in lists])


async def all_order_lists(request: web.Request) -> web.Response:
    state = _state(request)
    account, params = await signed(request)
    from_id = params.int_opt("fromId")
    start, end = params.int_opt("startTime"), params.int_opt("endTime")
    if from_id is not None and (start is not None or end is not None):
        raise errors.BinanceError(-1128, "Combination of optional parameters invalid.")
    limit = params.limit(500, 1000)
    lists: list[OrderList] = [
        lst
        for lst in state.engine.lists.of_account(account.api_key)
        if (from_id is None or lst.order_list_id >= from_id)
        and (start is None or lst.orders[0].time >= start)
        and (end is None or lst.orders[0].time <= end)
    ]
    lists = lists[:limit] if from_id is not None or start is not None else lists[-limit:]
    return json_response([lst.list_json() for lst in lists])


async def klines(request: web.Request) -> web.Response:
    state = _state(request)
    params, _, _ = await read_params(request)
    sm = state.engine.symbol_market(params.str_req("symbol"))
    interval = params.str_req("interval")
    interval_ms = INTERVALS_MS.get(interval)
    if interval_ms is None:
        raise errors.BinanceError(-1120, "Invalid interval.")
    start, end = params.int_opt("startTime"), params.int_opt("endTime")
    if start is not None and end is not None and start > end:
        raise errors.BinanceError(-1023, "Start time is greater than end time.")
    now = now_ms()
    source = KlineSource(sm, state.config.seed)
    trades = state.engine.trades[sm.spec.symbol]
    open_times = source.open_times(interval_ms, start, end, params.limit(500, 1000), now)
    return json_response([source.candle(t, interval_ms, trades, now) for t in open_times])


def add_routes(app: web.Application) -> None:
    app.router.add_post(f"{PREFIX}/orderList/oco", new_oco)
    app.router.add_get(f"{PREFIX}/orderList", query_order_list)
    app.router.add_delete(f"{PREFIX}/orderList", cancel_order_list)
    app.router.add_get(f"{PREFIX}/openOrderList", open_order_lists)
    app.router.add_get(f"{PREFIX}/allOrderList", all_order_lists)
    app.router.add_get(f"{PREFIX}/klines", klines)
