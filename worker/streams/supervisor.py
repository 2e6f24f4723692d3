"""Which user-data streams this worker process runs: a lease pass every few seconds.

Each pass (one transaction, shared.repositories.streams.lease_pass) beats for this
process, renews its leases, sheds what exceeds its fair share (a replica joined) and
claims up to it (a replica left, or died and its leases ran out), and records every
held stream's state and counters. Then the process starts a CredentialStream for each
newly held credential and cancels the ones it no longer holds. A process that stops
hands its leases back at once; one that is killed loses them when they expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid

import structlog

from shared.db.pool import transaction
from shared.metrics import STREAMS_HELD, STREAMS_LIVE
from shared.repositories import streams as streams_repo
from shared.repositories.streams import LeasePassResult, LeaseTerms, StreamReport
from worker.context import WorkerContext
from worker.streams.user_stream import CredentialStream

log = structlog.get_logger(__name__)


def new_worker_id() -> str:
    """Unique per process start: a restarted process is a new owner."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class StreamSupervisor:
    def __init__(self, ctx: WorkerContext, worker_id: str | None = None) -> None:
        self.ctx = ctx
        self.worker_id = worker_id or new_worker_id()
        settings = ctx.settings
        self.terms = LeaseTerms(
            worker_id=self.worker_id,
            venues=tuple(settings.stream_venues),
            ttl_s=settings.stream_lease_ttl_s,
            # Leases and the split agree on who is alive.
            dead_after_s=settings.stream_lease_ttl_s,
        )
        self.interval_s = settings.stream_pass_interval_s
        self.streams: dict[uuid.UUID, tuple[CredentialStream, asyncio.Task[None]]] = {}

    async def run(self) -> None:
        """Lease passes until cancelled; then hands every lease back."""
        try:
            while True:
                try:
                    await self.pass_once()
                except Exception:
                    log.exception("stream lease pass failed; the next one tries again")
                await asyncio.sleep(self.interval_s)
        finally:
            await asyncio.shield(self.stop())

    async def pass_once(self) -> LeasePassResult:
        async with transaction(self.ctx.pool) as conn:
            result = await streams_repo.lease_pass(conn, self.terms)
            for credential_id in result.held & self.streams.keys():
                stream, _ = self.streams[credential_id]
                await streams_repo.report(conn, self.worker_id, stream.take_report())
        for credential_id in self.streams.keys() - result.held:
            await self._stop_stream(credential_id)
        for credential_id in result.held - self.streams.keys():
            self._start_stream(credential_id)
        if result.claimed or result.released:
            log.info(
                "stream leases changed",
                worker_id=self.worker_id,
                claimed=len(result.claimed),
                released=len(result.released),
                held=len(result.held),
                wanted=result.wanted,
                workers=result.workers,
            )
        STREAMS_HELD.set(len(result.held))
        STREAMS_LIVE.set(sum(stream.state == "live" for stream, _ in self.streams.values()))
        return result

    def _start_stream(self, credential_id: uuid.UUID) -> None:
        stream = CredentialStream(self.ctx, credential_id, self._report)
        task = asyncio.create_task(stream.run(), name=f"user-stream:{credential_id}")
        self.streams[credential_id] = (stream, task)

    async def _stop_stream(self, credential_id: uuid.UUID) -> None:
        _, task = self.streams.pop(credential_id)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    async def _report(self, report: StreamReport) -> bool:
        async with self.ctx.pool.connection() as conn:
            return await streams_repo.report(conn, self.worker_id, report)

    async def stop(self) -> None:
        for credential_id in list(self.streams):
            await self._stop_stream(credential_id)
        try:
            async with transaction(self.ctx.pool) as conn:
                await streams_repo.leave(conn, self.worker_id)
        except Exception:
            log.exception("stream leases not handed back; they expire on their own")
        STREAMS_HELD.set(0)
        STREAMS_LIVE.set(0)
