"""Request-wide limits on what any request may carry, checked before a handler runs.

- A JSON body nested deeper than `MAX_JSON_DEPTH`: msgspec decodes recursively and a few
  hundred levels end in `RecursionError`; none of our bodies is deeper than three.
- NUL (`\\u0000`) in any string of a JSON body (keys included), a query parameter or a
  path parameter: Postgres cannot store it in `text` or `jsonb`, and a filter carrying it
  fails in the driver. Refusing it here covers every field at once, present and future.

Both answer 400 naming the field, in the one error shape, before anything is written.
The body is checked once, where Litestar decodes it (`ApiRequest.json`), so it is not
parsed twice.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from shared.validation import UNSTORABLE_CHARACTER, is_storable_text
from web.errors import ApiError, FieldError

MAX_JSON_DEPTH = 32


def _field_name(name: str) -> str:
    # The field's name may itself carry the character: show it escaped, as JSON would.
    return name.replace(UNSTORABLE_CHARACTER, "\\u0000")


def _nul_refused(field: str, source: str) -> ApiError:
    reason = "must not contain the NUL character (\\u0000)"
    return ApiError(
        400,
        f"{field}: {reason}",
        details=[FieldError(field=field, message=reason, source=source)],
    )


def _too_deep(field: str) -> ApiError:
    reason = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
    return ApiError(
        400,
        f"{field}: {reason}",
        details=[FieldError(field=field, message=reason, source="body")],
    )


def _child_path(parent: str, key: object) -> str:
    name = _field_name(str(key))
    return f"{parent}.{name}" if parent else name


def check_json_body(value: Any) -> None:
    """Raises a 400 for a body too deep or with NUL in a string (iterative: no recursion)."""
    pending: list[tuple[Any, str, int]] = [(value, "", 1)]
    while pending:
        item, path, depth = pending.pop()
        if isinstance(item, str):
            if not is_storable_text(item):
                raise _nul_refused(path or "body", "body")
            continue
        if isinstance(item, dict):
            children: Any = item.items()
        elif isinstance(item, list):
            children = enumerate(item)
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            raise _too_deep(path or "body")
        for key, child in children:
            child_path = _child_path(path, key)
            if isinstance(key, str) and not is_storable_text(key):
                raise _nul_refused(child_path, "body")
            pending.append((child, child_path, depth + 1))


def check_parameters(request: Request[Any, Any, Any]) -> None:
    """Raises a 400 for a query or path parameter (name or value) carrying NUL."""
    for name, value in request.query_params.multi_items():
        if not (is_storable_text(name) and is_storable_text(value)):
            raise _nul_refused(_field_name(name), "query")
    for name, value in request.path_params.items():
        if isinstance(value, str) and not is_storable_text(value):
            raise _nul_refused(name, "path")


class ApiRequest(Request[Any, Any, Any]):
    """Litestar's request, whose JSON body is checked where it is decoded."""

    async def json(self) -> Any:
        try:
            value = await super().json()
        except RecursionError:
            # Raised by the decoder itself, so it is this body, never a bug elsewhere.
            raise _too_deep("body") from None
        check_json_body(value)
        return value
