"""The rig of the crash tests: real `tradebridge worker` subprocesses (short timings) on
one test's paper account, killed and replaced; what they logged, and the venue's books
to check the outcome against. The `rig` fixture (tests/integration/worker/conftest.py)
kills what a test left running."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal as D
from pathlib import Path
from typing import Any
from uuid import UUID

from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.worker.processes import WorkerProcess, wait_for, worker_env

ORDER_POST = "POST /api/v3/order"
RECOVERY_S = 35.0


@dataclass
class Rig:
    worker: WorkerHarness
    account: PaperAccount
    db_url: str
    log_dir: Path
    procs: list[WorkerProcess] = field(default_factory=list)

    def start(self, paper_url: str | None = None, **extra_env: str) -> WorkerProcess:
        """A worker process. User-data streams are off unless `TRADEBRIDGE_STREAM_VENUES`
        says otherwise: the crash tests pin down the REST recovery paths (a live stream
        would settle the order before the crash they stage); test_stream_takeover.py
        kills workers with streams on."""
        extra_env = {"TRADEBRIDGE_STREAM_VENUES": "", **extra_env}
        env = worker_env(
            self.db_url, paper_url or self.worker.paper.url, self.worker.keys, **extra_env
        )
        proc = WorkerProcess(env, self.log_dir / f"worker-{len(self.procs) + 1}.log")
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(
            f"--- worker {i + 1} (pid {p.pid}, exit {p.proc.poll()}) tail ---\n{p.tail()}"
            for i, p in enumerate(self.procs)
        )

    async def venue_orders(self, client_order_id: str) -> list[dict[str, Any]]:
        return [
            o
            for o in await self.worker.paper.orders(api_key=self.account.api_key)
            if o["clientOrderId"] == client_order_id
        ]

    async def order_posts(self) -> int:
        counts = await self.worker.paper.request_counts(api_key=self.account.api_key)
        return counts.get(ORDER_POST, 0)

    async def wait(self, check: Any, within_s: float, what: str, every_s: float = 0.1) -> None:
        await wait_for(check, within_s, what, every_s=every_s, on_timeout=self.logs)

    async def assert_recovered(self, order_id: UUID) -> dict[str, Any]:
        """Filled exactly once at the venue, our books equal the venue's, no job stuck."""
        await self.wait(self.worker.status_is(order_id, "filled"), RECOVERY_S, "order filled")
        order = await self.worker.order(order_id)
        at_venue = await self.venue_orders(order["client_order_id"])
        assert len(at_venue) == 1, (at_venue, self.logs())
        assert at_venue[0]["status"] == "FILLED"
        assert order["exchange_order_id"] == str(at_venue[0]["orderId"])
        venue_trades = [
            t
            for t in await self.worker.paper.trades(api_key=self.account.api_key)
            if str(t["orderId"]) == order["exchange_order_id"]
        ]
        ours = await self.worker.fetch(
            "SELECT exchange_trade_id, amount FROM fills WHERE order_id = %s ORDER BY 1", order_id
        )
        assert venue_trades, "a filled order has trades"
        assert sorted((str(t["id"]), D(str(t["qty"]))) for t in venue_trades) == sorted(ours)
        assert sum(D(str(t["qty"])) for t in venue_trades) == order["filled"]

        async def nothing_doing() -> bool:
            rows = await self.worker.fetch(
                "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'"
            )
            return bool(rows[0][0] == 0)

        # A job killed mid-run is re-queued by retry_stalled_jobs (5 s tick) and reruns.
        await self.wait(nothing_doing, RECOVERY_S, "no job left doing")
        assert await self.worker.fetch("SELECT * FROM ops.stuck_jobs") == []
        return order

    async def calls(self, order_id: UUID) -> list[tuple[Any, ...]]:
        return await self.worker.fetch(
            "SELECT call, outcome, message FROM order_events"
            " WHERE order_id = %s AND kind = 'exchange_call' ORDER BY id",
            order_id,
        )
