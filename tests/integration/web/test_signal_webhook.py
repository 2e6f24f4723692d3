"""The signal webhook: authentication (bearer or the secret, one 401 for every failure),
recording with ON CONFLICT, replay, refusals by age and session, the fan-out job."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.fixtures.fix_web import StartWeb, WebServer
from tests.integration.web.signal_support import (
    create_signal_bot,
    create_strategy,
    signal_body,
)
from tests.integration.web.support import create_credential, error_of, execute, fetch_all, jobs


async def _strategy(web: WebServer, **settings: Any) -> tuple[str, str, str]:
    """(client token, strategy id, webhook secret)"""
    client = await web.create_client()
    async with web.http(client.token) as http:
        issued = await create_strategy(http, **settings)
    return client.token, issued["strategy"]["id"], issued["secret"]


async def test_secret_in_the_body_records_the_signal_and_defers_its_fan_out(
    web: WebServer,
) -> None:
    _, strategy_id, secret = await _strategy(web)
    async with web.http() as anonymous:
        response = await anonymous.post(
            f"/v1/signals/{strategy_id}",
            json=signal_body(secret=secret, signal_id="tv-1", reference_price=64123.45),
        )
    assert response.status_code == 202, response.text
    assert "idempotent-replayed" not in response.headers
    signal = response.json()["signal"]
    assert signal["signal_id"] == "tv-1"
    assert signal["outcome"] == "accepted"
    assert signal["reference_price"] == "64123.45"  # the number's digits, not a float's
    assert signal["refusal_reason"] is None
    rows = await fetch_all(
        web.db_url,
        "SELECT id::text, reference_price::text, outcome, response_status FROM signals",
    )
    assert rows == [(signal["id"], "64123.45", "accepted", 202)]
    fan_outs = await jobs(web.db_url, "fan_out_signal")
    assert [(job["args"], job["queue_name"]) for job in fan_outs] == [
        ({"signal_id": signal["id"]}, "orders")
    ]


async def test_bearer_token_of_the_owner_or_404(web: WebServer) -> None:
    token, strategy_id, secret = await _strategy(web)
    other = await web.create_client()
    async with web.http(token) as http:
        own = await http.post(f"/v1/signals/{strategy_id}", json=signal_body())
        assert own.status_code == 202, own.text
        # A secret sent along with the token is checked as well.
        wrong = await http.post(f"/v1/signals/{strategy_id}", json=signal_body(secret="nope"))
        assert wrong.status_code == 401
        right = await http.post(f"/v1/signals/{strategy_id}", json=signal_body(secret=secret))
        assert right.status_code == 202
    async with web.http(other.token) as http:
        foreign = await http.post(f"/v1/signals/{strategy_id}", json=signal_body())
        assert foreign.status_code == 404
        with_secret = await http.post(f"/v1/signals/{strategy_id}", json=signal_body(secret=secret))
        assert with_secret.status_code == 404
    async with web.http(web.admin_token) as admin:
        assert (
            await admin.post(f"/v1/signals/{strategy_id}", json=signal_body())
        ).status_code == 403
    async with web.http("tb_not-a-token") as bad_token:
        assert (
            await bad_token.post(f"/v1/signals/{strategy_id}", json=signal_body(secret=secret))
        ).status_code == 401
    assert len(await fetch_all(web.db_url, "SELECT 1 FROM signals")) == 2


async def test_wrong_missing_secret_and_unknown_strategy_answer_the_same_401(
    web: WebServer,
) -> None:
    _, strategy_id, secret = await _strategy(web)
    unknown = "00000000-0000-4000-8000-000000000000"
    cases = [
        (strategy_id, signal_body(signal_id="s", secret=secret[:-1] + "x")),
        (strategy_id, signal_body(signal_id="s")),
        (strategy_id, signal_body(signal_id="s", secret=123)),
        (unknown, signal_body(signal_id="s", secret=secret)),
        (unknown, signal_body(signal_id="s")),
    ]
    answers = []
    async with web.http(**{"X-Request-ID": "same-id"}) as anonymous:
        for target, body in cases:
            response = await anonymous.post(f"/v1/signals/{target}", json=body)
            assert response.status_code == 401, response.text
            answers.append(
                (
                    response.content,
                    response.headers["www-authenticate"],
                    response.headers["content-length"],
                )
            )
    assert len(set(answers)) == 1, answers
    assert error_of(response)["code"] == "unauthorized"
    assert await fetch_all(web.db_url, "SELECT 1 FROM signals") == []
    assert await jobs(web.db_url, "fan_out_signal") == []


async def test_replay_answers_the_first_response_and_other_content_is_refused(
    web: WebServer,
) -> None:
    _, strategy_id, secret = await _strategy(web)
    now = datetime.now(UTC).replace(microsecond=0)
    first_body = signal_body(
        secret=secret, signal_id="r-1", reference_price="64000.50", time=now.isoformat()
    )
    async with web.http() as anonymous:
        first = await anonymous.post(f"/v1/signals/{strategy_id}", json=first_body)
        assert first.status_code == 202
        # The same signal spelled otherwise: a JSON number, unix milliseconds.
        same = {**first_body, "reference_price": 64000.5, "time": int(now.timestamp() * 1000)}
        replay = await anonymous.post(f"/v1/signals/{strategy_id}", json=same)
        assert replay.status_code == 202
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json() == first.json()

        changed = await anonymous.post(
            f"/v1/signals/{strategy_id}", json={**first_body, "action": "exit"}
        )
        assert changed.status_code == 422
        error = error_of(changed)
        assert error["code"] == "signal_id_reused"
        assert error["details"][0]["field"] == "signal_id"

        # A refused signal's replay answers its refusal again.
        old = signal_body(
            secret=secret, signal_id="r-2", time=(now - timedelta(hours=1)).isoformat()
        )
        refused = await anonymous.post(f"/v1/signals/{strategy_id}", json=old)
        assert refused.status_code == 422
        again = await anonymous.post(f"/v1/signals/{strategy_id}", json=old)
        assert again.status_code == 422
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["signal"] == refused.json()["signal"]
    assert len(await fetch_all(web.db_url, "SELECT 1 FROM signals")) == 2
    assert len(await jobs(web.db_url, "fan_out_signal")) == 1


async def test_concurrent_duplicates_are_one_signal_and_one_job(start_web: StartWeb) -> None:
    async with start_web(client_rate_limit_per_minute=0) as web:
        _, strategy_id, secret = await _strategy(web)
        body = signal_body(secret=secret, signal_id="burst", reference_price=100)
        async with web.http() as anonymous:
            responses = await asyncio.gather(
                *(anonymous.post(f"/v1/signals/{strategy_id}", json=body) for _ in range(20))
            )
        assert [response.status_code for response in responses] == [202] * 20
        assert len({response.json()["signal"]["id"] for response in responses}) == 1
        replayed = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
        assert len(replayed) == 19
        assert len(await fetch_all(web.db_url, "SELECT 1 FROM signals")) == 1
        assert len(await jobs(web.db_url, "fan_out_signal")) == 1


async def test_too_old_and_future_signals_are_recorded_and_refused(web: WebServer) -> None:
    _, strategy_id, secret = await _strategy(web, max_signal_age_s=30)
    now = datetime.now(UTC)
    async with web.http() as anonymous:
        old = await anonymous.post(
            f"/v1/signals/{strategy_id}",
            json=signal_body(secret=secret, time=int((now - timedelta(seconds=90)).timestamp())),
        )
        future = await anonymous.post(
            f"/v1/signals/{strategy_id}",
            json=signal_body(secret=secret, time=(now + timedelta(minutes=2)).isoformat()),
        )
        fresh = await anonymous.post(
            f"/v1/signals/{strategy_id}",
            json=signal_body(secret=secret, time=(now - timedelta(seconds=5)).isoformat()),
        )
    assert old.status_code == 422, old.text
    assert old.json()["error"]["code"] == "signal_refused"
    assert old.json()["signal"]["refusal_reason"].startswith("too_old:")
    assert future.status_code == 422
    assert future.json()["signal"]["refusal_reason"].startswith("in_future:")
    assert fresh.status_code == 202, fresh.text
    rows = await fetch_all(
        web.db_url, "SELECT outcome, refusal_reason IS NULL FROM signals ORDER BY received_at"
    )
    assert rows == [("refused", False), ("refused", False), ("accepted", True)]
    assert len(await jobs(web.db_url, "fan_out_signal")) == 1


async def test_session_window_in_the_strategys_timezone(web: WebServer) -> None:
    zone = ZoneInfo("Asia/Tokyo")
    local_now = datetime.now(zone)
    # A window that spans midnight and excludes now: it starts in 2 hours, lasts 20.
    start = (local_now + timedelta(hours=2)).strftime("%H:%M")
    end = (local_now + timedelta(hours=22)).strftime("%H:%M")
    token, strategy_id, _ = await _strategy(
        web, session_start=start, session_end=end, session_timezone="Asia/Tokyo"
    )
    async with web.http(token) as http:
        outside = await http.post(f"/v1/signals/{strategy_id}", json=signal_body())
        assert outside.status_code == 422, outside.text
        assert outside.json()["signal"]["refusal_reason"].startswith("outside_session:")
        # The window around now (also spanning midnight when now is late): accepted.
        around = {
            "session_start": (local_now - timedelta(hours=1)).strftime("%H:%M"),
            "session_end": (local_now + timedelta(hours=1)).strftime("%H:%M"),
        }
        assert (await http.patch(f"/v1/strategies/{strategy_id}", json=around)).status_code == 200
        inside = await http.post(f"/v1/signals/{strategy_id}", json=signal_body())
        assert inside.status_code == 202, inside.text
        # Only on other weekdays: refused again.
        other_days = [day for day in range(1, 8) if day != local_now.isoweekday()]
        patch = {"session_start": None, "session_end": None, "session_days": other_days}
        assert (await http.patch(f"/v1/strategies/{strategy_id}", json=patch)).status_code == 200
        weekday = await http.post(f"/v1/signals/{strategy_id}", json=signal_body())
        assert weekday.status_code == 422


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"signal_id": None}, 400, "signal_id"),
        ({"signal_id": "has space"}, 400, "signal_id"),
        ({"signal_id": "x" * 129}, 400, "signal_id"),
        ({"symbol": "BTCUSDT"}, 400, "symbol"),
        ({"action": "buy"}, 400, "action"),
        ({"reference_price": True}, 400, "reference_price"),
        ({"reference_price": "-1"}, 422, "reference_price"),
        ({"reference_price": 0}, 422, "reference_price"),
        ({"time": "yesterday"}, 422, "time"),
        ({"time": "2026-01-02T15:04:05"}, 422, "time"),
        ({"time": [1]}, 400, "time"),
        ({"comment": "hi"}, 400, "comment"),
    ],
)
async def test_bad_bodies_name_the_field(
    web: WebServer, overrides: dict[str, Any], status: int, field: str
) -> None:
    token, strategy_id, _ = await _strategy(web)
    body = signal_body(**{key: value for key, value in overrides.items() if value is not None})
    if "signal_id" in overrides and overrides["signal_id"] is None:
        del body["signal_id"]
    async with web.http(token) as http:
        response = await http.post(f"/v1/signals/{strategy_id}", json=body)
    assert response.status_code == status, response.text
    error = error_of(response)
    assert error["details"][0]["field"] == field, error
    assert await fetch_all(web.db_url, "SELECT 1 FROM signals") == []


async def test_non_json_bodies_are_refused(web: WebServer) -> None:
    token, strategy_id, _ = await _strategy(web)
    async with web.http(token) as http:
        text = await http.post(
            f"/v1/signals/{strategy_id}",
            content=b"enter BTC",
            headers={"Content-Type": "text/plain"},
        )
        assert text.status_code == 415
        broken = await http.post(
            f"/v1/signals/{strategy_id}", content=b"{", headers={"Content-Type": "application/json"}
        )
        assert broken.status_code == 400
        array = await http.post(f"/v1/signals/{strategy_id}", json=[1])
        assert array.status_code == 400
        # A number no float holds is read from its digits: out of range, not infinity.
        huge = await http.post(
            f"/v1/signals/{strategy_id}",
            content=b'{"signal_id": "h", "symbol": "BTC/USDT", "action": "enter", '
            b'"reference_price": 1e400}',
            headers={"Content-Type": "application/json"},
        )
        assert huge.status_code == 422
        assert error_of(huge)["details"][0]["field"] == "reference_price"
        exact = await http.post(
            f"/v1/signals/{strategy_id}",
            content=b'{"signal_id": "e", "symbol": "BTC/USDT", "action": "enter", '
            b'"reference_price": 64123.450000000001}',
            headers={"Content-Type": "application/json"},
        )
        assert exact.status_code == 202, exact.text
        # (as a float it would be 64123.45)
        assert exact.json()["signal"]["reference_price"] == "64123.450000000001"


async def test_secret_callers_spend_the_clients_rate_limit(start_web: StartWeb) -> None:
    async with start_web(client_rate_limit_per_minute=3) as web:
        _, strategy_id, secret = await _strategy(web)  # the first of the 3
        async with web.http() as anonymous:
            statuses = [
                (
                    await anonymous.post(
                        f"/v1/signals/{strategy_id}", json=signal_body(secret=secret)
                    )
                ).status_code
                for _ in range(3)
            ]
        assert statuses == [202, 202, 429]


async def test_signals_listing_and_detail(web: WebServer) -> None:
    token, strategy_id, _ = await _strategy(web)
    other = await web.create_client()
    async with web.http(token) as http:
        ids = []
        for n in range(3):
            response = await http.post(
                f"/v1/signals/{strategy_id}", json=signal_body(signal_id=f"l-{n}")
            )
            ids.append(response.json()["signal"]["id"])
        first = (await http.get(f"/v1/strategies/{strategy_id}/signals?limit=2")).json()
        assert [item["signal_id"] for item in first["items"]] == ["l-2", "l-1"]
        rest = (
            await http.get(
                f"/v1/strategies/{strategy_id}/signals?limit=2&cursor={first['next_cursor']}"
            )
        ).json()
        assert [item["signal_id"] for item in rest["items"]] == ["l-0"]
        assert rest["next_cursor"] is None

        # What the fan-out job writes per bot (the job is another module's).
        credential = await create_credential(http)
        bot = await create_signal_bot(http, credential["id"], strategy_id)
        await execute(
            web.db_url,
            """INSERT INTO signal_deliveries (signal_id, bot_id, client_id, outcome, reason)
               SELECT %(signal)s, id, client_id, 'skipped', 'max position reached'
               FROM bots WHERE id = %(bot)s""",
            {"signal": ids[1], "bot": bot["id"]},
        )
        with_delivery = (await http.get(f"/v1/strategies/{strategy_id}/signals/{ids[1]}")).json()
        assert [
            (d["bot_id"], d["bot_name"], d["outcome"], d["reason"], d["order_id"])
            for d in with_delivery["deliveries"]
        ] == [(bot["id"], bot["name"], "skipped", "max position reached", None)]
        detail = (await http.get(f"/v1/strategies/{strategy_id}/signals/{ids[0]}")).json()
        assert detail["signal_id"] == "l-0"
        assert detail["deliveries"] == []
        assert detail["fanned_out_at"] is None
        assert detail["response_status"] == 202
        # A signal is found under its own strategy only.
        other_strategy = (await http.post("/v1/strategies", json={"name": "other"})).json()
        elsewhere = f"/v1/strategies/{other_strategy['strategy']['id']}/signals/{ids[0]}"
        assert (await http.get(elsewhere)).status_code == 404
    async with web.http(other.token) as http:
        assert (await http.get(f"/v1/strategies/{strategy_id}/signals/{ids[0]}")).status_code == 404
        assert (await http.get(f"/v1/strategies/{strategy_id}/signals")).status_code == 404
