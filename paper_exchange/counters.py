"""Request counters of the Binance dialect: orders per account, requests per path and key.

Request *weight* per IP lives in :mod:`paper_exchange.weights`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class OrderCounts:
    """Per-account order counts for ``X-MBX-ORDER-COUNT-10S`` / ``-1D``."""

    ten_s: dict[str, tuple[int, int]] = field(default_factory=dict)
    day: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add(self, api_key: str, now_ms: int) -> tuple[int, int]:
        return self._bump(self.ten_s, api_key, now_ms - now_ms % 10_000), self._bump(
            self.day, api_key, now_ms - now_ms % 86_400_000
        )

    @staticmethod
    def _bump(table: dict[str, tuple[int, int]], key: str, window: int) -> int:
        start, count = table.get(key, (window, 0))
        count = count + 1 if start == window else 1
        table[key] = (window, count)
        return count


@dataclass
class RequestCounters:
    """How many Binance-API requests arrived, per ``"METHOD /path"`` and per API key."""

    by_path: Counter[str] = field(default_factory=Counter)
    by_key: dict[str, Counter[str]] = field(default_factory=dict)

    def record(self, method: str, path: str, api_key: str | None) -> None:
        name = f"{method} {path}"
        self.by_path[name] += 1
        if api_key:
            self.by_key.setdefault(api_key, Counter())[name] += 1

    def snapshot(self, api_key: str | None = None) -> dict[str, int]:
        source = self.by_path if api_key is None else self.by_key.get(api_key, Counter())
        return dict(source)

    def clear(self) -> None:
        self.by_path.clear()
        self.by_key.clear()
