"""Apply procrastinate's schema and ours, once, in order, safely from parallel processes.

- A session advisory lock serialises concurrent `tradebridge migrate` runs (a release
  phase and a developer's shell at once): the second waits, then finds nothing to do.
- Each file runs in its own transaction together with its row in `schema_migrations`,
  so a failure leaves the previous files applied and this one not at all.
- Every applied file is recorded with its SHA-256; editing an applied migration is an
  error, not a silent divergence between servers.
- procrastinate: on a fresh database its full `schema.sql` is applied and every one of
  its migration files recorded as included; later procrastinate releases add migration
  files, which the next run applies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import procrastinate
import psycopg
from psycopg import sql

from shared.db.sql_files import migration_files
from shared.errors import MigrationError

# pg_advisory_lock key: any constant the project owns ("tradebridge.migrate").
MIGRATION_LOCK_KEY = 0x7472_6164_6562_7269

PROCRASTINATE = "procrastinate"
TRADEBRIDGE = "tradebridge"

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    source text NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, name)
)
"""


@dataclass(frozen=True)
class Migration:
    source: str
    name: str
    text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def _procrastinate_sql_dir() -> Path:
    return Path(procrastinate.__file__).parent / "sql"


def procrastinate_migrations() -> list[Migration]:
    directory = _procrastinate_sql_dir() / "migrations"
    return [
        Migration(PROCRASTINATE, path.name, path.read_text())
        for path in sorted(directory.glob("*.sql"))
    ]


def project_migrations() -> list[Migration]:
    return [Migration(TRADEBRIDGE, path.name, path.read_text()) for path in migration_files()]


async def _applied(conn: psycopg.AsyncConnection) -> dict[tuple[str, str], str]:
    cur = await conn.execute("SELECT source, name, checksum FROM schema_migrations")
    return {(source, name): checksum for source, name, checksum in await cur.fetchall()}


async def _apply(conn: psycopg.AsyncConnection, migration: Migration, *, run: bool = True) -> None:
    async with conn.transaction():
        if run:
            # Plain SQL files with several statements: no parameters, simple protocol.
            await conn.execute(sql.SQL(migration.text))  # type: ignore[arg-type,unused-ignore]
        await conn.execute(
            "INSERT INTO schema_migrations (source, name, checksum) VALUES (%s, %s, %s)",
            (migration.source, migration.name, migration.checksum),
        )


async def migrate(conninfo: str) -> list[str]:
    """Bring the database up to date; returns the names of what it applied."""
    applied_now: list[str] = []
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        try:
            await conn.execute(_CREATE_LEDGER)
            applied = await _applied(conn)

            if (PROCRASTINATE, "schema.sql") not in applied:
                schema = Migration(
                    PROCRASTINATE,
                    "schema.sql",
                    (_procrastinate_sql_dir() / "schema.sql").read_text(),
                )
                await _apply(conn, schema)
                applied_now.append("procrastinate/schema.sql")
                # The schema file already contains every migration shipped with it.
                for included in procrastinate_migrations():
                    await _apply(conn, included, run=False)
                applied = await _applied(conn)

            for migration in procrastinate_migrations():
                if (PROCRASTINATE, migration.name) not in applied:
                    await _apply(conn, migration)
                    applied_now.append(f"procrastinate/{migration.name}")

            for migration in project_migrations():
                recorded = applied.get((TRADEBRIDGE, migration.name))
                if recorded is None:
                    await _apply(conn, migration)
                    applied_now.append(migration.name)
                elif recorded != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.name} was changed after it was applied; "
                        "write a new migration instead of editing an applied one"
                    )
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    return applied_now
