"""`tradebridge reseal` (key rotation, DESIGN §8): every credential sealed under a retired
key is sealed again to the current one and still opens; a second run does nothing; a row
no key held here opens is left alone, counted, and the exit code says so."""

from __future__ import annotations

import uuid

import psycopg

from shared.credentials import (
    CredentialSecrets,
    open_credential_secrets,
    seal_credential_secrets,
)
from shared.egress import open_proxy_url, seal_proxy_url
from shared.sealing import SealingKeyPair, generate_key_pair, load_private_key, load_public_key
from tests.integration.cli import run_tradebridge


def _reseal(db_url: str, current: SealingKeyPair, retired: list[SealingKeyPair]) -> str:
    result = run_tradebridge(
        db_url,
        "reseal",
        TRADEBRIDGE_ENV="production",
        TRADEBRIDGE_SEALING_KEY_ID=current.key_id,
        TRADEBRIDGE_SEALING_PUBLIC_KEY=current.public_key_b64,
        TRADEBRIDGE_SEALING_PRIVATE_KEY=current.private_key_b64,
        TRADEBRIDGE_SEALING_RETIRED_PRIVATE_KEYS=",".join(
            f"{pair.key_id}:{pair.private_key_b64}" for pair in retired
        ),
    )
    return f"exit {result.returncode}\n{result.stdout}{result.stderr}"


def _insert_sealed(conn: psycopg.Connection, client_id: uuid.UUID, pair: SealingKeyPair) -> str:
    credential_id = uuid.uuid4()
    secrets = CredentialSecrets(api_key=f"key-{credential_id.hex}", secret=credential_id.hex)
    blob = seal_credential_secrets(
        secrets, load_public_key(pair.public_key_b64),
        credential_id=credential_id, client_id=client_id, exchange="binance",
    )  # fmt: skip
    conn.execute(
        "INSERT INTO exchange_credentials (id, client_id, exchange, environment, label,"
        " sealed_secret, key_id, masked_hint) VALUES (%s, %s, 'binance', 'paper', %s, %s, %s, 'x')",
        (credential_id, client_id, f"c-{credential_id.hex[:8]}", blob, pair.key_id),
    )
    return str(credential_id)


def _client(conn: psycopg.Connection) -> uuid.UUID:
    row = conn.execute("INSERT INTO clients (name) VALUES ('rot') RETURNING id").fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def _rows(conn: psycopg.Connection) -> dict[str, tuple[str, bytes, uuid.UUID]]:
    rows = conn.execute(
        "SELECT id::text, key_id, sealed_secret, client_id FROM exchange_credentials"
    ).fetchall()
    return {row[0]: (row[1], bytes(row[2]), row[3]) for row in rows}


def test_reseal_moves_every_row_to_the_current_key_once(db_url: str) -> None:
    old, new = generate_key_pair(), generate_key_pair()
    with psycopg.connect(db_url, autocommit=True) as conn:
        client_id = _client(conn)
        under_old = [_insert_sealed(conn, client_id, old) for _ in range(3)]
        already_new = _insert_sealed(conn, client_id, new)
        conn.execute(
            "UPDATE exchange_credentials SET revoked_at = now() WHERE id = %s", (under_old[0],)
        )
        before = _rows(conn)

    output = _reseal(db_url, new, [old])
    assert output.startswith("exit 0"), output
    assert "re-sealed 3 credential(s)" in output, output

    with psycopg.connect(db_url) as conn:
        after = _rows(conn)
    assert after[already_new] == before[already_new]
    new_private = load_private_key(new.private_key_b64)
    for credential_id in under_old:
        key_id, blob, owner = after[credential_id]
        assert key_id == new.key_id
        assert blob != before[credential_id][1]
        opened = open_credential_secrets(
            blob, new_private,
            credential_id=uuid.UUID(credential_id), client_id=owner, exchange="binance",
        )  # fmt: skip
        assert opened.api_key == f"key-{uuid.UUID(credential_id).hex}"

    again = _reseal(db_url, new, [old])
    assert again.startswith("exit 0"), again
    assert "re-sealed 0 credential(s)" in again, again
    with psycopg.connect(db_url) as conn:
        assert _rows(conn) == after


def test_a_row_under_a_key_not_held_is_left_and_reported(db_url: str) -> None:
    lost, new = generate_key_pair(), generate_key_pair()
    with psycopg.connect(db_url, autocommit=True) as conn:
        client_id = _client(conn)
        orphan = _insert_sealed(conn, client_id, lost)
        before = _rows(conn)

    output = _reseal(db_url, new, [])
    assert output.startswith("exit 1"), output
    assert f"1 sealed under key {lost.key_id} left as they are" in output, output
    assert new.private_key_b64 not in output
    with psycopg.connect(db_url) as conn:
        assert _rows(conn)[orphan] == before[orphan]


def test_reseal_moves_egress_route_proxy_urls_too(db_url: str) -> None:
    old, new = generate_key_pair(), generate_key_pair()
    route_id = uuid.uuid4()
    proxy_url = "http://user:route-pass@203.0.113.7:3128"
    blob = seal_proxy_url(proxy_url, load_public_key(old.public_key_b64), route_id)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO egress_routes (id, name, sealed_proxy_url, key_id, proxy_display)"
            " VALUES (%s, 'rot-1', %s, %s, 'http://203.0.113.7:3128')",
            (route_id, blob, old.key_id),
        )

    output = _reseal(db_url, new, [old])
    assert output.startswith("exit 0"), output
    assert "re-sealed 1 egress route proxy URL(s)" in output, output
    assert "route-pass" not in output
    with psycopg.connect(db_url) as conn:
        row = conn.execute(
            "SELECT key_id, sealed_proxy_url FROM egress_routes WHERE id = %s", (route_id,)
        ).fetchone()
    assert row is not None
    assert row[0] == new.key_id
    opened = open_proxy_url(bytes(row[1]), load_private_key(new.private_key_b64), route_id)
    assert opened == proxy_url
