"""Fixtures of the signal fan-out tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.exchange.market_data import MarketDataCache
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.signals.support import MID, VENUE_SYMBOL
from tests.integration.worker.crash_rig import Rig
from worker.streams.books import BookFeeds


@pytest.fixture
async def signals_worker(worker: WorkerHarness) -> WorkerHarness:
    """The worker reading books by REST with no cache (each test sets its own mid)."""
    worker.ctx.market_data = MarketDataCache(ttl_s=0)
    worker.ctx.book_feeds = BookFeeds(max_age_s=0)
    await worker.paper.set_mid(VENUE_SYMBOL, MID)
    return worker


@pytest.fixture
async def rig(
    signals_worker: WorkerHarness, paper_account: PaperAccount, db_url: str, tmp_path: Path
) -> AsyncIterator[Rig]:
    """Worker subprocesses to SIGKILL (tests/integration/worker/crash_rig.py)."""
    rig = Rig(signals_worker, paper_account, db_url, tmp_path)
    try:
        yield rig
    finally:
        for proc in rig.procs:
            proc.kill()
        await signals_worker.paper.clear_faults()
