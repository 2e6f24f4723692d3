"""Money leaves the API as it enters: a plain decimal string, never an exponent (Python
spells 0.00000001 as "1E-8")."""

from __future__ import annotations

import re

from tests.fixtures.fix_web import WebServer
from tests.integration.web.support import create_bot, create_credential, order_body, spread_config

PLAIN_DECIMAL = re.compile(r"\A[0-9]+(\.[0-9]+)?\Z")


async def test_tiny_and_huge_amounts_come_back_without_an_exponent(web: WebServer) -> None:
    client = await web.create_client()
    async with web.http(client.token) as http:
        credential = await create_credential(http)
        for amount, price in (("0.000000000000000001", "0.00000001"), ("1000000000", "12000000")):
            body = order_body(
                credential["id"], type="limit", amount=amount, price=price,
            )  # fmt: skip
            created = await http.post(
                "/v1/orders", json=body, headers={"Idempotency-Key": f"spell-{amount}"}
            )
            assert created.status_code == 202, created.text
            listed = await http.get(f"/v1/orders/{created.json()['id']}")
            for answer in (created.json(), listed.json()):
                assert (answer["amount"], answer["price"]) == (amount, price), answer
                for field in ("amount", "price", "filled_amount", "remaining_amount"):
                    value = answer.get(field)
                    assert value is None or PLAIN_DECIMAL.match(value), (field, value)


async def test_a_bot_config_keeps_its_decimals_plain(web: WebServer) -> None:
    client = await web.create_client()
    async with web.http(client.token) as http:
        credential = await create_credential(http)
        bot = await create_bot(
            http, credential["id"], config=spread_config(order_size="0.00000001")
        )
        assert bot["config"]["order_size"] == "0.00000001"
        read = (await http.get(f"/v1/bots/{bot['id']}")).json()
        assert read["config"]["order_size"] == "0.00000001"
