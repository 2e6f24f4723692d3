"""Reading orders and fills (filters, cursor pages) and cancelling (idempotent)."""

from __future__ import annotations

from decimal import Decimal

from tests.factories import FILL_INSERT
from tests.fixtures.fix_web import WebServer
from tests.integration.web.support import (
    create_credential,
    error_of,
    execute,
    jobs,
    place_order,
)


async def test_cursor_pages_and_filters(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        first_credential = await create_credential(http)
        second_credential = await create_credential(http)
        placed = [await place_order(http, first_credential["id"]) for _ in range(5)]
        eth = await place_order(http, second_credential["id"], symbol="ETH/USDT", side="sell")
        newest_first = [eth["id"], *[o["id"] for o in reversed(placed)]]

        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await http.get("/v1/orders", params=params)).json()
            seen += [order["id"] for order in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == newest_first
        assert pages == 3

        by_symbol = (await http.get("/v1/orders", params={"symbol": "ETH/USDT"})).json()
        assert [o["id"] for o in by_symbol["items"]] == [eth["id"]]
        by_credential = (
            await http.get("/v1/orders", params={"credential_id": first_credential["id"]})
        ).json()
        assert len(by_credential["items"]) == 5
        assert (await http.get("/v1/orders", params={"status": "filled"})).json()["items"] == []
        after = (
            await http.get("/v1/orders", params={"created_after": placed[2]["created_at"]})
        ).json()
        assert [o["id"] for o in after["items"]] == newest_first[:4]

        for params, field in (
            ({"cursor": "not-a-cursor"}, "cursor"),
            ({"limit": 0}, "limit"),
            ({"limit": 201}, "limit"),
            ({"status": "cancelled"}, "status"),
        ):
            response = await http.get("/v1/orders", params=params)
            assert response.status_code == 400, (params, response.text)
            assert field in [d["field"] for d in error_of(response)["details"]]


async def test_order_detail_has_fills_and_events(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        order = await place_order(http, credential["id"])
        for trade_id in ("T-1", "T-2"):
            await execute(
                web.db_url,
                FILL_INSERT,
                {
                    "client_id": alice.id,
                    "credential_id": credential["id"],
                    "order_id": order["id"],
                    "trade_id": trade_id,
                    "price": Decimal("50000"),
                    "amount": Decimal("0.004"),
                    "fee": Decimal("0.000004"),
                },
            )
        detail = (await http.get(f"/v1/orders/{order['id']}")).json()
        assert [fill["exchange_trade_id"] for fill in detail["fills"]] == ["T-1", "T-2"]
        assert detail["fills"][0]["quote_amount"] == "200"  # one spelling per number
        assert [(e["kind"], e["to_status"]) for e in detail["events"]] == [
            ("status_change", "accepted")
        ]
        fills = (await http.get("/v1/fills", params={"limit": 1})).json()
        assert len(fills["items"]) == 1
        assert fills["next_cursor"] is not None
        rest = (await http.get("/v1/fills", params={"cursor": fills["next_cursor"]})).json()
        assert {f["exchange_trade_id"] for f in fills["items"] + rest["items"]} == {"T-1", "T-2"}
        assert rest["next_cursor"] is None


async def test_cancel_is_idempotent_and_refused_when_terminal(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        order = await place_order(http, credential["id"])
        first = await http.post(f"/v1/orders/{order['id']}/cancel")
        second = await http.post(f"/v1/orders/{order['id']}/cancel")
        assert (first.status_code, second.status_code) == (202, 202)
        assert first.json()["cancel_requested_at"] is not None
        assert second.json()["cancel_requested_at"] == first.json()["cancel_requested_at"]
        cancels = await jobs(web.db_url, "cancel_order")
        assert [job["args"] for job in cancels] == [{"order_id": order["id"]}]
        assert cancels[0]["lock"] == f"order:{order['id']}"

        filled = await place_order(http, credential["id"])
        await execute(
            web.db_url,
            "UPDATE orders SET status = 'filled', filled_amount = amount WHERE id = %s",
            (filled["id"],),
        )
        refused = await http.post(f"/v1/orders/{filled['id']}/cancel")
        assert refused.status_code == 409
        assert "filled" in error_of(refused)["message"]
        assert len(await jobs(web.db_url, "cancel_order")) == 1
