from __future__ import annotations

import pytest

from shared.db.sql_files import migration_files, parse_named_queries


def test_parse_named_queries() -> None:
    text = "-- name: first\nSELECT 1;\n\n-- name: second\nSELECT 2\nFROM t;\n"
    assert parse_named_queries(text) == {"first": "SELECT 1;", "second": "SELECT 2\nFROM t;"}


def test_duplicate_and_empty_queries_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        parse_named_queries("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;")
    with pytest.raises(ValueError, match="empty"):
        parse_named_queries("-- name: a\n\n-- name: b\nSELECT 1;")


def test_migrations_are_numbered_without_gaps() -> None:
    numbers = [int(path.name[:4]) for path in migration_files()]
    assert numbers == list(range(1, len(numbers) + 1))
