"""Valid rows for integration tests, inserted with plain SQL so each test can break one rule."""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection


async def _one(conn: AsyncConnection, statement: str, params: dict[str, Any]) -> uuid.UUID:
    cur = await conn.execute(statement, params)  # type: ignore[arg-type]
    row = await cur.fetchone()
    assert row is not None
    value = row[0]
    assert isinstance(value, uuid.UUID)
    return value


async def make_client(conn: AsyncConnection, name: str | None = None) -> uuid.UUID:
    return await _one(
        conn,
        "INSERT INTO clients (name) VALUES (%(name)s) RETURNING id",
        {"name": name or f"client-{uuid.uuid4().hex[:8]}"},
    )


async def make_credential(
    conn: AsyncConnection, client_id: uuid.UUID, exchange: str = "binance"
) -> uuid.UUID:
    return await _one(
        conn,
        """INSERT INTO exchange_credentials
               (client_id, exchange, environment, label, sealed_secret, key_id, masked_hint)
           VALUES (%(client_id)s, %(exchange)s, 'paper', %(label)s, %(blob)s, 'k-test', 'abcd...wxyz')
           RETURNING id""",
        {
            "client_id": client_id,
            "exchange": exchange,
            "label": f"cred-{uuid.uuid4().hex[:6]}",
            "blob": b"\x01" * 64,
        },
    )


async def make_bot(
    conn: AsyncConnection, client_id: uuid.UUID, credential_id: uuid.UUID, **overrides: Any
) -> uuid.UUID:
    params = {
        "client_id": client_id,
        "credential_id": credential_id,
        "name": f"bot-{uuid.uuid4().hex[:6]}",
        "kind": "spread",
        "exchange": "binance",
        "symbol": "BTC/USDT",
        "status": "stopped",
        "archived_at": None,
    }
    params.update(overrides)
    return await _one(
        conn,
        """INSERT INTO bots (client_id, credential_id, name, kind, exchange, symbol, config,
                             status, archived_at)
           VALUES (%(client_id)s, %(credential_id)s, %(name)s, %(kind)s, %(exchange)s,
                   %(symbol)s, '{}', %(status)s, %(archived_at)s)
           RETURNING id""",
        params,
    )


async def make_order(
    conn: AsyncConnection, client_id: uuid.UUID, credential_id: uuid.UUID, **overrides: Any
) -> uuid.UUID:
    key = overrides.pop("idempotency_key", f"key-{uuid.uuid4().hex}")
    params = {
        "client_id": client_id,
        "credential_id": credential_id,
        "symbol": "BTC/USDT",
        "side": "buy",
        "type": "limit",
        "amount": Decimal("0.01"),
        "price": Decimal("50000"),
        "idempotency_key": key,
        "fingerprint": hashlib.sha256(key.encode()).digest(),
        "client_order_id": f"tb{uuid.uuid4().hex[:20]}",
        "status": "accepted",
    }
    params.update(overrides)
    return await _one(
        conn,
        """INSERT INTO orders (client_id, credential_id, symbol, side, type, amount, price,
                               idempotency_key, request_fingerprint, client_order_id, status)
           VALUES (%(client_id)s, %(credential_id)s, %(symbol)s, %(side)s, %(type)s, %(amount)s,
                   %(price)s, %(idempotency_key)s, %(fingerprint)s, %(client_order_id)s,
                   %(status)s)
           RETURNING id""",
        params,
    )


FILL_INSERT = """
    INSERT INTO fills (client_id, credential_id, order_id, symbol, exchange_trade_id, side,
                       price, amount, fee_amount, fee_currency, traded_at)
    VALUES (%(client_id)s, %(credential_id)s, %(order_id)s, 'BTC/USDT', %(trade_id)s, 'buy',
            %(price)s, %(amount)s, %(fee)s, 'BTC', now())
    ON CONFLICT (order_id, exchange_trade_id) WHERE order_id IS NOT NULL DO NOTHING
"""
