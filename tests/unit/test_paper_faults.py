"""The fault registry: matching, counting down, scoping by API key."""

from __future__ import annotations

import pytest

from paper_exchange.faults import FaultRegistry


def test_fault_fires_n_times_then_disappears() -> None:
    registry = FaultRegistry()
    registry.add("http_503", "POST", "/api/v3/order", times=2)
    assert registry.take("GET", "/api/v3/order", None) is None  # other method
    assert registry.take("POST", "/api/v3/openOrders", None) is None  # other path
    first = registry.take("POST", "/api/v3/order", None)
    second = registry.take("POST", "/api/v3/order", None)
    assert first is not None
    assert second is first
    assert second.hits == 2
    assert registry.take("POST", "/api/v3/order", None) is None
    assert registry.list() == []


def test_fault_scoped_to_an_api_key_ignores_others() -> None:
    registry = FaultRegistry()
    registry.add("drop", "*", "/api/v3/account", api_key="alice")
    assert registry.take("GET", "/api/v3/account", "bob") is None
    assert registry.take("GET", "/api/v3/account", None) is None
    fault = registry.take("GET", "/api/v3/account", "alice")
    assert fault is not None
    assert fault.kind == "drop"


def test_first_matching_fault_wins_and_clear_by_key() -> None:
    registry = FaultRegistry()
    a = registry.add("http_429", "POST", "/api/v3/order", api_key="k1")
    registry.add("http_418", "POST", "/api/v3/order", api_key="k2")
    registry.add("hang", "POST", "/api/v3/order")
    taken = registry.take("POST", "/api/v3/order", "k1")
    assert taken is not None
    assert taken.id == a.id
    assert registry.clear(api_key="k2") == 1
    assert [f.kind for f in registry.list()] == ["hang"]
    assert registry.clear() == 1


@pytest.mark.parametrize(
    ("kind", "times", "path"),
    [("explode", 1, "/api/v3/order"), ("drop", 0, "/api/v3/order"), ("drop", 1, "api/v3")],
)
def test_invalid_faults_are_refused(kind: str, times: int, path: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        FaultRegistry().add(kind, "POST", path, times=times)
