"""Bots: config validated per kind, start/stop through jobs, archive with cancel intents."""

from __future__ import annotations

from typing import Any

from tests.fixtures.fix_web import WebServer
from tests.integration.web.support import (
    create_bot,
    create_credential,
    error_of,
    fetch_all,
    insert_bot_order,
    jobs,
    spread_config,
)


async def test_config_errors_name_the_field(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        base = {"name": "b", "kind": "spread", "credential_id": credential["id"]}
        cases: list[tuple[dict[str, Any], int, str]] = [
            ({"symbol": "BTC/USDT", "config": spread_config(spread_bps=20)}, 422, "config.spread_bps"),
            ({"symbol": "BTC/USDT", "config": spread_config(order_size="-1")}, 422, "config.order_size"),
            ({"symbol": "BTC/USDT", "config": spread_config(levels=6)}, 422, "config.levels"),
            ({"symbol": "BTC/USDT", "config": spread_config(inventory_target="1.5")}, 422, "config.inventory_target"),
            ({"symbol": "BTC/USDT", "config": spread_config(turbo=True)}, 422, "config.turbo"),
            ({"symbol": "BTC/USDT", "config": {"order_size": "1"}}, 422, "config.spread_bps"),
            ({"symbol": "BTC/USDT", "config": spread_config(min_price="10", max_price="5")}, 422, "config.max_price"),
            ({"symbol": "BTC/USDT", "kind": "volume", "config": {"daily_notional_target": "1000", "min_slice": "50", "max_slice": "10"}}, 422, "config.max_slice"),
            ({"symbol": "BTC/USDT", "kind": "volume", "config": {"daily_notional_target": "1000", "min_slice": "5", "max_slice": "10", "side_policy": "random"}}, 422, "config.side_policy"),
            ({"symbol": "BTCUSDT", "config": spread_config()}, 400, "symbol"),
            ({"symbol": "BTC/USDT", "config": spread_config(), "status": "running"}, 400, "status"),
            ({"symbol": "BTC/USDT", "config": spread_config(), "exchange": "okx"}, 400, "exchange"),
        ]  # fmt: skip
        for overrides, status, field in cases:
            response = await http.post("/v1/bots", json={**base, **overrides})
            assert response.status_code == status, (overrides, response.text)
            error = error_of(response)
            assert field in [detail["field"] for detail in error["details"]], (overrides, error)
            assert field in error["message"]
    assert await fetch_all(web.db_url, "SELECT id FROM bots") == []


async def test_create_update_and_list(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        bot = await create_bot(http, credential["id"], name="maker")
        assert bot["exchange"] == "binance"  # from the credential
        assert bot["status"] == "stopped"
        assert bot["config"]["spread_bps"] == "20"
        assert bot["config"]["refresh_interval_s"] == 10  # defaults are stored explicitly

        renamed = await http.patch(f"/v1/bots/{bot['id']}", json={"name": "maker-2"})
        assert renamed.status_code == 200
        assert renamed.json()["name"] == "maker-2"
        bad = await http.patch(f"/v1/bots/{bot['id']}", json={"config": {"spread_bps": "1"}})
        assert bad.status_code == 422
        assert error_of(bad)["details"][0]["field"] == "config.order_size"
        reconfigured = await http.patch(
            f"/v1/bots/{bot['id']}", json={"config": spread_config(levels=5)}
        )
        assert reconfigured.json()["config"]["levels"] == 5
        assert (await http.patch(f"/v1/bots/{bot['id']}", json={})).status_code == 422
        readonly = await http.patch(f"/v1/bots/{bot['id']}", json={"kind": "volume"})
        assert readonly.status_code == 400
        duplicate = await http.post(
            "/v1/bots",
            json={
                "name": "maker-2",
                "kind": "spread",
                "credential_id": credential["id"],
                "symbol": "ETH/USDT",
                "config": spread_config(),
            },
        )
        assert duplicate.status_code == 409
        assert [b["id"] for b in (await http.get("/v1/bots")).json()] == [bot["id"]]


async def test_start_is_idempotent_and_stop_is_a_status_change(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        bot = await create_bot(http, credential["id"])
        started = await http.post(f"/v1/bots/{bot['id']}/start")
        again = await http.post(f"/v1/bots/{bot['id']}/start")
        assert (started.status_code, again.status_code) == (200, 200)
        assert again.json()["status"] == "running"
        ticks = await jobs(web.db_url, "bot_tick")
        assert len(ticks) == 1
        assert ticks[0]["args"] == {"bot_id": bot["id"]}
        assert ticks[0]["queueing_lock"] == f"bot-tick:{bot['id']}"
        assert ticks[0]["queue_name"] == "bots"

        stopped = await http.post(f"/v1/bots/{bot['id']}/stop")
        assert stopped.json()["status"] == "stopped"
        # Restarted before the pending tick ran: the queueing lock keeps it to one tick.
        restarted = await http.post(f"/v1/bots/{bot['id']}/start")
        assert restarted.status_code == 200
        assert restarted.json()["status"] == "running"
        assert len(await jobs(web.db_url, "bot_tick")) == 1

        # A revoked credential stops its bots and refuses to start them.
        await http.post(f"/v1/credentials/{credential['id']}/revoke")
        refreshed = (await http.get(f"/v1/bots/{bot['id']}")).json()
        assert (refreshed["status"], refreshed["status_reason"]) == (
            "stopped",
            "credential_revoked",
        )
        refused = await http.post(f"/v1/bots/{bot['id']}/start")
        assert refused.status_code == 409


async def test_archiving_a_running_bot_stops_it_and_cancels_its_open_orders(
    web: WebServer,
) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        bot = await create_bot(http, credential["id"])
        assert (await http.post(f"/v1/bots/{bot['id']}/start")).status_code == 200
        orders = {
            status: await insert_bot_order(
                web.db_url,
                client_id=alice.id,
                credential_id=credential["id"],
                bot_id=bot["id"],
                status=status,
            )
            for status in ("accepted", "open", "partially_filled", "filled", "canceled")
        }
        already = await insert_bot_order(
            web.db_url,
            client_id=alice.id,
            credential_id=credential["id"],
            bot_id=bot["id"],
            status="open",
            cancel_requested=True,
        )

        response = await http.delete(f"/v1/bots/{bot['id']}")
        assert response.status_code == 200, response.text
        archived = response.json()
        assert archived["bot"]["status"] == "stopped"
        assert archived["bot"]["archived_at"] is not None
        expected = {str(orders[s]) for s in ("accepted", "open", "partially_filled")}
        assert set(archived["cancel_requested_order_ids"]) == expected

        rows = await fetch_all(
            web.db_url,
            "SELECT id::text FROM orders WHERE cancel_requested_at IS NOT NULL",
        )
        assert {row[0] for row in rows} == {*expected, str(already)}
        cancels = await jobs(web.db_url, "cancel_order")
        assert {job["args"]["order_id"] for job in cancels} == expected
        assert all(job["lock"] == f"order:{job['args']['order_id']}" for job in cancels)

        # Archived: hidden by default, kept, and never started again.
        assert (await http.get("/v1/bots")).json() == []
        listed = (await http.get("/v1/bots?include_archived=true")).json()
        assert [b["id"] for b in listed] == [bot["id"]]
        refused = await http.post(f"/v1/bots/{bot['id']}/start")
        assert refused.status_code == 409
        assert "archived" in error_of(refused)["message"]
        assert (await http.patch(f"/v1/bots/{bot['id']}", json={"name": "z"})).status_code == 409
        # Archiving again changes nothing and defers nothing new.
        assert (await http.delete(f"/v1/bots/{bot['id']}")).status_code == 200
        assert len(await jobs(web.db_url, "cancel_order")) == 3
    rows = await fetch_all(web.db_url, "SELECT count(*) FROM bots")
    assert rows[0][0] == 1


async def test_the_detailed_list_gives_every_bot_as_its_own_read_does(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        quoting = await create_bot(http, credential["id"], name="quoting")
        idle = await create_bot(http, credential["id"], name="idle", symbol="ETH/USDT")
        await insert_bot_order(
            web.db_url, client_id=alice.id, credential_id=credential["id"],
            bot_id=quoting["id"], status="open",
        )  # fmt: skip

        listed = (await http.get("/v1/bots", params={"detail": "true"})).json()
        one_by_one = [(await http.get(f"/v1/bots/{b['id']}")).json() for b in (quoting, idle)]
        plain = (await http.get("/v1/bots")).json()

    def as_read(bot: dict[str, Any]) -> dict[str, Any]:
        # `as_of` is when the statistics were computed: a request apart, it differs.
        return {**bot, "stats": {k: v for k, v in bot["stats"].items() if k != "as_of"}}

    by_id = {b["id"]: b for b in listed}
    assert [as_read(by_id[b["id"]]) for b in one_by_one] == [as_read(b) for b in one_by_one]
    assert len(by_id[quoting["id"]]["quotes"]) == 1
    assert by_id[quoting["id"]]["stats"] is not None
    # Without it, the list stays lean.
    assert all(b["quotes"] is None and b["stats"] is None for b in plain)
