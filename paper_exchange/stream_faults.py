"""Fault injection for WebSocket streams (user-data over the WebSocket API, market data).

Kinds, and what the venue does:

``stream_drop``       closes the matching connections now (TCP close, no close frame)
``stream_stall``      the matching connections stop reading and writing now, for
                      ``stall_s`` or until shutdown: WebSocket pings go unanswered and
                      events queue up; afterwards the queued events are sent
``stream_duplicate``  each of the next ``times`` events on a matching connection is sent twice
``stream_reorder``    the next ``times`` events on a matching connection are each held back
                      and sent right after the event that follows them

``stream`` limits a fault to ``user`` (``/ws-api/v3``) or ``market`` (``/ws``, ``/stream``)
connections; ``api_key`` to user-data connections subscribed for that key (for the
per-event kinds: to that account's events). Drop and stall act on the connections open
when the fault is added and are not kept; duplicate and reorder wait for events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paper_exchange.faults import PendingFaults

STREAM_KINDS = frozenset({"user", "market"})
IMMEDIATE_KINDS = frozenset({"stream_drop", "stream_stall"})
PER_EVENT_KINDS = frozenset({"stream_duplicate", "stream_reorder"})
STREAM_FAULT_KINDS = IMMEDIATE_KINDS | PER_EVENT_KINDS


def is_stream_fault(kind: str) -> bool:
    return kind.startswith("stream_")


@dataclass
class StreamFault:
    id: int
    kind: str
    times: int
    stream: str | None = None
    api_key: str | None = None
    stall_s: float = 3600.0
    hits: int = 0

    def matches(self, stream: str, api_keys: frozenset[str]) -> bool:
        """Whether a connection (or an event on it) of ``stream`` for ``api_keys`` is hit."""
        return (
            self.times > 0
            and (self.stream is None or self.stream == stream)
            and (self.api_key is None or self.api_key in api_keys)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "stream": self.stream,
            "api_key": self.api_key,
            "remaining": self.times,
            "hits": self.hits,
            "stall_s": self.stall_s,
        }


class StreamFaultRegistry(PendingFaults[StreamFault]):
    def add(
        self,
        kind: str,
        *,
        times: int = 1,
        stream: str | None = None,
        api_key: str | None = None,
        stall_s: float = 3600.0,
    ) -> StreamFault:
        """A new fault; per-event kinds are kept until used ``times`` times."""
        if kind not in STREAM_FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(STREAM_FAULT_KINDS)}")
        if stream is not None and stream not in STREAM_KINDS:
            raise ValueError(f"stream must be one of {sorted(STREAM_KINDS)}")
        if times < 1:
            raise ValueError("times must be >= 1")
        if stall_s <= 0:
            raise ValueError("stall_s must be > 0")
        fault = StreamFault(
            id=next(self._ids),
            kind=kind,
            times=times,
            stream=stream,
            api_key=api_key,
            stall_s=stall_s,
        )
        if kind in PER_EVENT_KINDS:
            self._faults.append(fault)
        return fault

    def take(self, stream: str, api_key: str | None) -> StreamFault | None:
        """The first per-event fault for an event of ``api_key`` on a ``stream`` connection."""
        keys = frozenset({api_key}) if api_key else frozenset()
        return self._consume(lambda fault: fault.matches(stream, keys))
