"""What a process prints: procrastinate's per-job lines at DEBUG outside production,
tracebacks rendered by structlog inside the event (and redacted), uncaught exceptions
through the same pipeline, retries on one line."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys

import pytest
import structlog

from shared.logs import configure_logging
from shared.settings import RunMode, Settings


def _configure(**overrides: object) -> None:
    configure_logging(dataclasses.replace(Settings(), **overrides), process="test")  # type: ignore[arg-type]


def _procrastinate_line(
    action: str, level: int = logging.INFO, exc: BaseException | None = None
) -> None:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    logging.getLogger("procrastinate.worker.worker").log(
        level, f"line for {action}", extra={"action": action}, exc_info=exc_info
    )


def _raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


@pytest.mark.usefixtures("restore_logging")
def test_per_job_lines_are_debug_in_dev(capsys: pytest.CaptureFixture[str]) -> None:
    _configure(mode=RunMode.DEV, log_level="INFO")
    for action in ("start_job", "job_success", "jobs_deferred", "periodic_task_deferred"):
        _procrastinate_line(action)
    _procrastinate_line("job_error", logging.ERROR)
    err = capsys.readouterr().err
    assert "line for start_job" not in err
    assert "line for job_success" not in err
    assert "line for jobs_deferred" not in err
    assert "line for periodic_task_deferred" not in err
    assert "line for job_error" in err

    _configure(mode=RunMode.DEV, log_level="DEBUG")
    _procrastinate_line("start_job")
    assert "line for start_job" in capsys.readouterr().err


@pytest.mark.usefixtures("restore_logging")
def test_per_job_lines_keep_their_level_in_production(capsys: pytest.CaptureFixture[str]) -> None:
    _configure(mode=RunMode.PRODUCTION, log_level="INFO", log_format="json")
    _procrastinate_line("start_job")
    assert json.loads(capsys.readouterr().err)["event"] == "line for start_job"


@pytest.mark.usefixtures("restore_logging")
def test_json_tracebacks_are_structured_and_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    _configure(mode=RunMode.PRODUCTION, log_format="json")
    error = _raised(RuntimeError("venue said: api_key=AKIAVERYSECRET1234"))
    structlog.get_logger("t").error("call failed", exc_info=error)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    (exception,) = event["exception"]
    assert exception["exc_type"] == "RuntimeError"
    assert exception["frames"], exception
    assert "AKIAVERYSECRET1234" not in lines[0]
    assert all("locals" not in frame or not frame["locals"] for frame in exception["frames"])


@pytest.mark.usefixtures("restore_logging")
def test_uncaught_exceptions_go_through_the_log_pipeline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _configure(mode=RunMode.PRODUCTION, log_format="json")
    error = _raised(ValueError("boom"))
    sys.excepthook(type(error), error, error.__traceback__)
    event = json.loads(capsys.readouterr().err)
    assert event["event"] == "uncaught exception"
    assert event["exception"][0]["exc_type"] == "ValueError"

    interrupt = _raised(KeyboardInterrupt())
    sys.excepthook(type(interrupt), interrupt, interrupt.__traceback__)
    assert capsys.readouterr().err == ""


@pytest.mark.usefixtures("restore_logging")
def test_a_job_to_retry_is_one_line_in_dev(capsys: pytest.CaptureFixture[str]) -> None:
    _configure(mode=RunMode.DEV, log_level="INFO")
    _procrastinate_line("job_error_retry", exc=_raised(RuntimeError("retry in 8.0s: settle")))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert "RuntimeError: retry in 8.0s: settle" in err

    _procrastinate_line("job_error", logging.ERROR, exc=_raised(RuntimeError("for good")))
    assert "Traceback" in capsys.readouterr().err
