"""Order tasks. Args are ids only; the row in Postgres is the truth."""

from __future__ import annotations

from uuid import UUID

from procrastinate import Blueprint, JobContext

from shared.jobs import (
    CANCEL_ORDER,
    PLACE_ORDER,
    PLACE_ORDER_LIST,
    RECONCILE_CREDENTIAL,
    RECONCILE_ORDER,
)
from worker.context import worker_context
from worker.orders.cancellation import cancel_order
from worker.orders.list_placement import place_order_list
from worker.orders.placement import place_order
from worker.orders.reconciliation import reconcile_credential, reconcile_order
from worker.retry import PIPELINE_RETRY
from worker.tasks._jobs import job_log_context

blueprint = Blueprint()


@blueprint.task(
    name=PLACE_ORDER.task_name, queue=PLACE_ORDER.queue, retry=PIPELINE_RETRY, pass_context=True
)
async def place_order_task(context: JobContext, order_id: str) -> str:
    with job_log_context(context, order_id=order_id) as job_id:
        return await place_order(worker_context(context), UUID(order_id), job_id)


@blueprint.task(
    name=PLACE_ORDER_LIST.task_name,
    queue=PLACE_ORDER_LIST.queue,
    retry=PIPELINE_RETRY,
    pass_context=True,
)
async def place_order_list_task(context: JobContext, order_list_id: str) -> str:
    with job_log_context(context, order_list_id=order_list_id) as job_id:
        return await place_order_list(worker_context(context), UUID(order_list_id), job_id)


@blueprint.task(
    name=CANCEL_ORDER.task_name, queue=CANCEL_ORDER.queue, retry=PIPELINE_RETRY, pass_context=True
)
async def cancel_order_task(context: JobContext, order_id: str) -> str:
    with job_log_context(context, order_id=order_id) as job_id:
        return await cancel_order(worker_context(context), UUID(order_id), job_id)


@blueprint.task(
    name=RECONCILE_ORDER.task_name,
    queue=RECONCILE_ORDER.queue,
    retry=PIPELINE_RETRY,
    pass_context=True,
)
async def reconcile_order_task(context: JobContext, order_id: str) -> str:
    with job_log_context(context, order_id=order_id) as job_id:
        return await reconcile_order(worker_context(context), UUID(order_id), job_id)


# No retry strategy: the job has a queueing lock, so a retry could collide with the twin
# the sweep queued meanwhile; the sweep is its retry (worker.orders.reconciliation).
@blueprint.task(
    name=RECONCILE_CREDENTIAL.task_name, queue=RECONCILE_CREDENTIAL.queue, pass_context=True
)
async def reconcile_credential_task(context: JobContext, credential_id: str) -> int:
    with job_log_context(context, credential_id=credential_id) as job_id:
        return await reconcile_credential(worker_context(context), UUID(credential_id), job_id)
