"""`tradebridge migrate`: complete, idempotent, safe in parallel, strict about edits."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys

import psycopg
import pytest

from shared.db.migrate import migrate, procrastinate_migrations, project_migrations
from shared.errors import MigrationError

EXPECTED_TABLES = {
    "clients", "api_tokens", "exchange_credentials", "bots", "orders", "order_events",
    "fills", "balances", "balance_refreshes", "kill_switches", "venues", "schema_migrations",
    "procrastinate_jobs", "procrastinate_events", "procrastinate_workers", "user_streams",
    "stream_workers", "strategies", "signals", "signal_deliveries", "positions",
    "position_events", "order_lists",
}  # fmt: skip
EXPECTED_OPS_VIEWS = {
    "queue_overview", "stuck_jobs", "failed_jobs", "order_pipeline", "engaged_kill_switches",
    "bots", "user_streams", "positions", "order_lists",
}  # fmt: skip


def _schema_snapshot(url: str) -> tuple[set[str], set[str], int, int]:
    with psycopg.connect(url) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        }
        views = {
            r[0]
            for r in conn.execute(
                "SELECT viewname FROM pg_views WHERE schemaname = 'ops'"
            ).fetchall()
        }
        constraints = conn.execute(
            "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = 'public'"
        ).fetchone()
        ledger = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()
    assert constraints is not None
    assert ledger is not None
    return tables, views, constraints[0], ledger[0]


async def test_migrate_twice_in_a_row(empty_db_url: str) -> None:
    first = await migrate(empty_db_url)
    snapshot = _schema_snapshot(empty_db_url)
    second = await migrate(empty_db_url)

    assert first[0] == "procrastinate/schema.sql"
    assert [m.name for m in project_migrations()] == first[1:]
    assert second == []
    assert _schema_snapshot(empty_db_url) == snapshot
    tables, views, _, ledger = snapshot
    assert tables >= EXPECTED_TABLES
    assert views == EXPECTED_OPS_VIEWS
    # schema.sql + every procrastinate migration it includes + ours.
    assert ledger == 1 + len(procrastinate_migrations()) + len(project_migrations())


async def test_migrate_twice_in_parallel(empty_db_url: str) -> None:
    results = await asyncio.gather(migrate(empty_db_url), migrate(empty_db_url))
    applied = sorted(results, key=len)
    assert applied[0] == []  # the second waited on the advisory lock, then had nothing to do
    assert len(applied[1]) == 1 + len(project_migrations())
    tables, views, _, _ = _schema_snapshot(empty_db_url)
    assert tables >= EXPECTED_TABLES
    assert views == EXPECTED_OPS_VIEWS


async def test_an_edited_applied_migration_is_refused(empty_db_url: str) -> None:
    await migrate(empty_db_url)
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE schema_migrations SET checksum = %s WHERE name = %s",
            (hashlib.sha256(b"something else").hexdigest(), project_migrations()[0].name),
        )
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate(empty_db_url)


@pytest.mark.slow
def test_cli_migrate_in_two_processes_at_once(empty_db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": empty_db_url, "TRADEBRIDGE_ENV": "dev"}
    command = [sys.executable, "-m", "tradebridge", "migrate"]
    procs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    stdouts = sorted((out.strip() for out, _ in outputs), key=len)
    assert stdouts[0] == "schema is up to date"
    assert "applied 0001_core.sql" in stdouts[1]
