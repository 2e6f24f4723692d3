"""Convert driver errors into the project's own, in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg.errors

from shared.errors import ConflictError, ValidationError


@asynccontextmanager
async def db_errors_as_domain_errors() -> AsyncIterator[None]:
    try:
        yield
    except psycopg.errors.UniqueViolation as exc:
        raise ConflictError(_constraint_message(exc, "already exists")) from exc
    except psycopg.errors.ForeignKeyViolation as exc:
        raise ValidationError(
            _constraint_message(exc, "refers to something that does not exist")
        ) from exc
    except (psycopg.errors.CheckViolation, psycopg.errors.NotNullViolation) as exc:
        raise ValidationError(_constraint_message(exc, "is not allowed")) from exc


def _constraint_message(exc: psycopg.errors.Error, what: str) -> str:
    diag = exc.diag
    target = diag.constraint_name or diag.column_name or diag.table_name or "value"
    return f"{target}: {what}"
