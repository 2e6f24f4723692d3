"""Fixtures of the worker tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.worker.crash_rig import Rig


@pytest.fixture
async def rig(
    worker: WorkerHarness, paper_account: PaperAccount, db_url: str, tmp_path: Path
) -> AsyncIterator[Rig]:
    rig = Rig(worker, paper_account, db_url, tmp_path)
    try:
        yield rig
    finally:
        for proc in rig.procs:
            proc.kill()
        await worker.paper.clear_faults(api_key=paper_account.api_key)
