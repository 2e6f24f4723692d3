"""Ways of running the paper exchange: thread, in-loop, CLI subprocess, random walk."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import urllib.request
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from paper_exchange.server import PaperConfig, PaperExchangeThread, running_paper_exchange
from tests.fixtures.fix_paper import PaperExchangeAdmin

REPO = Path(__file__).resolve().parents[2]


def test_thread_answers_while_the_callers_loop_is_blocked(
    paper_exchange: PaperExchangeAdmin,
) -> None:
    # This test's own thread blocks in subprocess.run; another process reaches the venue.
    code = (
        "import json, sys, urllib.request;"
        f"print(json.load(urllib.request.urlopen('{paper_exchange.url}/api/v3/time'))['serverTime'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert int(done.stdout) > 1_600_000_000_000


async def test_thread_answers_while_an_async_test_blocks_its_loop(
    paper_exchange: PaperExchangeAdmin,
) -> None:
    # Blocking call inside a coroutine: the session loop is stuck, the venue's is not.
    url = f"{paper_exchange.url}/api/v3/ping"
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: ASYNC210, S310 (http only)
        assert json.load(resp) == {}


def test_thread_start_and_stop() -> None:
    server = PaperExchangeThread(PaperConfig(walk_interval_s=0))
    url = server.start()
    assert httpx.get(f"{url}/api/v3/ping").json() == {}
    server.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/api/v3/ping", timeout=1)


async def test_running_paper_exchange_serves_on_the_current_loop() -> None:
    async with running_paper_exchange(PaperConfig(walk_interval_s=0)) as handle:
        assert handle.url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(base_url=handle.url) as http:
            info = (await http.get("/api/v3/exchangeInfo", params={"symbol": "ETHUSDT"})).json()
            assert [s["symbol"] for s in info["symbols"]] == ["ETHUSDT"]
            assert (await http.get("/api/v3/depth", params={"symbol": "BAD"})).json() == {
                "code": -1121,
                "msg": "Invalid symbol.",
            }


async def test_random_walk_runs_on_a_timer() -> None:
    config = PaperConfig(walk_interval_s=0.02, seed=5)
    async with running_paper_exchange(config) as handle:
        sm = handle.state.market.symbols["BTCUSDT"]
        start = sm.mid
        for _ in range(100):
            await asyncio.sleep(0.02)
            if sm.update_id > 5:
                break
        assert sm.update_id > 5
        assert sm.mid != start or sm.high != sm.low
        assert sm.mid % Decimal("0.01") == 0


async def test_admin_reset_and_market_steps() -> None:
    async with running_paper_exchange(PaperConfig(walk_interval_s=0, seed=9)) as handle:
        admin = PaperExchangeAdmin(handle.url)
        before = await admin.market("SOLUSDT")
        stepped = await admin.step("SOLUSDT", 10)
        assert stepped["mid"] != before["mid"]
        account = await admin.create_account({"USDT": "5"})
        assert (await admin.balances(account.api_key))["USDT"].free == Decimal("5")
        await admin.set_balances(account.api_key, {"USDT": "7.5", "BTC": "0.1"})
        balances = await admin.balances(account.api_key)
        assert (balances["USDT"].free, balances["BTC"].free) == (Decimal("7.5"), Decimal("0.1"))
        await admin.reset()
        after = await admin.market("SOLUSDT")
        assert after["mid"] == before["mid"]  # same seed, back to the start
        async with httpx.AsyncClient(base_url=handle.url) as http:
            missing = await http.get(f"/_admin/accounts/{account.api_key}/balances")
        assert missing.status_code == 404


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_cli_runs_until_signalled(signum: signal.Signals) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "paper_exchange",
            "--port",
            "0",
            "--walk-interval",
            "0",
            "--seed",
            "3",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("paper exchange listening on http://127.0.0.1:"), line
        url = line.rsplit(" ", 1)[1].strip()
        assert httpx.get(f"{url}/api/v3/ping", timeout=5).json() == {}
        proc.send_signal(signum)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        if proc.stderr is not None:
            proc.stderr.close()
