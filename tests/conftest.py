"""Fixtures are split by concern into plugins under tests/fixtures (psycopg's habit)."""

pytest_plugins = [
    "tests.fixtures.fix_db",
    "tests.fixtures.fix_paper",
    "tests.fixtures.fix_worker",
    "tests.fixtures.fix_web",
    "tests.fixtures.fix_logging",
]
