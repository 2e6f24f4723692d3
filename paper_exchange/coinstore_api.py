"""Coinstore's spot REST routes, under ``/coinstore/api`` (the venue's own ``/api/...``).

Public: POST v2/public/config/spot/symbols, GET v1/market/depth/{symbol},
GET v1/market/tickers. Signed (X-CS-APIKEY, X-CS-EXPIRES, X-CS-SIGN): POST
spot/accountList, trade/order/place, trade/order/cancel, trade/order/cancelBatch,
trade/order/cancelBatchByClOrdId; GET v2/trade/order/orderInfo, v2/trade/order/active,
trade/match/accountMatches.

The signature is checked over the bytes received (raw query string, then raw body), so
a client that signs one serialisation and sends another is refused, as Coinstore does.
Refusals: unknown key 401 (HTTP 401), malformed signature headers 3005, a wrong
signature or an X-CS-EXPIRES outside the window (older than ``recv_window_default_ms``,
or more than ``future_tolerance_ms`` ahead) 1401. Client order ids are unique among the
account's open orders only (3111), the harsher reading of the documentation.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from paper_exchange import coinstore_shapes as shapes
from paper_exchange.accounts import Account
from paper_exchange.coinstore_errors import (
    CoinstoreError,
    api_key_error,
    bad_request,
    order_not_found,
    signature,
    signature_error,
    signature_failure,
)
from paper_exchange.errors import BinanceError
from paper_exchange.models import Order
from paper_exchange.order_request import OrderRequest
from paper_exchange.state import STATE_KEY, PaperState, now_ms

PREFIX = "/coinstore/api"
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
DEPTHS = (5, 10, 20, 50, 100)
ORDER_TYPES = {"LIMIT": "LIMIT", "POST_ONLY": "LIMIT_MAKER", "MARKET": "MARKET"}


def _state(request: web.Request) -> PaperState:
    return request.app[STATE_KEY]


def ok(data: Any) -> web.Response:
    return web.json_response({"code": 0, "message": "Success", "data": data})


async def _json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read() if request.body_exists else b""
    try:
        body = json.loads(raw or b"{}", parse_float=Decimal)
    except ValueError:
        raise bad_request("body must be JSON") from None
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    return body


async def signed(request: web.Request) -> Account:
    state = _state(request)
    account = state.accounts.get(request.headers.get("X-CS-APIKEY", ""))
    if account is None:
        raise api_key_error()
    expires, sign = request.headers.get("X-CS-EXPIRES", ""), request.headers.get("X-CS-SIGN")
    if not expires.isdigit() or not sign:
        raise signature_error()
    now, sent = now_ms(), int(expires)
    window = state.config
    if sent < now - window.recv_window_default_ms or sent > now + window.future_tolerance_ms:
        raise signature_failure()
    raw_body = await request.read() if request.body_exists else b""
    payload = request.rel_url.raw_query_string.encode() + raw_body
    if not hmac.compare_digest(signature(account.secret, sent, payload), sign.lower()):
        raise signature_failure()
    return account


def _text(values: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = values.get(name)
    if value is None or value == "":
        if required:
            raise bad_request(f"request field missing: {name}")
        return None
    return str(value)


def _decimal(values: dict[str, Any], name: str) -> Decimal | None:
    raw = _text(values, name, required=False)
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise bad_request(f"{name} must be a number") from None
    if not value.is_finite() or value <= 0:
        raise bad_request(f"{name} must be positive")
    return value


def _order_id(values: dict[str, Any], name: str) -> int | None:
    raw = _text(values, name, required=False)
    if raw is None:
        return None
    if not raw.isdigit():
        raise bad_request(f"{name} must be an integer")
    return int(raw)


def _find(state: PaperState, account: Account, ord_id: int | None, cl_ord_id: str | None) -> Order:
    if ord_id is not None:
        ref = shapes.engine_order_ref(state, ord_id)
        if ref is None:
            raise order_not_found()
        return state.engine.find(account, ref[0], ref[1], cl_ord_id)
    mine = [o for o in state.engine.account_orders(account, None) if o.client_order_id == cl_ord_id]
    if not mine:
        raise order_not_found()
    return max(mine, key=lambda o: o.time)  # the latest order under a reused id


# ---- public ----------------------------------------------------------------------


async def spot_symbols(request: web.Request) -> web.Response:
    state = _state(request)
    body = await _json_body(request)
    codes = {str(c).upper() for c in body.get("symbolCodes") or []}
    return ok([shapes.symbol_json(state, sm.spec) for sm in state.market.symbols.values()
               if not codes or sm.spec.symbol in codes])  # fmt: skip


async def depth(request: web.Request) -> web.Response:
    state = _state(request)
    sm = state.engine.symbol_market(request.match_info["symbol"].upper())
    levels = _order_id(dict(request.rel_url.query), "depth") or 20
    if levels not in DEPTHS:
        raise bad_request(f"depth must be one of {DEPTHS}")
    return ok(shapes.depth_json(state, sm, levels))


async def tickers(request: web.Request) -> web.Response:
    state = _state(request)
    return ok([shapes.ticker_json(state, sm) for sm in state.market.symbols.values()])


# ---- signed ----------------------------------------------------------------------


async def account_list(request: web.Request) -> web.Response:
    account = await signed(request)
    return ok(shapes.balance_rows(account))


def _order_request(body: dict[str, Any]) -> OrderRequest:
    symbol = str(_text(body, "symbol")).upper()
    side = _text(body, "side")
    if side not in ("BUY", "SELL"):
        raise bad_request("side must be BUY or SELL")
    ord_type = ORDER_TYPES.get(str(_text(body, "ordType")))
    if ord_type is None:
        raise bad_request("ordType must be MARKET, LIMIT or POST_ONLY")
    tif = _text(body, "timeInForce", required=False) or "GTC"
    if tif not in ("GTC", "IOC", "FOK"):
        raise bad_request("timeInForce must be GTC, IOC or FOK")
    _text(body, "timestamp")  # documented as required
    client_id = _text(body, "clOrdId", required=False)
    if client_id is not None and not CLIENT_ID.fullmatch(client_id):
        raise bad_request("clOrdId: 1-32 letters, digits, '_' or '-'")
    price, qty, amt = _decimal(body, "ordPrice"), _decimal(body, "ordQty"), _decimal(body, "ordAmt")
    if ord_type != "MARKET" and (price is None or qty is None):
        raise bad_request("a limit order needs ordPrice and ordQty")
    if ord_type == "MARKET":
        price = None
        if side == "SELL" and qty is None:
            raise bad_request("a market sell needs ordQty")
        if side == "BUY" and amt is None:
            raise bad_request("a market buy needs ordAmt")
    return OrderRequest(
        symbol=symbol, side=side, type=ord_type,
        time_in_force=tif if ord_type == "LIMIT" else None,
        quantity=qty if ord_type != "MARKET" or side == "SELL" else None,
        quote_order_qty=amt if ord_type == "MARKET" and side == "BUY" else None,
        price=price, client_order_id=client_id, resp_type="ACK", stp_mode="NONE",
    )  # fmt: skip


async def place_order(request: web.Request) -> web.Response:
    state = _state(request)
    account = await signed(request)
    order = state.engine.place(account, _order_request(await _json_body(request)), now_ms()).order
    return ok({"ordId": shapes.venue_order_id(state, order), "clOrdId": order.client_order_id})


async def cancel_order(request: web.Request) -> web.Response:
    state = _state(request)
    account = await signed(request)
    body = await _json_body(request)
    symbol = str(_text(body, "symbol")).upper()
    ord_id = _order_id(body, "ordId")
    if ord_id is None:
        raise bad_request("request field missing: ordId")
    ref = shapes.engine_order_ref(state, ord_id)
    if ref is None or ref[0] != symbol:
        raise order_not_found()
    order = state.engine.cancel(account, symbol, ref[1], None, now_ms())
    return ok({"clientOrderId": order.client_order_id, "state": "CANCELED",
               "ordId": shapes.venue_order_id(state, order)})  # fmt: skip


def _batch(body: dict[str, Any], name: str) -> list[Any]:
    values = body.get(name)
    if not isinstance(values, list) or not values:
        raise bad_request(f"request field missing: {name}")
    return values


async def _cancel_each(
    request: web.Request, field: str, cancel_one: Callable[[PaperState, Account, str, Any], None]
) -> web.Response:
    """A batch cancel: each id in `field` is canceled by `cancel_one` or rejected alone."""
    state = _state(request)
    account = await signed(request)
    body = await _json_body(request)
    symbol = str(_text(body, "symbol")).upper()
    state.engine.symbol_market(symbol)
    success, reject = [], []
    for value in _batch(body, field):
        try:
            cancel_one(state, account, symbol, value)
            success.append(value)
        except (CoinstoreError, BinanceError):  # each id answers for itself
            reject.append(value)
    return ok({"success": success, "reject": reject})


def _cancel_by_order_id(state: PaperState, account: Account, symbol: str, value: Any) -> None:
    ref = shapes.engine_order_ref(state, int(value)) if str(value).isdigit() else None
    if ref is None or ref[0] != symbol:
        raise order_not_found()
    state.engine.cancel(account, symbol, ref[1], None, now_ms())


def _cancel_by_client_id(state: PaperState, account: Account, symbol: str, value: Any) -> None:
    state.engine.cancel(account, symbol, None, str(value), now_ms())


async def cancel_batch(request: web.Request) -> web.Response:
    return await _cancel_each(request, "orderIds", _cancel_by_order_id)


async def cancel_by_client_ids(request: web.Request) -> web.Response:
    return await _cancel_each(request, "clientOrderIds", _cancel_by_client_id)


async def order_info(request: web.Request) -> web.Response:
    state = _state(request)
    account = await signed(request)
    query = dict(request.rel_url.query)
    ord_id, cl_ord_id = _order_id(query, "ordId"), _text(query, "clOrdId", required=False)
    if ord_id is None and cl_ord_id is None:
        raise bad_request("ordId or clOrdId is required")
    order = _find(state, account, ord_id, cl_ord_id)
    return ok([shapes.order_json(state, order, account)])


async def active_orders(request: web.Request) -> web.Response:
    state = _state(request)
    account = await signed(request)
    query = dict(request.rel_url.query)
    symbol = _text(query, "symbol", required=False)
    if symbol is not None:
        state.engine.symbol_market(symbol.upper())
    ord_id, cl_ord_id = _order_id(query, "ordId"), _text(query, "clOrdId", required=False)
    orders = [
        o for o in state.engine.open_orders(account, symbol.upper() if symbol else None)
        if (ord_id is None or shapes.venue_order_id(state, o) == ord_id)
        and (cl_ord_id is None or o.client_order_id == cl_ord_id)
    ]  # fmt: skip
    return ok([shapes.order_json(state, o, account) for o in orders])


async def account_matches(request: web.Request) -> web.Response:
    state = _state(request)
    account = await signed(request)
    query = dict(request.rel_url.query)
    symbol = str(_text(query, "symbol")).upper()
    state.engine.symbol_market(symbol)
    ord_id = _order_id(query, "ordId")
    page, size = _order_id(query, "pageNum") or 1, _order_id(query, "pageSize") or 20
    first_id = shapes.symbol_number(state, symbol) * shapes.ID_SPAN
    trades = [
        t for t in reversed(state.engine.account_trades(account, symbol))  # newest first
        if ord_id is None or first_id + t.order_id == ord_id
    ]  # fmt: skip
    page_rows = trades[(page - 1) * size : page * size]
    return ok([shapes.match_json(state, t, account) for t in page_rows])


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post(f"{PREFIX}/v2/public/config/spot/symbols", spot_symbols)
    r.add_get(f"{PREFIX}/v1/market/depth/{{symbol}}", depth)
    r.add_get(f"{PREFIX}/v1/market/tickers", tickers)
    r.add_post(f"{PREFIX}/spot/accountList", account_list)
    r.add_post(f"{PREFIX}/trade/order/place", place_order)
    r.add_post(f"{PREFIX}/trade/order/cancel", cancel_order)
    r.add_post(f"{PREFIX}/trade/order/cancelBatch", cancel_batch)
    r.add_post(f"{PREFIX}/trade/order/cancelBatchByClOrdId", cancel_by_client_ids)
    r.add_get(f"{PREFIX}/v2/trade/order/orderInfo", order_info)
    r.add_get(f"{PREFIX}/v2/trade/order/active", active_orders)
    r.add_get(f"{PREFIX}/trade/match/accountMatches", account_matches)


__all__ = ["CoinstoreError", "add_routes"]
