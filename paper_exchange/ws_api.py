"""Binance's WebSocket API at ``/ws-api/v3``: the methods ``ccxt.pro`` uses for user data.

Requests are ``{"id", "method", "params"}`` text frames; answers
``{"id", "status": 200, "result"}`` or ``{"id", "status", "error": {"code", "msg"}}`` with
Binance's codes (the REST ones: the checks are shared). Methods:

* ``ping``, ``time``
* ``userDataStream.subscribe.signature`` (``apiKey``, ``timestamp``, ``recvWindow``?,
  ``signature`` over the params sorted by name): verified like a SIGNED REST request
  (``binance_auth.authenticate``); answers ``{"subscriptionId": n}``, after which the
  account's events arrive as ``{"subscriptionId": n, "event": {...}}``
* ``userDataStream.unsubscribe`` (``subscriptionId``?; none = all), followed by an
  ``eventStreamTerminated`` event per ended subscription
* ``session.subscriptions``
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import WSMsgType, web

from paper_exchange import errors
from paper_exchange.binance_auth import authenticate, ws_param_text, ws_signed_payload
from paper_exchange.clock import now_ms
from paper_exchange.state import STATE_KEY, PaperState
from paper_exchange.stream_shapes import event_envelope
from paper_exchange.user_streams import UserDataSession
from paper_exchange.ws_connection import CLOSE_TIMEOUT_S, StreamConnection
from paper_exchange.ws_weights import WS_API_CONNECT, charge_ws, ws_api_method_weight

PATH = "/ws-api/v3"


def _invalid_json() -> errors.BinanceError:
    return errors.BinanceError(-1135, "Invalid JSON Request")


def _unsupported() -> errors.BinanceError:
    return errors.BinanceError(-1020, "This operation is not supported.")


class WsApiSession:
    def __init__(self, request: web.Request, state: PaperState, connection: StreamConnection):
        self.request = request
        self.state = state
        self.connection = connection
        self.user_data = UserDataSession(connection)
        # Subscriptions the current request ended; their terminated events follow the reply.
        self._terminated: list[int] = []

    def handle(self, raw: str) -> None:
        """Answer one request frame."""
        request_id: Any = None
        used: int | None = None
        show_limits = True
        try:
            try:
                request = json.loads(raw)
            except ValueError:
                raise _invalid_json() from None
            if not isinstance(request, dict):
                raise _invalid_json()
            request_id = request.get("id")
            method = request.get("method")
            params = request.get("params") or {}
            if not isinstance(method, str) or not method:
                raise errors.mandatory_param("method")
            if not isinstance(params, dict):
                raise _invalid_json()
            # Kept in params: a signed request signs it like any other param.
            show_limits = params.get("returnRateLimits", True) is not False
            method = method.removeprefix("v3/")
            used = charge_ws(self.request, ws_api_method_weight(method))
            result = self._dispatch(method, {k: ws_param_text(v) for k, v in params.items()})
            reply: dict[str, Any] = {"id": request_id, "status": 200, "result": result}
        except errors.BinanceError as err:
            reply = {"id": request_id, "status": err.status, "error": err.body()}
        if used is not None and show_limits:
            reply["rateLimits"] = [self._weight_limit(used)]
        self.connection.respond(reply)
        for subscription_id in self._terminated:
            event = {"e": "eventStreamTerminated", "E": now_ms()}
            self.connection.push_event(event_envelope(subscription_id, event))
        self._terminated = []

    def _weight_limit(self, used: int) -> dict[str, Any]:
        return {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": self.state.config.weight_limit_1m or 6000,
            "count": used,
        }

    def _dispatch(self, method: str, params: dict[str, str]) -> Any:
        if method == "ping":
            return {}
        if method == "time":
            return {"serverTime": now_ms()}
        if method == "userDataStream.subscribe.signature":
            return self._subscribe(params)
        if method == "userDataStream.unsubscribe":
            return self._unsubscribe(params)
        if method == "session.subscriptions":
            return [{"subscriptionId": sid} for sid in self.user_data.subscriptions]
        raise _unsupported()

    def _subscribe(self, params: dict[str, str]) -> dict[str, Any]:
        api_key = params.get("apiKey", "")
        if not api_key:
            raise errors.mandatory_param("apiKey")
        account = authenticate(self.state, api_key, params, ws_signed_payload(params))
        subscription_id = self.state.user_streams.subscribe(self.user_data, account.api_key)
        return {"subscriptionId": subscription_id}

    def _unsubscribe(self, params: dict[str, str]) -> dict[str, Any]:
        raw = params.get("subscriptionId")
        if raw is not None and not raw.lstrip("-").isdigit():
            raise errors.illegal_chars("subscriptionId", errors.INTEGER_PATTERN)
        self._terminated = self.state.user_streams.unsubscribe(
            self.user_data, int(raw) if raw is not None else None
        )
        return {}


async def ws_api(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    ws = web.WebSocketResponse(timeout=CLOSE_TIMEOUT_S)
    await ws.prepare(request)
    charge_ws(request, WS_API_CONNECT)
    connection = StreamConnection(ws, request, "user", state.stream_faults)
    state.streams.register(connection)
    session = WsApiSession(request, state, connection)
    try:
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                session.handle(message.data)
    finally:
        state.user_streams.close(session.user_data)
        state.streams.unregister(connection)
        await connection.close()
    return ws


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, ws_api)
