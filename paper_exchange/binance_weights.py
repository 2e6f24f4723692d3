"""The request weight of each Binance Spot REST route the paper exchange serves.

Numbers are those of Binance's Spot REST API docs ("Weight:" of each endpoint). Most
routes have one weight; a few depend on the parameters: ``depth`` on ``limit``,
``myTrades`` on ``orderId``, ``order/test`` on ``computeCommissionRates``, ``openOrders``
on ``symbol``, and the tickers on ``symbol``/``symbols`` (the number of symbols, for
``ticker/24hr``). A route Binance does not list here (a 404) costs the default 1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

DEFAULT_WEIGHT = 1

_FIXED: Mapping[tuple[str, str], int] = {
    ("GET", "/api/v3/ping"): 1,
    ("GET", "/api/v3/time"): 1,
    ("GET", "/api/v3/exchangeInfo"): 20,
    ("GET", "/api/v3/avgPrice"): 2,
    ("GET", "/api/v3/account"): 20,
    ("POST", "/api/v3/order"): 1,
    ("GET", "/api/v3/order"): 4,
    ("DELETE", "/api/v3/order"): 1,
    ("DELETE", "/api/v3/openOrders"): 1,
    ("GET", "/api/v3/allOrders"): 20,
    ("GET", "/api/v3/klines"): 2,
    ("POST", "/api/v3/orderList/oco"): 1,
    ("GET", "/api/v3/orderList"): 4,
    ("DELETE", "/api/v3/orderList"): 1,
    ("GET", "/api/v3/openOrderList"): 6,
    ("GET", "/api/v3/allOrderList"): 20,
}


def depth_weight(limit: int) -> int:
    """``GET depth``: 1-100 → 5, 101-500 → 25, 501-1000 → 50, 1001-5000 → 250."""
    if limit <= 100:
        return 5
    if limit <= 500:
        return 25
    if limit <= 1000:
        return 50
    return 250


def _symbol_count(params: Mapping[str, str]) -> int | None:
    """How many symbols ``symbols=["A","B"]`` names; None when it is absent."""
    raw = params.get("symbols")
    if raw is None:
        return None
    return len([name for name in raw.strip().strip("[]").split(",") if name.strip()])


def _depth(params: Mapping[str, str]) -> int:
    raw = params.get("limit", "100")
    # A malformed limit is refused by the route; it still costs the default bracket.
    return depth_weight(int(raw)) if raw.isdigit() else 5


def _ticker_24hr(params: Mapping[str, str]) -> int:
    if params.get("symbol"):
        return 2
    count = _symbol_count(params)
    if count is None or count > 100:
        return 80
    return 2 if count <= 20 else 40


def _ticker_price_or_book(params: Mapping[str, str]) -> int:
    return 2 if params.get("symbol") else 4


def _open_orders(params: Mapping[str, str]) -> int:
    return 6 if params.get("symbol") else 80


def _my_trades(params: Mapping[str, str]) -> int:
    return 5 if params.get("orderId") else 20


def _test_order(params: Mapping[str, str]) -> int:
    return 20 if params.get("computeCommissionRates", "").lower() == "true" else 1


_BY_PARAMS: Mapping[tuple[str, str], Callable[[Mapping[str, str]], int]] = {
    ("GET", "/api/v3/depth"): _depth,
    ("GET", "/api/v3/ticker/24hr"): _ticker_24hr,
    ("GET", "/api/v3/ticker/price"): _ticker_price_or_book,
    ("GET", "/api/v3/ticker/bookTicker"): _ticker_price_or_book,
    ("GET", "/api/v3/openOrders"): _open_orders,
    ("GET", "/api/v3/myTrades"): _my_trades,
    ("POST", "/api/v3/order/test"): _test_order,
}


def request_weight(method: str, path: str, params: Mapping[str, str]) -> int:
    """The weight Binance charges for ``method path`` with these (merged) parameters."""
    route = (method.upper(), path)
    by_params = _BY_PARAMS.get(route)
    if by_params is not None:
        return by_params(params)
    return _FIXED.get(route, DEFAULT_WEIGHT)
