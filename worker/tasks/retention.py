"""Finished-job retention: procrastinate_jobs and procrastinate_events would otherwise grow
by a few rows for every order, bot tick and periodic task, forever.

Jobs that finished (succeeded, failed, cancelled, aborted) more than
TRADEBRIDGE_JOB_RETENTION_HOURS ago are deleted with their events, in bounded batches,
each its own short transaction; `todo` and `doing` jobs are never touched. order_events
(whose job_id refers to jobs informally, without a foreign key) and fills are the business
history and stay. See sql/queries/retention.sql for how "finished at" is found and why
procrastinate's builtin `remove_old_jobs` is not used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from procrastinate import Blueprint, JobContext
from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus

from shared.jobs import MAINTENANCE_QUEUE
from shared.metrics import JOBS_PRUNED
from shared.repositories import retention
from worker.context import worker_context
from worker.tasks._jobs import job_log_context

log = structlog.get_logger(__name__)
blueprint = Blueprint()

# Rows scanned per statement: each batch's transaction stays in the tens of milliseconds
# and locks only the rows it deletes.
PRUNE_BATCH_SIZE = 5_000
# One periodic run stops after this long and the next run carries on: a first run on a
# table that grew for months must not hold a worker slot for long, nor look stuck
# (ops.stuck_jobs, hence /health/queue, flags jobs running longer than 5 minutes).
PRUNE_TIME_BUDGET_S = 60.0


@dataclass(frozen=True, slots=True)
class PruneOutcome:
    deleted: int
    scanned: int
    batches: int
    seconds: float
    # The longest single batch (statement and commit): how long rows stayed locked.
    longest_batch_s: float
    # False when the time budget ran out before the walk reached the cut-off.
    complete: bool


async def prune_finished_jobs(
    conn: AsyncConnection[Any],
    *,
    older_than: timedelta,
    batch_size: int = PRUNE_BATCH_SIZE,
    time_budget_s: float | None = PRUNE_TIME_BUDGET_S,
) -> PruneOutcome:
    """Delete jobs that finished more than `older_than` ago, `batch_size` scanned rows per
    statement, each batch committed on its own. `conn` must not be inside a transaction
    (a pool connection as borrowed, or an autocommit one)."""
    if conn.info.transaction_status != TransactionStatus.IDLE:
        raise ValueError("prune_finished_jobs commits per batch: give it an idle connection")
    if batch_size <= 0:
        raise ValueError("batch_size must be positive")
    started = time.monotonic()
    async with conn.transaction():
        cutoff = await retention.cutoff(conn, older_than_s=older_than.total_seconds())

    after_id, deleted, scanned, batches, complete, longest = 0, 0, 0, 0, False, 0.0
    while True:
        batch_started = time.monotonic()
        async with conn.transaction():
            batch = await retention.delete_finished_jobs(
                conn, after_id=after_id, batch_size=batch_size, cutoff=cutoff
            )
        longest = max(longest, time.monotonic() - batch_started)
        batches += 1
        scanned += batch.scanned
        deleted += batch.deleted
        JOBS_PRUNED.inc(batch.deleted)
        if batch.last_id is None or batch.scanned < batch_size or batch.reached_cutoff:
            complete = True
            break
        after_id = batch.last_id
        if time_budget_s is not None and time.monotonic() - started >= time_budget_s:
            break
    return PruneOutcome(deleted, scanned, batches, time.monotonic() - started, longest, complete)


@blueprint.periodic(cron="*/10 * * * *", periodic_id="prune_finished_jobs")
@blueprint.task(name="prune_finished_jobs", queue=MAINTENANCE_QUEUE, pass_context=True)
async def prune_finished_jobs_task(context: JobContext, timestamp: int) -> int:
    """Every 10 minutes: delete finished jobs older than the retention (0 disables)."""
    ctx = worker_context(context)
    hours = ctx.settings.job_retention_hours
    if hours <= 0:
        return 0
    with job_log_context(context):
        async with ctx.pool.connection() as conn:
            outcome = await prune_finished_jobs(conn, older_than=timedelta(hours=hours))
    log.info(
        "pruned finished jobs",
        deleted=outcome.deleted,
        scanned=outcome.scanned,
        batches=outcome.batches,
        seconds=round(outcome.seconds, 3),
        longest_batch_s=round(outcome.longest_batch_s, 3),
        complete=outcome.complete,
        retention_hours=hours,
    )
    return outcome.deleted
