"""The venue's clock (milliseconds since the epoch, like Binance's timestamps)."""

from __future__ import annotations

import time


def now_ms() -> int:
    return int(time.time() * 1000)
