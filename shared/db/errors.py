"""Convert driver errors into the project's own, in one place.

The caller learns which field was refused when the database says (a NOT NULL column, or
a CHECK on one column under Postgres' default name `<table>_<column>_check`), never the
constraint's name: that stays in the log, next to the request id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg.errors
import structlog

from shared.errors import ConflictError, ValidationError
from shared.validation import FieldValidationError

log = structlog.get_logger("shared.db")


@asynccontextmanager
async def db_errors_as_domain_errors() -> AsyncIterator[None]:
    try:
        yield
    except psycopg.errors.UniqueViolation as exc:
        _log_refusal(exc)
        raise ConflictError("this conflicts with an existing record") from exc
    except psycopg.errors.ForeignKeyViolation as exc:
        _log_refusal(exc)
        raise ValidationError("refers to something that does not exist") from exc
    except (psycopg.errors.CheckViolation, psycopg.errors.NotNullViolation) as exc:
        _log_refusal(exc)
        field = _refused_column(exc.diag)
        if field is None:
            raise ValidationError("a value is outside what the data model allows") from exc
        raise FieldValidationError(field, "is not allowed") from exc


def _refused_column(diag: psycopg.errors.Diagnostic) -> str | None:
    if diag.column_name:
        return diag.column_name
    table, constraint = diag.table_name, diag.constraint_name
    if table and constraint:
        prefix, suffix = f"{table}_", "_check"
        if constraint.startswith(prefix) and constraint.endswith(suffix):
            column = constraint[len(prefix) : -len(suffix)]
            # Postgres numbers a second CHECK (`bots_check1`), and a table-level CHECK has
            # no column in its name: neither names one field.
            return column or None
    return None


def _log_refusal(exc: psycopg.errors.Error) -> None:
    log.warning(
        "database refused a write",
        sqlstate=exc.sqlstate,
        table=exc.diag.table_name,
        constraint=exc.diag.constraint_name,
    )
