"""The job contract between web and worker: task names, queues, and deferring on the
caller's connection.

The web defers jobs *by name* (it never imports the worker's task code), inside the
transaction that writes the intent: `defer(...)` runs its INSERT on the connection it is
given, so the intent row and the job row commit or roll back together. Jobs carry ids
only — never amounts, never secrets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from psycopg import AsyncConnection


@dataclass(frozen=True)
class JobKind:
    task_name: str
    queue: str


# Queues split by urgency, so a backlog of balance refreshes never delays an order.
ORDERS_QUEUE = "orders"
BOTS_QUEUE = "bots"
ACCOUNTS_QUEUE = "accounts"
MAINTENANCE_QUEUE = "maintenance"
ALL_QUEUES = (ORDERS_QUEUE, BOTS_QUEUE, ACCOUNTS_QUEUE, MAINTENANCE_QUEUE)

PLACE_ORDER = JobKind("place_order", ORDERS_QUEUE)
CANCEL_ORDER = JobKind("cancel_order", ORDERS_QUEUE)
RECONCILE_ORDER = JobKind("reconcile_order", ORDERS_QUEUE)
# All open orders of one credential in one pass (one open-orders call per symbol).
RECONCILE_CREDENTIAL = JobKind("reconcile_credential", ORDERS_QUEUE)
BOT_TICK = JobKind("bot_tick", BOTS_QUEUE)
# One signal → one order intent per subscribed running bot (or the reason it got none),
# written by one statement; on the orders queue: a signal is as urgent as an order.
FAN_OUT_SIGNAL = JobKind("fan_out_signal", ORDERS_QUEUE)
# One venue request that places both legs of an OCO order list (a position's exits).
PLACE_ORDER_LIST = JobKind("place_order_list", ORDERS_QUEUE)
# A chain per open position (one pending, queueing lock): protective exits, the trailing
# stop, watched exits, and the close. Runs until the position is closed.
WATCH_POSITION = JobKind("watch_position", BOTS_QUEUE)
REFRESH_BALANCES = JobKind("refresh_balances", ACCOUNTS_QUEUE)
# Stops the bots and cancels the open orders in an engaged kill switch's scope. One job,
# not one per order, so engaging a global switch is a single fast write for the web.
APPLY_KILL_SWITCH = JobKind("apply_kill_switch", ORDERS_QUEUE)


def create_job_app() -> App:
    """A procrastinate App with no connection of its own: each process opens it on its
    pool with `await app.open_async(pool=pool)`."""
    return App(connector=PsycopgConnector())


async def defer(
    app: App,
    conn: AsyncConnection[Any],
    kind: JobKind,
    *,
    queueing_lock: str | None = None,
    lock: str | None = None,
    schedule_in_seconds: float | None = None,
    **args: Any,
) -> int:
    """Insert a job on `conn` (the caller's open transaction); returns the job id."""
    options: dict[str, Any] = {"queue": kind.queue, "connection": conn}
    if queueing_lock is not None:
        options["queueing_lock"] = queueing_lock
    if lock is not None:
        options["lock"] = lock
    if schedule_in_seconds is not None:
        options["schedule_in"] = {"seconds": schedule_in_seconds}
    deferrer = app.configure_task(kind.task_name, **options)
    job_id: int = await deferrer.defer_async(**args)
    return job_id


async def defer_once(
    app: App, conn: AsyncConnection[Any], kind: JobKind, *, queueing_lock: str, **args: Any
) -> bool:
    """Defer unless an equal job is already queued (same queueing lock): False then.
    Runs in a savepoint, so a refused defer leaves the caller's transaction usable."""
    try:
        async with conn.transaction():
            await defer(app, conn, kind, queueing_lock=queueing_lock, **args)
    except AlreadyEnqueued:
        return False
    return True


@dataclass(frozen=True)
class JobToDefer:
    """One job of a batch: its own locks and arguments (ids only)."""

    args: dict[str, Any]
    lock: str | None = None
    queueing_lock: str | None = None


async def defer_many(
    app: App, conn: AsyncConnection[Any], kind: JobKind, jobs: list[JobToDefer]
) -> list[int]:
    """Insert many jobs of one kind on `conn` in one statement (procrastinate's batch
    defer), each with its own locks; returns their ids. A queueing lock already taken
    raises AlreadyEnqueued for the whole batch."""
    if not jobs:
        return []
    batch = [
        Job(
            queue=kind.queue,
            lock=job.lock,
            queueing_lock=job.queueing_lock,
            task_name=kind.task_name,
            task_kwargs=job.args,
        )
        for job in jobs
    ]
    deferred = await app.job_manager.batch_defer_jobs_async(jobs=batch, connection=conn)
    return [job.id for job in deferred if job.id is not None]


def order_lock(order_id: object) -> str:
    """Jobs of one order never run at the same time (place vs cancel vs reconcile)."""
    return f"order:{order_id}"


def order_list_lock(order_list_id: object) -> str:
    """Placements of one order list never run at the same time. A leg's own jobs (cancel,
    reconcile) keep their order lock: while the list is being placed they leave the leg
    to it (worker.orders.list_placement says how)."""
    return f"order-list:{order_list_id}"


def reconcile_queueing_lock(credential_id: object) -> str:
    """At most one pending reconciliation per credential."""
    return f"reconcile:{credential_id}"


def balances_queueing_lock(credential_id: object) -> str:
    """At most one pending balance refresh per credential (API requests and the schedule)."""
    return f"balances:{credential_id}"


def bot_queueing_lock(bot_id: object) -> str:
    """At most one pending tick per bot."""
    return f"bot-tick:{bot_id}"


def bot_lock(bot_id: object) -> str:
    """Ticks of one bot never run at the same time."""
    return f"bot:{bot_id}"


def position_queueing_lock(position_id: object) -> str:
    """At most one pending watch_position per position."""
    return f"position-watch:{position_id}"


def position_lock(position_id: object) -> str:
    """Watches of one position never run at the same time."""
    return f"position:{position_id}"


def signal_queueing_lock(signal_id: object) -> str:
    """At most one fan-out re-deferred by the safety net per signal."""
    return f"signal-fan-out:{signal_id}"
