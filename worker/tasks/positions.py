"""watch_position(position_id): an open position is a chain of these, one pending each."""

from __future__ import annotations

from uuid import UUID

from procrastinate import Blueprint, JobContext

from shared.jobs import WATCH_POSITION
from worker.context import worker_context
from worker.positions.watch import watch_position as run_watch
from worker.retry import PIPELINE_RETRY
from worker.tasks._jobs import job_log_context

blueprint = Blueprint()


# The retry strategy re-runs a step that failed (database or credential trouble): the
# step is idempotent, and a position must not stay unwatched after one failure.
@blueprint.task(
    name=WATCH_POSITION.task_name, queue=WATCH_POSITION.queue, retry=PIPELINE_RETRY,
    pass_context=True,
)  # fmt: skip
async def watch_position(context: JobContext, position_id: str) -> str:
    with job_log_context(context, position_id=position_id):
        report = await run_watch(worker_context(context), UUID(position_id))
        return report.outcome
