"""How jobs are retried: our own decisions, capped and jittered.

A task raises RetryLater when it knows when to come back (a settle time, Retry-After,
an open breaker); anything else is a bug or an outage and is retried with capped
exponential backoff a bounded number of times, then fails visibly (ops.failed_jobs).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.jobs import Job

MAX_UNEXPECTED_ATTEMPTS = 8
MAX_RETRY_LATER_ATTEMPTS = 10_000  # an order whose outcome is unknown is never dropped
CAP_S = 60.0


class RetryLater(Exception):
    """A signal, not an error: come back after `delay_s`."""

    def __init__(self, reason: str, delay_s: float) -> None:
        super().__init__(f"retry in {delay_s:.1f}s: {reason}")
        self.reason = reason
        self.delay_s = delay_s


def backoff_s(attempts: int, base_s: float = 0.5) -> float:
    """Capped exponential with full jitter on the upper half."""
    ceiling = min(CAP_S, base_s * 2.0 ** min(attempts, 16))
    jitter: float = random.random()  # noqa: S311 - jitter, not a secret
    return ceiling / 2 + jitter * ceiling / 2


class PipelineRetryStrategy(BaseRetryStrategy):
    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, RetryLater):
            if job.attempts >= MAX_RETRY_LATER_ATTEMPTS:
                return None
            delay = min(max(exception.delay_s, 0.05), CAP_S)
        elif isinstance(exception, Exception):
            if job.attempts >= MAX_UNEXPECTED_ATTEMPTS:
                return None
            delay = backoff_s(job.attempts)
        else:
            return None
        return RetryDecision(retry_at=datetime.now(UTC) + timedelta(seconds=delay))


PIPELINE_RETRY = PipelineRetryStrategy()
