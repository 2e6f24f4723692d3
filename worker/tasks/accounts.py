from __future__ import annotations

from uuid import UUID

from procrastinate import Blueprint, JobContext

from shared.jobs import REFRESH_BALANCES
from worker.accounts import refresh_balances
from worker.context import worker_context
from worker.tasks._jobs import job_log_context

blueprint = Blueprint()


@blueprint.task(name=REFRESH_BALANCES.task_name, queue=REFRESH_BALANCES.queue, pass_context=True)
async def refresh_balances_task(context: JobContext, credential_id: str) -> str:
    with job_log_context(context, credential_id=credential_id):
        return await refresh_balances(worker_context(context), UUID(credential_id))
