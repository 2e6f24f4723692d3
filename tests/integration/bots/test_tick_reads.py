"""Where a bot tick gets its balances: the stored snapshot while the credential's
user-data stream is live or while the snapshot is young; the venue (REST, then stored)
only when neither holds."""

from __future__ import annotations

import dataclasses
from uuid import UUID

from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.bots.support import new_bot, settle
from worker.bots.tick import run_tick

SPREAD = {"spread_bps": "20", "order_size": "0.01", "levels": 1, "refresh_interval_s": 3600}
ACCOUNT_CALL = "GET /api/v3/account"


async def _account_calls(worker: WorkerHarness, api_key: str) -> int:
    return (await worker.paper.request_counts(api_key=api_key)).get(ACCOUNT_CALL, 0)


async def _credential_of(worker: WorkerHarness, bot_id: UUID) -> UUID:
    rows = await worker.fetch("SELECT credential_id FROM bots WHERE id = %s", bot_id)
    return UUID(str(rows[0][0]))


async def _age_snapshot(worker: WorkerHarness, credential_id: UUID, seconds: int) -> None:
    async with worker.pool.connection() as conn:
        await conn.execute(
            "UPDATE balances SET fetched_at = fetched_at - make_interval(secs => %s)"
            " WHERE credential_id = %s",
            (seconds, credential_id),
        )


async def test_a_young_snapshot_is_read_an_old_one_is_refreshed_from_the_venue(
    bots: WorkerHarness,
) -> None:
    bots.ctx.settings = dataclasses.replace(bots.ctx.settings, balance_max_age_s=5)
    account = await bots.paper.create_account({"BTC": "1", "USDT": "60000"})
    _, bot_id = await new_bot(bots, account, SPREAD)
    await settle(bots)  # the first tick (and maybe the minute refresh) fetched and stored them
    credential_id = await _credential_of(bots, bot_id)
    first = await _account_calls(bots, account.api_key)
    assert first >= 1

    await run_tick(bots.ctx, bot_id)
    assert await _account_calls(bots, account.api_key) == first  # young: read from the database

    await _age_snapshot(bots, credential_id, 60)
    await run_tick(bots.ctx, bot_id)
    assert await _account_calls(bots, account.api_key) == first + 1
    rows = await bots.fetch(
        "SELECT min(fetched_at) > now() - interval '5 seconds' FROM balances"
        " WHERE credential_id = %s",
        credential_id,
    )
    assert rows == [(True,)]  # the answer was stored for the credential's other bots


async def test_with_a_live_stream_an_old_snapshot_is_read_without_asking_the_venue(
    bots: WorkerHarness,
) -> None:
    bots.ctx.settings = dataclasses.replace(bots.ctx.settings, balance_max_age_s=5)
    account = await bots.paper.create_account({"BTC": "1", "USDT": "60000"})
    _, bot_id = await new_bot(bots, account, SPREAD)
    await settle(bots)
    credential_id = await _credential_of(bots, bot_id)
    await _age_snapshot(bots, credential_id, 600)
    # The credential's stream is live under a valid lease (its owner keeps the snapshot
    # current from balance events).
    async with bots.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO user_streams (credential_id, owner, lease_expires_at, state)"
            " VALUES (%s, 'another-worker', now() + interval '1 minute', 'live')",
            (credential_id,),
        )
    before = await _account_calls(bots, account.api_key)
    await run_tick(bots.ctx, bot_id)
    assert await _account_calls(bots, account.api_key) == before
