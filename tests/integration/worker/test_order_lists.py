"""OCO order lists through the exactly-once pipeline: place_order_list with the real
worker, real Postgres and the paper exchange's Binance OCO over HTTP through ccxt. Every
test checks the venue's own books, not just ours."""

from __future__ import annotations

from decimal import Decimal as D
from uuid import UUID

import pytest

from shared.orders.cancel import request_cancel
from shared.orders.intents import IdempotencyKeyReused
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.worker.oco_helpers import (
    OCO_POST,
    VENUE_SYMBOL,
    assert_one_list_at_venue,
    leg_calls,
    legs_are,
    open_oco,
    order_list_row,
    prices_around_mid,
    submit_oco,
    venue_legs,
)
from worker.orders.reconciliation import reconcile_credential


async def test_placement_puts_both_legs_at_the_venue_once(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    _, _, prices, outcome = await open_oco(worker, paper_account)

    at_venue = await assert_one_list_at_venue(worker, paper_account, outcome)
    by_type = {o["type"]: o for o in at_venue}
    assert set(by_type) == {"LIMIT_MAKER", "STOP_LOSS_LIMIT"}
    assert D(by_type["LIMIT_MAKER"]["price"]) == prices.take_profit
    assert D(by_type["STOP_LOSS_LIMIT"]["stopPrice"]) == prices.stop
    assert D(by_type["STOP_LOSS_LIMIT"]["price"]) == prices.stop_limit
    assert all(o["side"] == "SELL" and D(o["origQty"]) == 1 for o in at_venue)
    row = await order_list_row(worker, outcome.list_id)
    assert row["attempts"] == 1
    for order_id in (outcome.take_profit_order_id, outcome.stop_order_id):
        calls = await leg_calls(worker, order_id)
        assert [c[:2] for c in calls] == [("create_oco", "ok")], calls
        assert (await worker.order(order_id))["attempts"] == 1
    requests = await worker.paper.request_counts(api_key=paper_account.api_key)
    assert requests.get(OCO_POST) == 1
    assert await worker.fetch(
        "SELECT status, take_profit_status, stop_status FROM ops.order_lists"
        " WHERE order_list_id = %s",
        outcome.list_id,
    ) == [("placed", "open", "open")]


async def test_the_same_key_replays_and_another_request_is_refused(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    prices = await prices_around_mid(worker)
    first = await submit_oco(worker, client_id, credential_id, prices, key="exits-1")
    again = await submit_oco(worker, client_id, credential_id, prices, key="exits-1")
    assert again.replayed
    assert not first.replayed
    assert (again.list_id, again.take_profit_order_id, again.stop_order_id) == (
        first.list_id, first.take_profit_order_id, first.stop_order_id,
    )  # fmt: skip
    with pytest.raises(IdempotencyKeyReused):
        await submit_oco(worker, client_id, credential_id, prices, amount="2", key="exits-1")
    jobs = await worker.fetch(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'place_order_list'"
    )
    assert jobs == [(1,)]
    # The legs have no job of their own, and the orphan sweep never gives them one.
    from shared.repositories.order_pipeline import orders_without_live_job

    async with worker.pool.connection() as conn:
        await conn.execute("UPDATE orders SET updated_at = now() - interval '1 hour'")
        assert await orders_without_live_job(conn, min_age_s=30, limit=10) == []


async def test_the_venue_refusing_the_price_relation_rejects_both_legs(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    prices = await prices_around_mid(worker)
    # A take profit below the market: Binance refuses the list (-2010).
    wrong = type(prices)(
        prices.mid, (prices.mid * D("0.99")).quantize(D("0.01")), prices.stop, prices.stop_limit
    )
    outcome = await submit_oco(worker, client_id, credential_id, wrong)
    await worker.drain(legs_are(worker, outcome, "rejected"))

    row = await order_list_row(worker, outcome.list_id)
    assert row["status"] == "rejected"
    assert row["last_error_code"] == "-2010"
    for order_id in (outcome.take_profit_order_id, outcome.stop_order_id):
        calls = await leg_calls(worker, order_id)
        assert [c[:2] for c in calls] == [("create_oco", "permanent")]
        assert "relationship of the prices" in (calls[0][2] or "")
        assert (await worker.order(order_id))["last_error_code"] == "-2010"
    assert await venue_legs(worker, paper_account, outcome) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "posts"),
    [
        ("accept_then_drop", 1),
        ("accept_then_504", 1),
        ("accept_then_hang", 1),
        ("http_503", 2),
        ("drop", 2),
    ],
)
async def test_faults_on_the_send_end_with_one_list_at_the_venue(
    worker: WorkerHarness, paper_account: PaperAccount, fault: str, posts: int
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    await worker.paper.inject_fault(
        fault, "/api/v3/orderList/oco", api_key=paper_account.api_key, hang_s=3
    )
    prices = await prices_around_mid(worker)
    outcome = await submit_oco(worker, client_id, credential_id, prices)
    await worker.drain(legs_are(worker, outcome, "open"), within_s=40)

    await assert_one_list_at_venue(worker, paper_account, outcome)
    requests = await worker.paper.request_counts(api_key=paper_account.api_key)
    assert requests.get(OCO_POST) == posts, requests
    calls = await leg_calls(worker, outcome.stop_order_id)
    assert calls[0][0] == "create_oco", calls
    assert calls[0][1] != "ok", calls
    if posts == 1:  # adopted by the lookup, never sent again
        assert calls[-1][0] == "fetch_order_list", calls
        assert "adopted" in (calls[-1][2] or ""), calls
    else:
        assert calls[-1][:2] == ("create_oco", "ok"), calls


async def test_take_profit_fill_ends_the_stop_leg(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    _, credential_id, prices, outcome = await open_oco(worker, paper_account)

    await worker.paper.set_mid(VENUE_SYMBOL, prices.take_profit * D("1.001"))
    await reconcile_credential(worker.ctx, credential_id)
    take_profit = await worker.order(outcome.take_profit_order_id)
    stop = await worker.order(outcome.stop_order_id)
    assert take_profit["status"] == "filled"
    assert take_profit["filled"] == 1
    # Binance expires the other leg of a list once one leg works (expiryReason OCO_TRIGGER).
    assert stop["status"] == "expired"
    assert stop["filled"] == 0
    fills = await worker.fetch(
        "SELECT price, amount FROM fills WHERE order_id = %s", outcome.take_profit_order_id
    )
    assert fills == [(prices.take_profit, D(1))]


async def test_stop_trigger_fills_the_stop_leg_and_ends_the_take_profit(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    _, credential_id, prices, outcome = await open_oco(worker, paper_account)

    await worker.paper.set_mid(VENUE_SYMBOL, prices.stop * D("0.999"))
    await reconcile_credential(worker.ctx, credential_id)
    stop = await worker.order(outcome.stop_order_id)
    assert stop["status"] == "filled"
    assert stop["filled"] == 1
    assert (await worker.order(outcome.take_profit_order_id))["status"] == "expired"
    venue = {o["type"]: o for o in await venue_legs(worker, paper_account, outcome)}
    assert venue["STOP_LOSS_LIMIT"]["status"] == "FILLED"
    assert venue["LIMIT_MAKER"]["status"] == "EXPIRED"
    filled_at = await worker.fetch(
        "SELECT min(price) FROM fills WHERE order_id = %s", outcome.stop_order_id
    )
    assert filled_at[0][0] >= prices.stop_limit


async def test_canceling_one_leg_cancels_both_and_leaves_no_job_retrying(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, _, _, outcome = await open_oco(worker, paper_account)

    async with worker.pool.connection() as conn, conn.transaction():
        await request_cancel(
            conn, worker.app, client_id=client_id, order_id=outcome.take_profit_order_id,
            requested_by="test",
        )  # fmt: skip
    await worker.drain(worker.status_is(outcome.take_profit_order_id, "canceled"))
    venue = await venue_legs(worker, paper_account, outcome)
    assert {o["status"] for o in venue} == {"CANCELED"}
    # The second leg's cancel meets "unknown order" at the venue: a lookup, then done.
    async with worker.pool.connection() as conn, conn.transaction():
        await request_cancel(
            conn, worker.app, client_id=client_id, order_id=outcome.stop_order_id,
            requested_by="test",
        )  # fmt: skip
    await worker.drain(legs_are(worker, outcome, "canceled"))
    assert await worker.pending_jobs() == 0
    calls = await leg_calls(worker, outcome.stop_order_id)
    assert [c[:2] for c in calls][-2:] == [("cancel_order", "permanent"), ("fetch_order", "ok")]
    assert (await order_list_row(worker, outcome.list_id))["status"] == "placed"


async def test_a_leg_canceled_before_the_send_cancels_the_list_without_a_request(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    prices = await prices_around_mid(worker)
    outcome = await submit_oco(worker, client_id, credential_id, prices)
    async with worker.pool.connection() as conn, conn.transaction():
        await request_cancel(
            conn, worker.app, client_id=client_id, order_id=outcome.stop_order_id,
            requested_by="test",
        )  # fmt: skip
    await worker.drain(legs_are(worker, outcome, "canceled"))
    await worker.drain()  # the leg's cancel job, waiting on the list's, finds it done
    assert await worker.pending_jobs() == 0
    row = await order_list_row(worker, outcome.list_id)
    assert (row["status"], row["reject_reason"]) == ("rejected", "canceled_before_send")
    requests = await worker.paper.request_counts(api_key=paper_account.api_key)
    assert OCO_POST not in requests


async def _engage_client_kill_switch(worker: WorkerHarness, client_id: UUID) -> None:
    from shared import kill_switch
    from shared.domain import KillSwitchScope

    async with worker.pool.connection() as conn, conn.transaction():
        await kill_switch.engage(
            conn, worker.app, KillSwitchScope.CLIENT, client_id=client_id, bot_id=None,
            engaged_by="test", reason="test",
        )  # fmt: skip


async def test_a_kill_switch_rejects_a_list_never_sent(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    client_id, credential_id = await worker.client_with_credential(paper_account)
    prices = await prices_around_mid(worker)
    outcome = await submit_oco(worker, client_id, credential_id, prices)
    await _engage_client_kill_switch(worker, client_id)
    # The switch's sweep asks both legs' cancel; those wait for the list's job.
    await worker.drain(legs_are(worker, outcome, "rejected", "canceled"))
    await worker.drain()

    for order_id in (outcome.take_profit_order_id, outcome.stop_order_id):
        assert (await worker.order(order_id))["reject_reason"] == "kill_switch"
    assert (await order_list_row(worker, outcome.list_id))["reject_reason"] == "kill_switch"
    requests = await worker.paper.request_counts(api_key=paper_account.api_key)
    assert OCO_POST not in requests
    assert await worker.pending_jobs() == 0


@pytest.mark.slow
async def test_a_kill_switch_after_a_lost_answer_looks_up_and_cancels_never_resends(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    """The send's answer is lost (the venue created the list); a kill switch is engaged
    before the retry: the retry only looks the list up, adopts it, and its legs are
    canceled at the venue."""
    from worker.orders.list_placement import place_order_list
    from worker.retry import RetryLater

    client_id, credential_id = await worker.client_with_credential(paper_account)
    await worker.paper.inject_fault(
        "accept_then_504", "/api/v3/orderList/oco", api_key=paper_account.api_key
    )
    prices = await prices_around_mid(worker)
    outcome = await submit_oco(worker, client_id, credential_id, prices)
    with pytest.raises(RetryLater):
        await place_order_list(worker.ctx, outcome.list_id)
    assert (await order_list_row(worker, outcome.list_id))["status"] == "unknown"
    assert len(await venue_legs(worker, paper_account, outcome)) == 2

    await _engage_client_kill_switch(worker, client_id)
    await worker.drain(legs_are(worker, outcome, "canceled"), within_s=40)
    await worker.drain()

    venue = await venue_legs(worker, paper_account, outcome)
    assert {o["status"] for o in venue} == {"CANCELED"}
    requests = await worker.paper.request_counts(api_key=paper_account.api_key)
    assert requests.get(OCO_POST) == 1
    assert (await order_list_row(worker, outcome.list_id))["status"] == "placed"
    assert await worker.pending_jobs() == 0


@pytest.mark.parametrize(("move", "fills", "ends"), [("up", "tp", "sl"), ("down", "sl", "tp")])
async def test_legs_follow_the_user_data_stream_without_polling(
    worker: WorkerHarness, paper_account: PaperAccount, move: str, fills: str, ends: str
) -> None:
    """The leg that works and the leg the venue expires both arrive by stream."""
    from tests.integration.worker.processes import wait_for

    _, credential_id, prices, outcome = await open_oco(worker, paper_account)
    legs = {"tp": outcome.take_profit_order_id, "sl": outcome.stop_order_id}
    async with worker.streaming():
        await wait_for(worker.stream_is(credential_id, "live"), 15, "stream live")
        await worker.paper.clear_request_counts()
        mid = prices.take_profit * D("1.001") if move == "up" else prices.stop * D("0.999")
        await worker.paper.set_mid(VENUE_SYMBOL, mid.quantize(D("0.01")))

        async def settled() -> bool:
            return (await worker.order(legs[fills]))["status"] == "filled" and (
                await worker.order(legs[ends])
            )["status"] == "expired"

        await wait_for(settled, 5, "both legs settled from the stream", every_s=0.02)
        counts = await worker.paper.request_counts(api_key=paper_account.api_key)
    assert not counts, f"REST calls while the stream was live: {counts}"
    via = await worker.fetch(
        "SELECT DISTINCT via FROM order_events WHERE order_id = ANY(%s)"
        " AND kind = 'status_change' AND to_status IN ('filled', 'expired')",
        list(legs.values()),
    )
    assert via == [("stream",)]
    fill_rows = await worker.fetch("SELECT sum(amount) FROM fills WHERE order_id = %s", legs[fills])
    assert fill_rows == [(D(1),)]


async def test_another_clients_credential_is_not_found(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    from shared.errors import NotFoundError

    _, credential_id = await worker.client_with_credential(paper_account)
    other_client, _ = await worker.client_with_credential(paper_account)
    prices = await prices_around_mid(worker)
    with pytest.raises(NotFoundError):
        await submit_oco(worker, other_client, credential_id, prices)
    assert await worker.fetch("SELECT count(*) FROM order_lists") == [(0,)]
