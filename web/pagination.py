"""Opaque keyset cursors over (created_at, id), newest first.

A cursor is the base64url of a small JSON array `[created_at, id]` of the last row of a
page; the next page starts strictly below it. It is opaque to callers, not secret: every
query is scoped to the caller's client anyway, so a forged cursor only skips rows.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar
from uuid import UUID

from web.errors import ApiError, FieldError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

IdT = TypeVar("IdT", UUID, int)


def encode_cursor(created_at: datetime, row_id: UUID | int) -> str:
    payload = [created_at.astimezone(UTC).isoformat(), str(row_id)]
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, id_type: type[IdT]) -> tuple[datetime, IdT]:
    """Raises a 400 naming `cursor` for anything this module did not produce."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at_text, id_text = json.loads(raw)
        created_at = datetime.fromisoformat(created_at_text)
        if created_at.tzinfo is None:
            raise ValueError("naive timestamp")
        return created_at, id_type(id_text)
    except (ValueError, TypeError, UnicodeDecodeError):
        raise ApiError(
            400,
            "cursor: not a cursor returned by this API",
            code="bad_request",
            details=[FieldError(field="cursor", message="invalid cursor", source="query")],
        ) from None


class _Keyed(Protocol):
    @property
    def created_at(self) -> datetime: ...

    @property
    def id(self) -> UUID | int: ...


RowT = TypeVar("RowT", bound=_Keyed)


def split_page(rows: Sequence[RowT], limit: int) -> tuple[Sequence[RowT], str | None]:
    """Rows were fetched with `limit + 1`: the page, and the cursor of the next one if any."""
    page = rows[:limit]
    if len(rows) <= limit:
        return page, None
    return page, encode_cursor(page[-1].created_at, page[-1].id)
