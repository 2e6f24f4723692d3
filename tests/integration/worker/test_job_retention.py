"""Finished-job retention against the real schema: jobs are written with procrastinate's
own triggers (events as a worker would leave them), then aged by moving their events back
in time. Jobs are created oldest first, as ids grow with deferral time in production."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import psycopg
import pytest

from tests.factories import make_client, make_credential, make_order
from tests.fixtures.fix_worker import WorkerHarness
from worker.app import create_worker_app
from worker.tasks.retention import prune_finished_jobs, prune_finished_jobs_task

RETENTION = timedelta(hours=72)
OLD = 100  # hours ago: past the retention
RECENT = 1

# The transitions a worker's calls make (procrastinate's triggers write the events).
PATHS = {
    "todo": [],
    "doing": ["doing"],
    "succeeded": ["doing", "succeeded"],
    "failed": ["doing", "failed"],
    "aborted": ["doing", "aborted"],
    "cancelled": ["cancelled"],
}


async def make_job(conn: psycopg.AsyncConnection, status: str, hours_ago: float) -> int:
    """A job that went through the usual transitions, every event `hours_ago` in the past."""
    cur = await conn.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args)"
        " VALUES ('orders', 'place_order', '{}') RETURNING id"
    )
    row = await cur.fetchone()
    assert row is not None
    job_id = int(row[0])
    for step in PATHS[status]:
        await conn.execute(
            "UPDATE procrastinate_jobs SET status = %s WHERE id = %s", (step, job_id)
        )
    await age(conn, job_id, hours_ago)
    return job_id


async def age(conn: psycopg.AsyncConnection, job_id: int, hours_ago: float) -> None:
    await conn.execute(
        "UPDATE procrastinate_events SET at = now() - make_interval(hours => %s) WHERE job_id = %s",
        (hours_ago, job_id),
    )


async def remaining(conn: psycopg.AsyncConnection) -> set[int]:
    cur = await conn.execute("SELECT id FROM procrastinate_jobs")
    return {int(r[0]) for r in await cur.fetchall()}


async def count(conn: psycopg.AsyncConnection, statement: str) -> int:
    cur = await conn.execute(statement)
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_old_finished_jobs_go_recent_and_unfinished_ones_stay(
    db_conn: psycopg.AsyncConnection,
) -> None:
    old_finished = [
        await make_job(db_conn, status, OLD)
        for status in ("succeeded", "failed", "cancelled", "aborted")
    ]
    old_unfinished = [await make_job(db_conn, status, OLD * 10) for status in ("todo", "doing")]
    recent = [await make_job(db_conn, status, RECENT) for status in ("succeeded", "failed")]
    # Business history that names a job (informally, no foreign key) is not pruned.
    client_id = await make_client(db_conn)
    order_id = await make_order(db_conn, client_id, await make_credential(db_conn, client_id))
    await db_conn.execute(
        "INSERT INTO order_events (order_id, kind, to_status, job_id)"
        " VALUES (%s, 'status_change', 'accepted', %s)",
        (order_id, old_finished[0]),
    )

    outcome = await prune_finished_jobs(db_conn, older_than=RETENTION)

    assert outcome.deleted == 4
    assert outcome.complete
    assert await remaining(db_conn) == set(old_unfinished + recent)
    orphans = await count(
        db_conn,
        "SELECT count(*) FROM procrastinate_events e"
        " WHERE NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.id = e.job_id)",
    )
    assert orphans == 0
    assert await count(db_conn, "SELECT count(*) FROM order_events") == 1
    # The ops views still answer, with what is left.
    assert await count(db_conn, "SELECT count(*) FROM ops.failed_jobs") == 1
    assert await count(db_conn, "SELECT count(*) FROM ops.order_pipeline") == 1

    # Nothing else qualifies: a second run deletes nothing.
    assert (await prune_finished_jobs(db_conn, older_than=RETENTION)).deleted == 0


async def test_todo_and_doing_jobs_are_never_deleted_whatever_their_age(
    db_conn: psycopg.AsyncConnection,
) -> None:
    kept = [await make_job(db_conn, status, 24 * 365) for status in ("todo", "doing")]
    await make_job(db_conn, "succeeded", 24 * 365)
    outcome = await prune_finished_jobs(db_conn, older_than=timedelta(0))
    assert outcome.deleted == 1
    assert await remaining(db_conn) == set(kept)


async def test_a_failed_job_retried_lately_counts_from_its_last_finish(
    db_conn: psycopg.AsyncConnection,
) -> None:
    failed_long_ago = await make_job(db_conn, "failed", OLD)
    retried = await make_job(db_conn, "failed", OLD)
    # An operator retried it an hour ago (failed -> todo), and it failed again.
    for step in ("todo", "doing", "failed"):
        await db_conn.execute(
            "UPDATE procrastinate_jobs SET status = %s WHERE id = %s", (step, retried)
        )
    await db_conn.execute(
        "UPDATE procrastinate_events SET at = now() - interval '1 hour'"
        " WHERE job_id = %s AND at > now() - interval '1 minute'",
        (retried,),
    )

    assert (await prune_finished_jobs(db_conn, older_than=RETENTION)).deleted == 1
    assert await remaining(db_conn) == {retried}
    assert failed_long_ago not in await remaining(db_conn)


async def test_batches_are_bounded_and_the_walk_stops_at_the_cutoff(
    db_conn: psycopg.AsyncConnection,
) -> None:
    old = [await make_job(db_conn, "succeeded", OLD) for _ in range(12)]
    recent = [await make_job(db_conn, "succeeded", RECENT) for _ in range(12)]

    outcome = await prune_finished_jobs(db_conn, older_than=RETENTION, batch_size=5)

    assert outcome.deleted == len(old)
    assert await remaining(db_conn) == set(recent)
    # Batches of 5 ids: 1-5, 6-10, then 11-15 ends on a job deferred after the cut-off,
    # where the walk stops instead of reading every recent job.
    assert (outcome.batches, outcome.scanned) == (3, 15)
    assert outcome.complete


async def test_the_time_budget_stops_a_run_and_the_next_one_carries_on(
    db_conn: psycopg.AsyncConnection,
) -> None:
    for _ in range(7):
        await make_job(db_conn, "succeeded", OLD)

    first = await prune_finished_jobs(db_conn, older_than=RETENTION, batch_size=3, time_budget_s=0)
    assert (first.batches, first.deleted, first.complete) == (1, 3, False)
    second = await prune_finished_jobs(db_conn, older_than=RETENTION, batch_size=3)
    assert (second.deleted, second.complete) == (4, True)
    assert await remaining(db_conn) == set()


async def test_a_connection_inside_a_transaction_is_refused(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await conn.execute("SELECT 1")  # opens a transaction (not autocommit)
        with pytest.raises(ValueError, match="idle connection"):
            await prune_finished_jobs(conn, older_than=RETENTION)


def test_the_task_is_registered_as_a_periodic_maintenance_task() -> None:
    app = create_worker_app()
    assert ("prune_finished_jobs", "prune_finished_jobs") in app.periodic_registry.periodic_tasks
    assert app.tasks["prune_finished_jobs"].queue == "maintenance"


async def test_the_periodic_task_follows_the_setting_and_zero_disables_it(
    worker: WorkerHarness,
) -> None:
    async with worker.pool.connection() as conn:
        job_id = await make_job(conn, "succeeded", OLD)
    settings = worker.ctx.settings
    task = worker.task_context("prune_finished_jobs")  # reads worker.ctx.settings per call
    try:
        worker.ctx.settings = dataclasses.replace(settings, job_retention_hours=0)
        assert await prune_finished_jobs_task(task, timestamp=0) == 0
        assert await worker.fetch("SELECT id FROM procrastinate_jobs") == [(job_id,)]

        worker.ctx.settings = dataclasses.replace(settings, job_retention_hours=OLD + 1)
        assert await prune_finished_jobs_task(task, timestamp=0) == 0

        worker.ctx.settings = dataclasses.replace(settings, job_retention_hours=72)
        assert await prune_finished_jobs_task(task, timestamp=0) == 1
        assert await worker.fetch("SELECT id FROM procrastinate_jobs") == []
    finally:
        worker.ctx.settings = settings
