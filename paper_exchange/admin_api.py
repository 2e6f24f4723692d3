"""The admin API under ``/_admin``: accounts, market control, dumps, weights, reset (faults
and stream connections: ``admin_faults``).

JSON in and out, no authentication (a local test venue bound to 127.0.0.1).
Amounts are decimal strings. Errors are ``{"error": "..."}`` with 400/404.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from paper_exchange.accounts import Account
from paper_exchange.events import BalanceUpdate
from paper_exchange.market import SymbolMarket
from paper_exchange.numbers import fmt8
from paper_exchange.state import STATE_KEY, PaperState, now_ms

PREFIX = "/_admin"


class AdminError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _state(request: web.Request) -> PaperState:
    return request.app[STATE_KEY]


async def json_body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise AdminError("body must be JSON") from None
    if not isinstance(data, dict):
        raise AdminError("body must be a JSON object")
    return data


def _decimal(value: Any, name: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise AdminError(f"{name} must be a decimal string") from None
    if not result.is_finite():
        raise AdminError(f"{name} must be finite")
    return result


def _account(state: PaperState, api_key: str) -> Account:
    account = state.accounts.get(api_key)
    if account is None:
        raise AdminError(f"unknown account {api_key!r}", status=404)
    return account


def _symbol(state: PaperState, symbol: str) -> SymbolMarket:
    sm = state.market.get(symbol.replace("/", "").upper())
    if sm is None:
        raise AdminError(f"unknown symbol {symbol!r}", status=404)
    return sm


def _balances_json(account: Account) -> dict[str, dict[str, str]]:
    return {
        asset: {"free": fmt8(bal.free), "locked": fmt8(bal.locked)}
        for asset, bal in sorted(account.balances.items())
    }


def _market_json(sm: SymbolMarket, levels: int | None = None) -> dict[str, Any]:
    book = sm.book(levels)
    return {
        "symbol": sm.spec.symbol,
        "mid": fmt8(sm.mid),
        "bestBid": fmt8(sm.best_bid()),
        "bestAsk": fmt8(sm.best_ask()),
        "bids": [[fmt8(lvl.price), fmt8(lvl.qty)] for lvl in book.bids],
        "asks": [[fmt8(lvl.price), fmt8(lvl.qty)] for lvl in book.asks],
    }


@web.middleware
async def admin_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except AdminError as err:
        return web.json_response({"error": str(err)}, status=err.status)
    return response


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def create_account(request: web.Request) -> web.Response:
    state = _state(request)
    body = await json_body(request)
    raw_balances = body.get("balances")
    if raw_balances is None:
        balances = dict(state.config.default_balances)
    elif isinstance(raw_balances, dict):
        balances = {str(k): _decimal(v, f"balances.{k}") for k, v in raw_balances.items()}
    else:
        raise AdminError("balances must be an object of asset -> amount")
    try:
        account = state.accounts.create(
            balances, body.get("api_key"), body.get("secret"), memo=body.get("memo")
        )
    except ValueError as err:
        raise AdminError(str(err)) from None
    return web.json_response(
        {
            "api_key": account.api_key,
            "secret": account.secret,
            "memo": account.memo,
            "balances": _balances_json(account),
        },
        status=201,
    )


async def get_balances(request: web.Request) -> web.Response:
    account = _account(_state(request), request.match_info["api_key"])
    return web.json_response(_balances_json(account))


async def set_balances(request: web.Request) -> web.Response:
    """``{"USDT": "100"}`` sets free; ``{"USDT": {"free": "1", "locked": "2"}}`` sets both."""
    state = _state(request)
    account = _account(state, request.match_info["api_key"])
    body = await json_body(request)
    for asset, value in body.items():
        bal = account.balance(str(asset))
        if isinstance(value, dict):
            if "free" in value:
                bal.free = _decimal(value["free"], f"{asset}.free")
            if "locked" in value:
                bal.locked = _decimal(value["locked"], f"{asset}.locked")
        else:
            bal.free = _decimal(value, str(asset))
    account.update_time = now_ms()
    # Like a deposit on Binance, the new balances reach the user-data stream.
    state.events.publish(BalanceUpdate(account.api_key, tuple(body), account.update_time))
    return web.json_response(_balances_json(account))


async def get_market(request: web.Request) -> web.Response:
    sm = _symbol(_state(request), request.match_info["symbol"])
    levels = request.query.get("levels")
    return web.json_response(_market_json(sm, int(levels) if levels else None))


async def set_mid(request: web.Request) -> web.Response:
    state = _state(request)
    sm = _symbol(state, request.match_info["symbol"])
    body = await json_body(request)
    if "mid" not in body:
        raise AdminError("mid is required")
    trades = state.engine.set_mid(sm.spec.symbol, _decimal(body["mid"], "mid"), now_ms())
    return web.json_response({**_market_json(sm, 5), "fills": [t.admin_json() for t in trades]})


async def step_market(request: web.Request) -> web.Response:
    state = _state(request)
    sm = _symbol(state, request.match_info["symbol"])
    steps = int((await json_body(request)).get("steps", 1))
    if steps < 0 or steps > 100_000:
        raise AdminError("steps must be between 0 and 100000")
    trades = state.engine.step(sm.spec.symbol, steps, now_ms())
    return web.json_response({**_market_json(sm, 5), "fills": [t.admin_json() for t in trades]})


def _filtered_symbols(state: PaperState, request: web.Request) -> list[str]:
    symbol = request.query.get("symbol")
    return [_symbol(state, symbol).spec.symbol] if symbol else list(state.engine.orders)


async def dump_orders(request: web.Request) -> web.Response:
    state = _state(request)
    api_key = request.query.get("api_key")
    orders = [
        o.admin_json()
        for s in _filtered_symbols(state, request)
        for o in state.engine.orders[s]
        if api_key is None or o.api_key == api_key
    ]
    return web.json_response(orders)


async def dump_trades(request: web.Request) -> web.Response:
    state = _state(request)
    api_key = request.query.get("api_key")
    trades = [
        t.admin_json()
        for s in _filtered_symbols(state, request)
        for t in state.engine.trades[s]
        if api_key is None or t.api_key == api_key
    ]
    return web.json_response(trades)


async def request_counts(request: web.Request) -> web.Response:
    state = _state(request)
    counts = state.counters.snapshot(request.query.get("api_key"))
    return web.json_response({"total": sum(counts.values()), "by_path": counts})


async def clear_request_counts(request: web.Request) -> web.Response:
    _state(request).counters.clear()
    return web.json_response({"cleared": True})


async def weight_ledger(request: web.Request) -> web.Response:
    """Request weight per IP: used this minute, totals since start or the last reset."""
    return web.json_response(_state(request).weights.to_json(request.query.get("ip")))


async def reset_weight_ledger(request: web.Request) -> web.Response:
    cleared = _state(request).weights.reset(request.query.get("ip"))
    return web.json_response({"cleared": cleared})


async def reset(request: web.Request) -> web.Response:
    _state(request).reset()
    return web.json_response({"reset": True})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get(f"{PREFIX}/health", health)
    r.add_post(f"{PREFIX}/accounts", create_account)
    r.add_get(f"{PREFIX}/accounts/{{api_key}}/balances", get_balances)
    r.add_put(f"{PREFIX}/accounts/{{api_key}}/balances", set_balances)
    r.add_get(f"{PREFIX}/market/{{symbol}}", get_market)
    r.add_post(f"{PREFIX}/market/{{symbol}}/mid", set_mid)
    r.add_post(f"{PREFIX}/market/{{symbol}}/step", step_market)
    r.add_get(f"{PREFIX}/orders", dump_orders)
    r.add_get(f"{PREFIX}/trades", dump_trades)
    r.add_get(f"{PREFIX}/requests", request_counts)
    r.add_delete(f"{PREFIX}/requests", clear_request_counts)
    r.add_get(f"{PREFIX}/weights", weight_ledger)
    r.add_delete(f"{PREFIX}/weights", reset_weight_ledger)
    r.add_post(f"{PREFIX}/reset", reset)
