"""The worker and the web see venues only through the adapter protocol; the concrete ccxt
adapter is named in one factory, so a native connector is purely additive."""

from __future__ import annotations

import ast
import inspect
import typing
from pathlib import Path

import pytest

from shared.domain import CredentialEnvironment
from shared.exchange.breaker import BreakerRegistry
from shared.exchange.ccxt_adapter import CcxtAdapter
from shared.exchange.factory import NATIVE_CONNECTORS, ExchangeAdapters, ExchangeLayerConfig
from shared.exchange.protocol import ExchangeAdapter

REPO = Path(__file__).resolve().parents[2]
CONCRETE_MODULE = "shared.exchange.ccxt_adapter"
CONCRETE_CLASS = "CcxtAdapter"
# The adapter itself and the one factory that builds it.
ALLOWED_TO_NAME_IT = {
    REPO / "shared" / "exchange" / "ccxt_adapter.py",
    REPO / "shared" / "exchange" / "factory.py",
}


def _python_files(*packages: str) -> list[Path]:
    return [path for package in packages for path in sorted((REPO / package).rglob("*.py"))]


def _mentions_of_the_concrete_adapter(path: Path) -> list[str]:
    """Imports of the ccxt adapter module and every use of its class name (code,
    annotations, strings), as 'line: what'."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [
                f"{node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name == CONCRETE_MODULE
            ]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = {alias.name for alias in node.names}
            if module == CONCRETE_MODULE or (
                module == "shared.exchange" and "ccxt_adapter" in names
            ):
                found.append(f"{node.lineno}: from {module} import {', '.join(sorted(names))}")
        elif isinstance(node, ast.Name) and node.id == CONCRETE_CLASS:
            found.append(f"{node.lineno}: {CONCRETE_CLASS}")
        elif isinstance(node, ast.Attribute) and node.attr == CONCRETE_CLASS:
            found.append(f"{node.lineno}: .{CONCRETE_CLASS}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and CONCRETE_CLASS in node.value  # a quoted annotation
        ):
            found.append(f"{node.lineno}: {node.value!r}")
    return found


def test_no_worker_or_web_module_names_the_concrete_adapter() -> None:
    files = _python_files("worker", "web")
    assert len(files) > 10, "the scan found no modules"
    offenders = {
        str(path.relative_to(REPO)): mentions
        for path in files
        if (mentions := _mentions_of_the_concrete_adapter(path))
    }
    assert offenders == {}, f"use shared.exchange.protocol.ExchangeAdapter: {offenders}"


def test_the_concrete_adapter_is_named_in_one_factory_only() -> None:
    offenders = {
        str(path.relative_to(REPO)): mentions
        for path in _python_files("shared", "tradebridge")
        if path not in ALLOWED_TO_NAME_IT and (mentions := _mentions_of_the_concrete_adapter(path))
    }
    assert offenders == {}


def test_the_scan_sees_an_import_of_the_concrete_adapter(tmp_path: Path) -> None:
    module = tmp_path / "uses_it.py"
    module.write_text(
        "from shared.exchange.ccxt_adapter import CcxtAdapter\n"
        "from shared.exchange import ccxt_adapter\n"
        "import shared.exchange.ccxt_adapter\n"
        "def f(a: 'CcxtAdapter') -> None: ...\n"
        "built = shared.exchange.ccxt_adapter.CcxtAdapter\n"
    )
    lines = [mention.split(":")[0] for mention in _mentions_of_the_concrete_adapter(module)]
    assert sorted(lines) == ["1", "2", "3", "4", "5"]


def _protocol_members() -> list[str]:
    return sorted(
        name
        for name in {*ExchangeAdapter.__dict__, *getattr(ExchangeAdapter, "__annotations__", {})}
        if not name.startswith("_")
    )


def _every_venue_connector() -> list[str]:
    """A ccxt venue, and every venue with a native connector."""
    return ["binance", *sorted(NATIVE_CONNECTORS)]


@pytest.mark.parametrize("venue", _every_venue_connector())
def test_every_adapter_satisfies_the_protocol(venue: str) -> None:
    adapters = ExchangeAdapters(
        ExchangeLayerConfig(paper_exchange_url="http://127.0.0.1:1"),
        breakers=BreakerRegistry(),
        budgets=None,
        weight_per_minute={},
    )
    # Building an adapter makes no request.
    adapter = adapters.public(venue, CredentialEnvironment.PAPER)
    concrete = type(adapter)
    assert concrete is (CcxtAdapter if venue == "binance" else NATIVE_CONNECTORS[venue])
    assert isinstance(adapter, ExchangeAdapter)
    assert isinstance(adapter.bypassing_breaker(), ExchangeAdapter)
    # runtime_checkable only checks that the names exist: the signatures must match too.
    for name in _protocol_members():
        declared = inspect.getattr_static(ExchangeAdapter, name, None)
        if isinstance(declared, property):
            expected = typing.get_type_hints(declared.fget)["return"]
            assert isinstance(getattr(adapter, name), expected), name
            continue
        assert callable(declared), name
        assert inspect.iscoroutinefunction(declared) == inspect.iscoroutinefunction(
            getattr(concrete, name)
        ), name
        assert inspect.signature(getattr(concrete, name)) == inspect.signature(declared), name


def _adapter_members_the_worker_uses() -> set[str]:
    """Attributes read off a variable named like an adapter anywhere in worker/."""
    used: set[str] = set()
    for path in _python_files("worker"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id.endswith("adapter")
            ):
                used.add(node.attr)
    return used


def test_the_protocol_covers_everything_the_worker_asks_of_an_adapter() -> None:
    used = _adapter_members_the_worker_uses()
    assert {"create_order", "bypassing_breaker", "venue"} <= used, "the scan missed calls"
    assert used - set(_protocol_members()) == set()
