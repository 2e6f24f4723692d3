"""`tradebridge web` and `tradebridge worker` check their environment before anything
else: one message naming every variable at fault (never a value), a non-zero exit, and
nothing of the process imported, registered or connected first.

Each case runs the real command in a fresh process with an environment holding only
what a shell needs plus the variables under test. DATABASE_URL, where set, points at a
listening socket of the test's own: any connection attempt would show up in its backlog.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.sealing import generate_key_pair

SHELL_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str  # stdout and stderr, without the import-time profile
    imported: frozenset[str]

    def messages(self, command: str) -> list[str]:
        return [line for line in self.output.splitlines() if line.startswith(f"{command}:")]


def tradebridge_command() -> list[str]:
    """The installed console script beside this interpreter, else the module."""
    script = Path(sys.executable).parent / "tradebridge"
    if script.exists():
        return [str(script)]
    found = shutil.which("tradebridge")
    return [found] if found else [sys.executable, "-m", "tradebridge"]


def run_process(command: list[str], env: Mapping[str, str]) -> Run:
    base = {name: os.environ[name] for name in SHELL_VARIABLES if name in os.environ}
    # Python prints every module it imports (stderr, "import time: ..."): what ran first.
    result = subprocess.run(
        command,
        env={**base, **env, "PYTHONPROFILEIMPORTTIME": "1"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    imported: set[str] = set()
    other: list[str] = []
    for line in (result.stdout + result.stderr).splitlines():
        if line.startswith("import time:"):
            imported.add(line.rsplit("|", 1)[-1].strip())
        else:
            other.append(line)
    return Run(result.returncode, "\n".join(other), frozenset(imported))


def run_tradebridge(*args: str, env: Mapping[str, str]) -> Run:
    return run_process([*tradebridge_command(), *args], env)


def imported_from(run: Run, package: str) -> list[str]:
    return sorted(m for m in run.imported if m == package or m.startswith(f"{package}."))


@pytest.fixture
def database_listener() -> Iterator[tuple[str, socket.socket]]:
    """A DATABASE_URL whose server is a socket nobody accepts on: a process that tried to
    connect leaves a connection in its backlog."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        yield f"postgresql://tradebridge@127.0.0.1:{port}/tradebridge", listener
    finally:
        listener.close()


def assert_never_connected(listener: socket.socket) -> None:
    try:
        connection, _ = listener.accept()
    except BlockingIOError:
        return
    connection.close()
    raise AssertionError("the process connected to DATABASE_URL before checking its settings")


def test_worker_in_production_names_every_missing_variable_at_once_before_anything() -> None:
    run = run_tradebridge("worker", env={"TRADEBRIDGE_ENV": "production"})

    assert run.returncode != 0
    messages = run.messages("tradebridge worker")
    assert len(messages) == 1, run.output
    for variable in (
        "DATABASE_URL",
        "TRADEBRIDGE_SEALING_KEY_ID",
        "TRADEBRIDGE_SEALING_PRIVATE_KEY",
    ):
        assert variable in messages[0]
    # Nothing of the worker ran: no task module imported, no periodic task registered.
    assert imported_from(run, "worker") == []
    assert imported_from(run, "procrastinate") == []
    assert "Registering task" not in run.output


def test_worker_with_a_database_but_no_sealing_key_never_connects(
    database_listener: tuple[str, socket.socket],
) -> None:
    url, listener = database_listener
    run = run_tradebridge("worker", env={"TRADEBRIDGE_ENV": "production", "DATABASE_URL": url})

    assert run.returncode != 0
    messages = run.messages("tradebridge worker")
    assert len(messages) == 1, run.output
    assert "TRADEBRIDGE_SEALING_PRIVATE_KEY" in messages[0]
    assert "DATABASE_URL" not in messages[0]
    assert imported_from(run, "worker") == []
    assert_never_connected(listener)


def test_python_m_worker_checks_first_too() -> None:
    run = run_process([sys.executable, "-m", "worker"], {"TRADEBRIDGE_ENV": "production"})

    assert run.returncode != 0
    messages = run.messages("worker")
    assert len(messages) == 1, run.output
    for variable in ("DATABASE_URL", "TRADEBRIDGE_SEALING_PRIVATE_KEY"):
        assert variable in messages[0]
    assert imported_from(run, "worker.main") == []
    assert "Traceback" not in run.output


def web_environment(database_url: str) -> dict[str, str]:
    """Everything the web needs in production, so only what is under test is at fault."""
    keys = generate_key_pair()
    return {
        "TRADEBRIDGE_ENV": "production",
        "DATABASE_URL": database_url,
        "TRADEBRIDGE_ADMIN_TOKEN": "admin-token-for-the-startup-test",
        "TRADEBRIDGE_SEALING_KEY_ID": keys.key_id,
        "TRADEBRIDGE_SEALING_PUBLIC_KEY": keys.public_key_b64,
        "TRADEBRIDGE_WEB_HOST": "127.0.0.1",
        "PORT": "1",  # never bound: the process must stop before serving
    }


@pytest.mark.parametrize(
    "variables",
    [
        ("TRADEBRIDGE_SEALING_RETIRED_PRIVATE_KEYS",),
        ("TRADEBRIDGE_SEALING_PRIVATE_KEY",),
        ("TRADEBRIDGE_SEALING_PRIVATE_KEY", "TRADEBRIDGE_SEALING_RETIRED_PRIVATE_KEYS"),
    ],
)
def test_web_refuses_to_start_with_private_sealing_material(
    database_listener: tuple[str, socket.socket], variables: tuple[str, ...]
) -> None:
    url, listener = database_listener
    private = {
        "TRADEBRIDGE_SEALING_PRIVATE_KEY": generate_key_pair().private_key_b64,
        "TRADEBRIDGE_SEALING_RETIRED_PRIVATE_KEYS": (
            f"k2025:{generate_key_pair().private_key_b64},k2024:{generate_key_pair().private_key_b64}"
        ),
    }
    env = {**web_environment(url), **{name: private[name] for name in variables}}
    run = run_tradebridge("web", env=env)

    assert run.returncode != 0
    messages = run.messages("tradebridge web")
    assert len(messages) == 1, run.output
    for name in variables:
        assert name in messages[0]
        for part in private[name].replace(",", ":").split(":"):
            assert part not in run.output
    assert imported_from(run, "web") == []
    assert_never_connected(listener)
