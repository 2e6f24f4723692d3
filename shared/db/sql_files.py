"""Locate the project's `sql/` directory and load its named queries once, at import.

Query files hold blocks headed `-- name: <query_name>`; a block runs until the next
header. Names are unique across all files; `query()` fails loudly on a typo, and a unit
test checks every name the code asks for exists.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import LiteralString

_HEADER = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


def sql_dir() -> Path:
    # Editable checkout: <repo>/sql beside the packages. Installed wheel: site-packages/sql
    # (hatch force-include puts it there). Both are the parent of the `shared` package.
    candidate = Path(__file__).resolve().parents[2] / "sql"
    if not (candidate / "migrations").is_dir():
        raise FileNotFoundError(f"sql directory not found at {candidate}")
    return candidate


def parse_named_queries(text: str, source: str = "<string>") -> dict[str, str]:
    queries: dict[str, str] = {}
    headers = list(_HEADER.finditer(text))
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        body = text[header.end() : end].strip()
        name = header.group(1)
        if not body:
            raise ValueError(f"{source}: query {name!r} is empty")
        if name in queries:
            raise ValueError(f"{source}: query {name!r} is defined twice")
        queries[name] = body
    return queries


@cache
def all_queries() -> dict[str, LiteralString]:
    queries: dict[str, str] = {}
    for path in sorted((sql_dir() / "queries").glob("*.sql")):
        for name, body in parse_named_queries(path.read_text(), path.name).items():
            if name in queries:
                raise ValueError(f"{path.name}: query {name!r} is also defined in another file")
            queries[name] = body
    # The files are ours and read once: as literal as a string constant. (mypy treats
    # LiteralString as str, so no cast is needed here.)
    return queries


def query(name: str) -> LiteralString:
    try:
        return all_queries()[name]
    except KeyError:
        raise KeyError(f"no SQL query named {name!r} in sql/queries/*.sql") from None


def migration_files() -> list[Path]:
    return sorted((sql_dir() / "migrations").glob("[0-9][0-9][0-9][0-9]_*.sql"))
