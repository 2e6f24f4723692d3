"""One WebSocket connection of a stream endpoint, and the registry of all of them.

Every frame a connection sends goes through one ordered queue and one writer task, so a
request's answer always precedes the events it enables, and a fault can hold the writer
(stall) without the venue's engine ever waiting on a slow client. Events (not answers)
pass the per-event stream faults on the way in (duplicate, reorder).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import web

from paper_exchange.stream_faults import StreamFault, StreamFaultRegistry

# How long closing a WebSocket waits for the client's close frame.
CLOSE_TIMEOUT_S = 2.0


class StreamConnection:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        stream: str,
        faults: StreamFaultRegistry,
        *,
        combined: bool = False,
    ) -> None:
        self.ws = ws
        self.stream = stream  # "user" | "market"
        self.combined = combined  # market streams: wrap payloads as {"stream", "data"}
        self.api_keys: frozenset[str] = frozenset()  # user: accounts subscribed here
        self.stream_names: list[str] = []  # market: streams subscribed, in order
        self._transport = request.transport
        self._faults = faults
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._writable = asyncio.Event()
        self._writable.set()
        self._stalled_until = 0.0
        self._held: str | None = None
        self._writer = asyncio.create_task(self._write_forever(), name=f"paper-ws-{stream}")

    def respond(self, message: dict[str, Any]) -> None:
        """Queue the answer to a request (never subject to event faults)."""
        self._queue.put_nowait(json.dumps(message))

    def push_event(self, message: dict[str, Any], api_key: str | None = None) -> None:
        """Queue an event, through the duplicate / reorder faults that match it."""
        frame = json.dumps(message)
        if self._held is not None:
            # A reordered event goes out right after the one that overtook it.
            held, self._held = self._held, None
            self._queue.put_nowait(frame)
            self._queue.put_nowait(held)
            return
        fault = self._faults.take(self.stream, api_key)
        if fault is not None and fault.kind == "stream_reorder":
            self._held = frame
            return
        self._queue.put_nowait(frame)
        if fault is not None and fault.kind == "stream_duplicate":
            self._queue.put_nowait(frame)

    async def _write_forever(self) -> None:
        while True:
            frame = await self._queue.get()
            await self._writable.wait()
            try:
                await self.ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                return  # the peer is gone; the handler's receive loop ends too

    def stall(self, seconds: float) -> None:
        """Stop reading (pings go unanswered) and writing for ``seconds``."""
        loop = asyncio.get_running_loop()
        self._stalled_until = max(self._stalled_until, loop.time() + seconds)
        self._writable.clear()
        if self._transport is not None and not self._transport.is_closing():
            # The transport, not aiohttp's protocol: the protocol resumes reading on its
            # own when its buffer drains, and would answer pings again.
            self._transport.pause_reading()
        loop.call_at(self._stalled_until, self._end_stall)

    def _end_stall(self) -> None:
        if asyncio.get_running_loop().time() < self._stalled_until:
            return  # a later stall extended it
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()
        self._writable.set()

    def drop(self) -> None:
        """Close the TCP connection at once, without a WebSocket close frame."""
        if self._transport is not None:
            self._transport.abort()

    async def close(self) -> None:
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer


class StreamHub:
    """Every open stream connection, for faults that act on connections and for shutdown."""

    def __init__(self) -> None:
        self._connections: set[StreamConnection] = set()

    def register(self, connection: StreamConnection) -> None:
        self._connections.add(connection)

    def unregister(self, connection: StreamConnection) -> None:
        self._connections.discard(connection)

    def connections(self) -> list[StreamConnection]:
        return list(self._connections)

    def apply(self, fault: StreamFault) -> int:
        """Drop or stall the connections ``fault`` matches now; how many it hit."""
        hit = [c for c in self._connections if fault.matches(c.stream, c.api_keys)]
        for connection in hit:
            if fault.kind == "stream_drop":
                connection.drop()
            else:
                connection.stall(fault.stall_s)
        fault.hits = len(hit)
        return fault.hits

    def drop_all(self) -> None:
        for connection in list(self._connections):
            connection.drop()
