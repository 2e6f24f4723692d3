"""The Binance Spot REST routes under ``/api/v3``.

Public: ping, time, exchangeInfo, depth, avgPrice, ticker/24hr, ticker/price,
ticker/bookTicker. Signed (HMAC-SHA256, ``X-MBX-APIKEY``, timestamp/recvWindow):
account, order (POST/GET/DELETE), order/test, openOrders (GET/DELETE), allOrders,
myTrades. Order lists and klines: ``binance_order_lists``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from paper_exchange import errors, signing
from paper_exchange.accounts import Account
from paper_exchange.binance_auth import authenticate
from paper_exchange.market import SymbolMarket, exchange_info_symbol
from paper_exchange.models import Order
from paper_exchange.numbers import ZERO, fmt8
from paper_exchange.order_request import parse_order_request
from paper_exchange.params import Params
from paper_exchange.state import STATE_KEY, PaperState, now_ms

PREFIX = "/api/v3"


def _state(request: web.Request) -> PaperState:
    return request.app[STATE_KEY]


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


async def read_params(request: web.Request) -> tuple[Params, str, str]:
    """Merged params (query wins over body) plus the raw query and body for signing."""
    raw_query = request.rel_url.raw_query_string
    raw_body = await request.text() if request.body_exists else ""
    merged = dict(parse_qsl(raw_body, keep_blank_values=True))
    merged.update(parse_qsl(raw_query, keep_blank_values=True))
    return Params(merged), raw_query, raw_body


async def signed(request: web.Request) -> tuple[Account, Params]:
    """Authenticate a SIGNED request: -2014/-2015 key, -1102/-1022 signature, -1021 time."""
    params, raw_query, raw_body = await read_params(request)
    account = authenticate(
        _state(request),
        request.headers.get("X-MBX-APIKEY", ""),
        params.values,
        signing.extract(raw_query, raw_body),
    )
    return account, params


def _symbol_market(state: PaperState, params: Params) -> SymbolMarket:
    return state.engine.symbol_market(params.str_req("symbol"))


def _symbols_filter(state: PaperState, params: Params) -> list[SymbolMarket]:
    """``symbol=X`` or ``symbols=["X","Y"]`` or all symbols."""
    if params.has("symbol"):
        return [_symbol_market(state, params)]
    raw = params.str_opt("symbols")
    if raw is None:
        return list(state.market.symbols.values())
    names = [s.strip().strip('"') for s in raw.strip().strip("[]").split(",") if s.strip()]
    return [state.engine.symbol_market(name) for name in names]


# ---- public ----------------------------------------------------------------------


async def ping(request: web.Request) -> web.Response:
    return json_response({})


async def server_time(request: web.Request) -> web.Response:
    return json_response({"serverTime": now_ms()})


async def exchange_info(request: web.Request) -> web.Response:
    state = _state(request)
    params, _, _ = await read_params(request)
    markets = _symbols_filter(state, params)
    return json_response(
        {
            "timezone": "UTC",
            "serverTime": now_ms(),
            "rateLimits": [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": state.config.weight_limit_1m or 6000,
                },
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
                {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
                {
                    "rateLimitType": "RAW_REQUESTS",
                    "interval": "MINUTE",
                    "intervalNum": 5,
                    "limit": 61000,
                },
            ],
            "exchangeFilters": [],
            "symbols": [exchange_info_symbol(sm.spec) for sm in markets],
        }
    )


async def depth(request: web.Request) -> web.Response:
    state = _state(request)
    params, _, _ = await read_params(request)
    sm = _symbol_market(state, params)
    book = sm.book(params.limit(100, 5000))
    return json_response(
        {
            "lastUpdateId": sm.update_id,
            "bids": [[fmt8(lvl.price), fmt8(lvl.qty)] for lvl in book.bids],
            "asks": [[fmt8(lvl.price), fmt8(lvl.qty)] for lvl in book.asks],
        }
    )


async def avg_price(request: web.Request) -> web.Response:
    state = _state(request)
    params, _, _ = await read_params(request)
    sm = _symbol_market(state, params)
    return json_response({"mins": 5, "price": fmt8(sm.mid), "closeTime": now_ms()})


def _ticker_24hr(state: PaperState, sm: SymbolMarket) -> dict[str, Any]:
    trades = state.engine.trades[sm.spec.symbol]
    volume = sum((t.qty for t in trades), ZERO)
    quote_volume = sum((t.quote_qty for t in trades), ZERO)
    last_price = trades[-1].price if trades else sm.mid
    now = now_ms()
    change = last_price - sm.open_price
    return {
        "symbol": sm.spec.symbol,
        "priceChange": fmt8(change),
        "priceChangePercent": f"{(change / sm.open_price * 100).quantize(Decimal('0.001'))}",
        "weightedAvgPrice": fmt8(quote_volume / volume if volume else sm.mid),
        "prevClosePrice": fmt8(sm.open_price),
        "lastPrice": fmt8(last_price),
        "lastQty": fmt8(trades[-1].qty if trades else ZERO),
        "bidPrice": fmt8(sm.best_bid()),
        "bidQty": fmt8(sm.spec.level_qty),
        "askPrice": fmt8(sm.best_ask()),
        "askQty": fmt8(sm.spec.level_qty),
        "openPrice": fmt8(sm.open_price),
        "highPrice": fmt8(max(sm.high, last_price)),
        "lowPrice": fmt8(min(sm.low, last_price)),
        "volume": fmt8(volume),
        "quoteVolume": fmt8(quote_volume),
        "openTime": now - 86_400_000,
        "closeTime": now,
        "firstId": trades[0].id if trades else -1,
        "lastId": trades[-1].id if trades else -1,
        "count": len(trades),
    }


def _one_or_list(params: Params, items: list[dict[str, Any]]) -> Any:
    return items[0] if params.has("symbol") else items


async def ticker_24hr(request: web.Request) -> web.Response:
    state = _state(request)
    params, _, _ = await read_params(request)
    items = [_ticker_24hr(state, sm) for sm in _symbols_filter(state, params)]
    return json_response(_one_or_list(params, items))


async def ticker_price(request: web.Request) -> web.Response:
    state = _state(request)
    params, _, _ = await read_params(request)
    items = [
        {"symbol": sm.spec.symbol, "price": fmt8(sm.mid)} for sm in _symbols_filter(state, params)
    ]
    return json_response(_one_or_list(params, items))


async def book_ticker(request: web.Request) -> web.Response:
    state = _state(request)
    params, _, _ = await read_params(request)
    items = [
        {
            "symbol": sm.spec.symbol,
            "bidPrice": fmt8(sm.best_bid()),
            "bidQty": fmt8(sm.spec.level_qty),
            "askPrice": fmt8(sm.best_ask()),
            "askQty": fmt8(sm.spec.level_qty),
        }
        for sm in _symbols_filter(state, params)
    ]
    return json_response(_one_or_list(params, items))


# ---- signed ----------------------------------------------------------------------


async def account_info(request: web.Request) -> web.Response:
    state = _state(request)
    account, params = await signed(request)
    omit_zero = params.str_opt("omitZeroBalances") == "true"
    balances = [
        {"asset": asset, "free": fmt8(bal.free), "locked": fmt8(bal.locked)}
        for asset, bal in sorted(account.balances.items())
        if not (omit_zero and bal.free == 0 and bal.locked == 0)
    ]
    fee_bps = int(state.config.fee_rate * 10000)
    rate = fmt8(state.config.fee_rate)
    return json_response(
        {
            "makerCommission": fee_bps,
            "takerCommission": fee_bps,
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": rate,
                "taker": rate,
                "buyer": fmt8(ZERO),
                "seller": fmt8(ZERO),
            },
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": account.update_time,
            "accountType": "SPOT",
            "balances": balances,
            "permissions": ["SPOT"],
            "uid": account.uid,
        }
    )


async def new_order(request: web.Request) -> web.Response:
    state = _state(request)
    account, params = await signed(request)
    req = parse_order_request(params)
    now = now_ms()
    placement = state.engine.place(account, req, now)
    ten_s, day = state.order_counts.add(account.api_key, now)
    order = placement.order
    if req.resp_type == "ACK":
        body = order.ack_json()
    elif req.resp_type == "RESULT":
        body = order.result_json()
    else:
        body = order.full_json(placement.fills)
    response = json_response(body)
    response.headers["X-MBX-ORDER-COUNT-10S"] = str(ten_s)
    response.headers["X-MBX-ORDER-COUNT-1D"] = str(day)
    return response


async def test_order(request: web.Request) -> web.Response:
    state = _state(request)
    _, params = await signed(request)
    req = parse_order_request(params)
    state.engine.symbol_market(req.symbol)
    return json_response({})


def _order_ref(params: Params) -> tuple[int | None, str | None]:
    order_id = params.int_opt("orderId")
    client_id = params.str_opt("origClientOrderId")
    if order_id is None and client_id is None:
        raise errors.one_of_params("origClientOrderId", "orderId")
    return order_id, client_id


async def query_order(request: web.Request) -> web.Response:
    state = _state(request)
    account, params = await signed(request)
    symbol = params.str_req("symbol")
    order_id, client_id = _order_ref(params)
    order = state.engine.find(account, symbol, order_id, client_id)
    return json_response(order.query_json())


async def cancel_order(request: web.Request) -> web.Response:
    state = _state(request)
    account, params = await signed(request)
    symbol = params.str_req("symbol")
    order_id, client_id = _order_ref(params)
    cancel_id = params.client_order_id("newClientOrderId")
    now = now_ms()
    order = state.engine.cancel(account, symbol, order_id, client_id, now, cancel_id)
    return json_response(order.cancel_json(now))


async def open_orders(request: web.Request) -> web.Response:
    state = _state(request)
    account, params = await signed(request)
    symbol = params.str_opt("symbol")
    if symbol is not None:
        state.engine.symbol_market(symbol)
    return json_response([o.query_json() for o in state.engine.open_orders(account, symbol)])


async def cancel_open_orders(request: web.Request) -> web.Response:
    state = _state(request)
    account, params = await signed(request)
    symbol = params.str_req("symbol")
    now = now_ms()
    cancelled = state.engine.cancel_all(account, symbol, now)
    # Binance reports the legs of an order list as one list entry, after the orders.
    body: list[dict[str, Any]] = [o.cancel_json(now) for o in cancelled if o.order_list_id < 0]
    for list_id in dict.fromkeys(o.order_list_id for o in cancelled if o.order_list_id >= 0):
        order_list = state.engine.lists.get(list_id)
        if order_list is not None:
            body.append(order_list.cancel_json())
    return json_response(body)


def _in_window(ts: int, start: int | None, end: int | None) -> bool:
    return (start is None or ts >= start) and (end is None or ts <= end)


async def all_orders(request: web.Request) -> web.Response:
    state = _state(request)
    account, params = await signed(request)
    symbol = params.str_req("symbol")
    state.engine.symbol_market(symbol)
    from_id = params.int_opt("orderId")
    start, end = params.int_opt("startTime"), params.int_opt("endTime")
    limit = params.limit(500, 1000)
    orders: list[Order] = [
        o
        for o in state.engine.account_orders(account, symbol)
        if (from_id is None or o.order_id >= from_id) and _in_window(o.time, start, end)
    ]
    orders = orders[:limit] if from_id is not None or start is not None else orders[-limit:]
    return json_response([o.query_json() for o in orders])


async def my_trades(request: web.Request) -> web.Response:
    state = _state(request)
    account, params = await signed(request)
    symbol = params.str_req("symbol")
    state.engine.symbol_market(symbol)
    order_id = params.int_opt("orderId")
    from_id = params.int_opt("fromId")
    start, end = params.int_opt("startTime"), params.int_opt("endTime")
    if from_id is not None and (start is not None or end is not None):
        raise errors.BinanceError(-1128, "Combination of optional parameters invalid.")
    limit = params.limit(500, 1000)
    trades = [
        t
        for t in state.engine.account_trades(account, symbol)
        if (order_id is None or t.order_id == order_id)
        and (from_id is None or t.id >= from_id)
        and _in_window(t.time, start, end)
    ]
    trades = trades[:limit] if from_id is not None or start is not None else trades[-limit:]
    return json_response([t.my_trade_json() for t in trades])


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/ping", ping)
    app.router.add_get(f"{PREFIX}/time", server_time)
    app.router.add_get(f"{PREFIX}/exchangeInfo", exchange_info)
    app.router.add_get(f"{PREFIX}/depth", depth)
    app.router.add_get(f"{PREFIX}/avgPrice", avg_price)
    app.router.add_get(f"{PREFIX}/ticker/24hr", ticker_24hr)
    app.router.add_get(f"{PREFIX}/ticker/price", ticker_price)
    app.router.add_get(f"{PREFIX}/ticker/bookTicker", book_ticker)
    app.router.add_get(f"{PREFIX}/account", account_info)
    app.router.add_post(f"{PREFIX}/order", new_order)
    app.router.add_post(f"{PREFIX}/order/test", test_order)
    app.router.add_get(f"{PREFIX}/order", query_order)
    app.router.add_delete(f"{PREFIX}/order", cancel_order)
    app.router.add_get(f"{PREFIX}/openOrders", open_orders)
    app.router.add_delete(f"{PREFIX}/openOrders", cancel_open_orders)
    app.router.add_get(f"{PREFIX}/allOrders", all_orders)
    app.router.add_get(f"{PREFIX}/myTrades", my_trades)
