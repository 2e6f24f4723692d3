"""bot_tick(bot_id): a running bot is a chain of these, one pending per bot."""

from __future__ import annotations

from uuid import UUID

from procrastinate import Blueprint, JobContext

from shared.jobs import BOT_TICK
from worker.bots.tick import run_tick
from worker.context import worker_context
from worker.retry import PIPELINE_RETRY
from worker.tasks._jobs import job_log_context

blueprint = Blueprint()


# A failing strategy puts the bot in `error` inside run_tick (no retry); the retry
# strategy only covers a tick that could not even record its failure (database down).
@blueprint.task(
    name=BOT_TICK.task_name, queue=BOT_TICK.queue, retry=PIPELINE_RETRY, pass_context=True
)
async def bot_tick(context: JobContext, bot_id: str) -> str:
    with job_log_context(context, bot_id=bot_id):
        report = await run_tick(worker_context(context), UUID(bot_id))
        return report.outcome
