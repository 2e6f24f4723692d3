"""Hostile input never gets a 5xx: it gets a 4xx in the one error shape and writes nothing.

Each test sends every variant of one kind of bad input through the real app to the real
database and collects what went wrong, so a failure lists every case at once.
"""

from __future__ import annotations

import base64
import uuid
from decimal import Decimal
from typing import Any

import httpx
from litestar.routes import HTTPRoute

from tests.fixtures.fix_web import ALLOWED_API_BASE_URL, ClientHandle, WebServer
from tests.integration.web.support import (
    API_KEY,
    create_bot,
    create_credential,
    error_of,
    fetch_all,
    order_body,
    spread_config,
)

NUL = "\u0000"
# Every table a request of these tests could write to.
WRITTEN_TABLES = (
    "clients",
    "api_tokens",
    "exchange_credentials",
    "bots",
    "orders",
    "order_events",
    "kill_switches",
    "procrastinate_jobs",
)


async def _client_with_bot(web: WebServer) -> tuple[ClientHandle, dict[str, Any], dict[str, Any]]:
    """A client with a credential and a bot: the rows hostile requests aim at."""
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        bot = await create_bot(http, credential["id"])
    return alice, credential, bot


async def _row_counts(db_url: str) -> dict[str, int]:
    counts = {}
    for table in WRITTEN_TABLES:
        rows = await fetch_all(db_url, f"SELECT count(*) FROM {table}")
        counts[table] = rows[0][0]
    return counts


def _refused(response: httpx.Response, statuses: tuple[int, ...] = (400, 422)) -> str | None:
    """None when the response is a refusal in the error shape, else what is wrong."""
    if response.status_code not in statuses:
        return f"{response.status_code} {response.text[:200]}"
    try:
        error_of(response)
    except (AssertionError, ValueError, KeyError) as exc:
        return f"not the error shape: {exc!r} {response.text[:200]}"
    return None


def _names_field(response: httpx.Response, field: str) -> str | None:
    details = error_of(response).get("details") or []
    fields = [detail["field"] for detail in details]
    return None if field in fields else f"details name {fields}, not {field!r}"


