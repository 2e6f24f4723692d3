"""What every task does around its work: ids in the log context, duration and outcome
in the metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from procrastinate import JobContext

from shared.metrics import JOB_RETRIES, JOB_SECONDS
from worker.retry import RetryLater


@contextmanager
def job_log_context(context: JobContext, **ids: str) -> Iterator[int | None]:
    job_id = context.job.id if context.job is not None else None
    task = context.task.name if context.task is not None else "unknown"
    started = time.perf_counter()
    outcome = "ok"
    try:
        with structlog.contextvars.bound_contextvars(job_id=job_id, **ids):
            yield job_id
    except RetryLater:
        outcome = "retry"
        JOB_RETRIES.labels(task).inc()
        raise
    except Exception:
        outcome = "error"
        raise
    finally:
        JOB_SECONDS.labels(task, outcome).observe(time.perf_counter() - started)
