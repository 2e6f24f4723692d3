"""BitMart's spot REST dialect under ``/bitmart``, over the shared engine and accounts.

Public: symbols details (v1), books and ticker (quotation v3). KEYED: spot wallet (v1).
SIGNED (paper_exchange.bitmart_auth): submit_order (v2), cancel_order (v3), cancel_all
(v4) and the v4 queries (order, client-order, open-orders, order-trades, trades), which
are POSTs with a JSON body as on BitMart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from paper_exchange import bitmart_errors as bm
from paper_exchange.accounts import Account
from paper_exchange.bitmart_auth import keyed, signed
from paper_exchange.bitmart_params import order_request, query_limit
from paper_exchange.bitmart_shapes import (
    engine_ref,
    order_json,
    public_id,
    spec_for,
    symbol_details,
    trade_json,
    venue_symbol,
)
from paper_exchange.config import SymbolSpec
from paper_exchange.middleware import Dialect
from paper_exchange.models import Order
from paper_exchange.numbers import ZERO, fmt8
from paper_exchange.state import STATE_KEY, PaperState, now_ms

PREFIX = "/bitmart"
MAX_BOOK_LEVELS, DEFAULT_BOOK_LEVELS = 50, 35
MAX_QUERY_LIMIT = 200

BITMART = Dialect(
    name="bitmart",
    prefix=f"{PREFIX}/",
    api_key_header="X-BM-KEY",
    render_error=bm.render_error,
    render_fault=bm.render_fault,
)


def _state(request: web.Request) -> PaperState:
    return request.app[STATE_KEY]


def _spec(state: PaperState, symbol: Any, *, public: bool = False) -> SymbolSpec:
    spec = spec_for(state, symbol) if isinstance(symbol, str) else None
    if spec is None:
        raise bm.public_symbol_invalid() if public else bm.symbol_not_found()
    return spec


# ---- public ------------------------------------------------------------------------


async def symbols_details(request: web.Request) -> web.Response:
    return bm.ok({"symbols": symbol_details(_state(request))})


async def books(request: web.Request) -> web.Response:
    state = _state(request)
    spec = _spec(state, request.query.get("symbol"), public=True)
    book = state.market.symbols[spec.symbol].book(
        query_limit(request.query.get("limit"), DEFAULT_BOOK_LEVELS, MAX_BOOK_LEVELS)
    )
    return bm.ok(
        {
            "ts": str(now_ms()),
            "symbol": venue_symbol(spec),
            "asks": [[fmt8(lvl.price), fmt8(lvl.qty)] for lvl in book.asks],
            "bids": [[fmt8(lvl.price), fmt8(lvl.qty)] for lvl in book.bids],
        }
    )


async def ticker(request: web.Request) -> web.Response:
    state = _state(request)
    spec = _spec(state, request.query.get("symbol"), public=True)
    sm = state.market.symbols[spec.symbol]
    trades = state.engine.trades[spec.symbol]
    last = trades[-1].price if trades else sm.mid
    change = (last - sm.open_price) / sm.open_price
    return bm.ok(
        {
            "symbol": venue_symbol(spec),
            "last": fmt8(last),
            "v_24h": fmt8(sum((t.qty for t in trades), ZERO)),
            "qv_24h": fmt8(sum((t.quote_qty for t in trades), ZERO)),
            "open_24h": fmt8(sm.open_price),
            "high_24h": fmt8(max(sm.high, last)),
            "low_24h": fmt8(min(sm.low, last)),
            "fluctuation": f"{change:+.4f}",
            "bid_px": fmt8(sm.best_bid()),
            "bid_sz": fmt8(spec.level_qty),
            "ask_px": fmt8(sm.best_ask()),
            "ask_sz": fmt8(spec.level_qty),
            "ts": str(now_ms()),
        }
    )


# ---- keyed / signed ----------------------------------------------------------------


async def wallet(request: web.Request) -> web.Response:
    account = keyed(request)
    return bm.ok(
        {
            "wallet": [
                {"id": asset, "name": asset, "available": fmt8(b.free), "frozen": fmt8(b.locked)}
                for asset, b in sorted(account.balances.items())
            ]
        }
    )


async def submit_order(request: web.Request) -> web.Response:
    state = _state(request)
    account, body = await signed(request)
    spec = _spec(state, body.get("symbol"))
    placement = state.engine.place(account, order_request(spec, body), now_ms())
    return bm.ok({"order_id": public_id(state, spec.symbol, placement.order.order_id)})


def _by_public_id(state: PaperState, account: Account, public: Any) -> Order | None:
    ref = engine_ref(state, str(public)) if public is not None else None
    if ref is None:
        return None
    symbol, engine_id = ref
    return next(
        (o for o in state.engine.account_orders(account, symbol) if o.order_id == engine_id), None
    )


def _by_client_id(
    state: PaperState, account: Account, client_order_id: Any, symbol: str | None = None
) -> Order | None:
    """The latest of the account's orders with this client order id."""
    matching = [
        o
        for o in state.engine.account_orders(account, symbol)
        if o.client_order_id == client_order_id
    ]
    return max(matching, key=lambda o: (o.time, o.order_id), default=None)


