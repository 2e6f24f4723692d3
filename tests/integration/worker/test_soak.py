"""A short soak: 500 orders over 4 credentials with random venue faults, run by two
in-process workers at once (two concurrent `run_worker_async(wait=True)` on the same
App: two registered procrastinate workers, concurrency 4 each, competing for the jobs),
with the credentials' user-data streams on (as in production) and faults on those
streams too (dropped, stalled, duplicated, reordered events), then checked against the
venue's books.

Test-time settings (as the other worker tests): exchange timeout 1.5 s, settle 1.5 s,
reconcile interval 0.5 s, breaker reset 2 s (instead of 30 s) so an opened breaker does
not stall the run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections import Counter, defaultdict
from decimal import Decimal as D
from typing import Any
from uuid import UUID

import pytest

from shared.domain import OrderSide, OrderType
from shared.exchange.breaker import BreakerRegistry
from shared.jobs import CANCEL_ORDER, defer, order_lock
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.worker.processes import wait_for
from worker.context import job_context_extras

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

N_ORDERS = 500
N_ACCOUNTS = 4
SEED = 20240607
BALANCES = {"USDT": "50000000", "BTC": "500", "ETH": "5000", "SOL": "50000"}
AMOUNTS = {
    "BTC/USDT": ("0.001", "0.002", "0.003"),
    "ETH/USDT": ("0.02", "0.03", "0.05"),
    "SOL/USDT": ("0.2", "0.5", "1"),
}
TERMINAL = ("filled", "canceled", "expired", "rejected", "failed")
PRE_VENUE = ("accepted", "submitting", "unknown")
FAULT_KINDS = ("http_503", "http_429", "accept_then_drop", "accept_then_504", "hang")
STREAM_FAULTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("stream_drop", {}),
    ("stream_stall", {"stall_s": 3}),
    ("stream_duplicate", {"times": 5}),
    ("stream_reorder", {"times": 5}),
)
# (method, path) of the order endpoints, weighted towards placing.
FAULT_TARGETS = (
    ("POST", "/api/v3/order"),
    ("POST", "/api/v3/order"),
    ("POST", "/api/v3/order"),
    ("GET", "/api/v3/order"),
    ("DELETE", "/api/v3/order"),
)
WAIT_TERMINAL_S = 180.0


def venue_symbol(symbol: str) -> str:
    return symbol.replace("/", "")


@dataclasses.dataclass
class Soak:
    worker: WorkerHarness
    rng: random.Random
    accounts: list[PaperAccount]
    credentials: list[tuple[UUID, UUID]]  # (client_id, credential_id) per account
    mids: dict[str, D]
    base_mids: dict[str, D]
    faults: Counter[str] = dataclasses.field(default_factory=Counter)
    injecting: bool = True

    async def run_jobs(self) -> None:
        """One long-running in-process worker (as in production: it keeps beating while
        its jobs run, periodic tasks included); stopped by cancelling it."""
        await self.worker.app.run_worker_async(
            wait=True, install_signal_handlers=False, concurrency=4,
            update_heartbeat_interval=1, stalled_worker_timeout=30,
            shutdown_graceful_timeout=5, listen_notify=True, fetch_job_polling_interval=0.5,
            additional_context=job_context_extras(self.worker.ctx),
        )  # fmt: skip

    async def inject_faults(self) -> None:
        """A few faults at a time on the order endpoints of the soak's keys."""
        paper = self.worker.paper
        while self.injecting:
            for _ in range(self.rng.randint(1, 3)):
                kind = self.rng.choice(FAULT_KINDS)
                method, path = self.rng.choice(FAULT_TARGETS)
                extra: dict[str, Any] = {}
                if kind == "http_429":
                    extra["retry_after_s"] = 1
                if kind == "hang":
                    extra["hang_s"] = 3
                account = self.rng.choice(self.accounts)
                await paper.inject_fault(kind, path, method, api_key=account.api_key, **extra)
                self.faults[kind] += 1
            if self.rng.random() < 0.3:
                kind, extra = self.rng.choice(STREAM_FAULTS)
                account = self.rng.choice(self.accounts)
                await paper.admin(
                    "POST", "/faults",
                    json={"kind": kind, "stream": "user", "api_key": account.api_key, **extra},
                )  # fmt: skip
                self.faults[kind] += 1
            await asyncio.sleep(self.rng.uniform(0.3, 0.8))

    async def move_mids(self, stop: asyncio.Event) -> None:
        """Mean-reverting moves of ±0.8 % around the start, so resting orders fill."""
        while not stop.is_set():
            symbol = self.rng.choice(list(self.mids))
            mid = self.base_mids[symbol] * (1 + D(self.rng.uniform(-0.008, 0.008)))
            mid = mid.quantize(D("0.01"))
            await self.worker.paper.set_mid(venue_symbol(symbol), mid)
            self.mids[symbol] = mid
            await asyncio.sleep(self.rng.uniform(0.3, 1.0))

    async def submit_one(self, i: int) -> UUID:
        rng = self.rng
        client_id, credential_id = self.credentials[i % len(self.credentials)]
        symbol = rng.choice(list(AMOUNTS))
        side = rng.choice((OrderSide.BUY, OrderSide.SELL))
        amount = rng.choice(AMOUNTS[symbol])
        roll = rng.random()
        if roll < 0.02:  # fat finger: refused by the price band, never sent
            price = (self.mids[symbol] * D("0.5")).quantize(D("0.01"))
            return await self.worker.submit(
                client_id, credential_id, symbol=symbol, side=OrderSide.BUY, amount=amount,
                type=OrderType.LIMIT, price=str(price),
            )  # fmt: skip
        if roll < 0.4:
            return await self.worker.submit(
                client_id, credential_id, symbol=symbol, side=side, amount=amount
            )
        mid = self.mids[symbol]
        sign = 1 if side is OrderSide.BUY else -1
        # marketable: crosses the touch; resting: away from it, fills when the mid comes
        marketable = roll < 0.7
        offset = D(rng.uniform(0.002, 0.006)) if marketable else -D(rng.uniform(0.001, 0.006))
        price = (mid * (1 + sign * offset)).quantize(D("0.01"))
        return await self.worker.submit(
            client_id, credential_id, symbol=symbol, side=side, amount=amount,
            type=OrderType.LIMIT, price=str(price),
        )  # fmt: skip

    async def describe_pre_venue(self) -> str:
        """Orders not past the venue call, with their jobs and last events."""
        rows = await self.worker.fetch(
            """SELECT o.id, o.status, o.attempts, o.last_error_code, now() - o.created_at,
                      (SELECT array_agg(j.status || '/' || j.task_name || '/a' || j.attempts
                                        || '/in ' || (j.scheduled_at - now()))
                         FROM procrastinate_jobs j WHERE j.args->>'order_id' = o.id::text),
                      (SELECT array_agg(coalesce(e.call, e.kind::text) || ':' || coalesce(e.outcome::text, '-') || ':'
                                        || coalesce(e.error_class, '') || ':'
                                        || coalesce(left(e.message, 50), '') ORDER BY e.id)
                         FROM order_events e WHERE e.order_id = o.id AND e.kind <> 'status_change')
               FROM orders o WHERE o.status IN ('accepted', 'submitting', 'unknown')
               LIMIT 10"""
        )
        return "\n".join(repr(r) for r in rows)

    async def statuses(self) -> Counter[str]:
        rows = await self.worker.fetch("SELECT status, count(*) FROM orders GROUP BY status")
        return Counter({str(s): int(n) for s, n in rows})

    async def cancel_live(
        self, fraction: float = 1.0, statuses: tuple[str, ...] = ("open", "partially_filled")
    ) -> int:
        rows = await self.worker.fetch(
            "SELECT id FROM orders WHERE status = ANY(%s) ORDER BY id", list(statuses)
        )
        chosen = [r[0] for r in rows if self.rng.random() < fraction]
        async with self.worker.pool.connection() as conn:
            for order_id in chosen:
                await defer(
                    self.worker.app, conn, CANCEL_ORDER,
                    lock=order_lock(order_id), order_id=str(order_id),
                )  # fmt: skip
        return len(chosen)


