"""Positions read API: numbers from the fills (ops.positions), events, filters, pages,
client scoping. The worker's side (positions, orders, fills, events) is written directly."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from tests.fixtures.fix_web import WebServer
from tests.integration.web.signal_support import create_signal_bot, create_strategy
from tests.integration.web.support import create_credential, execute, fetch_all


async def _position(
    web: WebServer,
    *,
    client_id: uuid.UUID,
    bot: dict[str, Any],
    status: str = "open",
    fills: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
) -> str:
    """A position with one order per fill (side, amount, price), like the worker writes."""
    position_id = uuid.uuid4()
    closed = status == "closed"
    await execute(
        web.db_url,
        """INSERT INTO positions (id, client_id, bot_id, credential_id, symbol, status,
                                  exit_mode, stop_price, take_profit_price, close_reason,
                                  closing_since, closed_at)
           VALUES (%(id)s, %(client)s, %(bot)s, %(cred)s, 'BTC/USDT', %(status)s, 'watched',
                   49000, 53000, CASE WHEN %(status)s <> 'open' THEN 'exit_signal' END,
                   CASE WHEN %(status)s <> 'open' THEN now() END,
                   CASE WHEN %(closed)s THEN now() END)""",
        {
            "id": position_id,
            "client": client_id,
            "bot": bot["id"],
            "cred": bot["credential_id"],
            "status": status,
            "closed": closed,
        },
    )
    for side, amount, price in fills:
        order_id = uuid.uuid4()
        await execute(
            web.db_url,
            """INSERT INTO orders (id, client_id, credential_id, bot_id, source, bot_leg,
                                   position_id, symbol, side, type, amount, price,
                                   idempotency_key, request_fingerprint, client_order_id,
                                   status, filled_amount)
               VALUES (%(id)s, %(client)s, %(cred)s, %(bot)s, 'bot', %(leg)s, %(position)s,
                       'BTC/USDT', %(side)s, 'limit', %(amount)s, %(price)s, %(key)s, %(fp)s,
                       %(coid)s, 'filled', %(amount)s)""",
            {
                "id": order_id,
                "client": client_id,
                "cred": bot["credential_id"],
                "bot": bot["id"],
                "leg": "entry" if side == "buy" else "exit",
                "position": position_id,
                "side": side,
                "amount": Decimal(amount),
                "price": Decimal(price),
                "key": f"test-{order_id}",
                "fp": order_id.bytes * 2,
                "coid": f"tb{order_id.hex[:25]}",
            },
        )
        await execute(
            web.db_url,
            """INSERT INTO fills (client_id, credential_id, order_id, bot_id, symbol,
                                  exchange_trade_id, side, price, amount, traded_at)
               VALUES (%(client)s, %(cred)s, %(order)s, %(bot)s, 'BTC/USDT', %(trade)s,
                       %(side)s, %(price)s, %(amount)s, now())""",
            {
                "client": client_id,
                "cred": bot["credential_id"],
                "order": order_id,
                "bot": bot["id"],
                "trade": order_id.hex,
                "side": side,
                "price": Decimal(price),
                "amount": Decimal(amount),
            },
        )
    return str(position_id)


async def test_numbers_come_from_the_fills_and_events_in_order(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        strategy_id = (await create_strategy(http))["strategy"]["id"]
        bot = await create_signal_bot(http, credential["id"], strategy_id)
        position_id = await _position(
            web,
            client_id=alice.id,
            bot=bot,
            fills=[("buy", "0.01", "50000"), ("buy", "0.03", "52000"), ("sell", "0.02", "53000")],
        )
        await execute(
            web.db_url,
            """INSERT INTO position_events (position_id, kind, stop_from, stop_to, detail)
               VALUES (%(id)s, 'opened', NULL, NULL, 'entry filled'),
                      (%(id)s, 'stop_moved', 49000, 49500.5, 'trailing')""",
            {"id": position_id},
        )
        detail = await http.get(f"/v1/positions/{position_id}")
        assert detail.status_code == 200, detail.text
        body = detail.json()
        assert body["entry_amount"] == "0.04"
        assert body["exit_amount"] == "0.02"
        assert body["size"] == "0.02"
        assert body["avg_entry_price"] == "51500"  # (500 + 1560) / 0.04
        assert body["avg_exit_price"] == "53000"
        assert body["realized_pnl"] == "30"  # 0.02 * (53000 - 51500)
        assert body["stop_price"] == "49000"
        assert body["take_profit_price"] == "53000"
        assert body["status"] == "open"
        assert body["exit_mode"] == "watched"
        assert body["bot_id"] == bot["id"]
        assert body["close_reason"] is None
        assert [(e["kind"], e["stop_from"], e["stop_to"]) for e in body["events"]] == [
            ("opened", None, None),
            ("stop_moved", "49000", "49500.5"),
        ]


async def test_filters_pages_and_scoping(web: WebServer) -> None:
    alice, bob = await web.create_client(), await web.create_client()
    async with web.http(alice.token) as http:
        credential = await create_credential(http)
        strategy_id = (await create_strategy(http))["strategy"]["id"]
        first_bot = await create_signal_bot(http, credential["id"], strategy_id)
        second_bot = await create_signal_bot(http, credential["id"], strategy_id)
        closed = await _position(web, client_id=alice.id, bot=first_bot, status="closed")
        open_ = await _position(web, client_id=alice.id, bot=first_bot)
        other = await _position(web, client_id=alice.id, bot=second_bot, status="closing")

        everything = (await http.get("/v1/positions")).json()
        assert [item["id"] for item in everything["items"]] == [other, open_, closed]
        assert everything["items"][0]["size"] == "0"
        assert everything["items"][0]["avg_entry_price"] is None
        by_bot = (await http.get(f"/v1/positions?bot_id={first_bot['id']}")).json()
        assert [item["id"] for item in by_bot["items"]] == [open_, closed]
        by_status = (await http.get("/v1/positions?status=closed")).json()
        assert [item["id"] for item in by_status["items"]] == [closed]
        assert (await http.get("/v1/positions?status=lost")).status_code == 400

        page = (await http.get(f"/v1/bots/{first_bot['id']}/positions?limit=1")).json()
        assert [item["id"] for item in page["items"]] == [open_]
        rest = (
            await http.get(
                f"/v1/bots/{first_bot['id']}/positions?limit=1&cursor={page['next_cursor']}"
            )
        ).json()
        assert [item["id"] for item in rest["items"]] == [closed]
        assert rest["next_cursor"] is None
        open_only = (await http.get(f"/v1/bots/{first_bot['id']}/positions?status=open")).json()
        assert [item["id"] for item in open_only["items"]] == [open_]
    async with web.http(bob.token) as http:
        assert (await http.get(f"/v1/positions/{open_}")).status_code == 404
        assert (await http.get(f"/v1/bots/{first_bot['id']}/positions")).status_code == 404
        assert (await http.get("/v1/positions")).json() == {"items": [], "next_cursor": None}
        assert (await http.get(f"/v1/positions?bot_id={first_bot['id']}")).json()["items"] == []
    assert len(await fetch_all(web.db_url, "SELECT 1 FROM positions")) == 3
