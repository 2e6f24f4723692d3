"""SOCKS5 egress routes carry the traffic: the real worker trades on the paper exchange
through a local SOCKS5 server (tests.fixtures.socks_proxy), with ccxt (aiohttp-socks)
and with a native connector (httpx's socks support), and the route IP check asks
through one. The route setup helpers are the HTTP-proxy tests'."""

from __future__ import annotations

import dataclasses
import gc
import warnings
from urllib.parse import urlsplit

import pytest

from shared.logs import configure_logging
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.fixtures.forward_proxy import running_ip_echo
from tests.fixtures.socks_proxy import running_socks_proxy
from tests.integration.worker.test_egress_routes import assign, make_route, place_and_fill
from worker.context import job_context_extras
from worker.tasks.egress import check_egress_public_ips

SOCKS_USER = "socks-user"
SOCKS_PASSWORD = "s0cks-Pa55word-41c7"
BINANCE_ORDER_POST = b"POST /api/v3/order"
COINSTORE_ORDER_POST = b"POST /coinstore/api/trade/order/place"


def paper_port(worker: WorkerHarness) -> int:
    port = urlsplit(worker.paper.url).port
    assert port is not None
    return port


async def test_a_binance_credential_trades_through_a_socks5_route(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    async with running_socks_proxy(SOCKS_USER, SOCKS_PASSWORD) as proxy:
        await make_route(worker, "socks-1", proxy.url)
        client_id, credential_id = await worker.client_with_credential(paper_account)
        await assign(worker, credential_id, "socks-1")
        await place_and_fill(worker, client_id, credential_id)

    # The venue connections went through the SOCKS server (with the route's credentials),
    # addressed by IP as a socks5:// client sends them; the order was one of them.
    assert proxy.refused == 0
    assert proxy.tunnels
    assert {(t.host, t.port, t.by_name) for t in proxy.tunnels} == {
        ("127.0.0.1", paper_port(worker), False)
    }
    sent = proxy.sent()
    assert sent.count(BINANCE_ORDER_POST) == 1
    assert paper_account.api_key.encode() in sent
    assert len(await worker.paper.orders(api_key=paper_account.api_key)) == 1


async def test_a_coinstore_credential_trades_through_a_socks5h_route_by_host_name(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    # The venue by host name, so the route has a name to leave to the proxy.
    adapters = worker.ctx.adapters
    adapters.config = dataclasses.replace(
        adapters.config, paper_exchange_url=f"http://localhost:{paper_port(worker)}"
    )
    async with running_socks_proxy(SOCKS_USER, SOCKS_PASSWORD, scheme="socks5h") as proxy:
        await make_route(worker, "socks-h-1", proxy.url)
        client_id, credential_id = await worker.client_with_credential(
            paper_account, exchange="coinstore"
        )
        await assign(worker, credential_id, "socks-h-1")
        await place_and_fill(worker, client_id, credential_id)

    assert proxy.refused == 0
    assert proxy.tunnels
    assert {(t.host, t.port, t.by_name) for t in proxy.tunnels} == {
        ("localhost", paper_port(worker), True)
    }
    sent = proxy.sent()
    assert sent.count(COINSTORE_ORDER_POST) == 1
    assert paper_account.api_key.encode() in sent
    assert len(await worker.paper.orders(api_key=paper_account.api_key)) == 1


async def test_public_ip_of_a_socks_route_is_what_the_echo_service_sees_through_it(
    worker: WorkerHarness,
) -> None:
    async with (
        running_ip_echo() as echo_url,
        running_socks_proxy(SOCKS_USER, SOCKS_PASSWORD) as proxy,
    ):
        await make_route(worker, "socks-echo", proxy.url)
        worker.ctx.settings = dataclasses.replace(worker.settings, egress_ip_echo_url=echo_url)
        answered = await check_egress_public_ips(
            worker.task_context("check_egress_public_ips"), timestamp=0
        )

    assert answered == 1
    echo = urlsplit(echo_url)
    assert [(t.host, t.port) for t in proxy.tunnels] == [(echo.hostname, echo.port)]
    assert b"GET /ip " in proxy.sent()
    rows = await worker.fetch(
        "SELECT name, host(public_ip), public_ip_seen_at IS NOT NULL, last_check_error"
        " FROM egress_routes"
    )
    assert rows == [("socks-echo", "127.0.0.2", True, None)]


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("exchange", ["binance", "coinstore"])
async def test_a_wrong_socks_password_sends_nothing_and_is_never_shown(
    worker: WorkerHarness,
    paper_account: PaperAccount,
    capsys: pytest.CaptureFixture[str],
    exchange: str,
) -> None:
    wrong_password = "wr0ng-S0cks-pw-7d21"
    # The worker's own log pipeline, at its most talkative level.
    configure_logging(dataclasses.replace(worker.settings, log_level="DEBUG"), process="worker")
    async with running_socks_proxy(SOCKS_USER, SOCKS_PASSWORD) as proxy:
        await make_route(
            worker, "socks-bad", f"socks5://{SOCKS_USER}:{wrong_password}@127.0.0.1:{proxy.port}"
        )
        client_id, credential_id = await worker.client_with_credential(
            paper_account, exchange=exchange
        )
        await assign(worker, credential_id, "socks-bad")
        order_id = await worker.submit(client_id, credential_id, amount="0.001")
        # One pass over the ready jobs (a retry is scheduled for later, not run here).
        await worker.app.run_worker_async(
            wait=False, install_signal_handlers=False, concurrency=2, listen_notify=False,
            additional_context=job_context_extras(worker.ctx),
        )  # fmt: skip

    # The proxy refused the route's credentials and opened no tunnel: nothing reached the
    # venue, and the order waits for a retry.
    assert proxy.refused >= 1
    assert proxy.tunnels == []
    assert await worker.paper.orders(api_key=paper_account.api_key) == []
    assert (await worker.order(order_id))["status"] in ("accepted", "submitting", "unknown")

    # Why is recorded and logged, without the password.
    stored = await worker.fetch(
        "SELECT coalesce(o.last_error_message, ''), coalesce(e.message, ''),"
        " coalesce(e.error_class, '')"
        " FROM orders o LEFT JOIN order_events e ON e.order_id = o.id WHERE o.id = %s",
        order_id,
    )
    assert any("".join(row) for row in stored), stored
    assert wrong_password not in str(stored)
    logged = capsys.readouterr().err
    assert "place_order" in logged
    assert wrong_password not in logged

    # httpcore (1.0) does not close its socket to the proxy when the SOCKS handshake
    # fails; the socket is closed when collected, with a ResourceWarning. Collect it here,
    # where it is expected, not in whichever test runs next.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
