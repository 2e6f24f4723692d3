"""Cross-cutting HTTP behaviour: CORS on errors, limits, request ids, health, OpenAPI."""

from __future__ import annotations

import json
import re
import socket
from typing import Any

import pytest
from litestar.routes import HTTPRoute

from tests.fixtures.fix_web import ALLOWED_ORIGIN, WebServer
from tests.integration.web.support import create_credential, error_of, order_body
from web.controllers import health as health_controller


async def test_cors_headers_are_on_errors_too(web: WebServer) -> None:
    alice = await web.create_client()
    origin = {"Origin": ALLOWED_ORIGIN}
    async with web.http(alice.token, **origin) as http:
        missing = await http.get("/v1/no-such-thing")
        not_found = await http.get("/v1/bots/00000000-0000-0000-0000-000000000000")
    async with web.http(**origin) as anonymous:
        unauthorized = await anonymous.get("/v1/orders")
        preflight = await anonymous.options(
            "/v1/orders",
            headers={
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, idempotency-key",
            },
        )
    async with web.http(Origin="https://evil.example") as stranger:
        foreign = await stranger.get("/v1/orders")
    for response, status in ((missing, 404), (not_found, 404), (unauthorized, 401)):
        assert response.status_code == status
        assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        error_of(response)
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in foreign.headers


async def test_oversized_body_is_413(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        body = order_body(credential["id"], symbol="X" * (web.settings.max_request_body_bytes + 1))
        response = await http.post("/v1/orders", json=body, headers={"Idempotency-Key": "big"})
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


async def test_rate_limit_answers_429_with_retry_after(start_web: Any) -> None:
    async with start_web(client_rate_limit_per_minute=3) as web:
        alice, bob = await web.create_client(), await web.create_client()
        async with web.http(alice.token) as http:
            statuses = [(await http.get("/v1/orders")).status_code for _ in range(3)]
            limited = await http.get("/v1/orders")
        async with web.http(bob.token) as http:
            other_client = await http.get("/v1/orders")
    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert error_of(limited)["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert other_client.status_code == 200


async def test_request_ids_are_echoed_or_generated(web: WebServer) -> None:
    async with web.http() as http:
        echoed = await http.get("/health", headers={"X-Request-ID": "trace-abc.123"})
        insane = await http.get("/health", headers={"X-Request-ID": "no spaces <allowed>"})
        plain = await http.get("/health")
        wrong_method = await http.delete("/health", headers={"X-Request-ID": "trace-405"})
    assert echoed.headers["x-request-id"] == "trace-abc.123"
    assert re.fullmatch(r"[0-9a-f]{32}", insane.headers["x-request-id"])
    assert plain.headers["x-request-id"] != insane.headers["x-request-id"]
    assert wrong_method.status_code == 405
    assert error_of(wrong_method)["request_id"] == "trace-405"


async def test_health(web: WebServer) -> None:
    async with web.http() as http:
        response = await http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_health_is_503_when_the_database_is_unreachable(
    start_web: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health_controller, "HEALTH_DB_TIMEOUT_S", 0.3)
    unreachable = f"postgresql://nobody@127.0.0.1:{_closed_port()}/nothing?connect_timeout=1"
    async with (
        start_web(database_url=unreachable, db_pool_min_size=0) as server,
        server.http() as http,
    ):
        response = await http.get("/health")
    assert response.status_code == 503
    assert error_of(response)["message"] == "database unreachable"


def _openapi_path(route_path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", route_path)


async def test_openapi_documents_every_route(web: WebServer) -> None:
    async with web.http() as http:
        document = (await http.get("/schema/openapi.json")).json()
        docs_page = await http.get("/schema/swagger")
        docs_redirect = await http.get("/docs")
    assert docs_page.status_code == 200
    assert "swagger" in docs_page.text.lower()
    assert docs_redirect.status_code in (301, 302, 307, 308)
    schemas = document["components"]["schemas"]
    assert {"ClientToken", "AdminToken"} <= set(document["components"]["securitySchemes"])

    checked = 0
    operation_ids: set[str] = set()
    for route in web.app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith("/schema"):
            continue  # the document and its UIs are not API operations
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            for method in handler.http_methods:
                if method == "OPTIONS":
                    continue
                operation = document["paths"][_openapi_path(route.path)][method.lower()]
                name = f"{method} {route.path}"
                assert operation.get("operationId"), name
                operation_ids.add(operation["operationId"])
                assert operation.get("tags"), name
                success = [code for code in operation["responses"] if code.startswith("2")]
                assert len(success) == 1, name
                schema = operation["responses"][success[0]]["content"]["application/json"]
                assert schema["schema"], name
                if "data" in handler.parsed_fn_signature.parameters:
                    body = operation["requestBody"]["content"]["application/json"]["schema"]
                    refs = re.findall(r"#/components/schemas/(\w+)", json.dumps(body))
                    assert refs, name
                    assert all(ref in schemas for ref in refs), name
                if route.path.startswith("/v1/"):
                    assert operation.get("security"), name
                    for code in ("400", "401", "403", "429"):
                        error = operation["responses"][code]["content"]["application/json"]
                        assert error["schema"]["$ref"].endswith("/ErrorResponse"), name
                checked += 1
    assert checked >= 28
    assert len(operation_ids) == checked  # unique
    # Read-only fields are not part of the request schemas.
    for create in ("OrderCreate", "BotCreate", "CredentialCreate"):
        assert not {"id", "client_id", "status"} & set(schemas[create]["properties"]), create


async def test_openapi_states_the_request_contract(web: WebServer) -> None:
    async with web.http() as http:
        document = (await http.get("/schema/openapi.json")).json()
    schemas = document["components"]["schemas"]
    bodies = set()
    for operations in document["paths"].values():
        for operation in operations.values():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                bodies.update(re.findall(r"#/components/schemas/(\w+)", json.dumps(body)))
    assert {"OrderCreate", "BotCreate", "CredentialCreate", "TokenCreate"} <= bodies
    for name in bodies:  # every body refuses unknown fields (forbid_unknown_fields), and says so
        assert schemas[name].get("additionalProperties") is False, name
    assert "additionalProperties" not in schemas["OrderRead"]  # responses may grow

    parameters = document["paths"]["/v1/orders"]["post"]["parameters"]
    key = next(p for p in parameters if p["name"] == "Idempotency-Key")
    assert key["in"] == "header"
    assert key["required"] is True
    assert key["schema"]["type"] == "string"
    pattern = key["schema"]["pattern"]
    assert re.search(pattern, "order-2026-0001")
    for invalid in ("", "x" * 256, "tab\there", "order-1\n", "é"):
        assert not re.search(pattern, invalid), invalid
