"""Small helpers shared by the web API tests (requests that set up state, DB reads)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import psycopg

API_KEY = "AKtest0123456789abcdefWXYZ"
SECRET = "s3cr3t-0123456789-abcdef-SECRET"
PASSPHRASE = "pass-phrase-9876"


def order_body(credential_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "credential_id": credential_id,
        "symbol": "BTC/USDT",
        "side": "buy",
        "type": "limit",
        "amount": "0.01",
        "price": "50000",
    }
    body.update(overrides)
    return body


def spread_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"spread_bps": "20", "order_size": "0.01", "levels": 2}
    config.update(overrides)
    return config


async def post_created(http: httpx.AsyncClient, path: str, body: Any) -> dict[str, Any]:
    """POST `body` to `path`, which must answer 201; the created resource."""
    response = await http.post(path, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_credential(http: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "exchange": "binance",
        "label": f"cred-{uuid.uuid4().hex[:6]}",
        "api_key": API_KEY,
        "secret": SECRET,
        "passphrase": PASSPHRASE,
        "environment": "paper",
    }
    body.update(overrides)
    return await post_created(http, "/v1/credentials", body)


async def create_bot(
    http: httpx.AsyncClient, credential_id: str, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"bot-{uuid.uuid4().hex[:6]}",
        "kind": "spread",
        "credential_id": credential_id,
        "symbol": "BTC/USDT",
        "config": spread_config(),
    }
    body.update(overrides)
    return await post_created(http, "/v1/bots", body)


async def place_order(
    http: httpx.AsyncClient, credential_id: str, key: str | None = None, **overrides: Any
) -> dict[str, Any]:
    response = await http.post(
        "/v1/orders",
        json=order_body(credential_id, **overrides),
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
    )
    assert response.status_code == 202, response.text
    created: dict[str, Any] = response.json()
    return created


async def fetch_all(db_url: str, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        cur = await conn.execute(statement, params)  # type: ignore[arg-type]
        return await cur.fetchall()


async def execute(db_url: str, statement: str, params: Any = None) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await conn.execute(statement, params)  # type: ignore[arg-type]


async def jobs(db_url: str, task_name: str | None = None) -> list[dict[str, Any]]:
    rows = await fetch_all(
        db_url,
        """SELECT task_name, queue_name, args, lock, queueing_lock, status
           FROM procrastinate_jobs
           WHERE %(task)s::text IS NULL OR task_name = %(task)s::text
           ORDER BY id""",
        {"task": task_name},
    )
    keys = ("task_name", "queue_name", "args", "lock", "queueing_lock", "status")
    return [dict(zip(keys, row, strict=True)) for row in rows]


async def insert_bot_order(
    db_url: str,
    *,
    client_id: uuid.UUID,
    credential_id: str,
    bot_id: str,
    status: str,
    cancel_requested: bool = False,
) -> uuid.UUID:
    """An order a bot tick wrote, in any status (the worker's side of the pipeline)."""
    order_id = uuid.uuid4()
    await execute(
        db_url,
        """INSERT INTO orders (id, client_id, credential_id, bot_id, source, bot_tick, bot_leg,
                               symbol, side, type, amount, price, idempotency_key,
                               request_fingerprint, client_order_id, status,
                               cancel_requested_at)
           VALUES (%(id)s, %(client_id)s, %(credential_id)s, %(bot_id)s, 'bot', 1, %(leg)s,
                   'BTC/USDT', 'buy', 'limit', %(amount)s, %(price)s, %(key)s, %(fp)s,
                   %(coid)s, %(status)s, CASE WHEN %(cancel)s THEN now() END)""",
        {
            "id": order_id,
            "client_id": client_id,
            "credential_id": credential_id,
            "bot_id": bot_id,
            "leg": f"leg-{order_id.hex[:4]}",
            "amount": Decimal("0.01"),
            "price": Decimal("50000"),
            "key": f"bot-{order_id}",
            "fp": order_id.bytes * 2,
            "coid": f"tb{order_id.hex[:25]}",
            "status": status,
            "cancel": cancel_requested,
        },
    )
    return order_id


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The `error` object of the one error shape (asserting the shape on the way)."""
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert {"code", "message", "request_id", "details"} <= set(error), error
    assert error["request_id"] == response.headers["x-request-id"]
    return error
