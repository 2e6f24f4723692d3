"""Shared helpers for the benchmarks: server resolution, throwaway databases, percentiles,
result rows and the markdown table, plus the local services (the paper exchange in a
thread, `tradebridge web` as a subprocess).

Every benchmark compares a figure with a baseline measured in the same run and reports the
ratio; nothing here asserts anything about time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO_ROOT / "bench"


# --- Postgres -------------------------------------------------------------------------


def server_url() -> str:
    """The admin URL of the server: TEST_DATABASE_URL / DATABASE_URL, else embedded."""
    from bench.stats_bench import server_url as resolve

    return resolve()


@contextlib.contextmanager
def throwaway_database(prefix: str = "tb_bench") -> Iterator[str]:
    """A fresh, migrated database on the resolved server; dropped on exit."""
    from shared.db.embedded import with_database
    from shared.db.migrate import migrate

    server = server_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(server, name)
    try:
        asyncio.run(migrate(url))
        yield url
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def postgres_version() -> str:
    with psycopg.connect(server_url(), autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


# --- numbers --------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


@dataclass(frozen=True)
class Result:
    """One row of the results table. `ratio` is value / baseline (for latencies too)."""

    figure: str
    configuration: str
    baseline: str
    value: str
    ratio: float | None
    target: str = "-"
    met: bool | None = None

    def cells(self) -> list[str]:
        if self.ratio is None:
            ratio = "-"
        elif self.ratio < 0.1:
            ratio = f"1/{1 / self.ratio:,.0f}" if self.ratio > 0 else "0"
        else:
            ratio = f"{self.ratio:.2f}"
        met = "-" if self.met is None else ("yes" if self.met else "no")
        return [
            self.figure,
            self.configuration,
            self.baseline,
            self.value,
            ratio,
            self.target,
            met,
        ]


HEADER = ["figure", "configuration", "baseline", "value", "ratio", "target", "met"]


def render_table(rows: list[Result]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "/") for c in row.cells()) + " |")
    return "\n".join(lines)


def print_rows(title: str, rows: list[Result]) -> None:
    print(f"\n== {title} ==")
    print(render_table(rows), flush=True)


def machine() -> dict[str, str]:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    nproc = str(len(os.sched_getaffinity(0)))  # what `nproc` prints
    return {
        "nproc": nproc,
        "cpu": model,
        "python": platform.python_version(),
        "postgres": postgres_version(),
    }


def say(message: str) -> None:
    print(message, flush=True)


# --- local services -------------------------------------------------------------------


class PaperExchange:
    """The paper exchange in its own thread (by default no random walk, no weight limit;
    `config` overrides both, e.g. bench.streams' moving market and enforced limit)."""

    def __init__(self, config: Any = None) -> None:
        from paper_exchange.server import PaperConfig, PaperExchangeThread

        self.thread = PaperExchangeThread(config or PaperConfig(walk_interval_s=0, seed=20240607))
        self.url = ""

    def __enter__(self) -> PaperExchange:
        self.url = self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.stop()

    async def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=30.0) as http:
            response = await http.request(method, f"/_admin{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    async def create_account(self) -> tuple[str, str, str]:
        """A funded account: (API key, secret, memo); the memo is BitMart's third part."""
        balances = {"USDT": "100000000", "BTC": "1000", "ETH": "10", "SOL": "100"}
        data = await self.admin("POST", "/accounts", json={"balances": balances})
        return data["api_key"], data["secret"], data["memo"]


@dataclass
class Tenant:
    """A client with an API token and one paper credential (sealed to `keys`)."""

    client_id: uuid.UUID
    token: str
    credential_id: uuid.UUID
    keys: Any


async def make_tenant(
    db_url: str,
    api_key: str,
    secret: str,
    keys: Any = None,
    *,
    venue: str = "binance",
    memo: str | None = None,
) -> Tenant:
    from shared.credentials import CredentialSecrets, masked_hint, seal_credential_secrets
    from shared.domain import CredentialEnvironment
    from shared.repositories.credentials import NewCredential, insert_credential
    from shared.sealing import generate_key_pair, load_public_key
    from tradebridge.admin import create_client_with_token

    keys = keys or generate_key_pair()
    client, issued = await create_client_with_token(
        db_url, f"bench-{uuid.uuid4().hex[:8]}", "bench"
    )
    credential_id = uuid.uuid4()
    sealed = seal_credential_secrets(
        CredentialSecrets(
            api_key=api_key, secret=secret, memo=memo if venue == "bitmart" else None
        ),
        load_public_key(keys.public_key_b64),
        credential_id=credential_id,
        client_id=client.id,
        exchange=venue,
    )
    async with await psycopg.AsyncConnection.connect(db_url) as conn, conn.transaction():
        await insert_credential(
            conn,
            NewCredential(
                id=credential_id,
                client_id=client.id,
                exchange=venue,
                environment=CredentialEnvironment.PAPER,
                api_base_url=None,
                label="paper",
                sealed_secret=sealed,
                key_id=keys.key_id,
                masked_hint=masked_hint(api_key),
            ),
        )
    return Tenant(client.id, issued.token, credential_id, keys)


class WebProcess:
    """`python -m tradebridge web` as a subprocess (its own interpreter and GIL, as in
    production), on 127.0.0.1:<free port>; output in bench/out/web-*.log. `module` swaps
    in another server module taking --host/--port (bench._trivial_web)."""

    def __init__(
        self, db_url: str, keys: Any, *, module: str = "tradebridge web", **env: str
    ) -> None:
        self.module = module.split()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.env = clean_env(
            DATABASE_URL=db_url,
            TRADEBRIDGE_ENV="test",
            TRADEBRIDGE_SEALING_KEY_ID=keys.key_id,
            TRADEBRIDGE_SEALING_PUBLIC_KEY=keys.public_key_b64,
            TRADEBRIDGE_CLIENT_RATE_LIMIT_PER_MINUTE="10000000",
            LOG_LEVEL="WARNING",
            **env,
        )
        self.log_path = log_path("web")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> WebProcess:
        import sys

        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603, ASYNC220 - our own command, at startup
                [sys.executable, "-m", *self.module, "--host", "127.0.0.1",
                 "--port", str(self.port)],
                env=self.env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as http:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"web exited at startup; see {self.log_path}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/health")).status_code == 200:
                        return self
                if time.monotonic() > deadline:
                    raise TimeoutError("web did not start in 30 s")
                await asyncio.sleep(0.1)

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                await asyncio.to_thread(self.proc.wait, 15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without TRADEBRIDGE_* / DATABASE_URL, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TRADEBRIDGE_") and k not in ("DATABASE_URL", "TEST_DATABASE_URL")
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def log_path(kind: str) -> Path:
    directory = BENCH_DIR / "out"
    directory.mkdir(exist_ok=True)
    return directory / f"{kind}-{time.strftime('%H%M%S')}-{uuid.uuid4().hex[:4]}.log"


def http_client(base_url: str, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        base_url=base_url,
        headers=headers,
        timeout=60.0,
        limits=httpx.Limits(max_connections=256, max_keepalive_connections=256),
    )


def order_body(credential_id: uuid.UUID, amount: str = "0.001") -> dict[str, str]:
    return {
        "credential_id": str(credential_id),
        "symbol": "BTC/USDT",
        "side": "buy",
        "type": "market",
        "amount": amount,
    }


def quiet_logs() -> None:
    """Keep the product's structured logs out of the figures' output."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "procrastinate", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with contextlib.suppress(Exception):
        import structlog

        structlog.configure(
            wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        )
