"""/metrics: Prometheus text, request series grouped by route, orders accepted."""

from __future__ import annotations

import re
import uuid

from tests.fixtures.fix_web import WebServer
from tests.integration.web.support import create_credential, order_body


def _value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_by_route_and_accepted_orders(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http() as anonymous:
        before = (await anonymous.get("/metrics")).text
    async with web.http(alice.token) as http:
        credential_id = (await create_credential(http))["id"]
        for _ in range(2):
            key = {"Idempotency-Key": uuid.uuid4().hex}
            assert (
                await http.post("/v1/orders", json=order_body(credential_id), headers=key)
            ).status_code == 202
        replay_key = {"Idempotency-Key": "same"}
        for _ in range(3):
            await http.post("/v1/orders", json=order_body(credential_id), headers=replay_key)
        order_id = (await http.get("/v1/orders")).json()["items"][0]["id"]
        await http.get(f"/v1/orders/{order_id}")
    async with web.http() as anonymous:
        response = await anonymous.get("/metrics")
    assert response.status_code == 200  # no token needed
    text = response.text
    accepted = _value(text, "tradebridge_orders_accepted_total", source="api")
    assert accepted - _value(before, "tradebridge_orders_accepted_total", source="api") == 3
    # Paths are grouped by route template: no series per order id.
    assert _value(text, "tradebridge_web_requests_total", path="/v1/orders/{order_id}") >= 1
    assert not re.search(r'path="/v1/orders/[0-9a-f]{8}-', text)
    assert "tradebridge_web_request_duration_seconds_bucket" in text
