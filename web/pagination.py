"""Opaque keyset cursors over (created_at, id), newest first.

A cursor is the base64url of a small JSON array `[created_at, id]` (both strings) of the
last row of a page; the next page starts strictly below it. It is opaque to callers, not
secret: every query is scoped to the caller's client anyway, so a forged cursor only
skips rows. It is untrusted input all the same: its length, shape, types and ranges are
checked before any of it reaches a query, and anything else answers 400 naming `cursor`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar
from uuid import UUID

import msgspec

from web.errors import ApiError, FieldError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# A real cursor is ~100 characters (an ISO timestamp and a UUID, in base64).
MAX_CURSOR_LENGTH = 256
# Ids of bigserial tables (fills) are positive bigints.
_BIGINT_MAX = 2**63 - 1
_INT_ID = re.compile(r"[1-9][0-9]{0,18}")

IdT = TypeVar("IdT", UUID, int)


class InvalidCursor(ValueError):
    """Anything this module did not produce."""


def encode_cursor(created_at: datetime, row_id: UUID | int) -> str:
    payload = [created_at.astimezone(UTC).isoformat(), str(row_id)]
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _uuid_id(text: str) -> UUID:
    row_id = UUID(text)
    if str(row_id) != text:  # only the spelling encode_cursor writes
        raise InvalidCursor("not a canonical uuid")
    return row_id


def _int_id(text: str) -> int:
    if not _INT_ID.fullmatch(text) or int(text) > _BIGINT_MAX:
        raise InvalidCursor("not a positive bigint")
    return int(text)


_ID_PARSERS: dict[type, Callable[[str], UUID | int]] = {UUID: _uuid_id, int: _int_id}


def _created_at(text: str) -> datetime:
    created_at = datetime.fromisoformat(text)
    if created_at.tzinfo is None:
        raise InvalidCursor("naive timestamp")
    return created_at.astimezone(UTC)  # OverflowError when UTC falls outside years 1-9999


def decode_cursor(cursor: str, id_type: type[IdT]) -> tuple[datetime, IdT]:
    """Raises a 400 naming `cursor` for anything this module did not produce."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise InvalidCursor("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        # Typed decoding stops at the first value of the wrong type, so a forged cursor
        # cannot make the decoder recurse into nested arrays or build a huge number.
        created_at_text, id_text = msgspec.json.decode(raw, type=tuple[str, str])
        row_id = _ID_PARSERS[id_type](id_text)
        created_at = _created_at(created_at_text)
    except (ValueError, TypeError, OverflowError, msgspec.DecodeError):
        raise ApiError(
            400,
            "cursor: not a cursor returned by this API",
            code="bad_request",
            details=[FieldError(field="cursor", message="invalid cursor", source="query")],
        ) from None
    assert isinstance(row_id, id_type)
    return created_at, row_id


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
