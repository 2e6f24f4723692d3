"""Tasks get the WorkerContext from procrastinate's JobContext, never a module global."""

from __future__ import annotations

import ast
import time
from pathlib import Path
from typing import Any

import pytest
from procrastinate import JobContext
from procrastinate.jobs import Job

from worker.app import create_worker_app
from worker.context import WORKER_CONTEXT_KEY, WorkerContext, worker_context

REPO = Path(__file__).resolve().parents[2]


def job_context(additional_context: dict[str, Any]) -> JobContext:
    app = create_worker_app()
    job = Job(queue="orders", lock=None, queueing_lock=None, task_name="place_order")
    return JobContext(
        app=app,
        job=job,
        start_timestamp=time.time(),
        abort_reason=lambda: None,
        additional_context=additional_context,
    )


def test_a_task_reads_its_worker_context_from_the_job_context() -> None:
    # Only the identity matters here: no field is read.
    ctx = WorkerContext.__new__(WorkerContext)
    assert worker_context(job_context({WORKER_CONTEXT_KEY: ctx})) is ctx


@pytest.mark.parametrize("extras", [{}, {WORKER_CONTEXT_KEY: "not a context"}])
def test_a_worker_started_without_the_context_fails_the_job_loudly(extras: dict[str, Any]) -> None:
    with pytest.raises(RuntimeError, match="additional_context"):
        worker_context(job_context(extras))


def test_every_task_is_given_the_job_context() -> None:
    app = create_worker_app()
    without = sorted(name for name, task in app.tasks.items() if not task.pass_context)
    assert without == [], "these tasks could not reach the WorkerContext"


def test_no_worker_module_keeps_state_in_a_module_global() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{node.lineno}"
        for path in sorted((REPO / "worker").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Global)
    ]
    assert offenders == []
