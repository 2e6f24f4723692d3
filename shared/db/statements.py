"""Run one named query (sql/queries/*.sql) on the caller's connection.

The only way repositories run SQL: a query by name, its parameters as keywords, rows
typed by a dataclass (psycopg's `class_row`: columns map to fields by name) or, for a
one-column answer, the bare value. The leading arguments are positional-only, so a
query parameter may be called `name` or `conn` too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from psycopg import AsyncConnection
from psycopg.rows import class_row

from shared.db.sql_files import query

Row = TypeVar("Row")


async def fetch_one(
    conn: AsyncConnection[Any], row_type: type[Row], query_name: str, /, **params: Any
) -> Row | None:
    """The first row as `row_type`, or None when the query returns no row."""
    async with conn.cursor(row_factory=class_row(row_type)) as cur:
        await cur.execute(query(query_name), params)
        return await cur.fetchone()


async def fetch_all(
    conn: AsyncConnection[Any], row_type: type[Row], query_name: str, /, **params: Any
) -> list[Row]:
    async with conn.cursor(row_factory=class_row(row_type)) as cur:
        await cur.execute(query(query_name), params)
        return await cur.fetchall()


async def fetch_value(conn: AsyncConnection[Any], query_name: str, /, **params: Any) -> Any:
    """The first column of the first row; None when there is no row."""
    cur = await conn.execute(query(query_name), params)
    row = await cur.fetchone()
    return None if row is None else row[0]


async def fetch_values(conn: AsyncConnection[Any], query_name: str, /, **params: Any) -> list[Any]:
    """The first column of every row."""
    cur = await conn.execute(query(query_name), params)
    return [row[0] for row in await cur.fetchall()]


async def execute(conn: AsyncConnection[Any], query_name: str, /, **params: Any) -> int:
    """Run a statement whose rows nobody reads; the number of rows it touched."""
    cur = await conn.execute(query(query_name), params)
    return cur.rowcount


async def execute_many(
    conn: AsyncConnection[Any], query_name: str, params_seq: Iterable[Mapping[str, Any]], /
) -> None:
    async with conn.cursor() as cur:
        await cur.executemany(query(query_name), params_seq)
