"""What every task does first: bind its ids into the log context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from procrastinate import JobContext


@contextmanager
def job_log_context(context: JobContext, **ids: str) -> Iterator[int | None]:
    job_id = context.job.id if context.job is not None else None
    with structlog.contextvars.bound_contextvars(job_id=job_id, **ids):
        yield job_id
