"""Egress routes end to end: the real worker places real orders on the paper exchange,
and a local forward proxy records what went through it."""

from __future__ import annotations

import dataclasses
import logging
from uuid import UUID

import pytest
from structlog.testing import capture_logs

from shared.egress import assign_route, create_route
from shared.sealing import load_public_key
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.fixtures.forward_proxy import ForwardProxy, running_ip_echo, running_proxy
from worker.context import job_context_extras
from worker.tasks.egress import check_egress_public_ips

PROXY_USER = "route-user"
PROXY_PASSWORD = "pr0xy-Pa55word-9f3e"


async def make_route(worker: WorkerHarness, name: str, proxy_url: str) -> UUID:
    async with worker.pool.connection() as conn:
        route = await create_route(
            conn,
            name=name,
            proxy_url=proxy_url,
            public_key=load_public_key(worker.keys.public_key_b64),
            key_id=worker.keys.key_id,
        )
    return route.id


async def assign(worker: WorkerHarness, credential_id: UUID, route: str | None) -> None:
    async with worker.pool.connection() as conn:
        await assign_route(conn, credential_id, route)


async def place_and_fill(worker: WorkerHarness, client_id: UUID, credential_id: UUID) -> UUID:
    order_id = await worker.submit(client_id, credential_id, amount="0.001")
    await worker.drain(worker.status_is(order_id, "filled", "rejected", "failed"))
    assert (await worker.order(order_id))["status"] == "filled"
    return order_id


def order_posts(proxy: ForwardProxy, api_key: str) -> int:
    return sum(
        1
        for r in proxy.with_api_key(api_key)
        if r.method == "POST" and r.path.startswith("/api/v3/order")
    )


async def test_an_assigned_credential_trades_through_its_route_and_others_do_not(
    worker: WorkerHarness,
    paper_account: PaperAccount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    other_account = await worker.paper.create_account()
    caplog.set_level(logging.DEBUG)
    async with running_proxy(PROXY_USER, PROXY_PASSWORD) as proxy:
        await make_route(worker, "fra-1", proxy.url)
        client_id, routed = await worker.client_with_credential(paper_account)
        other_client, direct = await worker.client_with_credential(other_account)
        await assign(worker, routed, "fra-1")

        with capture_logs() as logs:
            await place_and_fill(worker, client_id, routed)
            await place_and_fill(worker, other_client, direct)

        # Every signed call of the routed credential went through the proxy, with the
        # route's credentials; the other credential's never did.
        assert order_posts(proxy, paper_account.api_key) == 1
        assert proxy.with_api_key(paper_account.api_key)
        assert proxy.with_api_key(other_account.api_key) == []
        assert proxy.refused == 0
        assert {r.target for r in proxy.requests} == {worker.paper.url.removeprefix("http://")}
        # The venue saw the order from the routed credential once.
        assert len(await worker.paper.orders(api_key=paper_account.api_key)) == 1

        # The routed credential's request budget is the route's; the other's the process's.
        budgets = {row[0] for row in await worker.fetch("SELECT egress FROM venue_request_budgets")}
        assert "route:fra-1" in budgets
        assert worker.settings.egress_id in budgets

        # Reassigning takes effect on the next job: the routed credential goes direct,
        # the other one through the route.
        await assign(worker, routed, None)
        await assign(worker, direct, "fra-1")
        await place_and_fill(worker, client_id, routed)
        await place_and_fill(worker, other_client, direct)
        assert order_posts(proxy, paper_account.api_key) == 1
        assert order_posts(proxy, other_account.api_key) == 1

    # The proxy URL and its password are in no log line and no stored error.
    logged = repr(logs) + caplog.text
    assert PROXY_PASSWORD not in logged
    assert proxy.url not in logged
    stored = await worker.fetch(
        "SELECT coalesce(string_agg(coalesce(last_error_message, '') || message, ''), '')"
        " FROM orders o LEFT JOIN order_events e ON e.order_id = o.id"
        " WHERE o.credential_id = ANY(%s)",
        [routed, direct],
    )
    assert PROXY_PASSWORD not in str(stored)


async def test_an_opened_credential_never_shows_its_proxy_url(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    await make_route(worker, "repr-1", f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:9")
    _, credential_id = await worker.client_with_credential(paper_account)
    await assign(worker, credential_id, "repr-1")
    async with worker.pool.connection() as conn:
        opened = await worker.ctx.vault.open(conn, credential_id)
    assert opened.egress_route == "repr-1"
    assert opened.proxy_url is not None
    assert PROXY_PASSWORD in opened.proxy_url
    assert PROXY_PASSWORD not in repr(opened)


async def test_a_route_whose_proxy_is_down_never_falls_back_to_the_direct_path(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    """A closed port as the proxy: the order does not reach the venue by another IP."""
    async with running_proxy() as proxy:
        dead_port = proxy.port
    await make_route(worker, "dead-1", f"http://127.0.0.1:{dead_port}")
    client_id, credential_id = await worker.client_with_credential(paper_account)
    await assign(worker, credential_id, "dead-1")
    order_id = await worker.submit(client_id, credential_id, amount="0.001")
    # One pass over the ready jobs (a retry is scheduled for later, not run here).
    await worker.app.run_worker_async(
        wait=False, install_signal_handlers=False, concurrency=2, listen_notify=False,
        additional_context=job_context_extras(worker.ctx),
    )  # fmt: skip
    assert (await worker.order(order_id))["status"] in ("accepted", "submitting", "unknown")
    assert await worker.paper.orders(api_key=paper_account.api_key) == []


async def test_public_ip_of_a_route_is_what_an_echo_service_sees_through_it(
    worker: WorkerHarness,
) -> None:
    async with running_ip_echo() as echo_url, running_proxy(PROXY_USER, PROXY_PASSWORD) as proxy:
        await make_route(worker, "echo-1", proxy.url)
        async with running_proxy() as closed:
            dead_port = closed.port
        await make_route(worker, "echo-dead", f"http://u:{PROXY_PASSWORD}@127.0.0.1:{dead_port}")
        before = await worker.fetch(
            "SELECT name, public_ip, last_checked_at FROM egress_routes ORDER BY name"
        )
        assert [(name, ip) for name, ip, _ in before] == [("echo-1", None), ("echo-dead", None)]

        worker.ctx.settings = dataclasses.replace(worker.settings, egress_ip_echo_url=echo_url)
        answered = await check_egress_public_ips(
            worker.task_context("check_egress_public_ips"), timestamp=0
        )

        assert answered == 1
        # The echo service saw the proxy's outbound address (127.0.0.2), not ours.
        assert [r.path for r in proxy.requests] == ["/ip"]
        rows = await worker.fetch(
            "SELECT name, host(public_ip), public_ip_seen_at IS NOT NULL, last_check_error"
            " FROM egress_routes ORDER BY name"
        )
        assert rows[0] == ("echo-1", "127.0.0.2", True, None)
        name, ip, seen, error = rows[1]
        assert (name, ip, seen) == ("echo-dead", None, False)
        assert error
        assert PROXY_PASSWORD not in error


async def test_no_echo_url_means_no_check(worker: WorkerHarness) -> None:
    async with running_proxy() as proxy:
        await make_route(worker, "quiet-1", proxy.url)
        worker.ctx.settings = dataclasses.replace(worker.settings, egress_ip_echo_url="")
        assert await check_egress_public_ips(worker.task_context("check_egress_public_ips"), 0) == 0
        assert proxy.requests == []
