"""Binance's market-stream endpoints: raw ``/ws[/<stream>...]`` and combined ``/stream``.

``/ws/<stream>`` subscribes the named streams at connect (names that are no stream here
are ignored: ccxt connects to ``/ws/<n>`` and subscribes with ``SUBSCRIBE``);
``/stream?streams=<a>/<b>`` wraps every payload as ``{"stream": name, "data": payload}``.
Requests, as Binance documents them: ``SUBSCRIBE`` / ``UNSUBSCRIBE`` (``params``: stream
names) answer ``{"result": null, "id": ...}``; ``LIST_SUBSCRIPTIONS`` the names;
``SET_PROPERTY`` / ``GET_PROPERTY`` ``combined``. Errors are
``{"error": {"code": ..., "msg": ...}, "id": ...}`` with Binance's stream error codes.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import WSMsgType, web

from paper_exchange.market_feed import MarketFeed, parse_stream
from paper_exchange.state import STATE_KEY, PaperState
from paper_exchange.ws_connection import CLOSE_TIMEOUT_S, StreamConnection
from paper_exchange.ws_weights import MARKET_STREAM_CONNECT, charge_ws

METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")


class StreamRequestError(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def _invalid(msg: str) -> StreamRequestError:
    return StreamRequestError(2, f"Invalid request: {msg}")


class MarketSession:
    """The streams one connection listens to, in subscription order."""

    def __init__(self, state: PaperState, connection: StreamConnection) -> None:
        self.state = state
        self.connection = connection
        self.streams = connection.stream_names

    @property
    def feed(self) -> MarketFeed:
        return self.state.market_feed

    def subscribe(self, names: list[str], *, ignore_unknown: bool = False) -> None:
        streams = [parse_stream(n, self.state.market.symbols) for n in names]
        if not ignore_unknown and any(s is None for s in streams):
            raise _invalid("invalid stream")
        for stream in streams:
            if stream is not None and stream.name not in self.streams:
                self.streams.append(stream.name)
                self.feed.subscribe(self.connection, stream)

    def unsubscribe(self, names: list[str]) -> None:
        for name in names:
            if name in self.streams:
                self.streams.remove(name)
                self.feed.unsubscribe(self.connection, name)

    def handle(self, raw: str) -> None:
        """Answer one text frame (SUBSCRIBE answers before its first event)."""
        request_id: Any = None
        try:
            try:
                request = json.loads(raw)
            except ValueError as err:
                raise StreamRequestError(3, f"Invalid JSON: {err}") from None
            if not isinstance(request, dict):
                raise _invalid("expected an object")
            request_id = request.get("id")
            method, params = request.get("method"), request.get("params", [])
            if method is None:
                raise _invalid("missing field `method`")
            if method not in METHODS:
                expected = ", ".join(f"`{m}`" for m in METHODS)
                raise _invalid(f"unknown variant `{method}`, expected one of {expected}")
            if not isinstance(params, list):
                raise _invalid("params must be an array")
            self._dispatch(method, params, request_id)
        except StreamRequestError as err:
            self.connection.respond({"error": {"code": err.code, "msg": err.msg}, "id": request_id})

    def _dispatch(self, method: str, params: list[Any], request_id: Any) -> None:
        names = [str(p) for p in params]
        if method == "SUBSCRIBE":
            streams = [parse_stream(n, self.state.market.symbols) for n in names]
            if any(s is None for s in streams):
                raise _invalid("invalid stream")
            self.connection.respond({"result": None, "id": request_id})
            self.subscribe(names)
        elif method == "UNSUBSCRIBE":
            self.unsubscribe(names)
            self.connection.respond({"result": None, "id": request_id})
        elif method == "LIST_SUBSCRIPTIONS":
            self.connection.respond({"result": list(self.streams), "id": request_id})
        elif not params or params[0] != "combined":
            raise StreamRequestError(0, "Unknown property")
        elif method == "GET_PROPERTY":
            self.connection.respond({"result": self.connection.combined, "id": request_id})
        else:  # SET_PROPERTY
            if len(params) != 2 or not isinstance(params[1], bool):
                raise StreamRequestError(1, "Invalid value type: expected Boolean")
            self.connection.combined = params[1]
            self.connection.respond({"result": None, "id": request_id})


async def _serve(request: web.Request, names: list[str], *, combined: bool) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    ws = web.WebSocketResponse(timeout=CLOSE_TIMEOUT_S)
    await ws.prepare(request)
    charge_ws(request, MARKET_STREAM_CONNECT)
    connection = StreamConnection(ws, request, "market", state.stream_faults, combined=combined)
    state.streams.register(connection)
    session = MarketSession(state, connection)
    try:
        session.subscribe(names, ignore_unknown=True)
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                session.handle(message.data)
    finally:
        state.market_feed.drop_connection(connection)
        state.streams.unregister(connection)
        await connection.close()
    return ws


async def raw_streams(request: web.Request) -> web.StreamResponse:
    names = [n for n in request.match_info.get("streams", "").split("/") if n]
    return await _serve(request, names, combined=False)


async def combined_streams(request: web.Request) -> web.StreamResponse:
    names = [n for n in request.query.get("streams", "").split("/") if n]
    return await _serve(request, names, combined=True)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ws", raw_streams)
    app.router.add_get("/ws/{streams:.*}", raw_streams)
    app.router.add_get("/stream", combined_streams)
