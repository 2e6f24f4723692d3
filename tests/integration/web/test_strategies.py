"""Strategies: the secret shown once and stored hashed, session rules, rotation, archive,
and signal bots subscribing to them."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.fixtures.fix_web import WebServer
from tests.integration.web.signal_support import (
    create_signal_bot,
    create_strategy,
    signal_body,
    signal_config,
)
from tests.integration.web.support import create_credential, error_of, execute, fetch_all


async def test_create_shows_the_secret_once_and_stores_its_hash(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        issued = await create_strategy(
            http,
            name="breakout",
            session_days=[5, 1, 2, 3, 4, 1],
            session_start="09:30",
            session_end="16:00",
            session_timezone="America/New_York",
        )
        secret = issued["secret"]
        strategy = issued["strategy"]
        assert secret.startswith("tbs_")
        assert len(secret) >= 40
        assert strategy["secret_hint"] == secret[:8]
        assert strategy["session_days"] == [1, 2, 3, 4, 5]
        assert strategy["session_start"] == "09:30"
        assert strategy["session_end"] == "16:00"
        assert strategy["max_signal_age_s"] == 60
        assert strategy["webhook_path"] == f"/v1/signals/{strategy['id']}"

        read = await http.get(f"/v1/strategies/{strategy['id']}")
        assert read.status_code == 200
        assert "secret" not in read.json()
        assert secret not in read.text
        listed = (await http.get("/v1/strategies")).json()
        assert [item["id"] for item in listed] == [strategy["id"]]
        assert secret not in str(listed)

    rows = await fetch_all(web.db_url, "SELECT secret_hash FROM strategies")
    assert rows == [(hashlib.sha256(secret.encode()).digest(),)]


async def test_bad_bodies_name_the_field(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        cases: list[tuple[dict[str, Any], int, str]] = [
            ({}, 400, "name"),
            ({"name": "s", "session_timezone": "Mars/Olympus"}, 422, "session_timezone"),
            ({"name": "s", "session_timezone": "../etc/passwd"}, 422, "session_timezone"),
            ({"name": "s", "session_start": "9:30", "session_end": "16:00"}, 400, "session_start"),
            ({"name": "s", "session_start": "24:00", "session_end": "16:00"}, 400, "session_start"),
            ({"name": "s", "session_start": "09:30"}, 422, "session_end"),
            ({"name": "s", "session_start": "09:30", "session_end": "09:30"}, 422, "session_end"),
            ({"name": "s", "session_days": []}, 400, "session_days"),
            ({"name": "s", "session_days": [0]}, 400, "session_days"),
            ({"name": "s", "max_signal_age_s": 0}, 400, "max_signal_age_s"),
            ({"name": "s", "max_signal_age_s": 86401}, 400, "max_signal_age_s"),
            ({"name": "s", "secret": "mine"}, 400, "secret"),
        ]
        for body, status, field in cases:
            response = await http.post("/v1/strategies", json=body)
            assert response.status_code == status, (body, response.text)
            fields = [detail["field"] for detail in error_of(response)["details"] or []]
            assert any(field in name for name in fields), (body, response.text)
        await create_strategy(http, name="taken")
        duplicate = await http.post("/v1/strategies", json={"name": "taken"})
        assert duplicate.status_code == 409
    assert len(await fetch_all(web.db_url, "SELECT id FROM strategies")) == 1


async def test_patch_changes_only_what_is_sent(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        strategy = (
            await create_strategy(
                http, session_days=[1, 2], session_start="22:00", session_end="06:00"
            )
        )["strategy"]
        path = f"/v1/strategies/{strategy['id']}"
        changed = await http.patch(path, json={"name": "renamed", "max_signal_age_s": 300})
        assert changed.status_code == 200, changed.text
        body = changed.json()
        assert body["name"] == "renamed"
        assert body["max_signal_age_s"] == 300
        assert body["session_start"] == "22:00"
        assert body["session_days"] == [1, 2]

        cleared = (await http.patch(path, json={"session_start": None, "session_end": None})).json()
        assert cleared["session_start"] is None
        assert cleared["session_days"] == [1, 2]
        every_day = (await http.patch(path, json={"session_days": None})).json()
        assert every_day["session_days"] is None
        half = await http.patch(path, json={"session_start": "10:00"})
        assert half.status_code == 422
        assert error_of(half)["details"][0]["field"] == "session_end"
        assert (await http.patch(path, json={})).status_code == 422
        zone = await http.patch(path, json={"session_timezone": "Not/AZone"})
        assert zone.status_code == 422


async def test_rotation_shows_a_new_secret_and_the_old_one_stops_working(
    web: WebServer,
) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        issued = await create_strategy(http)
        strategy_id = issued["strategy"]["id"]
        rotated = await http.post(f"/v1/strategies/{strategy_id}/rotate-secret")
        assert rotated.status_code == 200, rotated.text
        new_secret = rotated.json()["secret"]
        assert new_secret != issued["secret"]
        assert rotated.json()["strategy"]["secret_hint"] == new_secret[:8]
    async with web.http() as anonymous:
        old = await anonymous.post(
            f"/v1/signals/{strategy_id}", json=signal_body(secret=issued["secret"])
        )
        assert old.status_code == 401
        new = await anonymous.post(
            f"/v1/signals/{strategy_id}", json=signal_body(secret=new_secret)
        )
        assert new.status_code == 202, new.text


async def test_another_clients_strategy_is_not_found(web: WebServer) -> None:
    alice, bob = await web.create_client(), await web.create_client()
    async with web.http(alice.token) as http:
        strategy_id = (await create_strategy(http))["strategy"]["id"]
    async with web.http(bob.token) as http:
        for method, path in [
            ("GET", f"/v1/strategies/{strategy_id}"),
            ("PATCH", f"/v1/strategies/{strategy_id}"),
            ("POST", f"/v1/strategies/{strategy_id}/rotate-secret"),
            ("DELETE", f"/v1/strategies/{strategy_id}"),
            ("GET", f"/v1/strategies/{strategy_id}/signals"),
            ("POST", f"/v1/signals/{strategy_id}"),
        ]:
            body = (
                {"name": "x"}
                if method == "PATCH"
                else signal_body()
                if "signals/" in path and method == "POST"
                else None
            )
            response = await http.request(method, path, json=body)
            assert response.status_code == 404, (method, path, response.text)
        assert (await http.get("/v1/strategies")).json() == []


async def test_archive_is_refused_while_running_bots_subscribe(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        strategy_id = (await create_strategy(http))["strategy"]["id"]
        bot = await create_signal_bot(http, credential["id"], strategy_id)
        assert bot["strategy_id"] == strategy_id
        assert bot["kind"] == "signal"
        await execute(web.db_url, "UPDATE bots SET status = 'running' WHERE id = %s", (bot["id"],))

        refused = await http.delete(f"/v1/strategies/{strategy_id}")
        assert refused.status_code == 409
        assert bot["id"] in error_of(refused)["message"]

        await execute(web.db_url, "UPDATE bots SET status = 'stopped' WHERE id = %s", (bot["id"],))
        archived = await http.delete(f"/v1/strategies/{strategy_id}")
        assert archived.status_code == 200
        assert archived.json()["archived_at"] is not None
        again = await http.delete(f"/v1/strategies/{strategy_id}")
        assert again.status_code == 200  # idempotent
        assert (await http.get("/v1/strategies")).json() == []
        assert len((await http.get("/v1/strategies?include_archived=true")).json()) == 1

        # Archived: no changes, no rotation, no new subscribers, no start, webhook closed.
        assert (
            await http.patch(f"/v1/strategies/{strategy_id}", json={"name": "n"})
        ).status_code == 409
        assert (await http.post(f"/v1/strategies/{strategy_id}/rotate-secret")).status_code == 409
        subscribe = await http.post(
            "/v1/bots",
            json={
                "name": "late",
                "kind": "signal",
                "credential_id": credential["id"],
                "symbol": "BTC/USDT",
                "strategy_id": strategy_id,
                "config": signal_config(),
            },
        )
        assert subscribe.status_code == 422
        assert error_of(subscribe)["details"][0]["field"] == "strategy_id"
        assert (await http.post(f"/v1/bots/{bot['id']}/start")).status_code == 409
        gone = await http.post(f"/v1/signals/{strategy_id}", json=signal_body())
        assert gone.status_code == 410


async def test_signal_bots_need_a_strategy_and_only_they_have_one(web: WebServer) -> None:
    alice, bob = await web.create_client(), await web.create_client()
    async with web.http(bob.token) as http:
        bobs_strategy = (await create_strategy(http))["strategy"]["id"]
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        strategy_id = (await create_strategy(http))["strategy"]["id"]
        base = {"name": "b", "credential_id": credential["id"], "symbol": "BTC/USDT"}
        cases: list[tuple[dict[str, Any], int, str | None]] = [
            ({"kind": "signal", "config": signal_config()}, 422, "strategy_id"),
            ({"kind": "spread", "strategy_id": strategy_id, "config": {"spread_bps": "20", "order_size": "0.01"}}, 422, "strategy_id"),
            ({"kind": "signal", "strategy_id": bobs_strategy, "config": signal_config()}, 404, None),
            ({"kind": "signal", "strategy_id": strategy_id, "config": signal_config(stop_loss_pct=None)}, 422, "config.stop_atr_multiple"),
            ({"kind": "signal", "strategy_id": strategy_id, "config": signal_config(sizing="risk")}, 422, "config.quote_amount"),
        ]  # fmt: skip
        for overrides, status, field in cases:
            response = await http.post("/v1/bots", json={**base, **overrides})
            assert response.status_code == status, (overrides, response.text)
            if field:
                assert error_of(response)["details"][0]["field"] == field, response.text
        bot = await create_signal_bot(http, credential["id"], strategy_id)
        listed = (await http.get("/v1/bots")).json()
        assert [item["strategy_id"] for item in listed] == [strategy_id]
        detail = (await http.get(f"/v1/bots/{bot['id']}")).json()
        assert detail["strategy_id"] == strategy_id
        assert detail["config"]["sizing"] == "fixed_quote"
