"""Every Prometheus metric of the project, defined once (prometheus_client's registry).

The web serves them at /metrics; the worker on its own port (TRADEBRIDGE_WORKER_METRICS_PORT).
Labels stay low-cardinality: venue, operation, outcome, task, queue — never ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

ORDERS_ACCEPTED = Counter(
    "tradebridge_orders_accepted_total", "Order intents accepted (not replays)", ["source"]
)
VENUE_CALLS = Counter(
    "tradebridge_venue_calls_total",
    "Exchange calls by venue, operation and outcome (ok, transient, permanent, ambiguous)",
    ["venue", "operation", "outcome"],
)
VENUE_LATENCY = Histogram(
    "tradebridge_venue_call_seconds",
    "Exchange call latency",
    ["venue", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOB_SECONDS = Histogram(
    "tradebridge_job_seconds", "Job run time by task and outcome", ["task", "outcome"]
)
JOB_RETRIES = Counter("tradebridge_job_retries_total", "Jobs scheduled again, by task", ["task"])
QUEUE_DEPTH = Gauge("tradebridge_queue_ready_jobs", "Jobs ready to run, by queue", ["queue"])
JOBS_PRUNED = Counter(
    "tradebridge_jobs_pruned_total",
    "Finished jobs deleted by the retention task (with their events)",
)


def observe_venue_call(venue: str) -> Callable[[str, str, float], None]:
    """The exchange adapter's observer for one venue."""

    def observe(operation: str, outcome: str, seconds: float) -> None:
        VENUE_CALLS.labels(venue, operation, outcome).inc()
        VENUE_LATENCY.labels(venue, operation).observe(seconds)

    return observe


class BreakerStateCollector(Collector):
    """Breaker states read at scrape time: 0 closed, 1 half-open, 2 open."""

    LEVELS = {"closed": 0, "half-open": 1, "open": 2}

    def __init__(self, states: Callable[[], dict[str, str]]) -> None:
        self._states = states

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "tradebridge_breaker_state", "Circuit breaker per venue host", labels=["breaker"]
        )
        for name, state in self._states().items():
            family.add_metric([name], self.LEVELS.get(state, 2))
        yield family


def register_breaker_states(states: Callable[[], dict[str, str]]) -> BreakerStateCollector:
    collector = BreakerStateCollector(states)
    REGISTRY.register(collector)
    return collector


# Venue streams (worker.streams): what each worker process runs and what they carry.
STREAMS_HELD = Gauge(
    "tradebridge_user_streams_held", "User-data streams this worker process holds a lease on"
)
STREAM_EVENTS = Counter(
    "tradebridge_stream_events_total",
    "Events received from venue streams, by venue and kind (order, trade, balance, book)",
    ["venue", "kind"],
)
STREAM_RECONNECTS = Counter(
    "tradebridge_stream_reconnects_total",
    "Stream reconnects, by venue and stream (user, book)",
    ["venue", "stream"],
)
STREAM_FALLBACKS = Counter(
    "tradebridge_stream_fallbacks_total",
    "User-data streams that went down while live (REST polling took over), by venue",
    ["venue"],
)
STREAMS_LIVE = Gauge(
    "tradebridge_user_streams_live", "User-data streams of this worker process that are live"
)
REQUEST_WEIGHT = Counter(
    "tradebridge_venue_request_weight_total",
    "Request weight spent from the shared budgets, by budget key (venue host or endpoint "
    "group) and egress (the process's IP or an egress route)",
    ["budget", "egress"],
)
