"""Request weight of WebSocket connections and WebSocket API requests.

Binance counts these against the same per-IP ``REQUEST_WEIGHT`` minute as REST
(``web-socket-api.md``: "Connecting to WebSocket API costs 2 weight"; each method lists
its weight). Every charge the stream endpoints make goes through :func:`charge_ws`, the
one place to wire to the venue's weight counter (``weights.py``).
"""

from __future__ import annotations

from aiohttp import web

from paper_exchange.weights import charge_weight

# Opening a WebSocket API connection (/ws-api/v3).
WS_API_CONNECT = 2
# WebSocket API methods the paper exchange serves; "v3/" prefixes are stripped first.
WS_API_METHOD_WEIGHTS: dict[str, int] = {
    "ping": 1,
    "time": 1,
    "userDataStream.subscribe.signature": 2,
    "userDataStream.unsubscribe": 2,
    "session.subscriptions": 2,
}
# A method the paper exchange does not serve still reached the venue.
WS_API_UNKNOWN_METHOD = 1
# Market-stream connections (/ws, /stream) cost no request weight on Binance; they count
# against "300 connections per attempt every 5 minutes per IP". Charged as 0 so the one
# function still sees every connection.
MARKET_STREAM_CONNECT = 0


def ws_api_method_weight(method: str) -> int:
    return WS_API_METHOD_WEIGHTS.get(method, WS_API_UNKNOWN_METHOD)


def charge_ws(request: web.Request, weight: int) -> int | None:
    """Charge ``weight`` for a WebSocket connection or WebSocket API request to the
    client's IP, on the same per-IP ledger as REST (so benchmarks count streams too).

    Returns the IP's used weight in the current minute (for the WebSocket API's
    ``rateLimits``). Counted, never refused: with enforcement on, a REST request over
    the limit is refused, a WebSocket frame is not (the paper exchange's simplification).
    """
    return charge_weight(request.app, request.remote or "unknown", weight).used_1m
