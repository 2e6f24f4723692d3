"""Real worker subprocesses for crash tests, and a TCP proxy that can hold order requests.

`WorkerProcess` runs `python -m tradebridge worker` with the test's database and short
timings, its stdout/stderr in a log file (`tail()` for failure messages). `HoldingProxy`
sits between a worker and the paper exchange and, when armed, holds the next
`POST /api/v3/order` request: the request has left the worker but the venue has not
received it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO

from shared.sealing import SealingKeyPair

REPO_ROOT = Path(__file__).resolve().parents[3]

SHORT_TIMINGS: dict[str, str] = {
    "TRADEBRIDGE_WORKER_HEARTBEAT_S": "0.5",
    "TRADEBRIDGE_WORKER_STALLED_AFTER_S": "2",
    "TRADEBRIDGE_EXCHANGE_TIMEOUT_MS": "1500",
    "TRADEBRIDGE_EXCHANGE_RECV_WINDOW_MS": "1000",
    "TRADEBRIDGE_ORDER_SETTLE_S": "1.5",
    "TRADEBRIDGE_RECONCILE_INTERVAL_S": "0.5",
}


def worker_env(db_url: str, paper_url: str, keys: SealingKeyPair, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TRADEBRIDGE_") and k not in ("DATABASE_URL", "TEST_DATABASE_URL")
    }
    env.update(
        {
            "DATABASE_URL": db_url,
            "TRADEBRIDGE_ENV": "test",
            # No metrics server: a worker on this host (tradebridge dev) may hold the port.
            "TRADEBRIDGE_WORKER_METRICS_PORT": "0",
            "TRADEBRIDGE_PAPER_EXCHANGE_URL": paper_url,
            "TRADEBRIDGE_SEALING_KEY_ID": keys.key_id,
            "TRADEBRIDGE_SEALING_PRIVATE_KEY": keys.private_key_b64,
            "PYTHONUNBUFFERED": "1",
            **SHORT_TIMINGS,
            **extra,
        }
    )
    return env


class WorkerProcess:
    """One `tradebridge worker` subprocess; output goes to `log_path`."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("ab")
        self._log.write(f"\n===== worker started at {time.strftime('%X')} =====\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tradebridge", "worker"],
            env=env,
            cwd=REPO_ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as in an OOM kill or a lost machine."""
        if self.alive():
            self.proc.kill()
        self.proc.wait(timeout=10)
        self._log.close()

    def terminate(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)

    async def wait_exit(self, within_s: float) -> int | None:
        """The exit code, or None if still running after `within_s`."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if (code := self.proc.poll()) is not None:
                self._log.close()
                return code
            await asyncio.sleep(0.05)
        return None

    def tail(self, lines: int = 40) -> str:
        if not self._log.closed:  # a killed or exited worker's log is closed already
            self._log.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"(no log: {exc})"
        return "\n".join(text.splitlines()[-lines:])


async def wait_for(
    check: Callable[[], Awaitable[bool]],
    within_s: float,
    what: str,
    *,
    every_s: float = 0.1,
    on_timeout: Callable[[], str] | None = None,
) -> None:
    deadline = time.monotonic() + within_s
    while not await check():
        if time.monotonic() > deadline:
            detail = on_timeout() if on_timeout is not None else ""
            raise AssertionError(f"{what}: not reached within {within_s}s\n{detail}")
        await asyncio.sleep(every_s)


class HoldingProxy:
    """A TCP proxy (own thread + loop) in front of the paper exchange.

    Once `arm()`ed, the first chunk that starts a `POST /api/v3/order` request (or the
    request line given as `hold`) is not forwarded and nothing more on that connection
    is: the venue never receives it.
    `held` is set at that moment. HTTP/1.1 requests on one connection are sequential,
    so every request line starts a fresh chunk from the client.
    """

    def __init__(self, upstream_url: str, hold: bytes = b"POST /api/v3/order ") -> None:
        self.hold = hold  # the request line (start) of the request to hold
        host_port = upstream_url.split("://", 1)[1].rstrip("/")
        host, port = host_port.rsplit(":", 1)
        self.upstream = (host, int(port))
        self.armed = threading.Event()
        self.held = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.Server | None = None
        self.url = ""

    def _run(self) -> None:
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    def start(self) -> str:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self._loop
        ).result(timeout=5)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def arm(self) -> None:
        self.held.clear()
        self.armed.set()

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._server is not None:
                await self._server.wait_closed()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        back = asyncio.create_task(self._pipe(up_reader, writer))
        try:
            while chunk := await reader.read(65536):
                if self.armed.is_set() and chunk.startswith(self.hold):
                    self.armed.clear()
                    self.held.set()
                    while await reader.read(65536):  # swallow until the client goes away
                        pass
                    break
                up_writer.write(chunk)
                await up_writer.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            back.cancel()
            for w in (up_writer, writer):
                with contextlib.suppress(Exception):
                    w.close()

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while chunk := await src.read(65536):
                dst.write(chunk)
                await dst.drain()
