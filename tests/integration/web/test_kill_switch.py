"""Kill switches: confirm, engage (stop bots + one job), refuse twice, release explicitly."""

from __future__ import annotations

import uuid

from tests.fixtures.fix_web import WebServer
from tests.integration.web.support import (
    create_bot,
    create_credential,
    error_of,
    fetch_all,
    jobs,
)


async def _bot_status(db_url: str, bot_id: str) -> tuple[str, str | None]:
    rows = await fetch_all(
        db_url, "SELECT status, status_reason FROM bots WHERE id = %s", (bot_id,)
    )
    return rows[0][0], rows[0][1]


async def test_client_switch_stops_bots_and_is_released_explicitly(web: WebServer) -> None:
    alice, bob = await web.create_client(), await web.create_client()
    async with web.http(bob.token) as http:
        bob_bot = await create_bot(http, (await create_credential(http))["id"])
        await http.post(f"/v1/bots/{bob_bot['id']}/start")
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        running = await create_bot(http, credential["id"])
        idle = await create_bot(http, credential["id"])
        await http.post(f"/v1/bots/{running['id']}/start")

        wrong = await http.post(
            "/v1/kill-switch/engage",
            json={"scope": "client", "reason": "oops", "confirm": str(uuid.uuid4())},
        )
        assert wrong.status_code == 422
        assert error_of(wrong)["details"][0]["field"] == "confirm"
        assert await fetch_all(web.db_url, "SELECT id FROM kill_switches") == []

        change = {"scope": "client", "reason": "venue incident", "confirm": str(alice.id)}
        engaged = await http.post("/v1/kill-switch/engage", json=change)
        assert engaged.status_code == 201, engaged.text
        switch = engaged.json()
        assert switch["scope"] == "client"
        assert switch["engaged_by"].startswith("token:tb_")
        assert await _bot_status(web.db_url, running["id"]) == ("stopped", "kill_switch")
        assert await _bot_status(web.db_url, idle["id"]) == ("stopped", None)
        assert await _bot_status(web.db_url, bob_bot["id"]) == ("running", None)
        applied = await jobs(web.db_url, "apply_kill_switch")
        assert [job["args"] for job in applied] == [{"kill_switch_id": switch["id"]}]

        twice = await http.post("/v1/kill-switch/engage", json=change)
        assert twice.status_code == 409
        assert len(await jobs(web.db_url, "apply_kill_switch")) == 1

        refused = await http.post(f"/v1/bots/{running['id']}/start")
        assert refused.status_code == 409
        assert "kill switch" in error_of(refused)["message"]
        status = (await http.get("/v1/kill-switch")).json()
        assert [s["id"] for s in status["engaged"]] == [switch["id"]]

        released = await http.post("/v1/kill-switch/release", json={**change, "reason": "ok"})
        assert released.status_code == 200
        assert released.json()["released_by"] == switch["engaged_by"]
        # Releasing restarts nothing.
        assert await _bot_status(web.db_url, running["id"]) == ("stopped", "kill_switch")
        assert (await http.get("/v1/kill-switch")).json() == {"engaged": []}
        again = await http.post("/v1/kill-switch/release", json=change)
        assert again.status_code == 409
        assert (await http.post(f"/v1/bots/{running['id']}/start")).status_code == 200


async def test_bot_switch_needs_the_bot_id_as_confirmation(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        bot = await create_bot(http, credential["id"])
        other = await create_bot(http, credential["id"])
        for bot_row in (bot, other):
            await http.post(f"/v1/bots/{bot_row['id']}/start")
        for body in (
            {"scope": "bot", "bot_id": bot["id"], "reason": "x", "confirm": other["id"]},
            {"scope": "bot", "bot_id": bot["id"], "reason": "x", "confirm": str(alice.id)},
            {"scope": "bot", "reason": "x", "confirm": bot["id"]},
            {"scope": "client", "bot_id": bot["id"], "reason": "x", "confirm": str(alice.id)},
        ):
            response = await http.post("/v1/kill-switch/engage", json=body)
            assert response.status_code == 422, (body, response.text)
        global_scope = await http.post(
            "/v1/kill-switch/engage", json={"scope": "global", "reason": "x", "confirm": "global"}
        )
        assert global_scope.status_code == 400  # clients have no global scope

        engaged = await http.post(
            "/v1/kill-switch/engage",
            json={"scope": "bot", "bot_id": bot["id"], "reason": "drift", "confirm": bot["id"]},
        )
        assert engaged.status_code == 201
        assert await _bot_status(web.db_url, bot["id"]) == ("stopped", "kill_switch")
        assert await _bot_status(web.db_url, other["id"]) == ("running", None)


async def test_admin_global_switch(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        bot = await create_bot(http, (await create_credential(http))["id"])
        await http.post(f"/v1/bots/{bot['id']}/start")
    async with web.admin() as admin:
        wrong = await admin.post(
            "/v1/admin/kill-switch/engage",
            json={"scope": "global", "reason": "x", "confirm": "yes"},
        )
        assert wrong.status_code == 422
        engaged = await admin.post(
            "/v1/admin/kill-switch/engage",
            json={"scope": "global", "reason": "exchange outage", "confirm": "global"},
        )
        assert engaged.status_code == 201
        assert engaged.json()["engaged_by"] == "admin"
    assert await _bot_status(web.db_url, bot["id"]) == ("stopped", "kill_switch")
    async with web.http(alice.token) as http:
        status = (await http.get("/v1/kill-switch")).json()
        assert [s["scope"] for s in status["engaged"]] == ["global"]
        assert (await http.post(f"/v1/bots/{bot['id']}/start")).status_code == 409
    async with web.admin() as admin:
        released = await admin.post(
            "/v1/admin/kill-switch/release",
            json={"scope": "global", "reason": "resolved", "confirm": "global"},
        )
        assert released.status_code == 200
    assert await _bot_status(web.db_url, bot["id"]) == ("stopped", "kill_switch")
