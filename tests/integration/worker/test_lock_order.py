"""Row locks on `orders` are taken in one order everywhere (by id), so reconciling a
credential never deadlocks with a cancel over many orders (bot stop/archive, kill switch).

Before the fix, reconcile_credential locked its orders one by one in (symbol, created_at)
order while the cancel UPDATEs locked theirs in scan order: run together over the same
orders, Postgres detected a deadlock in nearly every round (10 of the first 11 rounds in
one run, the first round in every run tried)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from uuid import UUID

import pytest
from psycopg.errors import DeadlockDetected

from shared.bots import lifecycle
from shared.db.pool import transaction
from shared.domain import BotKind, KillSwitchScope, OrderType
from shared.orders.cancel import cancel_open_orders_of_bot
from shared.repositories.kill_switches import (
    insert_kill_switch,
    request_cancel_of_orders_in_scope,
)
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from worker.orders.reconciliation import reconcile_credential

pytestmark = pytest.mark.slow  # a concurrency stress run (~10 s)

ORDERS = 60
ROUNDS = 12
SPREAD = {"spread_bps": "20", "order_size": "0.01"}


async def many_open_orders(worker: WorkerHarness, account: PaperAccount) -> tuple[UUID, UUID, UUID]:
    """(client, credential, bot): ORDERS orders marked open at the venue, created in an
    order that has nothing to do with their ids or where they sit in the table."""
    client_id, credential_id = await worker.client_with_credential(account)
    async with worker.pool.connection() as conn:
        bot = await lifecycle.create_bot(
            conn, client_id=client_id, name=f"bot-{uuid.uuid4().hex[:6]}", kind=BotKind.SPREAD,
            credential_id=credential_id, symbol="BTC/USDT", config=SPREAD,
        )  # fmt: skip
    for _ in range(ORDERS):
        await worker.submit(
            client_id, credential_id, type=OrderType.LIMIT, amount="0.01", price="30000"
        )
    async with worker.pool.connection() as conn:
        # Never sent: these orders are only rows to lock (their jobs never run here).
        await conn.execute("DELETE FROM procrastinate_jobs WHERE task_name = 'place_order'")
        await conn.execute(
            """UPDATE orders
               SET status = 'open', bot_id = %(bot_id)s,
                   exchange_order_id = (900000000000 + (random() * 1e9)::bigint)::text,
                   created_at = now() - random() * interval '1 hour'
               WHERE credential_id = %(credential_id)s""",
            {"bot_id": bot.id, "credential_id": credential_id},
        )
    return client_id, credential_id, bot.id


async def test_reconcile_and_cancels_over_many_orders_never_deadlock(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id, bot_id = await many_open_orders(worker, paper_account)
    async with worker.pool.connection() as conn:
        switch = await insert_kill_switch(
            conn, KillSwitchScope.CLIENT, client_id=client_id, bot_id=None, engaged_by="test",
            reason="lock order test",
        )  # fmt: skip

    async def cancel_bot_orders() -> None:
        async with transaction(worker.pool) as conn:
            await cancel_open_orders_of_bot(
                conn, worker.app, client_id=client_id, bot_id=bot_id, requested_by="test"
            )

    async def kill_switch_cancels() -> None:
        async with transaction(worker.pool) as conn:
            await request_cancel_of_orders_in_scope(conn, switch.id)

    rng = random.Random(7)
    for round_number in range(ROUNDS):
        cancel = cancel_bot_orders if round_number % 2 == 0 else kill_switch_cancels

        results = await asyncio.gather(
            reconcile_credential(worker.ctx, credential_id),
            a_moment_later(cancel, rng.uniform(0.0, 0.02)),  # while the reconcile locks
            return_exceptions=True,
        )
        deadlocks = [r for r in results if isinstance(r, DeadlockDetected)]
        assert deadlocks == [], (round_number, results)
        assert not any(isinstance(r, BaseException) for r in results), (round_number, results)
        async with worker.pool.connection() as conn:  # ready for the next round
            await conn.execute(
                "UPDATE orders SET cancel_requested_at = NULL WHERE credential_id = %s",
                (credential_id,),
            )
            await conn.execute("DELETE FROM procrastinate_jobs WHERE task_name = 'cancel_order'")


async def a_moment_later(run: Callable[[], Awaitable[None]], delay_s: float) -> None:
    await asyncio.sleep(delay_s)
    await run()
