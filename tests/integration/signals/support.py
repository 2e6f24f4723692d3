"""Helpers of the signal fan-out tests: a strategy with N running signal bots on one
paper account (rows written directly: the bots API for signal bots lands separately),
signals inserted as the webhook inserts them, and the venue's books read back."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from shared.jobs import FAN_OUT_SIGNAL, defer
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness

SYMBOL = "BTC/USDT"
VENUE_SYMBOL = "BTCUSDT"
MID = Decimal(60000)
ORDER_POST = "POST /api/v3/order"
CONFIG: dict[str, Any] = {
    "sizing": "fixed_quote",
    "quote_amount": "100",
    "stop_loss_pct": "2",
    "max_position_quote": "1000",
    "max_slippage_bps": "50",
    "exit_mode": "watched",
}


@dataclass(frozen=True)
class Fleet:
    client_id: UUID
    credential_id: UUID
    strategy_id: UUID
    bot_ids: list[UUID]
    account: PaperAccount


async def new_fleet(
    worker: WorkerHarness, account: PaperAccount, bots: int, config: dict[str, Any] | None = None
) -> Fleet:
    """A client, a credential on `account`, a strategy and `bots` running signal bots, and
    the credential's balance snapshot as the venue has it."""
    client_id, credential_id = await worker.client_with_credential(account)
    strategy_id = uuid.uuid4()
    bot_ids = [uuid.uuid4() for _ in range(bots)]
    venue_balances = await worker.paper.balances(account.api_key)
    async with worker.pool.connection() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO strategies (id, client_id, name, secret_hash, secret_hint)"
            " VALUES (%s, %s, %s, %s, 'sec…')",
            (strategy_id, client_id, f"s-{strategy_id.hex[:6]}", hashlib.sha256(b"x").digest()),
        )
        async with conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO bots (id, client_id, name, kind, exchange, symbol, credential_id,"
                " config, status, strategy_id) VALUES (%s, %s, %s, 'signal', 'binance', %s, %s,"
                " %s, 'running', %s)",
                [
                    (bot_id, client_id, f"b-{bot_id.hex[:8]}", SYMBOL, credential_id,
                     Jsonb(config or CONFIG), strategy_id)
                    for bot_id in bot_ids
                ],
            )  # fmt: skip
            await cur.executemany(
                "INSERT INTO balances (credential_id, asset, free, used, total, fetched_at)"
                " VALUES (%s, %s, %s, %s, %s, now())",
                [
                    (credential_id, asset, b.free, b.locked, b.free + b.locked)
                    for asset, b in venue_balances.items()
                ],
            )
    return Fleet(client_id, credential_id, strategy_id, bot_ids, account)


async def send_signal(
    worker: WorkerHarness,
    fleet: Fleet,
    signal_id: str,
    *,
    action: str = "enter",
    reference_price: Decimal | None = MID,
) -> UUID | None:
    """What the webhook does: insert the signal (the same sender id twice is one signal)
    and, only when this request inserted it, defer its fan-out on the same connection.
    The signal's id, or None for a replay."""
    body = {"signal_id": signal_id, "symbol": SYMBOL, "action": action}
    fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest()
    async with worker.pool.connection() as conn, conn.transaction():
        cur = await conn.execute(
            "INSERT INTO signals (strategy_id, client_id, signal_id, fingerprint, symbol, action,"
            " reference_price, outcome, response_status, response_body)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, 'accepted', 202, '{}')"
            " ON CONFLICT (strategy_id, signal_id) DO NOTHING RETURNING id",
            (fleet.strategy_id, fleet.client_id, signal_id, fingerprint, SYMBOL, action,
             reference_price),
        )  # fmt: skip
        row = await cur.fetchone()
        if row is None:
            return None
        await defer(worker.app, conn, FAN_OUT_SIGNAL, signal_id=str(row[0]))
    return UUID(str(row[0]))


async def entry_orders(worker: WorkerHarness, fleet: Fleet) -> list[dict[str, Any]]:
    rows = await worker.fetch(
        "SELECT o.id, o.bot_id, o.signal_id, o.client_order_id, o.status, o.amount,"
        " o.filled_amount, o.position_id, o.response_body, o.idempotency_key"
        " FROM orders o WHERE o.client_id = %s AND o.bot_leg = 'entry' ORDER BY o.id",
        fleet.client_id,
    )
    names = ("id", "bot_id", "signal_id", "client_order_id", "status", "amount", "filled",
             "position_id", "response_body", "idempotency_key")  # fmt: skip
    return [dict(zip(names, row, strict=True)) for row in rows]


async def pipeline_quiet(worker: WorkerHarness, fleet: Fleet) -> bool:
    rows = await worker.fetch(
        "SELECT count(*) FROM orders WHERE client_id = %s"
        " AND status IN ('accepted', 'submitting', 'unknown')",
        fleet.client_id,
    )
    pending = await worker.fetch(
        "SELECT count(*) FROM signals WHERE client_id = %s AND fanned_out_at IS NULL",
        fleet.client_id,
    )
    return int(rows[0][0]) == 0 and int(pending[0][0]) == 0


async def venue_orders_by_client_id(
    worker: WorkerHarness, account: PaperAccount
) -> dict[str, list[dict[str, Any]]]:
    by_id: dict[str, list[dict[str, Any]]] = {}
    for order in await worker.paper.orders(api_key=account.api_key, symbol=VENUE_SYMBOL):
        by_id.setdefault(order["clientOrderId"], []).append(order)
    return by_id


async def assert_exactly_one_entry_each(
    worker: WorkerHarness, fleet: Fleet, signals: int
) -> list[dict[str, Any]]:
    """N bots x M signals: N x M entry orders in our books, each once at the venue, with
    the venue's status; as many order posts as orders (no resend)."""
    orders = await entry_orders(worker, fleet)
    assert len(orders) == len(fleet.bot_ids) * signals
    assert len({(o["bot_id"], o["signal_id"]) for o in orders}) == len(orders)
    at_venue = await venue_orders_by_client_id(worker, fleet.account)
    for order in orders:
        copies = at_venue.get(order["client_order_id"], [])
        assert len(copies) == 1, (order, copies)
        assert order["status"] == "filled", order
        assert copies[0]["status"] == "FILLED"
        assert Decimal(copies[0]["executedQty"]) == order["filled"] == order["amount"]
    return orders
