"""Balances over HTTP: the stored snapshot, its staleness and last error, never zeros."""

from __future__ import annotations

from tests.fixtures.fix_web import WebServer
from tests.integration.web.support import create_bot, create_credential, execute, fetch_all


async def test_balance_snapshot_staleness_and_errors(web: WebServer, db_url: str) -> None:
    alice, bob = await web.create_client(), await web.create_client()
    async with web.http(alice.token) as http:
        credential_id = (await create_credential(http))["id"]
        never = (await http.get(f"/v1/credentials/{credential_id}/balance")).json()
        assert (never["assets"], never["fetched_at"], never["stale"]) == ([], None, True)

        await execute(
            db_url,
            """INSERT INTO balances (credential_id, asset, free, used, total, fetched_at)
               VALUES (%(c)s, 'BTC', 1.5, 0.5, 2, now()), (%(c)s, 'USDT', 1000, 0, 1000, now())""",
            {"c": credential_id},
        )
        await execute(
            db_url,
            "INSERT INTO balance_refreshes (credential_id, last_attempt_at, last_success_at) VALUES (%(c)s, now(), now())",
            {"c": credential_id},
        )
        fresh = (await http.get(f"/v1/credentials/{credential_id}/balance")).json()
        assert fresh["stale"] is False
        assert fresh["assets"][0] == {"asset": "BTC", "free": "1.5", "used": "0.5", "total": "2"}

        # The worker's refresh failed: values stay, flagged stale with the error.
        await execute(
            db_url,
            """UPDATE balance_refreshes SET last_attempt_at = now() + interval '1 second',
                      last_error = 'venue_unavailable: 503', last_error_at = now() + interval '1 second'
               WHERE credential_id = %(c)s""",
            {"c": credential_id},
        )
        failed = (await http.get(f"/v1/credentials/{credential_id}/balance")).json()
        assert failed["stale"] is True
        assert failed["last_error"] == "venue_unavailable: 503"
        assert failed["assets"] == fresh["assets"]

    async with web.http(bob.token) as other:
        assert (await other.get(f"/v1/credentials/{credential_id}/balance")).status_code == 404
        assert (
            await other.post(f"/v1/credentials/{credential_id}/balance/refresh")
        ).status_code == 404


async def test_refresh_defers_one_job_per_credential(web: WebServer, db_url: str) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential_id = (await create_credential(http))["id"]
        first = await http.post(f"/v1/credentials/{credential_id}/balance/refresh")
        second = await http.post(f"/v1/credentials/{credential_id}/balance/refresh")
    assert (first.status_code, first.json()["status"]) == (202, "queued")
    assert (second.status_code, second.json()["status"]) == (202, "already queued")
    jobs = await fetch_all(
        db_url,
        "SELECT task_name, status, args->>'credential_id' FROM procrastinate_jobs WHERE task_name = 'refresh_balances'",
    )
    assert jobs == [("refresh_balances", "todo", credential_id)]


async def test_bots_show_their_assets_balances_and_stats(web: WebServer, db_url: str) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential_id = (await create_credential(http))["id"]
        bot = await create_bot(http, credential_id)
        await execute(
            db_url,
            """INSERT INTO balances (credential_id, asset, free, used, total, fetched_at)
               VALUES (%(c)s, 'BTC', 1, 0, 1, now()), (%(c)s, 'USDT', 500, 0, 500, now()),
                      (%(c)s, 'ETH', 3, 0, 3, now())""",
            {"c": credential_id},
        )
        listed = (await http.get("/v1/bots")).json()
        detail = (await http.get(f"/v1/bots/{bot['id']}")).json()
        balance = (await http.get(f"/v1/bots/{bot['id']}/balance")).json()
        refresh = await http.post(f"/v1/bots/{bot['id']}/balance/refresh")
        # The bot's refresh and its credential's share one pending job.
        again = await http.post(f"/v1/credentials/{credential_id}/balance/refresh")
    # Only the bot's symbol's assets (BTC/USDT), not the credential's ETH.
    assert [a["asset"] for a in listed[0]["balance"]["assets"]] == ["BTC", "USDT"]
    assert balance == detail["balance"] == listed[0]["balance"]
    assert detail["stats"]["bot_id"] == bot["id"]
    assert detail["stats"]["symbols"][0]["symbol"] == bot["symbol"]
    assert (refresh.status_code, refresh.json()["status"]) == (202, "queued")
    assert again.json()["status"] == "already queued"
