"""Credentials: sealed to the worker's key, never readable by the web, never echoed."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519

from shared.credentials import CredentialSecrets, open_credential_secrets
from shared.errors import ConfigurationError
from shared.sealing import UnsealError, load_private_key
from tests.fixtures.fix_web import ALLOWED_API_BASE_URL, WebServer
from tests.integration.web.support import (
    API_KEY,
    PASSPHRASE,
    SECRET,
    create_bot,
    create_credential,
    error_of,
    execute,
    fetch_all,
    place_order,
)
from web.app import create_app
from web.context import web_context


async def _row(db_url: str, credential_id: str) -> dict[str, Any]:
    rows = await fetch_all(
        db_url,
        "SELECT to_jsonb(c) - 'sealed_secret', sealed_secret FROM exchange_credentials c "
        "WHERE id = %s",
        (credential_id,),
    )
    columns, sealed = rows[0]
    return {**columns, "sealed_secret": bytes(sealed)}


async def test_secrets_are_sealed_and_never_returned(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        created = await create_credential(http, label="main")
        listed = await http.get("/v1/credentials")
        fetched = await http.get(f"/v1/credentials/{created['id']}")

    assert created["masked_hint"] == "\u2022\u2022\u2022\u2022" + API_KEY[-4:]
    assert created["key_id"] == web.keys.key_id
    for response_text in (str(created), listed.text, fetched.text):
        for secret in (API_KEY, SECRET, PASSPHRASE):
            assert secret not in response_text

    row = await _row(web.db_url, created["id"])
    for column, value in row.items():
        raw = value if isinstance(value, bytes) else str(value).encode()
        for secret in (API_KEY, SECRET, PASSPHRASE):
            assert secret.encode() not in raw, f"{column} holds plaintext"
    assert row["key_id"] == web.keys.key_id

    # The worker's private key opens it, bound to this row's ids and venue.
    opened = open_credential_secrets(
        row["sealed_secret"],
        load_private_key(web.keys.private_key_b64),
        credential_id=uuid.UUID(created["id"]),
        client_id=alice.id,
        exchange="binance",
    )
    assert opened == CredentialSecrets(api_key=API_KEY, secret=SECRET, passphrase=PASSPHRASE)
    assert SECRET not in repr(opened)


async def test_sealing_is_randomised_and_bound_to_the_row(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        first = await create_credential(http, label="one")
        second = await create_credential(http, label="two")
    first_row = await _row(web.db_url, first["id"])
    second_row = await _row(web.db_url, second["id"])
    assert first_row["sealed_secret"] != second_row["sealed_secret"]

    # Copy the first blob onto the second row: it must not open there.
    await execute(
        web.db_url,
        "UPDATE exchange_credentials SET sealed_secret = %s WHERE id = %s",
        (first_row["sealed_secret"], second["id"]),
    )
    copied = (await _row(web.db_url, second["id"]))["sealed_secret"]
    assert copied == first_row["sealed_secret"]
    private_key = load_private_key(web.keys.private_key_b64)
    with pytest.raises(UnsealError):
        open_credential_secrets(
            copied,
            private_key,
            credential_id=uuid.UUID(second["id"]),
            client_id=alice.id,
            exchange="binance",
        )
    # Nor under another venue or client claimed for the original row.
    with pytest.raises(UnsealError):
        open_credential_secrets(
            copied,
            private_key,
            credential_id=uuid.UUID(first["id"]),
            client_id=uuid.uuid4(),
            exchange="binance",
        )


async def test_the_web_process_cannot_open_credentials(web: WebServer) -> None:
    context = web_context(web.app)
    assert context.settings.sealing_private_key is None
    assert context.settings.sealing_retired_private_keys is None
    assert not any(isinstance(value, x25519.X25519PrivateKey) for value in vars(context).values())
    with_private_key = dataclasses.replace(
        web.settings, sealing_private_key=web.keys.private_key_b64
    )
    with pytest.raises(ConfigurationError, match="only the worker"):
        with_private_key.require_for("web")
    with pytest.raises(ConfigurationError, match="only the worker"):
        create_app(with_private_key)


async def test_credentials_are_refused_without_a_public_key(start_web: Any) -> None:
    async with start_web(sealing_key_id=None, sealing_public_key=None) as web:
        alice = await web.create_client()
        async with web.http(alice.token) as http:
            response = await http.post(
                "/v1/credentials",
                json={"exchange": "binance", "label": "x", "api_key": "k", "secret": "s"},
            )
    assert response.status_code == 503
    assert "public key" in error_of(response)["message"]
    assert await fetch_all(web.db_url, "SELECT id FROM exchange_credentials") == []


async def test_credential_rules(web: WebServer) -> None:
    alice = await web.create_client()
    base = {"label": "x", "api_key": "key", "secret": "secret"}
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"exchange": "ftx"}, 422, "exchange", "binance, bybit"),
        ({"exchange": "okx", "environment": "paper"}, 422, "environment", "binance"),
        (
            {"exchange": "binance", "environment": "paper", "api_base_url": ALLOWED_API_BASE_URL},
            422,
            "api_base_url",
            "settings",
        ),
        ({"exchange": "binance", "api_base_url": "http://api.allowed-venue.example"}, 422, "api_base_url", "https"),
        ({"exchange": "binance", "api_base_url": "https://169.254.169.254/latest"}, 422, "api_base_url", "allow-list"),
        ({"exchange": "binance", "api_base_url": "https://user@api.allowed-venue.example"}, 422, "api_base_url", "https"),
        ({"exchange": "binance", "api_base_url": "https://api.allowed-venue.example.evil.test"}, 422, "api_base_url", "allow-list"),
        ({"exchange": "binance", "sealed_secret": "AAAA"}, 400, "sealed_secret", "unknown"),
        ({"exchange": "binance", "client_id": str(uuid.uuid4())}, 400, "client_id", "unknown"),
        ({"exchange": "binance", "environment": "mainnet"}, 400, "environment", ""),
        ({"exchange": "bitmart"}, 422, "memo", "bitmart API keys have a memo"),
        ({"exchange": "coinstore", "environment": "testnet"}, 422, "environment", "no testnet"),
        ({"exchange": "binance", "memo": "m"}, 422, "memo", "binance API keys have no memo"),
        ({"exchange": "coinstore", "memo": "m"}, 422, "memo", "coinstore API keys have no memo"),
    ]  # fmt: skip
    async with web.http(alice.token) as http:
        for overrides, status, field, words in cases:
            response = await http.post("/v1/credentials", json={**base, **overrides})
            assert response.status_code == status, (overrides, response.text)
            error = error_of(response)
            assert field in [detail["field"] for detail in error["details"]], (overrides, error)
            assert words in error["message"], (overrides, error)

        allowed = await http.post(
            "/v1/credentials",
            json={**base, "exchange": "bybit", "api_base_url": ALLOWED_API_BASE_URL + "/"},
        )
        assert allowed.status_code == 201, allowed.text
        assert allowed.json()["api_base_url"] == ALLOWED_API_BASE_URL
        assert allowed.json()["environment"] == "live"
        duplicate = await http.post("/v1/credentials", json={**base, "exchange": "okx"})
        assert duplicate.status_code == 409
        # Revoking is idempotent, keeps the row, and frees the label.
        revoked = await http.post(f"/v1/credentials/{allowed.json()['id']}/revoke")
        again = await http.post(f"/v1/credentials/{allowed.json()['id']}/revoke")
        assert revoked.json()["revoked_at"] == again.json()["revoked_at"] is not None
        relabelled = await http.post("/v1/credentials", json={**base, "exchange": "okx"})
        assert relabelled.status_code == 201
        listed = (await http.get("/v1/credentials")).json()
        assert len(listed) == 2
        active = (await http.get("/v1/credentials?include_revoked=false")).json()
        assert [c["id"] for c in active] == [relabelled.json()["id"]]
    rows = await fetch_all(web.db_url, "SELECT count(*) FROM exchange_credentials")
    assert rows[0][0] == 2


async def test_venue_codes_are_stored_lower_case_and_a_memo_is_sealed(web: WebServer) -> None:
    """A key saved as "BitMart" routes to bitmart (the old system lost orders to a venue
    name that matched nothing), and its memo travels sealed with key and secret."""
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        bitmart = await create_credential(http, exchange="BitMart", memo="my-memo", passphrase=None)
        coinstore = await create_credential(http, exchange="COINSTORE", passphrase=None)
        bot = await create_bot(http, bitmart["id"], symbol="ETH/USDT")
    assert (bitmart["exchange"], coinstore["exchange"], bot["exchange"]) == (
        "bitmart",
        "coinstore",
        "bitmart",
    )
    row = await _row(web.db_url, bitmart["id"])
    assert row["exchange"] == "bitmart"
    opened = open_credential_secrets(
        row["sealed_secret"],
        load_private_key(web.keys.private_key_b64),
        credential_id=uuid.UUID(bitmart["id"]),
        client_id=uuid.UUID(row["client_id"]),
        exchange="bitmart",
    )
    assert (opened.api_key, opened.memo) == (API_KEY, "my-memo")


async def test_revoking_waits_for_orders_live_at_the_venue(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        accepted = await place_order(http, credential["id"])
        live = await place_order(http, credential["id"])
        await execute(web.db_url, "UPDATE orders SET status = 'open' WHERE id = %s", (live["id"],))
        refused = await http.post(f"/v1/credentials/{credential['id']}/revoke")
        assert refused.status_code == 409
        assert "1 order(s)" in error_of(refused)["message"]
        await execute(
            web.db_url, "UPDATE orders SET status = 'canceled' WHERE id = %s", (live["id"],)
        )
        revoked = await http.post(f"/v1/credentials/{credential['id']}/revoke")
        assert revoked.status_code == 200
        assert accepted["status"] == "accepted"  # never sent: does not hold the revoke up
