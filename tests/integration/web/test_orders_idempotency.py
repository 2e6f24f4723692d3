"""POST /v1/orders: Idempotency-Key semantics, the transaction that writes intent + job."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import psycopg
import pytest

import shared.orders.intents
from shared.domain import OrderSide, OrderType
from shared.jobs import create_job_app
from shared.orders.intents import OrderIntent, submit_order_intent
from tests.fixtures.fix_web import WebServer
from tests.integration.web.support import (
    create_bot,
    create_credential,
    error_of,
    execute,
    fetch_all,
    jobs,
    order_body,
)


async def _count_orders(db_url: str) -> int:
    rows = await fetch_all(db_url, "SELECT count(*) FROM orders")
    return int(rows[0][0])


async def test_hundred_concurrent_duplicates_make_one_order_and_one_job(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        body = order_body(credential["id"], amount="0.0150")
        headers = {"Idempotency-Key": "order-2024-0001"}
        responses = await asyncio.gather(
            *(http.post("/v1/orders", json=body, headers=headers) for _ in range(100))
        )

    statuses = {response.status_code for response in responses}
    assert statuses == {202}, [r.text for r in responses if r.status_code != 202][:3]
    bodies = {response.content for response in responses}
    assert len(bodies) == 1, "every response must be byte-for-byte the stored first one"
    replayed = [r.headers.get("idempotent-replayed") for r in responses]
    assert replayed.count(None) == 1
    assert replayed.count("true") == 99

    order = responses[0].json()
    assert order["status"] == "accepted"
    assert order["amount"] == "0.015"  # normalised
    rows = await fetch_all(
        web.db_url,
        "SELECT id, response_status, idempotency_key, client_order_id FROM orders",
    )
    assert len(rows) == 1
    order_id, response_status, key, client_order_id = rows[0]
    assert (str(order_id), response_status, key) == (order["id"], 202, "order-2024-0001")
    assert client_order_id == order["client_order_id"]
    assert client_order_id == shared.orders.intents.client_order_id_for(order_id)

    place_jobs = await jobs(web.db_url, "place_order")
    assert len(place_jobs) == 1
    assert place_jobs[0]["args"] == {"order_id": order["id"]}
    assert place_jobs[0]["lock"] == f"order:{order['id']}"
    assert place_jobs[0]["queue_name"] == "orders"


async def test_same_key_with_a_different_body_is_422(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        headers = {"Idempotency-Key": "key-1"}
        first = await http.post("/v1/orders", json=order_body(credential["id"]), headers=headers)
        assert first.status_code == 202
        # Same request spelled differently is the same request...
        again = await http.post(
            "/v1/orders",
            json=order_body(credential["id"], amount="0.010", time_in_force="GTC"),
            headers=headers,
        )
        assert again.status_code == 202
        assert again.headers["idempotent-replayed"] == "true"
        assert again.content == first.content
        # ...another amount is not.
        different = await http.post(
            "/v1/orders", json=order_body(credential["id"], amount="0.02"), headers=headers
        )
    assert different.status_code == 422
    assert error_of(different)["code"] == "idempotency_key_reused"
    assert await _count_orders(web.db_url) == 1


async def test_keys_are_scoped_to_the_client(web: WebServer) -> None:
    alice, bob = await web.create_client(), await web.create_client()
    headers = {"Idempotency-Key": "shared-key"}
    async with web.http(alice.token) as http:
        alice_credential = await create_credential(http)
        first = await http.post(
            "/v1/orders", json=order_body(alice_credential["id"]), headers=headers
        )
    async with web.http(bob.token) as http:
        bob_credential = await create_credential(http)
        second = await http.post(
            "/v1/orders", json=order_body(bob_credential["id"], side="sell"), headers=headers
        )
    assert (first.status_code, second.status_code) == (202, 202)
    assert "idempotent-replayed" not in second.headers
    assert first.json()["id"] != second.json()["id"]
    assert await _count_orders(web.db_url) == 2


INVALID_KEYS: list[str | bytes | None] = [None, "", "x" * 256, b"caf\xc3\xa9", "tab\tinside"]


async def test_missing_or_invalid_key_is_400(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        for key in INVALID_KEYS:
            headers: dict[str, Any] = {} if key is None else {"Idempotency-Key": key}
            response = await http.post(
                "/v1/orders", json=order_body(credential["id"]), headers=headers
            )
            assert response.status_code == 400, (key, response.text)
            assert "Idempotency-Key" in error_of(response)["message"], key
    assert await _count_orders(web.db_url) == 0


async def test_failure_between_insert_and_job_commits_nothing(
    web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await web.create_client()
    inserted_before_failure: list[int] = []

    async def failing_defer(*args: Any, **kwargs: Any) -> int:
        # Runs after the order insert, inside the request's transaction.
        conn = args[1]
        cur = await conn.execute("SELECT count(*) FROM orders")
        inserted_before_failure.append((await cur.fetchone())[0])
        raise RuntimeError("injected: job queue unavailable (secret=hunter2hunter2)")

    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        body = order_body(credential["id"])
        headers = {"Idempotency-Key": "will-fail-once", "X-Request-ID": "req-fail-0001"}
        monkeypatch.setattr(shared.orders.intents, "defer", failing_defer)
        failed = await http.post("/v1/orders", json=body, headers=headers)
        monkeypatch.undo()

        assert failed.status_code == 500
        error = error_of(failed)
        assert error["code"] == "internal_error"
        assert error["request_id"] == "req-fail-0001"
        assert "req-fail-0001" in error["message"]
        for leak in ("Traceback", "RuntimeError", "injected", "hunter2"):
            assert leak not in failed.text
        assert inserted_before_failure == [1]  # the insert did happen...
        assert await _count_orders(web.db_url) == 0  # ...and was rolled back
        assert await fetch_all(web.db_url, "SELECT * FROM order_events") == []
        assert await jobs(web.db_url) == []

        # The key is not burnt: the retry is a first request.
        retried = await http.post("/v1/orders", json=body, headers=headers)
    assert retried.status_code == 202
    assert "idempotent-replayed" not in retried.headers
    assert len(await jobs(web.db_url, "place_order")) == 1


INVALID_ORDERS: list[tuple[dict[str, Any], int, str]] = [
    ({"amount": 0.01}, 400, "amount"),
    ({"amount": "NaN"}, 400, "amount"),
    ({"amount": "-1"}, 400, "amount"),
    ({"amount": "1e3"}, 400, "amount"),
    ({"price": 50000.5}, 400, "price"),
    ({"amount": "0"}, 422, "amount"),
    ({"price": None}, 422, "price"),
    ({"type": "market"}, 422, "price"),
    ({"type": "market", "price": None, "time_in_force": "IOC"}, 422, "time_in_force"),
    ({"symbol": "btc-usdt"}, 400, "symbol"),
    ({"side": "hold"}, 400, "side"),
    ({"client_id": str(uuid.uuid4())}, 400, "client_id"),
    ({"status": "filled"}, 400, "status"),
    ({"id": str(uuid.uuid4())}, 400, "id"),
]


async def test_invalid_orders_name_the_field(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        for overrides, status, field in INVALID_ORDERS:
            body = {
                k: v for k, v in order_body(credential["id"], **overrides).items() if v is not None
            }
            response = await http.post(
                "/v1/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
            )
            assert response.status_code == status, (overrides, response.text)
            error = error_of(response)
            assert field in error["message"], (overrides, error)
            assert field in [detail["field"] for detail in error["details"]], (overrides, error)
    assert await _count_orders(web.db_url) == 0


async def test_revoked_or_foreign_credential_is_refused(web: WebServer) -> None:
    alice, bob = await web.create_client(), await web.create_client()
    async with web.http(bob.token) as http:
        bob_credential = await create_credential(http)
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        revoked = await http.post(f"/v1/credentials/{credential['id']}/revoke")
        assert revoked.status_code == 200
        refused = await http.post(
            "/v1/orders",
            json=order_body(credential["id"]),
            headers={"Idempotency-Key": "k-revoked"},
        )
        foreign = await http.post(
            "/v1/orders",
            json=order_body(bob_credential["id"]),
            headers={"Idempotency-Key": "k-foreign"},
        )
    assert refused.status_code == 422
    assert error_of(refused)["details"][0]["field"] == "credential_id"
    assert foreign.status_code == 404
    assert await _count_orders(web.db_url) == 0


async def test_a_replay_survives_a_later_revocation(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        headers = {"Idempotency-Key": "before-revoke"}
        first = await http.post("/v1/orders", json=order_body(credential["id"]), headers=headers)
        await execute(
            web.db_url,
            "UPDATE exchange_credentials SET revoked_at = now() WHERE id = %s",
            (credential["id"],),
        )
        replay = await http.post("/v1/orders", json=order_body(credential["id"]), headers=headers)
    assert (first.status_code, replay.status_code) == (202, 202)
    assert replay.content == first.content


async def test_non_json_bodies_are_refused(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        headers = {"Idempotency-Key": "k"}
        form = await http.post(
            "/v1/orders", content=b"amount=1", headers={**headers, "Content-Type": "text/plain"}
        )
        broken = await http.post(
            "/v1/orders",
            content=b"{not json",
            headers={**headers, "Content-Type": "application/json"},
        )
        empty = await http.post("/v1/orders", headers=headers)
    assert form.status_code == 415
    assert error_of(form)["code"] == "unsupported_media_type"
    assert broken.status_code == 400
    assert "JSON" in error_of(broken)["message"]
    assert empty.status_code == 400
    assert error_of(empty)["code"] == "bad_request"


async def test_bot_ticks_submit_through_the_same_function(web: WebServer) -> None:
    """The worker's bots call shared.orders.intents directly, on their own connection."""
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        bot = await create_bot(http, credential["id"])
    request = OrderIntent(
        credential_id=uuid.UUID(credential["id"]),
        symbol="BTC/USDT",
        side=OrderSide.SELL,
        type=OrderType.LIMIT,
        amount=Decimal("0.5"),
        price=Decimal("51000"),
    )
    job_app = create_job_app()
    outcomes = []
    for _ in range(2):  # a re-run tick derives the same key: one order
        async with await psycopg.AsyncConnection.connect(web.db_url) as conn, conn.transaction():
            outcomes.append(
                await submit_order_intent(
                    conn,
                    job_app,
                    client_id=alice.id,
                    request=request,
                    idempotency_key=f"bot:{bot['id']}:tick:7:ask-1",
                    source="bot",
                    bot_id=uuid.UUID(bot["id"]),
                    bot_tick=7,
                    bot_leg="ask-1",
                )
            )
    assert [(o.status_code, o.replayed) for o in outcomes] == [(202, False), (202, True)]
    assert outcomes[0].body == outcomes[1].body
    assert outcomes[0].body["source"] == "bot"
    assert outcomes[0].body["bot_id"] == bot["id"]
    assert len(await jobs(web.db_url, "place_order")) == 1
    async with web.http(alice.token) as http:
        listed = (await http.get("/v1/orders", params={"bot_id": bot["id"]})).json()
    assert [o["id"] for o in listed["items"]] == [outcomes[0].body["id"]]
