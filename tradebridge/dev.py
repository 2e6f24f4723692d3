"""`tradebridge dev`: everything on one machine, in one command.

Embedded Postgres (unless DATABASE_URL is set) → migrations → the paper exchange → demo
data (tradebridge.dev_demo: a client with a fresh token, a paper credential and demo
bots per venue dialect; tradebridge.dev_signals: a signal strategy with two bots and a
first signal through its webhook) → web and worker
as separate processes, as in production → one demo order through the HTTP API. Ctrl-C
stops every child and leaves nothing running.

Dev secrets (sealing key pair, admin token, the paper account's key) live in the
git-ignored `.tradebridge/dev.env`, so credentials sealed in one run open in the next.

The paper exchange keeps nothing: every run starts it empty, as a testnet is after a
wipe, while the database, the demo credential and the demo bots carry over. The order
pipeline treats that as the venue reset it is (its ids start again; orders it no longer
knows expire), so every start works. `--reset` drops the dev database and the dev
secrets first, for a start from nothing.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg

from shared.db.embedded import drop_database, ensure_database, with_database
from shared.db.migrate import migrate
from shared.db.resolve import with_resolved_database
from shared.errors import ConfigurationError
from shared.sealing import generate_key_pair
from shared.settings import PRIVATE_SEALING_ENV_VARS, Settings
from tradebridge.dev_demo import demo_data, paper_account_body, start_demo_bots
from tradebridge.dev_signals import DemoSignals, signals_account_body, start_demo_signals

DEV_ENV = Path(".tradebridge/dev.env")


def _dev_secrets() -> dict[str, str]:
    if DEV_ENV.exists():
        lines = DEV_ENV.read_text().splitlines()
        values = dict(line.split("=", 1) for line in lines if "=" in line)
        # Files written before the paper exchange spoke BitMart, or before the signal demo.
        missing = {k: v for k, v in _paper_extras().items() if k not in values}
        if missing:
            values.update(missing)
            with DEV_ENV.open("a") as file:
                file.write("".join(f"{k}={v}\n" for k, v in missing.items()))
        return values
    pair = generate_key_pair()
    values = {
        "TRADEBRIDGE_SEALING_KEY_ID": pair.key_id,
        "TRADEBRIDGE_SEALING_PUBLIC_KEY": pair.public_key_b64,
        "TRADEBRIDGE_SEALING_PRIVATE_KEY": pair.private_key_b64,
        "TRADEBRIDGE_ADMIN_TOKEN": "tbadmin_" + secrets.token_urlsafe(24),
        "PAPER_API_KEY": secrets.token_hex(32),
        "PAPER_SECRET": secrets.token_hex(32),
        **_paper_extras(),
    }
    DEV_ENV.parent.mkdir(exist_ok=True)
    DEV_ENV.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    DEV_ENV.chmod(0o600)
    return values


def _paper_extras() -> dict[str, str]:
    return {
        "PAPER_MEMO": secrets.token_hex(8),
        "PAPER_SIGNALS_API_KEY": secrets.token_hex(32),
        "PAPER_SIGNALS_SECRET": secrets.token_hex(32),
    }


def _wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {seconds:.0f}s")


def reset_dev(database_url: str) -> None:
    """Drop the dev database (created again, empty, right after) and the dev secrets."""
    name = urlsplit(database_url).path.lstrip("/")
    server_url = with_database(database_url, "postgres")
    drop_database(server_url, name)
    ensure_database(server_url, name)
    print(f"reset: dropped database {name!r} and created it empty")
    if DEV_ENV.exists():
        DEV_ENV.unlink()
        print(f"reset: removed {DEV_ENV} (new sealing keys, admin token and paper account)")


def _wait_until_ok(url: str, seconds: float) -> bool:
    """True once `url` answers 2xx (e.g. /health/worker once a worker beats)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).is_success:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def _psql_hint(database_url: str) -> str:
    from tradebridge.psql import psql_line

    try:
        return psql_line(database_url, hide_password=True)
    except (ConfigurationError, psycopg.Error) as exc:
        return f"unavailable: {exc}"


