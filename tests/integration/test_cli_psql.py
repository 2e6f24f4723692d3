"""`tradebridge psql` connects to the database tradebridge uses, with a matching psql."""

from __future__ import annotations

import shlex
import subprocess

import psycopg

from tests.integration.cli import run_tradebridge


def test_psql_runs_on_the_configured_database(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        conn.execute("CREATE TABLE psql_probe (marker text)")
        conn.execute("INSERT INTO psql_probe VALUES ('seen through psql')")
    result = run_tradebridge(db_url, "psql", "--", "-At", "-c", "SELECT marker FROM psql_probe")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "seen through psql"


def test_the_printed_line_works_as_printed(db_url: str) -> None:
    printed = run_tradebridge(db_url, "psql", "--print")
    assert printed.returncode == 0, printed.stderr
    argv = shlex.split(printed.stdout.strip())
    ran = subprocess.run(
        [*argv, "-At", "-c", "SHOW server_version_num"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "warning" not in ran.stderr.lower()  # psql warns when its major differs
    client = subprocess.run([argv[0], "--version"], capture_output=True, text=True, check=True)
    assert f"PostgreSQL) {int(ran.stdout) // 10_000}" in client.stdout
