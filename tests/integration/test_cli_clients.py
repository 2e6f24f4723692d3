"""`tradebridge create-client`: prints a token once; only its hash is stored."""

from __future__ import annotations

import hashlib
import re

import psycopg

from tests.integration.cli import run_tradebridge


def test_create_client_prints_token_once_and_stores_only_its_hash(db_url: str) -> None:
    result = run_tradebridge(db_url, "create-client", "acme")
    assert result.returncode == 0, result.stderr
    tokens = re.findall(r"tb_[A-Za-z0-9_-]{40,}", result.stdout)
    assert len(tokens) == 1
    token = tokens[0]

    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            """SELECT t.token_hash, t.token_prefix, t.revoked_at, row_to_json(t)::text
               FROM api_tokens t JOIN clients c ON c.id = t.client_id WHERE c.name = 'acme'"""
        ).fetchall()
    assert len(rows) == 1
    token_hash, prefix, revoked_at, whole_row = rows[0]
    assert bytes(token_hash) == hashlib.sha256(token.encode()).digest()
    assert token.startswith(prefix)
    assert len(prefix) < 16
    assert revoked_at is None
    assert token not in whole_row
    assert token[len(prefix) :] not in whole_row


def test_create_client_twice_is_a_clear_error(db_url: str) -> None:
    assert run_tradebridge(db_url, "create-client", "acme").returncode == 0
    again = run_tradebridge(db_url, "create-client", "acme")
    assert again.returncode == 2
    assert "already exists" in again.stderr
    bad = run_tradebridge(db_url, "create-client", "Not Valid")
    assert bad.returncode == 2
    assert "invalid client name" in bad.stderr
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM clients").fetchone() == (1,)
