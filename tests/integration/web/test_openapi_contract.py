"""Property: a request the OpenAPI document allows is never a server error, and never
refused as malformed.

schemathesis generates requests from /schema/openapi.json in positive mode (valid per the
document) and sends them to the real app on the real database, with real tokens. Path
ids point at real rows (a bot, a credential, an order, a spare token, the client), so the
generated bodies reach the handlers and the database, not only the 404 of a random id.

What the document allows must be accepted as well-formed: never a 5xx (a documented 503
of a health route aside) and never 400. 404, 409 and 422 stay possible: they answer
rules the document cannot state in a schema (ids that exist, a bot's state, a limit
order's price, a money value's range) and are documented per operation.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from schemathesis import GenerationMode

from tests.fixtures.fix_web import StartWeb
from tests.integration.web.support import create_bot, create_credential, place_order

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 12
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,  # the same requests on every run
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Target:
    base_url: str
    client_token: str
    admin_token: str
    path_ids: dict[str, str]
    failures: list[str] = field(default_factory=list)
    calls: int = 0


def _opaque_cursor_refused(response: Any) -> bool:
    """A cursor is opaque: only the API's own `next_cursor` values are cursors, which no
    schema can enumerate, so a generated one is refused (400 naming `cursor`)."""
    details = (response.json().get("error") or {}).get("details") or []
    return [detail.get("field") for detail in details] == ["cursor"]


def _check_operation(operation: Any, target: Target) -> None:
    names = {parameter.name for parameter in operation.path_parameters}
    path_ids = {name: value for name, value in target.path_ids.items() if name in names}
    token = target.admin_token if operation.path.startswith("/v1/admin") else target.client_token
    documented = set(operation.definition.raw.get("responses", {}))

    strategy = operation.as_strategy(GenerationMode.POSITIVE, path_parameters=path_ids)

    @SETTINGS
    @given(case=strategy.map(lambda case: _with_real_body_ids(case, target.path_ids)))
    def send(case: Any) -> None:
        response = case.call(base_url=target.base_url, headers={"Authorization": f"Bearer {token}"})
        target.calls += 1
        status = response.status_code
        server_error = status == 500 or (status > 500 and str(status) not in documented)
        malformed = status == 400 and not _opaque_cursor_refused(response)
        if server_error or malformed:
            target.failures.append(
                f"{operation.label}: {status} {response.text[:300]} "
                f"for query={case.query} headers={case.headers} body={case.body!r:.300}"
            )

    send()


def _with_real_body_ids(case: Any, ids: dict[str, str]) -> Any:
    """A body's `credential_id`/`bot_id`/`strategy_id` made real, so it gets past the 404
    to the insert."""
    if isinstance(case.body, dict):
        for name in ("credential_id", "bot_id", "strategy_id"):
            if name in case.body and case.body[name] is not None:
                case.body[name] = ids[name]
    return case


def _ends_something(operation: Any) -> bool:
    """Archive, revoke, cancel and kill switches change what the other operations can do."""
    path: str = operation.path
    return operation.method.upper() == "DELETE" or path.endswith(("/revoke", "/cancel", "/engage"))


def _check_every_operation(document: dict[str, Any], target: Target) -> int:
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in sorted(operations, key=_ends_something):  # stable: document order
        _check_operation(operation, target)
    return len(operations)


async def test_requests_the_document_allows_are_never_refused_as_malformed(
    start_web: StartWeb,
) -> None:
    # Hundreds of requests from one client: the rate limit is not what is tested here.
    async with start_web(client_rate_limit_per_minute=0) as web:
        alice = await web.create_client()
        async with web.http(alice.token) as http:
            credential = await create_credential(http)
            bot = await create_bot(http, credential["id"])
            order = await place_order(http, credential["id"])
            spare_token = (await http.post("/v1/tokens", json={"label": "spare"})).json()
            strategy = (await http.post("/v1/strategies", json={"name": "contract"})).json()
            strategy_id = strategy["strategy"]["id"]
            signal = await http.post(
                f"/v1/signals/{strategy_id}",
                json={"signal_id": "contract-1", "symbol": "BTC/USDT", "action": "enter"},
            )
            assert signal.status_code == 202, signal.text
            document = (await http.get("/schema/openapi.json")).json()
        target = Target(
            base_url=web.url,
            client_token=alice.token,
            admin_token=web.admin_token,
            path_ids={
                "bot_id": bot["id"],
                "credential_id": credential["id"],
                "order_id": order["id"],
                "token_id": spare_token["id"],
                "client_id": str(alice.id),
                "strategy_id": strategy_id,
                "signal_id": signal.json()["signal"]["id"],
            },
        )
        operations = await asyncio.to_thread(_check_every_operation, document, target)
    # OpenAPI: paths equal but for their parameter names are the same path (forbidden).
    templates = [re.sub(r"\{[^}]*\}", "{}", path) for path in document["paths"]]
    assert sorted(templates) == sorted(set(templates)), templates
    assert operations >= 37
    assert target.calls >= operations
    assert not target.failures, "\n".join(target.failures[:40])
