"""tenacity policy for idempotent reads (order book, balance, order lookup, trades).

Only transient errors are retried, with jittered exponential backoff and a hard stop,
so a read never holds a job for long. An open breaker is not retried here: the job is
re-scheduled instead. Writes (create order) are never retried by this layer — their
retries are the order pipeline's, visible in order_events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from shared.exchange.errors import CircuitOpenError, TransientExchangeError

T = TypeVar("T")


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, TransientExchangeError) and not isinstance(exc, CircuitOpenError)


async def retry_read(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = 3,
    max_delay_s: float = 5.0,
    initial_wait_s: float = 0.1,
) -> T:
    retrying = AsyncRetrying(
        retry=retry_if_exception(_retryable),
        stop=stop_after_attempt(attempts) | stop_after_delay(max_delay_s),
        wait=wait_exponential_jitter(multiplier=initial_wait_s, max=1.0, jitter=initial_wait_s),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await call()
    raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover
