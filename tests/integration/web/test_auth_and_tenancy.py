"""Authentication (bearer tokens, admin token) and tenancy: another client's resource
answers 404 exactly like a missing one, and nothing changes."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from tests.factories import FILL_INSERT
from tests.fixtures.fix_web import WebServer
from tests.integration.web.support import (
    create_bot,
    create_credential,
    error_of,
    execute,
    fetch_all,
    order_body,
    place_order,
)

SNAPSHOT_TABLES = {
    "clients": "id",
    "api_tokens": "id",
    "exchange_credentials": "id",
    "bots": "id",
    "orders": "id",
    "order_events": "id",
    "fills": "id",
    "kill_switches": "id",
    "procrastinate_jobs": "id",
}


async def _snapshot(db_url: str) -> dict[str, list[Any]]:
    snapshot: dict[str, list[Any]] = {}
    for table, key in SNAPSHOT_TABLES.items():
        rows = await fetch_all(db_url, f"SELECT to_jsonb(t) FROM {table} t ORDER BY {key}")
        snapshot[table] = [row[0] for row in rows]
    return snapshot


def _without_ids(message: str) -> str:
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", message)


async def test_another_clients_resources_answer_404_and_change_nothing(web: WebServer) -> None:
    alice, bob = await web.create_client(), await web.create_client()

    # Bob's world: a second token, a credential, a running bot, an order with a fill.
    async with web.http(bob.token) as http:
        bob_token = (await http.post("/v1/tokens", json={"label": "ci"})).json()
        bob_credential = await create_credential(http)
        bob_bot = await create_bot(http, bob_credential["id"])
        assert (await http.post(f"/v1/bots/{bob_bot['id']}/start")).status_code == 200
        bob_order = await place_order(http, bob_credential["id"])
    await execute(
        web.db_url,
        FILL_INSERT,
        {
            "client_id": bob.id,
            "credential_id": bob_credential["id"],
            "order_id": bob_order["id"],
            "trade_id": "T-bob-1",
            "price": Decimal("50000"),
            "amount": Decimal("0.004"),
            "fee": Decimal("0"),
        },
    )

    async with web.http(alice.token) as http:
        alice_credential = await create_credential(http)
        await http.get("/v1/tokens")  # first use stamps last_used_at; later uses don't
        before = await _snapshot(web.db_url)

        def bot_change(bot_id: str) -> dict[str, Any]:
            return {"scope": "bot", "bot_id": bot_id, "reason": "x", "confirm": bot_id}

        # (method, path template, json body) - each tried with Bob's id and a random one.
        attempts: list[tuple[str, str, str, Any]] = [
            ("GET", "/v1/credentials/{}", bob_credential["id"], None),
            ("POST", "/v1/credentials/{}/revoke", bob_credential["id"], None),
            ("GET", "/v1/bots/{}", bob_bot["id"], None),
            ("PATCH", "/v1/bots/{}", bob_bot["id"], {"name": "stolen"}),
            ("DELETE", "/v1/bots/{}", bob_bot["id"], None),
            ("POST", "/v1/bots/{}/start", bob_bot["id"], None),
            ("POST", "/v1/bots/{}/stop", bob_bot["id"], None),
            ("GET", "/v1/orders/{}", bob_order["id"], None),
            ("POST", "/v1/orders/{}/cancel", bob_order["id"], None),
            ("POST", "/v1/tokens/{}/revoke", bob_token["id"], None),
        ]
        for method, template, bob_id, body in attempts:
            foreign = await http.request(method, template.format(bob_id), json=body)
            missing_id = str(uuid.uuid4())
            missing = await http.request(method, template.format(missing_id), json=body)
            assert foreign.status_code == 404, (method, template, foreign.text)
            assert missing.status_code == 404, (method, template, missing.text)
            foreign_error, missing_error = error_of(foreign), error_of(missing)
            assert foreign_error["code"] == missing_error["code"] == "not_found"
            assert _without_ids(foreign_error["message"]) == _without_ids(missing_error["message"])

        # Bob's ids inside request bodies.
        for path, body in [
            ("/v1/kill-switch/engage", bot_change(bob_bot["id"])),
            ("/v1/kill-switch/release", bot_change(bob_bot["id"])),
            (
                "/v1/bots",
                {
                    "name": "mine",
                    "kind": "spread",
                    "credential_id": bob_credential["id"],
                    "symbol": "BTC/USDT",
                    "config": {"spread_bps": "10", "order_size": "1"},
                },
            ),
        ]:
            response = await http.post(path, json=body)
            assert response.status_code == 404, (path, response.text)
        response = await http.post(
            "/v1/orders",
            json=order_body(bob_credential["id"]),
            headers={"Idempotency-Key": "steal"},
        )
        assert response.status_code == 404

        # Lists show Alice's rows only.
        assert [c["id"] for c in (await http.get("/v1/credentials")).json()] == [
            alice_credential["id"]
        ]
        assert (await http.get("/v1/bots?include_archived=true")).json() == []
        assert (await http.get("/v1/orders")).json()["items"] == []
        assert (await http.get(f"/v1/orders?credential_id={bob_credential['id']}")).json()[
            "items"
        ] == []
        assert (await http.get("/v1/fills")).json()["items"] == []
        assert (await http.get(f"/v1/fills?order_id={bob_order['id']}")).json()["items"] == []
        assert (await http.get("/v1/kill-switch")).json() == {"engaged": []}
        tokens = (await http.get("/v1/tokens")).json()
        assert {t["client_id"] for t in tokens} == {str(alice.id)}

    assert await _snapshot(web.db_url) == before
    # The control: Bob still sees his own things.
    async with web.http(bob.token) as http:
        assert (await http.get(f"/v1/orders/{bob_order['id']}")).status_code == 200
        assert len((await http.get("/v1/fills")).json()["items"]) == 1


async def test_admin_routes_need_the_admin_token(web: WebServer) -> None:
    alice = await web.create_client()
    admin_routes = [
        ("GET", "/v1/admin/clients", None),
        ("POST", "/v1/admin/clients", {"name": "newco"}),
        ("POST", f"/v1/admin/clients/{alice.id}/tokens", {}),
        ("POST", f"/v1/admin/tokens/{uuid.uuid4()}/revoke", None),
        ("POST", "/v1/admin/kill-switch/engage", {"scope": "global", "confirm": "global", "reason": "x"}),
        ("POST", "/v1/admin/kill-switch/release", {"scope": "global", "confirm": "global", "reason": "x"}),
    ]  # fmt: skip
    async with web.http() as anonymous, web.http(alice.token) as client:
        for method, path, body in admin_routes:
            response = await anonymous.request(method, path, json=body)
            assert response.status_code == 401, (path, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert error_of(response)["code"] == "unauthorized"
            response = await client.request(method, path, json=body)
            assert response.status_code == 403, (path, response.text)
            assert error_of(response)["code"] == "forbidden"
    # The admin token is no client: client routes refuse it.
    async with web.admin() as admin:
        response = await admin.get("/v1/orders")
        assert response.status_code == 403
        created = await admin.post("/v1/admin/clients", json={"name": "newco"})
        assert created.status_code == 201, created.text
        token = created.json()["token"]["token"]
        assert (await admin.get("/v1/admin/clients")).status_code == 200
        duplicate = await admin.post("/v1/admin/clients", json={"name": "newco"})
        assert duplicate.status_code == 409
    async with web.http(token) as newco:
        assert (await newco.get("/v1/orders")).status_code == 200
    rows = await fetch_all(web.db_url, "SELECT token_hash FROM api_tokens")
    assert all(token.encode() not in bytes(row[0]) for row in rows)


async def test_admin_api_is_disabled_without_an_admin_token(start_web: Any) -> None:
    async with start_web(admin_token=None) as web:
        alice = await web.create_client()
        async with web.http(alice.token) as http:
            response = await http.get("/v1/admin/clients")
            assert response.status_code == 403
            assert "admin API disabled" in error_of(response)["message"]
            assert (await http.get("/v1/orders")).status_code == 200


async def test_revoked_tokens_and_disabled_clients_are_refused(web: WebServer) -> None:
    alice, bob = await web.create_client(), await web.create_client()
    async with web.http(alice.token) as http:
        second = (await http.post("/v1/tokens", json={"label": "laptop"})).json()
        assert second["token"].startswith("tb_")
    async with web.http(second["token"]) as laptop:
        assert (await laptop.get("/v1/orders")).status_code == 200
        # A client revokes its own token...
        async with web.http(alice.token) as http:
            revoked = await http.post(f"/v1/tokens/{second['id']}/revoke")
            assert revoked.status_code == 200
            assert revoked.json()["revoked_at"] is not None
        refused = await laptop.get("/v1/orders")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
    # ...the admin revokes anyone's.
    async with web.admin() as admin:
        bob_tokens = await fetch_all(
            web.db_url, "SELECT id FROM api_tokens WHERE client_id = %s", (bob.id,)
        )
        response = await admin.post(f"/v1/admin/tokens/{bob_tokens[0][0]}/revoke")
        assert response.status_code == 200
    async with web.http(bob.token) as http:
        assert (await http.get("/v1/orders")).status_code == 401
    await execute(web.db_url, "UPDATE clients SET disabled_at = now() WHERE id = %s", (alice.id,))
    async with web.http(alice.token) as http:
        assert (await http.get("/v1/orders")).status_code == 401
    for header in ("Bearer", "Bearer not-a-token", "Basic abc", f"Token {alice.token}"):
        async with web.http(Authorization=header) as http:
            response = await http.get("/v1/orders")
            assert response.status_code == 401, header
            assert error_of(response)["code"] == "unauthorized"


async def test_last_used_at_is_written_at_most_once_a_minute(web: WebServer) -> None:
    alice = await web.create_client()

    async def last_used() -> Any:
        rows = await fetch_all(
            web.db_url, "SELECT last_used_at FROM api_tokens WHERE client_id = %s", (alice.id,)
        )
        return rows[0][0]

    assert await last_used() is None
    async with web.http(alice.token) as http:
        await http.get("/v1/orders")
        first = await last_used()
        assert first is not None
        for _ in range(3):
            await http.get("/v1/orders")
        assert await last_used() == first
        await execute(
            web.db_url,
            "UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' "
            "WHERE client_id = %s",
            (alice.id,),
        )
        stale = await last_used()
        await http.get("/v1/orders")
        assert await last_used() > stale
