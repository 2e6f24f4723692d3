from __future__ import annotations

import socket

from prometheus_client import REGISTRY

from worker.main import start_metrics_server


def test_a_taken_metrics_port_does_not_stop_the_worker() -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))  # noqa: S104 - the server under test binds all interfaces
        taken.listen()
        port = taken.getsockname()[1]
        collector_states: dict[str, str] = {"binance@paper": "closed"}
        try:
            assert start_metrics_server(port, lambda: collector_states) is False
        finally:
            for collector in list(REGISTRY._collector_to_names):
                if type(collector).__name__ == "BreakerStateCollector":
                    REGISTRY.unregister(collector)
