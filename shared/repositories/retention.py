"""Finished-job retention (sql/queries/retention.sql): how "finished at" is found, and
why procrastinate's builtin `remove_old_jobs` is not used, is in the SQL file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from shared.db.statements import fetch_one, fetch_value


@dataclass(frozen=True, slots=True)
class PruneBatch:
    last_id: int | None  # the last job id scanned; None when nothing was left to scan
    scanned: int
    deleted: int
    reached_cutoff: bool  # the batch ended on a job deferred after the cut-off


async def cutoff(conn: AsyncConnection[Any], *, older_than_s: float) -> datetime:
    """The database's clock minus `older_than_s`: one cut-off for a whole pruning run."""
    at: datetime = await fetch_value(conn, "retention_cutoff", older_than_s=older_than_s)
    return at


async def delete_finished_jobs(
    conn: AsyncConnection[Any], *, after_id: int, batch_size: int, cutoff: datetime
) -> PruneBatch:
    """One batch: scan `batch_size` jobs after `after_id`, delete the finished ones."""
    batch = await fetch_one(
        conn,
        PruneBatch,
        "retention_delete_finished_jobs",
        after_id=after_id,
        batch_size=batch_size,
        cutoff=cutoff,
    )
    assert batch is not None  # an aggregate always returns a row
    return batch