async def test_soak_500_orders_with_faults_two_workers(
    worker: WorkerHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    rng = random.Random(SEED)
    paper = worker.paper
    worker.ctx.settings = dataclasses.replace(worker.ctx.settings, reconcile_interval_s=0.5)
    worker.ctx.adapters.breakers = BreakerRegistry(fail_max=5, reset_timeout_s=2.0)
    await worker.pool.resize(min_size=2, max_size=24)

    accounts = [await paper.create_account(BALANCES) for _ in range(N_ACCOUNTS)]
    credentials = [await worker.client_with_credential(a) for a in accounts]
    mids = {s: D(str((await paper.market(venue_symbol(s)))["mid"])) for s in AMOUNTS}
    soak = Soak(worker, rng, accounts, credentials, dict(mids), dict(mids))

    stop_moving = asyncio.Event()
    streams = worker.streaming()
    await streams.__aenter__()
    runners = [asyncio.create_task(soak.run_jobs()) for _ in range(2)]
    injector = asyncio.create_task(soak.inject_faults())
    mover = asyncio.create_task(soak.move_mids(stop_moving))
    order_ids: list[UUID] = []
    canceled_early = canceled_late = 0
    try:
        for i in range(N_ORDERS):
            order_ids.append(await soak.submit_one(i))
            if i % 25 == 24:
                await asyncio.sleep(0.2)  # let the workers and the faults interleave
            if i == N_ORDERS * 3 // 4:
                canceled_early = await soak.cancel_live(fraction=0.3)
                # and some not at the venue yet (queued, or outcome unknown)
                canceled_early += await soak.cancel_live(0.5, ("accepted", "unknown"))
        submitted_at = time.monotonic() - started

        async def all_sent() -> bool:
            statuses = await soak.statuses()
            return not any(statuses[s] for s in PRE_VENUE)

        # Faults keep coming a little longer, then stop: at a fixed fault rate with the
        # order flow over, nearly every call would fail and keep the (venue-wide)
        # breaker open. Drop what is left so nothing outlives the run.
        await asyncio.sleep(5)
        soak.injecting = False
        await injector
        for account in accounts:
            await paper.clear_faults(api_key=account.api_key)
        try:
            await wait_for(all_sent, 60, "every order past the venue call", every_s=0.5)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{await soak.describe_pre_venue()}") from None
        await asyncio.sleep(1.0)  # let the mids move once more over resting orders
        stop_moving.set()
        await mover
        canceled_late = await soak.cancel_live()

        deadline = time.monotonic() + WAIT_TERMINAL_S
        while True:
            statuses = await soak.statuses()
            live = sum(n for s, n in statuses.items() if s not in TERMINAL)
            if live == 0 and not await worker.pending_jobs():
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"not terminal after {WAIT_TERMINAL_S}s: {statuses}")
            if statuses["open"] or statuses["partially_filled"]:
                canceled_late += await soak.cancel_live()  # filled/expired ones race cancels
            await asyncio.sleep(1.0)
    finally:
        soak.injecting = False
        stop_moving.set()
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, injector, mover, return_exceptions=True)
        await streams.__aexit__(None, None, None)
        for account in accounts:
            await paper.clear_faults(api_key=account.api_key)
    wall_s = time.monotonic() - started

    # ---- every order terminal, at most one venue order per client order id
    rows = await worker.fetch(
        "SELECT id, credential_id, status, reject_reason, client_order_id, exchange_order_id,"
        " filled_amount, symbol FROM orders"
    )
    assert len(rows) == N_ORDERS
    statuses = Counter(str(r[2]) for r in rows)
    assert set(statuses) <= set(TERMINAL), statuses

    key_of = {cred[1]: acc.api_key for acc, cred in zip(accounts, credentials, strict=True)}
    venue_orders: dict[str, list[dict[str, Any]]] = defaultdict(list)
    venue_trades: dict[str, list[dict[str, Any]]] = {}
    for account in accounts:
        for o in await paper.orders(api_key=account.api_key):
            venue_orders[o["clientOrderId"]].append(o)
        venue_trades[account.api_key] = await paper.trades(api_key=account.api_key)

    problems: list[str] = []
    for order_id, _cred, status, reason, cid, exchange_id, filled, _symbol in rows:
        at_venue = venue_orders.get(cid, [])
        # rejected/failed/canceled before send: never at the venue; the rest exactly once
        never_sent = status in ("rejected", "failed") or reason == "canceled_before_send"
        expected = 0 if never_sent else 1
        if len(at_venue) != expected:
            problems.append(f"{order_id} {status}/{reason}: {len(at_venue)} venue orders")
        elif expected and str(at_venue[0]["orderId"]) != exchange_id:
            problems.append(f"{order_id}: ours {exchange_id}, venue {at_venue[0]['orderId']}")
        elif expected and D(str(at_venue[0]["executedQty"])) != filled:
            problems.append(f"{order_id}: filled {filled}, venue {at_venue[0]['executedQty']}")
    our_cids = {r[4] for r in rows}
    strays = [cid for cid in venue_orders if cid not in our_cids]
    assert not strays, f"venue orders nobody asked for: {strays[:5]}"
    assert not problems, "\n".join(problems[:20])

    # ---- our fills == the venue's trades, per credential (ids and amounts)
    fills = await worker.fetch(
        "SELECT o.credential_id, o.symbol, f.exchange_trade_id, f.amount"
        " FROM fills f JOIN orders o ON o.id = f.order_id"
    )
    ours: dict[str, list[tuple[str, str, D]]] = defaultdict(list)
    for cred, symbol, trade_id, amount in fills:
        ours[key_of[cred]].append((venue_symbol(symbol), str(trade_id), D(amount)))
    for account in accounts:
        theirs = sorted(
            (t["symbol"], str(t["id"]), D(str(t["qty"]))) for t in venue_trades[account.api_key]
        )
        assert sorted(ours[account.api_key]) == theirs, account.api_key

    # ---- no job left behind
    doing = await worker.fetch("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'")
    assert doing == [(0,)]
    jobs = await worker.fetch(
        "SELECT count(*), coalesce(sum(attempts), 0) FROM procrastinate_jobs"
        " WHERE queue_name = 'orders'"
    )
    failed_jobs = await worker.fetch(
        "SELECT task_name, count(*) FROM procrastinate_jobs WHERE status = 'failed' GROUP BY 1"
    )
    n_jobs, attempts = jobs[0]
    via = dict(
        await worker.fetch(
            "SELECT via, count(*) FROM order_events WHERE kind = 'status_change'"
            " AND via IS NOT NULL GROUP BY 1"
        )
    )
    stream_stats = (await worker.fetch(
        "SELECT sum(events), sum(reconnects), sum(fallbacks) FROM user_streams"
    ))[0]  # fmt: skip
    with capsys.disabled():
        print(
            f"\nsoak: {N_ORDERS} orders, {N_ACCOUNTS} credentials, 2 in-process workers"
            f"\n  final status: {dict(sorted(statuses.items()))}"
            f"\n  venue orders: {sum(len(v) for v in venue_orders.values())}"
            f"  fills: {len(fills)}  venue trades: {sum(map(len, venue_trades.values()))}"
            f"\n  faults injected: {dict(sorted(soak.faults.items()))}"
            f" (total {sum(soak.faults.values())})"
            f"\n  cancels deferred: {canceled_early} mid-run, {canceled_late} at the end"
            f"\n  order jobs: {n_jobs}, attempts: {attempts}, retries: {attempts - n_jobs}"
            f"  failed jobs: {failed_jobs}"
            f"\n  status changes by path: {via}; user-data streams: events, reconnects,"
            f" fallbacks {stream_stats}"
            f"\n  submitted in {submitted_at:.1f}s, wall time {wall_s:.1f}s"
        )
    assert via.get("stream", 0) > 0, "the streams wrote nothing: the soak did not test them"
    assert failed_jobs == [], failed_jobs
