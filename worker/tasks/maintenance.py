"""Periodic recovery: stalled jobs, open orders to reconcile, intents with no live job.

Periodic deferrals are deduplicated by procrastinate across worker processes, so each
runs once per tick however many workers there are.
"""

from __future__ import annotations

from uuid import UUID

import structlog
from procrastinate import Blueprint, JobContext
from procrastinate.exceptions import UniqueViolation
from procrastinate.jobs import Status

from shared.db.pool import transaction
from shared.jobs import (
    ALL_QUEUES,
    APPLY_KILL_SWITCH,
    CANCEL_ORDER,
    MAINTENANCE_QUEUE,
    PLACE_ORDER,
    PLACE_ORDER_LIST,
    RECONCILE_CREDENTIAL,
    REFRESH_BALANCES,
    balances_queueing_lock,
    defer,
    defer_once,
    order_list_lock,
    order_lock,
    reconcile_queueing_lock,
)
from shared.metrics import QUEUE_DEPTH
from shared.orders.cancel import cancel_orders_in_kill_switch_scope
from shared.repositories import order_pipeline as pipeline
from shared.repositories import stats as stats_repo
from shared.repositories.balances import credentials_of_running_bots
from shared.repositories.health import ready_jobs_per_queue
from shared.repositories.kill_switches import stop_bots_covered_by_kill_switches
from shared.repositories.order_lists import order_lists_without_live_job
from worker.context import worker_context
from worker.retry import PIPELINE_RETRY
from worker.tasks._jobs import job_log_context

log = structlog.get_logger(__name__)
blueprint = Blueprint()
ORPHAN_AGE_S = 30
# How far back the sweep looks for orders missing fills (older ones: the gap close of a
# stream's next connect looks back a day).
MISSING_FILLS_SWEEP_S = 600.0


# Every 5 s: with the 6 s stall timeout, a lost worker's jobs run again within ~12 s.
@blueprint.periodic(cron="* * * * * */5", periodic_id="retry_stalled_jobs")
@blueprint.task(name="retry_stalled_jobs", queue=MAINTENANCE_QUEUE, pass_context=True)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
    """A SIGKILLed worker leaves its jobs in `doing`; procrastinate does not re-queue them
    by itself. Jobs whose worker stopped beating are put back to `todo`."""
    ctx = worker_context(context)
    manager = ctx.job_app.job_manager
    stalled = list(
        await manager.get_stalled_jobs(seconds_since_heartbeat=ctx.settings.worker_stalled_after_s)
    )
    for job in stalled:
        log.warning("re-queueing stalled job", job_id=job.id, task=job.task_name)
        try:
            await manager.retry_job(job)
        except UniqueViolation:
            # An equal job with the same queueing lock is already queued (e.g. the
            # reconcile sweep's next one): it does this job's work. Retire the stalled
            # copy instead of failing the whole pass and leaving it `doing` forever.
            log.warning("stalled job superseded by a queued twin", job_id=job.id)
            await manager.finish_job(job, status=Status.ABORTED, delete_job=False)
    return len(stalled)


@blueprint.periodic(cron="* * * * * */5", periodic_id="reconcile_sweep")
@blueprint.task(name="reconcile_sweep", queue=MAINTENANCE_QUEUE, pass_context=True)
async def reconcile_sweep(context: JobContext, timestamp: int) -> int:
    """One reconciliation job per credential with open orders not looked at lately (and a
    user-data stream not live), or with a recent order missing fills."""
    ctx = worker_context(context)
    deferred = 0
    async with transaction(ctx.pool) as conn:
        due = {
            c.credential_id
            for c in await pipeline.credentials_with_live_orders(
                conn, min_age_s=ctx.settings.reconcile_interval_s
            )
        }
        # Whatever path their fills took (a stream included): an order whose fills add up
        # to less than its filled amount gets its trades fetched.
        due |= set(
            await pipeline.credentials_missing_fills(
                conn, within_s=MISSING_FILLS_SWEEP_S, min_age_s=ctx.settings.reconcile_interval_s
            )
        )
        for credential_id in sorted(due):
            deferred += await defer_once(
                ctx.job_app,
                conn,
                RECONCILE_CREDENTIAL,
                queueing_lock=reconcile_queueing_lock(credential_id),
                credential_id=str(credential_id),
            )
    return deferred


