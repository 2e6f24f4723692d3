"""Helpers for the typed rows repositories return.

psycopg hands Postgres enum values over as `str`; `coerce_enums` turns them into the one
Python mirror of that enum (shared.domain), so a row's annotations are true at runtime.
"""

from __future__ import annotations

import types
from enum import StrEnum
from typing import Any, Union, get_args, get_origin, get_type_hints

_ENUM_FIELDS: dict[type, tuple[tuple[str, type[StrEnum]], ...]] = {}


def coerce_enums(row: Any) -> None:
    """Call from a frozen row dataclass's `__post_init__`."""
    for name, enum_type in _enum_fields(type(row)):
        value = getattr(row, name)
        if value is not None and not isinstance(value, enum_type):
            object.__setattr__(row, name, enum_type(value))


def _enum_fields(row_type: type) -> tuple[tuple[str, type[StrEnum]], ...]:
    cached = _ENUM_FIELDS.get(row_type)
    if cached is not None:
        return cached
    found: list[tuple[str, type[StrEnum]]] = []
    for name, hint in get_type_hints(row_type).items():
        candidates = get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)
        for candidate in candidates:
            if isinstance(candidate, type) and issubclass(candidate, StrEnum):
                found.append((name, candidate))
    _ENUM_FIELDS[row_type] = tuple(found)
    return _ENUM_FIELDS[row_type]
