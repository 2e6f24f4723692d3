"""Request weights (as Binance documents them) and the used-weight/request counters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# (METHOD, path) -> (weight with symbol / default, weight without symbol)
_WEIGHTS: dict[tuple[str, str], tuple[int, int]] = {
    ("GET", "/api/v3/ping"): (1, 1),
    ("GET", "/api/v3/time"): (1, 1),
    ("GET", "/api/v3/exchangeInfo"): (20, 20),
    ("GET", "/api/v3/avgPrice"): (2, 2),
    ("GET", "/api/v3/ticker/24hr"): (2, 80),
    ("GET", "/api/v3/ticker/price"): (2, 4),
    ("GET", "/api/v3/ticker/bookTicker"): (2, 4),
    ("GET", "/api/v3/account"): (20, 20),
    ("POST", "/api/v3/order"): (1, 1),
    ("POST", "/api/v3/order/test"): (1, 1),
    ("GET", "/api/v3/order"): (4, 4),
    ("DELETE", "/api/v3/order"): (1, 1),
    ("GET", "/api/v3/openOrders"): (6, 80),
    ("DELETE", "/api/v3/openOrders"): (1, 1),
    ("GET", "/api/v3/allOrders"): (20, 20),
    ("GET", "/api/v3/myTrades"): (20, 20),
}


def depth_weight(limit: int) -> int:
    if limit <= 100:
        return 5
    if limit <= 500:
        return 25
    if limit <= 1000:
        return 50
    return 250


def request_weight(method: str, path: str, query: dict[str, str]) -> int:
    if path == "/api/v3/depth":
        raw = query.get("limit", "100")
        return depth_weight(int(raw)) if raw.isdigit() else 5
    if path == "/api/v3/myTrades" and query.get("orderId"):
        return 5
    with_symbol, without_symbol = _WEIGHTS.get((method, path), (1, 1))
    has_symbol = bool(query.get("symbol") or query.get("symbols"))
    return with_symbol if has_symbol else without_symbol


@dataclass
class UsedWeight:
    """Fixed one-minute window of used weight, like ``X-MBX-USED-WEIGHT-1M``."""

    window_start_ms: int = 0
    used: int = 0

    def add(self, weight: int, now_ms: int) -> int:
        minute = now_ms - now_ms % 60_000
        if minute != self.window_start_ms:
            self.window_start_ms = minute
            self.used = 0
        self.used += weight
        return self.used


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
