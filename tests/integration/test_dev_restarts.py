"""`tradebridge dev` works on every start: the real command, run again and again on one
database, each run's demo order filled; `--reset` starts from nothing and says so."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest

pytestmark = pytest.mark.slow

BANNER_ORDER = re.compile(r"demo order\s+HTTP (\d+): .*?\"id\":\s*\"([0-9a-f-]{36})\"")
BANNER_SIGNAL = re.compile(r"first signal\s+HTTP (\d+): .*?\"id\":\s*\"([0-9a-f-]{36})\"")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _order_status(db_url: str, order_id: str) -> str | None:
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT status::text FROM orders WHERE id = %s", (order_id,)).fetchone()
    return None if row is None else str(row[0])


def _start_dev(
    db_url: str, workdir: Path, *args: str, metrics_port: int = 0, log_level: str = "WARNING"
) -> subprocess.Popen[str]:
    """The real `tradebridge dev` on free ports, in its own process group (a terminal's
    Ctrl-C reaches the whole group), output merged on a pipe."""
    env = {
        **os.environ,
        "TRADEBRIDGE_ENV": "dev",
        "DATABASE_URL": db_url,
        "PORT": str(_free_port()),
        "TRADEBRIDGE_PAPER_EXCHANGE_URL": f"http://127.0.0.1:{_free_port()}",
        "TRADEBRIDGE_WORKER_METRICS_PORT": str(metrics_port),
        "LOG_LEVEL": log_level,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tradebridge", "dev", *args], cwd=workdir, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip


def _read_until(
    process: subprocess.Popen[str], pattern: re.Pattern[str], output: list[str], lines: int = 1
) -> re.Match[str]:
    """Read output lines into `output` until `pattern` matches its last `lines` lines."""
    assert process.stdout is not None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if match := pattern.search("".join(output[-lines:])):
            return match
    raise AssertionError(f"no {pattern.pattern!r} in the output:\n" + "".join(output))


def _ctrl_c(process: subprocess.Popen[str], output: list[str]) -> str:
    """SIGINT to the whole group, as a terminal sends it; exit 0 expected; all output."""
    os.killpg(process.pid, signal.SIGINT)
    rest, _ = process.communicate(timeout=40)
    output.append(rest)
    text = "".join(output)
    assert process.returncode == 0, text
    return text


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _fanned_out(db_url: str, signal_id: str) -> bool:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(
            "SELECT fanned_out_at IS NOT NULL FROM signals WHERE id = %s", (signal_id,)
        ).fetchone()
    return bool(row and row[0])


def _run_dev_until_demo_order_fills(db_url: str, workdir: Path, *args: str) -> str:
    """Start `tradebridge dev`, wait for its demo order to fill and its demo signal to fan
    out, Ctrl-C it; its output."""
    process = _start_dev(db_url, workdir, *args)
    output: list[str] = []
    try:
        match = _read_until(process, BANNER_ORDER, output)
        assert match.group(1) == "202", "".join(output)
        order_id = match.group(2)
        signal = _read_until(process, BANNER_SIGNAL, output)
        assert signal.group(1) == "202", "".join(output)
        deadline = time.monotonic() + 60
        while _order_status(db_url, order_id) != "filled" or not _fanned_out(
            db_url, signal.group(2)
        ):
            assert time.monotonic() < deadline, (
                f"demo order {order_id} is {_order_status(db_url, order_id)}:\n" + "".join(output)
            )
            time.sleep(0.3)
        return _ctrl_c(process, output)
    finally:
        _stop(process)


def test_dev_places_and_fills_its_demo_order_on_every_start(db_url: str, tmp_path: Path) -> None:
    for _ in range(3):
        _run_dev_until_demo_order_fills(db_url, tmp_path)
    with psycopg.connect(db_url) as conn:
        demo_orders = conn.execute(
            "SELECT count(*) FILTER (WHERE status = 'filled'), count(*)"
            " FROM orders WHERE bot_id IS NULL"
        ).fetchone()
    assert demo_orders == (3, 3)
    with psycopg.connect(db_url) as conn:
        # One strategy, two signal bots, one signal per start; the first start's signal
        # gave each bot an entry (later ones may meet the bots' max position).
        signals = conn.execute(
            "SELECT s.id, array_agg(d.outcome ORDER BY d.outcome) FROM signals s"
            " JOIN signal_deliveries d ON d.signal_id = s.id"
            " GROUP BY s.id, s.received_at ORDER BY s.received_at"
        ).fetchall()
    assert len(signals) == 3
    assert signals[0][1] == ["ordered", "ordered"]
    assert all(len(outcomes) == 2 for _, outcomes in signals)

    output = _run_dev_until_demo_order_fills(db_url, tmp_path, "--reset")
    assert "reset: dropped database" in output
    assert "reset: removed .tradebridge/dev.env" in output
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM orders WHERE bot_id IS NULL").fetchone() == (1,)


BANNER_TAIL = re.compile(
    r"dashboard\s+(?P<dashboard>http://\S+/dashboard)\s.*\n"
    r"\s+demo token\s+(?P<token>tb_\S+).*\n"
    r"\s+API docs\s+(?P<docs>http://\S+/docs)\n"
    r"\s+psql\s+(?P<psql>.+)\n"
    r"\s+metrics\s+(?P<metrics>http://\S+/metrics)\s.*\n"
    r"\s+admin token\s+TRADEBRIDGE_ADMIN_TOKEN in \.tradebridge/dev\.env\n"
)


def test_dev_banner_ends_with_what_a_developer_copies_and_ctrl_c_is_quiet(
    db_url: str, tmp_path: Path
) -> None:
    """The banner's last lines work as printed (token, docs, psql, worker metrics, admin
    token file), and Ctrl-C in a terminal (SIGINT to the whole process group, children
    included) stops everything with exit code 0 and no "a process exited"."""
    process = _start_dev(db_url, tmp_path, metrics_port=_free_port(), log_level="INFO")
    output: list[str] = []
    try:
        match = _read_until(process, BANNER_TAIL, output, lines=9)
        assert BANNER_ORDER.search("".join(output)), "".join(output)

        assert (tmp_path / ".tradebridge/dev.env").read_text().count(
            "TRADEBRIDGE_ADMIN_TOKEN="
        ) == 1
        with httpx.Client(timeout=10) as http:
            me = http.get(
                match["docs"].removesuffix("/docs") + "/v1/me",
                headers={"Authorization": f"Bearer {match['token']}"},
            )
            assert me.status_code == 200, me.text
            assert me.json()["name"] == "demo"
            assert http.get(match["docs"], follow_redirects=True).status_code == 200
            dashboard = http.get(match["dashboard"])
            assert dashboard.status_code == 200
            assert "frame-ancestors 'none'" in dashboard.headers["content-security-policy"]
            assert "tradebridge_" in http.get(match["metrics"]).text
        psql = subprocess.run(
            [*shlex.split(match["psql"]), "-At", "-c", "SELECT name FROM clients"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert psql.returncode == 0, psql.stderr
        assert psql.stdout.split() == ["demo"]

        # Let the worker run a few jobs: their start/end lines must not reach INFO output.
        time.sleep(5)
        text = _ctrl_c(process, output)
        assert "exited" not in text, text
        assert "Traceback" not in text, text
        assert "Starting job" not in text, text
        assert "ended with status: Success" not in text, text
    finally:
        _stop(process)