def banner(
    *,
    web_url: str,
    paper_url: str,
    token: str,
    demo_order: httpx.Response,
    bots: list[str],
    signals: DemoSignals,
    psql: str,
    metrics_port: int,
) -> str:
    """What `tradebridge dev` prints once everything is up. The `demo order` line keeps
    its format (tests parse it); the lines a developer copies come last."""
    metrics = (
        f"http://127.0.0.1:{metrics_port}/metrics"
        if metrics_port
        else "off (TRADEBRIDGE_WORKER_METRICS_PORT=0)"
    )
    return f"""
tradebridge is running (Ctrl-C stops everything)
  health        {web_url}/health
  paper venue   {paper_url}/api/v3/exchangeInfo
  demo order    HTTP {demo_order.status_code}: {demo_order.text[:200]}
  demo bots     {", ".join(bots)}
  demo signals  strategy {signals.strategy_id}: {", ".join(signals.bots)}
  first signal  HTTP {signals.first_signal.status_code}: {signals.first_signal.text[:200]}

  curl -s -H 'Authorization: Bearer {token}' {web_url}/v1/orders
  curl -s -H 'Authorization: Bearer {token}' {web_url}/v1/positions
  curl -s {web_url}/v1/signals/{signals.strategy_id} -H 'Content-Type: application/json' \\
    -d '{{"secret": "{signals.secret}", "signal_id": "my-exit-1",
         "symbol": "BTC/USDT", "action": "exit"}}'

  dashboard     {web_url}/dashboard   (sign in with the demo token; operators: admin token)
  demo token    {token}   (shown once; only its hash is stored)
  API docs      {web_url}/docs
  psql          {psql}
  metrics       {metrics}   (worker; the web's: {web_url}/metrics)
  admin token   TRADEBRIDGE_ADMIN_TOKEN in {DEV_ENV}
"""


def run_dev(settings: Settings, *, reset: bool = False) -> int:
    if settings.is_production:
        raise ConfigurationError("tradebridge dev does not run with TRADEBRIDGE_ENV=production")
    settings = with_resolved_database(settings)
    assert settings.database_url is not None
    if reset:
        reset_dev(settings.database_url)
    for name in asyncio.run(migrate(settings.database_url)):
        print(f"applied {name}")
    keys = _dev_secrets()
    paper_url = settings.paper_exchange_url.rstrip("/")
    paper_port = urlsplit(paper_url).port or 80
    web_url = f"http://{settings.web_host}:{settings.web_port}"
    env = {
        **os.environ,
        **{k: v for k, v in keys.items() if k.startswith("TRADEBRIDGE_")},
        "DATABASE_URL": settings.database_url,
    }
    web_env = {k: v for k, v in env.items() if k not in PRIVATE_SEALING_ENV_VARS}
    children: list[subprocess.Popen[bytes]] = []
    names: dict[int, str] = {}

    def start(args: list[str], child_env: dict[str, str]) -> None:
        # Our own interpreter and module, fixed arguments: nothing untrusted reaches it.
        command = [sys.executable, "-m", "tradebridge", *args]
        child = subprocess.Popen(command, env=child_env)  # noqa: S603
        children.append(child)
        names[child.pid] = f"tradebridge {args[0]}"

    # Ctrl-C in a terminal reaches every process of the group at once: the children stop
    # on their own and may exit before this loop sees the signal. Remember that it came,
    # so their exit reads as the clean stop it is, not as "a process exited".
    interrupted = False

    def on_interrupt(_signum: int, _frame: object) -> None:
        nonlocal interrupted
        if not interrupted:
            interrupted = True
            raise KeyboardInterrupt

    previous_handler = signal.signal(signal.SIGINT, on_interrupt)
    try:
        start(["paper-exchange", "--port", str(paper_port)], env)
        _wait_http(f"{paper_url}/api/v3/ping")
        for account in (paper_account_body(keys), signals_account_body(keys)):
            httpx.post(f"{paper_url}/_admin/accounts", json=account).raise_for_status()
        token, credential_ids = asyncio.run(demo_data(settings.database_url, keys))
        start(["web"], web_env)
        start(["worker"], env)
        _wait_http(f"{web_url}/health")
        bots = start_demo_bots(web_url, token, credential_ids)
        signals = start_demo_signals(web_url, token, credential_ids["paper-signals"], paper_url)
        demo_order = httpx.post(
            f"{web_url}/v1/orders",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
            json={"credential_id": credential_ids["paper"], "symbol": "BTC/USDT", "side": "buy",
                  "type": "market", "amount": "0.01"},
        )  # fmt: skip
        # The worker's start-up lines come before the banner, not over it.
        _wait_until_ok(f"{web_url}/health/worker", seconds=20)
        text = banner(
            web_url=web_url, paper_url=paper_url, token=token, demo_order=demo_order,
            bots=bots, signals=signals, psql=_psql_hint(settings.database_url),
            metrics_port=settings.worker_metrics_port,
        )  # fmt: skip
        print(text, flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        if interrupted:
            return 0
        exited = next(child for child in children if child.poll() is not None)
        print(
            f"{names[exited.pid]} exited with code {exited.returncode}; stopping the others",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        # A second Ctrl-C while the children stop must not leave them behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        signal.signal(signal.SIGINT, previous_handler)
