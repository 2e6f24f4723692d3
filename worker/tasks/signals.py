"""fan_out_signal(signal_id), and the safety net for signals whose job was lost."""

from __future__ import annotations

from uuid import UUID

import structlog
from procrastinate import Blueprint, JobContext

from shared.db.pool import transaction
from shared.jobs import FAN_OUT_SIGNAL, MAINTENANCE_QUEUE, defer_once, signal_queueing_lock
from shared.repositories import signals as signals_repo
from worker.context import worker_context
from worker.retry import PIPELINE_RETRY
from worker.signals.fan_out import fan_out_signal
from worker.tasks._jobs import job_log_context

log = structlog.get_logger(__name__)
blueprint = Blueprint()
# A fan-out job normally commits within a second of the webhook; one still pending
# after this long lost its job (never deferred by hand-written SQL, failed after its
# retries) or is waiting out a venue outage (the queueing lock then keeps it single).
FAN_OUT_GRACE_S = 30
REDEFER_BATCH = 500


@blueprint.task(
    name=FAN_OUT_SIGNAL.task_name,
    queue=FAN_OUT_SIGNAL.queue,
    retry=PIPELINE_RETRY,
    pass_context=True,
)
async def fan_out_signal_task(context: JobContext, signal_id: str) -> str:
    with job_log_context(context, signal_id=signal_id):
        attempts = context.job.attempts if context.job is not None else 0
        report = await fan_out_signal(worker_context(context), UUID(signal_id), attempts=attempts)
        return report.outcome


@blueprint.periodic(cron="* * * * * */15", periodic_id="redefer_signals_awaiting_fan_out")
@blueprint.task(name="redefer_signals_awaiting_fan_out", queue=MAINTENANCE_QUEUE, pass_context=True)
async def redefer_signals_awaiting_fan_out(context: JobContext, timestamp: int) -> int:
    """Accepted signals not fanned out after the grace get a fan-out job again; the
    queueing lock per signal keeps repeated passes from piling them up, and the fan-out
    itself is idempotent, so a twin of a job still alive costs one read."""
    ctx = worker_context(context)
    deferred = 0
    async with transaction(ctx.pool) as conn:
        for signal_id in await signals_repo.signals_awaiting_fan_out(
            conn, min_age_s=FAN_OUT_GRACE_S, limit=REDEFER_BATCH
        ):
            log.warning("re-deferring a signal not fanned out", signal_id=str(signal_id))
            deferred += await defer_once(
                ctx.job_app, conn, FAN_OUT_SIGNAL,
                queueing_lock=signal_queueing_lock(signal_id), signal_id=str(signal_id),
            )  # fmt: skip
    return deferred
