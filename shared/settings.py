"""Typed, frozen settings read from the environment once per process.

Dev mode (the default) fills in what a laptop needs; production mode refuses to start
when a required variable is missing and names it. Each process asks only for what it
needs (`require_for("web")`): the web process must never hold a private sealing key.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from functools import cache
from typing import Literal

from shared.errors import ConfigurationError

ProcessRole = Literal["web", "worker", "migrate", "cli"]


class RunMode(StrEnum):
    DEV = "dev"
    TEST = "test"
    PRODUCTION = "production"


@dataclass(frozen=True, slots=True)
class Settings:
    mode: RunMode = RunMode.DEV
    # None means "no server configured": dev mode and tests start an embedded Postgres.
    database_url: str | None = None
    admin_token: str | None = None
    # Sealing keys for exchange secrets (HPKE, see shared.sealing). The web holds
    # only public keys; the worker the private key of the current key id.
    sealing_key_id: str | None = None
    sealing_public_key: str | None = None
    sealing_private_key: str | None = None
    # Older private keys the worker may still need while a re-seal is running: "id:key,id:key".
    sealing_retired_private_keys: str | None = None

    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "console"

    web_host: str = "127.0.0.1"
    web_port: int = 8000
    cors_allow_origins: tuple[str, ...] = ()
    max_request_body_bytes: int = 64 * 1024
    client_rate_limit_per_minute: int = 600
    # Origins (scheme://host[:port]) a caller may give as a credential's api_base_url; the
    # worker sends signed requests there, so anything else is refused (SSRF). Empty: none.
    allowed_api_base_urls: tuple[str, ...] = ()

    db_pool_min_size: int = 2
    db_pool_max_size: int = 10

    worker_concurrency: int = 8
    worker_queues: tuple[str, ...] = ()
    worker_shutdown_timeout_s: float = 30.0
    worker_metrics_port: int = 9100
    # Recovery after a lost worker takes at most stalled-after + the retry_stalled_jobs
    # period (5 s) + a poll: ~12 s. Shorter would re-queue jobs of a worker that is only
    # slow (a busy host, a long GC): harmless to orders (a re-run looks the order up and
    # waits out the settle time before any send) but wasted work. See docs/operations.md.
    worker_heartbeat_s: float = 2.0
    # How often an idle worker looks for jobs that became due (retries, bot ticks):
    # procrastinate is notified of new jobs, not of scheduled ones falling due.
    worker_poll_interval_s: float = 0.5
    # A `doing` job whose worker has not beaten for this long (three beats) is re-queued,
    # and /health/worker stops counting that worker.
    worker_stalled_after_s: float = 6.0
    # Finished jobs (succeeded, failed, cancelled, aborted) and their events are deleted
    # this long after they finished; 0 keeps them forever. order_events and fills, the
    # business history, are never pruned.
    job_retention_hours: float = 72.0

    # Order pipeline. An ambiguous send is looked up by client order id; "not found" only
    # proves the order was never placed once the venue can no longer accept that request
    # (Binance: timestamp + recvWindow), hence the settle time.
    exchange_timeout_ms: int = 10_000
    exchange_recv_window_ms: int = 5_000
    order_settle_s: float = 8.0
    order_give_up_s: float = 600.0
    order_price_band_bps: int = 1_000
    reconcile_interval_s: float = 5.0
    # Venues whose credentials get a user-data stream and whose books come from market
    # streams (ccxt.pro); empty: REST polling everywhere. A venue or connector without
    # streams is polled whatever this says.
    stream_venues: tuple[str, ...] = ("binance",)
    # A stream lease not renewed for this long is taken over by another worker (the owner
    # renews every stream_pass_interval_s): takeover after a lost worker within ~10 s.
    stream_lease_ttl_s: float = 8.0
    stream_pass_interval_s: float = 2.0
    # A bot tick prices from a streamed book no older than this (else REST), and reads
    # balances from the database; it asks the venue only when no stream is live and the
    # stored snapshot is older than balance_max_age_s.
    book_max_age_s: float = 3.0
    balance_max_age_s: float = 5.0
    # Which egress IP this process's venue requests leave by (request budgets are per IP).
    egress_id: str = "default"
    # Where the worker asks, through each egress route, which public IP the route leaves
    # by (check_egress_public_ips): an operator's setting, never a caller's. It must answer
    # the IP as plain text. Empty disables the check.
    egress_ip_echo_url: str = "https://api.ipify.org"

    # /health/queue answers 503 when the oldest ready job has waited longer than this,
    # or when more jobs than this are stuck in `doing` with a dead worker.
    health_max_queue_wait_s: float = 60.0
    health_max_stuck_jobs: int = 0
    # A balance snapshot older than this is reported as stale.
    balance_stale_after_s: float = 300.0

    paper_exchange_url: str = "http://127.0.0.1:8765"
    # Directory for the embedded Postgres cluster (dev and tests, when database_url is None).
    embedded_pg_dir: str = ".pgdata"

    @property
    def is_production(self) -> bool:
        return self.mode is RunMode.PRODUCTION

    def require_for(self, role: ProcessRole) -> Settings:
        """Fail fast when this process cannot do its job, or holds what it must not: one
        message naming every variable at fault (never a value)."""
        problems: list[str] = []
        missing = (
            [name for name in REQUIRED_IN_PRODUCTION[role] if not getattr(self, ENV_VARS[name])]
            if self.is_production
            else []  # dev and test fill in what they need
        )
        if missing:
            problems.append(
                f"missing required setting(s) for {role} in {self.mode} mode: {', '.join(missing)}"
            )
        if role == "web":
            held = [name for name in PRIVATE_SEALING_ENV_VARS if getattr(self, ENV_VARS[name])]
            if held:
                problems.append(
                    f"{', '.join(held)} set for the web process: only the worker may hold "
                    "private sealing keys; give the web the public key alone"
                )
        if problems:
            raise ConfigurationError("; ".join(problems))
        return self


# Environment variable → field name. One table, so the error messages and
# docs/configuration.md agree (tests/unit/test_configuration_doc.py checks the doc).
ENV_VARS: dict[str, str] = {
    "TRADEBRIDGE_ENV": "mode",
    "DATABASE_URL": "database_url",
    "TRADEBRIDGE_ADMIN_TOKEN": "admin_token",
    "TRADEBRIDGE_SEALING_KEY_ID": "sealing_key_id",
    "TRADEBRIDGE_SEALING_PUBLIC_KEY": "sealing_public_key",
    "TRADEBRIDGE_SEALING_PRIVATE_KEY": "sealing_private_key",
    "TRADEBRIDGE_SEALING_RETIRED_PRIVATE_KEYS": "sealing_retired_private_keys",
    "LOG_LEVEL": "log_level",
    "TRADEBRIDGE_LOG_FORMAT": "log_format",
    "TRADEBRIDGE_WEB_HOST": "web_host",
    "PORT": "web_port",
    "TRADEBRIDGE_CORS_ALLOW_ORIGINS": "cors_allow_origins",
    "TRADEBRIDGE_MAX_REQUEST_BODY_BYTES": "max_request_body_bytes",
    "TRADEBRIDGE_CLIENT_RATE_LIMIT_PER_MINUTE": "client_rate_limit_per_minute",
    "TRADEBRIDGE_ALLOWED_API_BASE_URLS": "allowed_api_base_urls",
    "TRADEBRIDGE_DB_POOL_MIN_SIZE": "db_pool_min_size",
    "TRADEBRIDGE_DB_POOL_MAX_SIZE": "db_pool_max_size",
    "TRADEBRIDGE_WORKER_CONCURRENCY": "worker_concurrency",
    "TRADEBRIDGE_WORKER_QUEUES": "worker_queues",
    "TRADEBRIDGE_WORKER_SHUTDOWN_TIMEOUT_S": "worker_shutdown_timeout_s",
    "TRADEBRIDGE_WORKER_METRICS_PORT": "worker_metrics_port",
    "TRADEBRIDGE_WORKER_HEARTBEAT_S": "worker_heartbeat_s",
    "TRADEBRIDGE_WORKER_POLL_INTERVAL_S": "worker_poll_interval_s",
    "TRADEBRIDGE_WORKER_STALLED_AFTER_S": "worker_stalled_after_s",
    "TRADEBRIDGE_JOB_RETENTION_HOURS": "job_retention_hours",
    "TRADEBRIDGE_EXCHANGE_TIMEOUT_MS": "exchange_timeout_ms",
    "TRADEBRIDGE_EXCHANGE_RECV_WINDOW_MS": "exchange_recv_window_ms",
    "TRADEBRIDGE_ORDER_SETTLE_S": "order_settle_s",
    "TRADEBRIDGE_ORDER_GIVE_UP_S": "order_give_up_s",
    "TRADEBRIDGE_ORDER_PRICE_BAND_BPS": "order_price_band_bps",
    "TRADEBRIDGE_RECONCILE_INTERVAL_S": "reconcile_interval_s",
    "TRADEBRIDGE_STREAM_VENUES": "stream_venues",
    "TRADEBRIDGE_STREAM_LEASE_TTL_S": "stream_lease_ttl_s",
    "TRADEBRIDGE_STREAM_PASS_INTERVAL_S": "stream_pass_interval_s",
    "TRADEBRIDGE_BOOK_MAX_AGE_S": "book_max_age_s",
    "TRADEBRIDGE_BALANCE_MAX_AGE_S": "balance_max_age_s",
    "TRADEBRIDGE_EGRESS_ID": "egress_id",
    "TRADEBRIDGE_EGRESS_IP_ECHO_URL": "egress_ip_echo_url",
    "TRADEBRIDGE_HEALTH_MAX_QUEUE_WAIT_S": "health_max_queue_wait_s",
    "TRADEBRIDGE_HEALTH_MAX_STUCK_JOBS": "health_max_stuck_jobs",
    "TRADEBRIDGE_BALANCE_STALE_AFTER_S": "balance_stale_after_s",
    "TRADEBRIDGE_PAPER_EXCHANGE_URL": "paper_exchange_url",
    "TRADEBRIDGE_EMBEDDED_PG_DIR": "embedded_pg_dir",
}

# What each process cannot run without in production, checked before it starts anything.
REQUIRED_IN_PRODUCTION: dict[ProcessRole, tuple[str, ...]] = {
    "web": (
        "DATABASE_URL",
        "TRADEBRIDGE_ADMIN_TOKEN",
        "TRADEBRIDGE_SEALING_KEY_ID",
        "TRADEBRIDGE_SEALING_PUBLIC_KEY",
    ),
    "worker": ("DATABASE_URL", "TRADEBRIDGE_SEALING_KEY_ID", "TRADEBRIDGE_SEALING_PRIVATE_KEY"),
    "migrate": ("DATABASE_URL",),
    "cli": ("DATABASE_URL",),
}

# Variables carrying private sealing key material, which opens exchange credentials: the
# worker's alone. The web refuses to start with any of them set, in every mode. A new
# variable of that kind belongs here (a unit test checks the names in ENV_VARS).
PRIVATE_SEALING_ENV_VARS: tuple[str, ...] = (
    "TRADEBRIDGE_SEALING_PRIVATE_KEY",
    "TRADEBRIDGE_SEALING_RETIRED_PRIVATE_KEYS",
)


# Settings whose empty value turns a feature off instead of meaning "use the default".
EMPTY_MEANS_OFF = frozenset({"egress_ip_echo_url", "stream_venues"})


def normalize_database_url(url: str) -> str:
    """Accept Heroku/Railway style `postgres://` as well as `postgresql://`."""
    url = url.strip()
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if not url.startswith("postgresql://"):
        # Never echo the value: a DSN carries the password.
        raise ConfigurationError("DATABASE_URL must start with postgres:// or postgresql://")
    return url


def _convert(name: str, env_var: str, raw: str, default: object) -> object:
    try:
        if name == "mode":
            return RunMode(raw.strip().lower())
        if name == "database_url":
            return normalize_database_url(raw)
        if name == "log_format":
            value = raw.strip().lower()
            if value not in ("json", "console"):
                raise ValueError(value)
            return value
        if isinstance(default, tuple):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if isinstance(default, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{env_var} has an invalid value: {raw!r}") from exc
    return raw if raw != "" else None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping (tests pass their own)."""
    env = os.environ if environ is None else environ
    defaults = {f.name: f.default for f in fields(Settings)}
    values: dict[str, object] = {}
    for env_var, name in ENV_VARS.items():
        raw = env.get(env_var)
        if raw == "" and name in EMPTY_MEANS_OFF:
            values[name] = () if isinstance(defaults[name], tuple) else ""
            continue
        if raw is None or raw == "":
            continue
        values[name] = _convert(name, env_var, raw, defaults[name])
    mode = values.get("mode", RunMode.DEV)
    if mode is RunMode.PRODUCTION and "log_format" not in values:
        values["log_format"] = "json"
    for key in ("web_port", "worker_concurrency", "db_pool_max_size", "max_request_body_bytes"):
        value = values.get(key)
        if isinstance(value, int) and value <= 0:
            env_var = next(k for k, v in ENV_VARS.items() if v == key)
            raise ConfigurationError(f"{env_var} must be a positive integer")
    for key in ("job_retention_hours",):
        number = values.get(key)
        # NaN fails every comparison, so it is refused too; "forever" is spelled 0.
        if isinstance(number, float) and not (0 <= number < math.inf):
            env_var = next(k for k, v in ENV_VARS.items() if v == key)
            raise ConfigurationError(f"{env_var} must be a number >= 0 (0 disables)")
    return Settings(**values)  # type: ignore[arg-type]


@cache
def get_settings() -> Settings:
    return load_settings()