class Cases:
    """Sends requests, remembers every case that was not refused as it should be."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def check(
        self,
        name: str,
        response: httpx.Response,
        *,
        field: str | None = None,
        statuses: tuple[int, ...] = (400, 422),
    ) -> None:
        problem = _refused(response, statuses)
        if problem is None and field is not None:
            problem = _names_field(response, field)
        if problem is not None:
            self.failures.append(f"{name}: {problem}")

    def assert_all_refused(self) -> None:
        assert not self.failures, "\n".join(self.failures)


def _credential_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "exchange": "binance",
        "label": f"cred-{uuid.uuid4().hex[:6]}",
        "api_key": API_KEY,
        "secret": "s3cr3t",
        "environment": "paper",
    }
    body.update(overrides)
    return body


async def test_nul_in_any_stored_or_filtered_text_is_refused(web: WebServer) -> None:
    alice, credential, bot = await _client_with_bot(web)
    before = await _row_counts(web.db_url)
    cases = Cases()
    async with web.http(alice.token) as http, web.admin() as admin:
        bot_body = {
            "name": f"bot{NUL}x",
            "kind": "spread",
            "credential_id": credential["id"],
            "symbol": "BTC/USDT",
            "config": spread_config(),
        }
        cases.check("bot name", await http.post("/v1/bots", json=bot_body), field="name")
        cases.check(
            "bot rename",
            await http.patch(f"/v1/bots/{bot['id']}", json={"name": f"x{NUL}"}),
            field="name",
        )
        cases.check(
            "bot config key",
            await http.patch(f"/v1/bots/{bot['id']}", json={"config": {f"levels{NUL}": 1}}),
        )
        cases.check(
            "credential label",
            await http.post("/v1/credentials", json=_credential_body(label=f"l{NUL}")),
            field="label",
        )
        cases.check(
            "api_key (its last 4 characters are stored)",
            await http.post("/v1/credentials", json=_credential_body(api_key=API_KEY + NUL)),
            field="api_key",
        )
        cases.check(
            "token label",
            await http.post("/v1/tokens", json={"label": f"t{NUL}"}),
            field="label",
        )
        cases.check(
            "admin: client token label",
            await admin.post(
                "/v1/admin/clients", json={"name": "nul-client", "token_label": f"t{NUL}"}
            ),
            field="token_label",
        )
        cases.check(
            "admin: issued token label",
            await admin.post(f"/v1/admin/clients/{alice.id}/tokens", json={"label": f"t{NUL}"}),
            field="label",
        )
        cases.check(
            "kill-switch reason",
            await http.post(
                "/v1/kill-switch/engage",
                json={"scope": "client", "reason": f"r{NUL}", "confirm": str(alice.id)},
            ),
            field="reason",
        )
        cases.check(
            "admin: global kill-switch reason",
            await admin.post(
                "/v1/admin/kill-switch/engage",
                json={"scope": "global", "reason": f"r{NUL}", "confirm": "global"},
            ),
            field="reason",
        )
        for path in ("/v1/orders", "/v1/fills"):
            for param in ("symbol", "cursor"):
                cases.check(
                    f"{path}?{param}=",
                    await http.get(path, params={param: f"BTC/USDT{NUL}"}),
                    field=param,
                )
        cases.check(
            "/v1/bots?include_archived=",
            await http.get("/v1/bots", params={"include_archived": f"true{NUL}"}),
        )
        cases.check(
            "path parameter",
            await http.get(f"/v1/bots/{bot['id']}%00"),
            statuses=(400, 404),
        )
    cases.assert_all_refused()
    assert await _row_counts(web.db_url) == before


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


async def test_deeply_nested_json_is_refused_on_every_json_route(web: WebServer) -> None:
    alice = await web.create_client()
    before = await _row_counts(web.db_url)
    deep_values = {
        "a bare array": _deep(1000),
        "inside a field": '{"name": ' + _deep(1000) + "}",
        "objects in objects": '{"config": ' + '{"a": ' * 1000 + "1" + "}" * 1001,
    }
    cases = Cases()
    checked = 0
    async with web.http(alice.token) as http, web.admin() as admin:
        for route in web.app.routes:
            if not isinstance(route, HTTPRoute):
                continue
            for handler in route.route_handlers:
                # The signal webhook reads its body by hand (shared.signals.request).
                if "data" not in handler.parsed_fn_signature.parameters and not (
                    route.path.startswith("/v1/signals/") and "POST" in handler.http_methods
                ):
                    continue
                path = route.path
                for placeholder in (
                    "bot_id",
                    "client_id",
                    "credential_id",
                    "order_id",
                    "strategy_id",
                ):
                    path = path.replace(f"{{{placeholder}:uuid}}", str(uuid.uuid4()))
                caller = admin if path.startswith("/v1/admin") else http
                for method in handler.http_methods:
                    for shape, body in deep_values.items():
                        response = await caller.request(
                            method,
                            path,
                            content=body,
                            headers={
                                "Content-Type": "application/json",
                                "Idempotency-Key": uuid.uuid4().hex,
                            },
                        )
                        cases.check(f"{method} {route.path} ({shape})", response, statuses=(400,))
                        checked += 1
    assert checked >= 30
    cases.assert_all_refused()
    assert await _row_counts(web.db_url) == before


def _cursor(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


async def test_forged_cursors_are_refused(web: WebServer) -> None:
    alice = await web.create_client()
    stamp = '"2026-01-01T00:00:00+00:00"'
    forged = {
        "number id": f"[{stamp}, 5]",
        "object id": f"[{stamp}, {{}}]",
        "null id": f"[{stamp}, null]",
        "1e999 id": f"[{stamp}, 1e999]",
        "1e999 id as text": f'[{stamp}, "1e999"]',
        "nested arrays": _deep(2500),
        "nested array as id": f"[{stamp}, {_deep(2000)}]",
        "three items": f'[{stamp}, "1", "2"]',
        "an object": '{"a": 1}',
        "a number": "1e999",
        "timestamp as number": '[1, "1"]',
        "naive timestamp": '["2026-01-01T00:00:00", "1"]',
        "timestamp before year 1 in UTC": '["0001-01-01T00:00:00+01:00", "1"]',
        "negative id": f'[{stamp}, "-1"]',
        "id above bigint": f'[{stamp}, "{2**63}"]',
        "huge id": f'[{stamp}, "{"9" * 3000}"]',
        "id with a newline": f'[{stamp}, "7\\n"]',
        "id with spaces": f'[{stamp}, " 7 "]',
        "id with underscores": f'[{stamp}, "1_000"]',
        "not json": "[",
        "invalid utf-8": "\udcff",
    }
    cases = Cases()
    async with web.http(alice.token) as http:
        for name, payload in forged.items():
            try:
                cursor = _cursor(payload)
            except UnicodeEncodeError:
                cursor = base64.urlsafe_b64encode(b"\xff\xfe").decode()
            for path in ("/v1/orders", "/v1/fills"):
                response = await http.get(path, params={"cursor": cursor})
                cases.check(f"{path} {name}", response, field="cursor", statuses=(400,))
        for path in ("/v1/orders", "/v1/fills"):
            cases.check(
                f"{path} a very long cursor",
                await http.get(path, params={"cursor": "A" * 6000}),
                field="cursor",
                statuses=(400,),
            )
    cases.assert_all_refused()


async def test_cursor_round_trip_still_works_for_both_id_types(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        for _ in range(3):
            response = await http.post(
                "/v1/orders",
                json=order_body(credential["id"]),
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            assert response.status_code == 202, response.text
        first = (await http.get("/v1/orders", params={"limit": 2})).json()
        rest = (await http.get("/v1/orders", params={"cursor": first["next_cursor"]})).json()
        fills_cursor = _cursor(f'["2026-01-01T00:00:00+00:00", "{2**63 - 1}"]')
        fills = await http.get("/v1/fills", params={"cursor": fills_cursor})
    assert len(first["items"]) == 2
    assert len(rest["items"]) == 1
    assert fills.status_code == 200, fills.text
    assert fills.json() == {"items": [], "next_cursor": None}


TOO_BIG = "1" + "0" * 28  # 10^28
TOO_PRECISE = "12345678901.123456789012345678"  # 29 significant digits
MOST_PRECISE = "1234567890.123456789012345678"  # 28 significant digits
LARGEST = "9" * 28


async def test_money_beyond_28_significant_digits_is_refused_not_rounded(web: WebServer) -> None:
    alice, credential, bot = await _client_with_bot(web)
    async with web.http(alice.token) as http:
        before = await _row_counts(web.db_url)
        cases = Cases()
        for value in (TOO_BIG, TOO_PRECISE, "9" * 29, "1" + "0" * 100, "0." + "0" * 18 + "1"):
            for field in ("amount", "price"):
                response = await http.post(
                    "/v1/orders",
                    json=order_body(credential["id"], **{field: value}),
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
                cases.check(f"order {field}={value}", response, field=field, statuses=(422,))
            for field in ("order_size", "spread_bps"):
                response = await http.patch(
                    f"/v1/bots/{bot['id']}", json={"config": spread_config(**{field: value})}
                )
                cases.check(f"bot config.{field}={value}", response, field=f"config.{field}")
        cases.assert_all_refused()
        assert await _row_counts(web.db_url) == before

        exact = await http.post(
            "/v1/orders",
            json=order_body(credential["id"], amount=MOST_PRECISE, price=LARGEST),
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        assert exact.status_code == 202, exact.text
        stored = await fetch_all(
            web.db_url, "SELECT amount, price FROM orders WHERE id = %s", (exact.json()["id"],)
        )
    assert stored == [(Decimal(MOST_PRECISE), Decimal(LARGEST))]
    assert exact.json()["amount"] == MOST_PRECISE


async def test_openapi_states_the_money_range(web: WebServer) -> None:
    async with web.http() as http:
        document = (await http.get("/schema/openapi.json")).json()
    amount = document["components"]["schemas"]["OrderCreate"]["properties"]["amount"]
    assert "28 significant digits" in amount["description"]


async def test_trailing_newline_does_not_pass_a_pattern(web: WebServer) -> None:
    alice, credential, bot = await _client_with_bot(web)
    before = await _row_counts(web.db_url)
    cases = Cases()
    async with web.http(alice.token) as http, web.admin() as admin:
        for field, value in (("symbol", "BTC/USDT\n"), ("amount", "1\n"), ("price", "5\n")):
            response = await http.post(
                "/v1/orders",
                json=order_body(credential["id"], **{field: value}),
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            cases.check(f"order {field}", response, field=field)
        bot_body = {
            "name": "newline",
            "kind": "spread",
            "credential_id": credential["id"],
            "symbol": "BTC/USDT\n",
            "config": spread_config(),
        }
        cases.check("bot symbol", await http.post("/v1/bots", json=bot_body), field="symbol")
        cases.check(
            "bot config decimal",
            await http.patch(
                f"/v1/bots/{bot['id']}", json={"config": spread_config(order_size="1\n")}
            ),
            field="config.order_size",
        )
        cases.check(
            "client name",
            await admin.post("/v1/admin/clients", json={"name": "acme\n"}),
            field="name",
        )
        cases.check(
            "symbol filter",
            await http.get("/v1/orders", params={"symbol": "BTC/USDT\n"}),
            field="symbol",
        )
    cases.assert_all_refused()
    assert await _row_counts(web.db_url) == before


async def test_database_constraint_names_never_reach_the_caller(web: WebServer) -> None:
    """A value that passes the app's checks but not a CHECK constraint: the caller learns
    which field, never the constraint's name."""
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        response = await http.post(
            "/v1/credentials",
            json=_credential_body(
                environment="live", api_base_url=f"{ALLOWED_API_BASE_URL}/api v3"
            ),
        )
    assert response.status_code == 422, response.text
    assert "_check" not in response.text
    assert "exchange_credentials" not in response.text
    assert error_of(response)["details"][0]["field"] == "api_base_url"
    assert await fetch_all(web.db_url, "SELECT id FROM exchange_credentials") == []