async def cancel_order(request: web.Request) -> web.Response:
    state = _state(request)
    account, body = await signed(request)
    spec = _spec(state, body.get("symbol"))
    if body.get("order_id"):
        order = _by_public_id(state, account, body["order_id"])
        order = order if order is not None and order.symbol == spec.symbol else None
    elif body.get("client_order_id"):
        order = _by_client_id(state, account, body["client_order_id"], spec.symbol)
    else:
        raise bm.order_ref_missing()
    if order is None:
        raise bm.order_does_not_exist()
    if not order.is_open:
        raise bm.already_completed() if order.status == "FILLED" else bm.already_canceled()
    state.engine.cancel(account, spec.symbol, order.order_id, None, now_ms())
    return bm.ok({"result": True})


async def cancel_all(request: web.Request) -> web.Response:
    state = _state(request)
    account, body = await signed(request, v4=True)
    symbol = _spec(state, body["symbol"]).symbol if body.get("symbol") else None
    side = body.get("side")
    if side not in (None, "buy", "sell"):
        raise bm.invalid("side")
    now = now_ms()
    for order in state.engine.open_orders(account, symbol):
        if side is None or order.side == side.upper():
            state.engine.cancel(account, order.symbol, order.order_id, None, now)
    return bm.ok({})


def _in_query_state(order: Order, body: dict[str, Any]) -> bool:
    query_state = body.get("queryState")
    if query_state not in (None, "open", "history"):
        raise bm.BitMartError(52003, "Unsupported Query State Type")
    return query_state is None or (query_state == "open") == order.is_open


async def _query_one(
    request: web.Request, field: str, find: Callable[[PaperState, Account, Any], Order | None]
) -> web.Response:
    """One order by the id in `field` (the venue's or ours), in the asked query state."""
    state = _state(request)
    account, body = await signed(request, v4=True)
    if not body.get(field):
        raise bm.required(field)
    order = find(state, account, body[field])
    if order is None or not _in_query_state(order, body):
        raise bm.order_id_not_found()
    return bm.ok(order_json(state, order))


async def query_order(request: web.Request) -> web.Response:
    return await _query_one(request, "orderId", _by_public_id)


async def query_client_order(request: web.Request) -> web.Response:
    return await _query_one(request, "clientOrderId", _by_client_id)


def _list_filter(state: PaperState, body: dict[str, Any]) -> tuple[str | None, int]:
    if body.get("orderMode", "spot") not in ("spot", "iso_margin"):
        raise bm.BitMartError(52000, "Unsupported OrderMode Type")
    symbol = _spec(state, body["symbol"]).symbol if body.get("symbol") else None
    return symbol, query_limit(body.get("limit"), MAX_QUERY_LIMIT, MAX_QUERY_LIMIT)


async def open_orders(request: web.Request) -> web.Response:
    state = _state(request)
    account, body = await signed(request, v4=True)
    symbol, limit = _list_filter(state, body)
    orders = sorted(state.engine.open_orders(account, symbol), key=lambda o: o.time, reverse=True)
    return bm.ok([order_json(state, o) for o in orders[:limit]])


async def order_trades(request: web.Request) -> web.Response:
    state = _state(request)
    account, body = await signed(request, v4=True)
    if not body.get("orderId"):
        raise bm.required("orderId")
    order = _by_public_id(state, account, body["orderId"])
    if order is None:
        return bm.ok([])  # an order with no trades and an unknown order look alike
    return bm.ok([trade_json(state, t, order) for t in order.trades])


async def account_trades(request: web.Request) -> web.Response:
    state = _state(request)
    account, body = await signed(request, v4=True)
    symbol, limit = _list_filter(state, body)
    orders = state.engine.account_orders(account, symbol)
    pairs = sorted(
        ((t, o) for o in orders for t in o.trades), key=lambda p: p[0].time, reverse=True
    )
    return bm.ok([trade_json(state, t, o) for t, o in pairs[:limit]])


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get(f"{PREFIX}/spot/v1/symbols/details", symbols_details)
    r.add_get(f"{PREFIX}/spot/quotation/v3/books", books)
    r.add_get(f"{PREFIX}/spot/quotation/v3/ticker", ticker)
    r.add_get(f"{PREFIX}/spot/v1/wallet", wallet)
    r.add_post(f"{PREFIX}/spot/v2/submit_order", submit_order)
    r.add_post(f"{PREFIX}/spot/v3/cancel_order", cancel_order)
    r.add_post(f"{PREFIX}/spot/v4/cancel_all", cancel_all)
    r.add_post(f"{PREFIX}/spot/v4/query/order", query_order)
    r.add_post(f"{PREFIX}/spot/v4/query/client-order", query_client_order)
    r.add_post(f"{PREFIX}/spot/v4/query/open-orders", open_orders)
    r.add_post(f"{PREFIX}/spot/v4/query/order-trades", order_trades)
    r.add_post(f"{PREFIX}/spot/v4/query/trades", account_trades)
