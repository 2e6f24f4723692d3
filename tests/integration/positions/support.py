"""Signal bots with a position, written the way the fan-out writes them (a strategy, a
running signal bot, a position, an entry order with its position_id), and the position
read back."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.bots.config import config_to_json, parse_bot_config
from shared.bots.positions import resume_position_watch
from shared.domain import BotKind, OrderSide, OrderSource, OrderType, TimeInForce
from shared.orders.intents import OrderIntent, submit_order_intent
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.bots.support import SYMBOL, venue_open_orders

BASE_CONFIG: dict[str, Any] = {
    "sizing": "fixed_quote", "quote_amount": "100", "max_position_quote": "1000",
    "stop_loss_pct": "2", "take_profit_pct": "4", "watch_interval_s": 1,
}  # fmt: skip


async def signal_bot_with_position(
    worker: WorkerHarness, account: PaperAccount, *, exit_mode: str, **config: Any
) -> dict[str, UUID]:
    """A running signal bot on BTC/USDT with an open position (no entry yet)."""
    client_id, credential_id = await worker.client_with_credential(account)
    parsed = parse_bot_config(BotKind.SIGNAL, {**BASE_CONFIG, **config})
    async with worker.pool.connection() as conn:
        cur = await conn.execute(
            """INSERT INTO strategies (client_id, name, secret_hash, secret_hint)
               VALUES (%s, %s, %s, 'sec…') RETURNING id""",
            (client_id, f"s-{uuid.uuid4().hex[:6]}", b"\0" * 32),
        )
        strategy_id = (await cur.fetchone() or [None])[0]
        cur = await conn.execute(
            """INSERT INTO bots (client_id, name, kind, exchange, symbol, credential_id, config,
                                 strategy_id, status)
               VALUES (%s, %s, 'signal', 'binance', %s, %s, %s, %s, 'running') RETURNING id""",
            (client_id, f"b-{uuid.uuid4().hex[:6]}", SYMBOL, credential_id,
             json.dumps(config_to_json(parsed)), strategy_id),
        )  # fmt: skip
        bot_id = (await cur.fetchone() or [None])[0]
        cur = await conn.execute(
            """INSERT INTO positions (client_id, bot_id, credential_id, symbol, exit_mode, atr)
               VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
            (client_id, bot_id, credential_id, SYMBOL, exit_mode, config.get("atr")),
        )
        position_id = (await cur.fetchone() or [None])[0]
    assert strategy_id
    assert bot_id
    assert position_id
    return {"client": client_id, "credential": credential_id, "bot": bot_id,
            "position": position_id}  # fmt: skip


async def enter(
    worker: WorkerHarness, ids: dict[str, UUID], *, amount: str, price: str, n: int = 1
) -> None:
    """An entry (limit IOC buy) of the position, and its watch, as the fan-out writes them."""
    async with worker.pool.connection() as conn, conn.transaction():
        await submit_order_intent(
            conn, worker.app, client_id=ids["client"],
            request=OrderIntent(
                credential_id=ids["credential"], symbol=SYMBOL, side=OrderSide.BUY,
                type=OrderType.LIMIT, amount=Decimal(amount), price=Decimal(price),
                time_in_force=TimeInForce.IOC,
            ),
            idempotency_key=f"test-entry:{ids['position']}:{n}", source=OrderSource.BOT,
            bot_id=ids["bot"], bot_leg="entry", position_id=ids["position"],
        )  # fmt: skip
        await resume_position_watch(conn, worker.app, ids["position"])


async def position(worker: WorkerHarness, position_id: UUID) -> dict[str, Any]:
    rows = await worker.fetch(
        """SELECT status, close_reason, size, entry_amount, exit_amount, avg_entry_price,
                  realized_pnl, stop_price, take_profit_price, trail_anchor
           FROM ops.positions WHERE id = %s""",
        position_id,
    )
    keys = ("status", "close_reason", "size", "entry_amount", "exit_amount", "avg_entry_price",
            "realized_pnl", "stop_price", "take_profit_price", "trail_anchor")  # fmt: skip
    return dict(zip(keys, rows[0], strict=True))


async def base_fees(worker: WorkerHarness, position_id: UUID) -> Decimal:
    """Fees the venue took in BTC (from what the entries bought): never the bot's to sell."""
    rows = await worker.fetch(
        """SELECT coalesce(sum(f.fee_amount), 0) FROM fills f JOIN orders o ON o.id = f.order_id
           WHERE o.position_id = %s AND f.fee_currency = 'BTC'""",
        position_id,
    )
    return Decimal(rows[0][0])


async def events(worker: WorkerHarness, position_id: UUID) -> list[tuple[Any, ...]]:
    return await worker.fetch(
        "SELECT kind, stop_from, stop_to, detail FROM position_events"
        " WHERE position_id = %s ORDER BY id",
        position_id,
    )


async def pnl_from_fills(worker: WorkerHarness, position_id: UUID) -> Decimal:
    """Realized P&L computed here from the fills alone: sold at their prices minus the
    sold amount at the average buy price."""
    rows = await worker.fetch(
        """SELECT f.side::text, f.amount, f.price FROM fills f JOIN orders o ON o.id = f.order_id
           WHERE o.position_id = %s""",
        position_id,
    )
    bought = sum((a for s, a, _ in rows if s == "buy"), Decimal(0))
    cost = sum((a * p for s, a, p in rows if s == "buy"), Decimal(0))
    sold = sum((a for s, a, _ in rows if s == "sell"), Decimal(0))
    proceeds = sum((a * p for s, a, p in rows if s == "sell"), Decimal(0))
    return proceeds - sold * cost / bought


async def closed_all_sold(worker: WorkerHarness, position_id: UUID, reason: str) -> dict[str, Any]:
    """The closed position, checked: closed for `reason`, all it held sold (only the base
    fees left), its P&L the fills' own. Returned for the test's further checks."""
    closed = await position(worker, position_id)
    assert closed["close_reason"] == reason
    assert closed["size"] == await base_fees(worker, position_id)
    assert closed["realized_pnl"] == await pnl_from_fills(worker, position_id)
    return closed


def status_is(worker: WorkerHarness, position_id: UUID, status: str) -> Any:
    async def check() -> bool:
        return (await position(worker, position_id))["status"] == status

    return check


def protected(worker: WorkerHarness, position_id: UUID) -> Any:
    async def check() -> bool:
        row = await position(worker, position_id)
        return row["stop_price"] is not None

    return check


async def nothing_resting(worker: WorkerHarness, account: PaperAccount) -> bool:
    return not await venue_open_orders(worker, account)
