"""User-data stream leases (shared.repositories.streams): one owner per credential,
a fair split between workers, takeover of a dead owner's leases, rebalancing when a
worker joins, and REST polling resting only while a stream is live."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from shared.repositories import order_pipeline, streams
from shared.repositories.balances import credentials_of_running_bots
from shared.repositories.streams import LeaseTerms, StreamReport
from tests.factories import make_bot, make_client, make_credential, make_order

pytestmark = pytest.mark.asyncio


def terms(worker: str, ttl_s: float = 8.0) -> LeaseTerms:
    return LeaseTerms(worker_id=worker, venues=("binance",), ttl_s=ttl_s, dead_after_s=ttl_s)


async def _credentials_with_running_bots(conn: psycopg.AsyncConnection, n: int) -> list[uuid.UUID]:
    client = await make_client(conn)
    ids = []
    for _ in range(n):
        credential = await make_credential(conn, client)
        await make_bot(conn, client, credential, status="running")
        ids.append(credential)
    return ids


async def _age_worker(conn: psycopg.AsyncConnection, worker: str, seconds: int) -> None:
    """As if the worker had died `seconds` ago: no beat, and its leases expired."""
    await conn.execute(
        "UPDATE stream_workers SET heartbeat_at = now() - make_interval(secs => %(s)s)"
        " WHERE worker_id = %(w)s",
        {"s": seconds, "w": worker},
    )
    await conn.execute(
        "UPDATE user_streams SET lease_expires_at = now() - interval '1 second'"
        " WHERE owner = %(w)s",
        {"w": worker},
    )


async def test_streams_are_wanted_for_running_bots_and_live_orders_only(db_conn) -> None:
    client = await make_client(db_conn)
    with_bot = await make_credential(db_conn, client)
    await make_bot(db_conn, client, with_bot, status="running")
    with_open_order = await make_credential(db_conn, client)
    await make_order(db_conn, client, with_open_order, status="open")
    idle = await make_credential(db_conn, client)
    await make_bot(db_conn, client, idle, status="stopped")
    await make_order(db_conn, client, idle, status="filled")
    native = await make_credential(db_conn, client, exchange="bitmart")
    await make_bot(db_conn, client, native, status="running", exchange="bitmart")

    result = await streams.lease_pass(db_conn, terms("w1"))

    assert result.held == {with_bot, with_open_order}
    assert result.wanted == 2


async def test_two_workers_split_the_credentials_and_never_share_one(db_conn) -> None:
    wanted = await _credentials_with_running_bots(db_conn, 5)
    first = await streams.lease_pass(db_conn, terms("w1"))
    assert first.held == set(wanted)  # alone: all of them

    await streams.lease_pass(db_conn, terms("w2"))  # joins: counted, claims nothing yet
    shed = await streams.lease_pass(db_conn, terms("w1"))  # sheds down to its share
    joined = await streams.lease_pass(db_conn, terms("w2"))  # claims the rest
    again = await streams.lease_pass(db_conn, terms("w1"))

    assert len(again.held) == 3 and len(joined.held) == 2
    assert not (again.held & joined.held)
    assert again.held | joined.held == set(wanted)
    assert shed.released == set(joined.held)
    owners = await db_conn.execute("SELECT count(DISTINCT owner) FROM user_streams")
    assert (await owners.fetchone()) == (2,)


async def test_a_dead_workers_streams_are_taken_over_after_its_lease(db_conn) -> None:
    wanted = await _credentials_with_running_bots(db_conn, 4)
    await streams.lease_pass(db_conn, terms("w1"))
    await streams.lease_pass(db_conn, terms("w2"))
    await streams.lease_pass(db_conn, terms("w1"))
    await streams.lease_pass(db_conn, terms("w2"))

    # w1 is alive and its leases valid: w2 takes nothing of it.
    steady = await streams.lease_pass(db_conn, terms("w2"))
    assert len(steady.held) == 2 and not steady.claimed

    await _age_worker(db_conn, "w1", 30)
    takeover = await streams.lease_pass(db_conn, terms("w2"))

    assert takeover.held == set(wanted)
    assert takeover.workers == 1
    cur = await db_conn.execute("SELECT sum(takeovers) FROM user_streams")
    assert (await cur.fetchone()) == (2,)


async def test_a_worker_that_leaves_hands_its_streams_back_at_once(db_conn) -> None:
    wanted = await _credentials_with_running_bots(db_conn, 2)
    await streams.lease_pass(db_conn, terms("w1"))
    await streams.leave(db_conn, "w1")
    result = await streams.lease_pass(db_conn, terms("w2"))
    assert result.held == set(wanted)
    assert not result.released


async def test_streams_nothing_needs_are_released(db_conn) -> None:
    (credential,) = await _credentials_with_running_bots(db_conn, 1)
    await streams.lease_pass(db_conn, terms("w1"))
    await db_conn.execute("UPDATE bots SET status = 'stopped' WHERE credential_id = %s", (credential,))
    result = await streams.lease_pass(db_conn, terms("w1"))
    assert result.held == set() and result.released == {credential}
    cur = await db_conn.execute(
        "SELECT owner, state FROM user_streams WHERE credential_id = %s", (credential,)
    )
    assert (await cur.fetchone()) == (None, "idle")


async def test_rest_polling_rests_only_while_the_stream_is_live_under_a_valid_lease(
    db_conn,
) -> None:
    (credential,) = await _credentials_with_running_bots(db_conn, 1)
    client = (
        await (
            await db_conn.execute(
                "SELECT client_id FROM exchange_credentials WHERE id = %s", (credential,)
            )
        ).fetchone()
    )[0]
    await make_order(db_conn, client, credential, status="open")
    # Not looked at lately (the updated_at trigger is off for this session's update).
    await db_conn.execute("SET session_replication_role = replica")
    await db_conn.execute("UPDATE orders SET updated_at = now() - interval '1 minute'")
    await db_conn.execute("SET session_replication_role = DEFAULT")

    async def polled() -> tuple[bool, bool]:
        sweep = await order_pipeline.credentials_with_live_orders(db_conn, min_age_s=5)
        balances = await credentials_of_running_bots(db_conn)
        return (
            credential in {c.credential_id for c in sweep},
            credential in balances,
        )

    assert await polled() == (True, True)
    await streams.lease_pass(db_conn, terms("w1"))
    assert await polled() == (True, True)  # connecting: REST still covers it

    assert await streams.report(db_conn, "w1", StreamReport(credential, "live", events=3))
    assert await streams.is_live(db_conn, credential)
    assert await polled() == (False, False)

    assert await streams.report(db_conn, "w1", StreamReport(credential, "down", error="dropped"))
    assert await polled() == (True, True)

    assert await streams.report(db_conn, "w1", StreamReport(credential, "live"))
    await _age_worker(db_conn, "w1", 30)  # the owner died: its live state counts no more
    assert await polled() == (True, True)
    assert not await streams.is_live(db_conn, credential)


async def test_a_report_from_a_worker_that_lost_the_lease_changes_nothing(db_conn) -> None:
    (credential,) = await _credentials_with_running_bots(db_conn, 1)
    await streams.lease_pass(db_conn, terms("w1"))
    await _age_worker(db_conn, "w1", 30)
    await streams.lease_pass(db_conn, terms("w2"))

    assert not await streams.report(db_conn, "w1", StreamReport(credential, "live"))
    (state,) = await streams.states(db_conn, [credential])
    assert state.owner == "w2" and state.state == "connecting"
