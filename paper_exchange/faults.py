"""Fault injection: make the next N requests matching METHOD + path misbehave.

Kinds, and what the venue does with the matching request:

``http_503``          answers 503 ``{"msg": "Service Unavailable."}`` without processing
``http_500``          answers 500 ``{"code": -1001, ...}`` without processing
``http_429``          answers 429 ``-1003`` with ``Retry-After``, without processing
``http_418``          answers 418 ``-1003`` (IP banned) with ``Retry-After``, without processing
``hang``              never answers (until ``hang_s`` or shutdown), then closes; not processed
``drop``              closes the TCP connection at once; not processed
``delay``             waits ``delay_s``, then processes and answers normally
``accept_then_drop``  processes (the order is created), then closes the connection
``accept_then_504``   processes, then answers 504 Gateway Time-out (an HTML body)
``accept_then_hang``  processes, then never answers (until ``hang_s`` or shutdown)

Faults of WebSocket streams (``stream_*`` kinds) live in :mod:`paper_exchange.stream_faults`.

A fault may be limited to one API key (the dialect's key header: ``X-MBX-APIKEY``,
``X-BM-KEY``, ``X-CS-APIKEY``); ``body`` overrides the JSON body of the ``http_*`` kinds
(each dialect's own error body otherwise).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

FAULT_KINDS = frozenset(
    {
        "http_503",
        "http_500",
        "http_429",
        "http_418",
        "hang",
        "drop",
        "delay",
        "accept_then_drop",
        "accept_then_504",
        "accept_then_hang",
    }
)
PROCESSING_KINDS = frozenset({"delay", "accept_then_drop", "accept_then_504", "accept_then_hang"})


@dataclass
class Fault:
    id: int
    kind: str
    method: str
    path: str
    times: int
    api_key: str | None = None
    retry_after_s: int = 60
    hang_s: float = 3600.0
    delay_s: float = 1.0
    body: Any = None
    hits: int = 0

    def matches(self, method: str, path: str, api_key: str | None) -> bool:
        return (
            self.times > 0
            and (self.method == "*" or self.method == method)
            and self.path == path
            and (self.api_key is None or self.api_key == api_key)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "remaining": self.times,
            "hits": self.hits,
            "api_key": self.api_key,
            "retry_after_s": self.retry_after_s,
            "hang_s": self.hang_s,
            "delay_s": self.delay_s,
            "body": self.body,
        }


class PendingFault(Protocol):
    id: int
    times: int
    hits: int
    api_key: str | None


F = TypeVar("F", bound=PendingFault)


class PendingFaults(Generic[F]):
    """Faults waiting for the requests (or stream events) they hit, each used `times`
    times, then gone; listed, removed and cleared by the admin API."""

    def __init__(self, ids: Iterator[int] | None = None) -> None:
        self._faults: list[F] = []
        # Shared between the REST and stream faults: a fault id names one of either kind.
        self._ids = ids if ids is not None else itertools.count(1)

    def _consume(self, hits: Callable[[F], bool]) -> F | None:
        """The first fault that `hits`, with one of its uses spent."""
        for fault in self._faults:
            if hits(fault):
                fault.times -= 1
                fault.hits += 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def list(self) -> list[F]:
        return list(self._faults)

    def remove(self, fault_id: int) -> bool:
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        return len(self._faults) != before

    def clear(self, api_key: str | None = None) -> int:
        before = len(self._faults)
        if api_key is None:
            self._faults = []
        else:
            self._faults = [f for f in self._faults if f.api_key != api_key]
        return before - len(self._faults)


class FaultRegistry(PendingFaults[Fault]):
    def add(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        times: int = 1,
        api_key: str | None = None,
        retry_after_s: int = 60,
        hang_s: float = 3600.0,
        delay_s: float = 1.0,
        body: Any = None,
    ) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be >= 1")
        if not path.startswith("/"):
            raise ValueError("path must start with '/', e.g. /api/v3/order")
        fault = Fault(
            id=next(self._ids),
            kind=kind,
            method=method.upper(),
            path=path,
            times=times,
            api_key=api_key,
            retry_after_s=retry_after_s,
            hang_s=hang_s,
            delay_s=delay_s,
            body=body,
        )
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str, api_key: str | None) -> Fault | None:
        """The first fault matching this request, consuming one of its ``times``."""
        return self._consume(lambda fault: fault.matches(method, path, api_key))
