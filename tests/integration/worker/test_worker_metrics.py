"""The worker's metrics move with real work: venue calls, job durations, breaker state."""

from __future__ import annotations

from prometheus_client import REGISTRY

from shared.metrics import BreakerStateCollector
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_placed_order_shows_in_the_metrics(
    worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    calls = (
        "tradebridge_venue_calls_total",
        {"venue": "binance", "operation": "create_order", "outcome": "ok"},
    )
    jobs = ("tradebridge_job_seconds_count", {"task": "place_order", "outcome": "ok"})
    before = (_sample(calls[0], **calls[1]), _sample(jobs[0], **jobs[1]))
    client_id, credential_id = await worker.client_with_credential(paper_account)
    order_id = await worker.submit(client_id, credential_id)
    await worker.drain(worker.status_is(order_id, "filled"))
    assert _sample(calls[0], **calls[1]) - before[0] == 1
    assert _sample(jobs[0], **jobs[1]) - before[1] == 1
    latency = _sample(
        "tradebridge_venue_call_seconds_count", venue="binance", operation="create_order"
    )
    assert latency >= 1

    breakers = BreakerStateCollector(worker.ctx.adapters.breakers.states)
    samples = {
        s.labels["breaker"]: s.value for family in breakers.collect() for s in family.samples
    }
    assert samples
    assert set(samples.values()) == {0}