@blueprint.periodic(cron="* * * * * */30", periodic_id="redefer_orphan_orders")
@blueprint.task(name="redefer_orphan_orders", queue=MAINTENANCE_QUEUE, pass_context=True)
async def redefer_orphan_orders(context: JobContext, timestamp: int) -> int:
    """Belt and braces: an accepted (or cancel-requested) order, or an order list not yet
    at the venue, with no pending job."""
    ctx = worker_context(context)
    async with transaction(ctx.pool) as conn:
        orphans = await pipeline.orders_without_live_job(conn, min_age_s=ORPHAN_AGE_S, limit=500)
        for orphan in orphans:
            kind = PLACE_ORDER if orphan.task_name == PLACE_ORDER.task_name else CANCEL_ORDER
            log.warning(
                "re-deferring an order with no live job",
                order_id=str(orphan.id),
                task=orphan.task_name,
            )
            await defer(
                ctx.job_app, conn, kind, lock=order_lock(orphan.id), order_id=str(orphan.id)
            )
        orphan_lists = await order_lists_without_live_job(conn, min_age_s=ORPHAN_AGE_S, limit=500)
        for list_id in orphan_lists:
            log.warning("re-deferring an order list with no live job", order_list_id=str(list_id))
            await defer(
                ctx.job_app, conn, PLACE_ORDER_LIST, lock=order_list_lock(list_id),
                order_list_id=str(list_id),
            )  # fmt: skip
    return len(orphans) + len(orphan_lists)


@blueprint.periodic(cron="* * * * * */10", periodic_id="sample_queue_depth")
@blueprint.task(name="sample_queue_depth", queue=MAINTENANCE_QUEUE, pass_context=True)
async def sample_queue_depth(context: JobContext, timestamp: int) -> int:
    """Ready jobs per queue, for the worker's metrics (a cheap count on the todo index)."""
    async with transaction(worker_context(context).pool) as conn:
        depths = await ready_jobs_per_queue(conn)
    for queue in ALL_QUEUES:
        QUEUE_DEPTH.labels(queue).set(depths.get(queue, 0))
    return sum(depths.values())


@blueprint.periodic(cron="* * * * *", periodic_id="refresh_running_bot_balances")
@blueprint.task(name="refresh_running_bot_balances", queue=MAINTENANCE_QUEUE, pass_context=True)
async def refresh_running_bot_balances(context: JobContext, timestamp: int) -> int:
    """Running bots' credentials get a balance refresh every minute (one pending each)."""
    deferred = 0
    async with transaction(worker_context(context).pool) as conn:
        for credential_id in await credentials_of_running_bots(conn):
            deferred += await defer_once(
                worker_context(context).job_app,
                conn, REFRESH_BALANCES,
                queueing_lock=balances_queueing_lock(credential_id),
                credential_id=str(credential_id),
            )  # fmt: skip
    return deferred


@blueprint.periodic(cron="* * * * *", periodic_id="stats_maintenance")
@blueprint.task(name="stats_maintenance", queue=MAINTENANCE_QUEUE, pass_context=True)
async def stats_maintenance(context: JobContext, timestamp: int) -> int:
    """Rebuild statistics books a late fill made stale (so reads stay fast), and drop
    minute buckets and checkpoints older than the 24h window needs."""
    async with transaction(worker_context(context).pool) as conn:
        rebuilt = await stats_repo.rebuild_stale_books(conn)
        await stats_repo.prune(conn)
    return rebuilt


@blueprint.task(
    name=APPLY_KILL_SWITCH.task_name,
    queue=APPLY_KILL_SWITCH.queue,
    retry=PIPELINE_RETRY,
    pass_context=True,
)
async def apply_kill_switch(context: JobContext, kill_switch_id: str) -> int:
    """Stop the bots in scope and put a cancel intent on every live order in scope, through
    the one cancel path (each order gets its "cancel requested" note)."""
    ctx = worker_context(context)
    with job_log_context(context, kill_switch_id=kill_switch_id):
        async with transaction(ctx.pool) as conn:
            await stop_bots_covered_by_kill_switches(conn)
            order_ids = await cancel_orders_in_kill_switch_scope(
                conn,
                ctx.job_app,
                kill_switch_id=UUID(kill_switch_id),
                requested_by=f"kill switch {kill_switch_id}",
            )
    return len(order_ids)
