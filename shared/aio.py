"""The event loop every tradebridge process runs on.

uvloop where it is available (Linux and macOS; uvicorn already runs the web on it): each
psycopg round trip registers and removes a reader on the loop, and a profile of a busy
worker showed the default loop's selector bookkeeping as a large share of its CPU.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - platforms without uvloop (Windows)
        return asyncio.run(main)
    return uvloop.run(main)
