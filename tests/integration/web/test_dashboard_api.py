"""The /v1 endpoints the dashboard added: a bot's series (charts), the operator's console,
the blotter's side filter."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg

from shared.domain import OrderSide
from shared.repositories.stats import bot_stats
from tests.factories import make_bot, make_credential, make_order
from tests.fixtures.fix_web import WebServer
from tests.integration.stats.helpers import NewFill, insert_fills

D = Decimal


async def test_bot_series_buckets_volume_and_marks_pnl_like_the_fifo(
    web: WebServer, db_url: str
) -> None:
    owner = await web.create_client()
    other = await web.create_client()
    now = datetime.now(UTC)
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        credential = await make_credential(conn, owner.id)
        bot = await make_bot(conn, owner.id, credential)
        other_bot = await make_bot(conn, owner.id, credential)

        def fill(side: OrderSide, price: str, amount: str, ago: timedelta, **kw: object) -> NewFill:
            return NewFill(
                client_id=owner.id, credential_id=credential, symbol="BTC/USDT", side=side,
                price=D(price), amount=D(amount), traded_at=now - ago, bot_id=bot, **kw,  # type: ignore[arg-type]
            )  # fmt: skip

        await insert_fills(
            conn,
            [
                # Before the window: only in the accumulated position and cash.
                fill(OrderSide.BUY, "100", "1", timedelta(days=3),
                     fee_amount=D("0.001"), fee_currency="BTC"),
                fill(OrderSide.SELL, "110", "0.5", timedelta(hours=5),
                     fee_amount=D("0.1"), fee_currency="USDT"),
                fill(OrderSide.BUY, "105", "0.2", timedelta(hours=5, minutes=1)),
                fill(OrderSide.SELL, "120", "0.1", timedelta(minutes=3),
                     fee_amount=D("0.01"), fee_currency="BNB"),
                # Another bot's fill is not this bot's book.
                NewFill(client_id=owner.id, credential_id=credential, symbol="BTC/USDT",
                        side=OrderSide.BUY, price=D("1"), amount=D("9"),
                        traded_at=now - timedelta(hours=1), bot_id=other_bot),
            ],
        )  # fmt: skip
        expected = (await bot_stats(conn, bot, mid=D("120"))).symbol("BTC/USDT")

    async with web.http(owner.token) as http:
        response = await http.get(f"/v1/bots/{bot}/series", params={"hours": 24})
        assert (await http.get(f"/v1/bots/{bot}/series", params={"hours": 0})).status_code == 400
    assert response.status_code == 200, response.text
    series = response.json()
    assert series["bucket_s"] == 24 * 3600 // 60
    points = series["points"]
    assert [p["trades"] for p in points] == [2, 1]
    assert (points[0]["buys"], points[0]["sells"]) == (1, 1)
    assert D(points[0]["base_volume"]) == D("0.7")
    assert D(points[0]["quote_volume"]) == D("76")  # 0.5 x 110 + 0.2 x 105
    assert points[0]["price"] == "110"  # the bucket's last trade
    # 0.999 bought before the window (fee in base), then -0.5 + 0.2.
    assert D(points[0]["position"]) == D("0.699")
    last = points[-1]
    assert D(last["position"]) == expected.position.net_amount
    assert expected.unrealized_pnl is not None
    # Marked at 120, the series' P&L is the FIFO's realized plus unrealized at mid 120.
    assert D(last["pnl"]) == expected.realized_pnl + expected.unrealized_pnl

    async with web.http(other.token) as http:
        assert (await http.get(f"/v1/bots/{bot}/series")).status_code == 404


async def test_ops_overview_needs_the_admin_token_and_reads_the_ops_views(
    web: WebServer, db_url: str
) -> None:
    client = await web.create_client()
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        credential = await make_credential(conn, client.id)
        order_id = await make_order(conn, client.id, credential)
        await conn.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now()), (now() - interval '1 hour')"
        )
        await conn.execute(
            """INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, attempts)
               VALUES ('orders', 'place_order', jsonb_build_object('order_id', %s::text), 'failed', 3)""",
            (str(order_id),),
        )
        await conn.execute(
            "UPDATE orders SET last_error_code = 'insufficient_funds' WHERE id = %s", (order_id,)
        )
    async with web.http(client.token) as http:
        assert (await http.get("/v1/admin/ops")).status_code == 403
        engaged = await http.post(
            "/v1/kill-switch/engage",
            json={"scope": "client", "confirm": str(client.id), "reason": "ops view test"},
        )
        assert engaged.status_code == 201, engaged.text
    async with web.admin() as http:
        response = await http.get("/v1/admin/ops")
    assert response.status_code == 200, response.text
    ops = response.json()
    assert ops["live_workers"] == 1
    assert sorted(w["live"] for w in ops["workers"]) == [False, True]
    failed = ops["failed_jobs"]
    assert [(j["order_id"], j["last_error_code"]) for j in failed] == [
        (str(order_id), "insufficient_funds")
    ]
    assert {(q["task_name"], q["status"], q["jobs"]) for q in ops["queues"]} >= {
        ("place_order", "failed", 1)
    }
    switches = ops["engaged_kill_switches"]
    assert [(s["scope"], s["client"], s["engage_reason"]) for s in switches] == [
        ("client", client.name, "ops view test")
    ]


async def test_the_blotter_filters_by_side(web: WebServer, db_url: str) -> None:
    client = await web.create_client()
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        credential = await make_credential(conn, client.id)
        buy = await make_order(conn, client.id, credential, side="buy")
        sell = await make_order(conn, client.id, credential, side="sell")
    async with web.http(client.token) as http:
        sells = (await http.get("/v1/orders", params={"side": "sell"})).json()["items"]
        buys = (await http.get("/v1/orders", params={"side": "buy"})).json()["items"]
        bad = await http.get("/v1/orders", params={"side": "both"})
    assert [o["id"] for o in sells] == [str(sell)]
    assert [o["id"] for o in buys] == [str(buy)]
    assert bad.status_code == 400
    assert uuid.UUID(sells[0]["id"])
