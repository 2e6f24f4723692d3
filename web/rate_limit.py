"""Per-client rate limit: an in-process token bucket keyed by client id.

Each web process keeps its own buckets, so N replicas admit up to N times the limit; the
limit protects the database from one runaway client, it is not a billing meter.
Capacity is the per-minute limit (a client may burst that much), refilled continuously.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def acquire(self, key: str) -> int | None:
        """None if the request may proceed, else the seconds to wait (for Retry-After)."""
        if not self.enabled:
            return None
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=float(self.per_minute), updated=now)
        else:
            bucket.tokens = min(
                float(self.per_minute), bucket.tokens + (now - bucket.updated) * self._rate
            )
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / self._rate))
