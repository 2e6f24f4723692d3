"""The project's own error classes.

Driver and library errors are converted into these in one place each (database errors in
`shared.db.errors`, exchange errors in `shared.exchange.errors`), so callers never catch
psycopg or ccxt exceptions themselves.
"""

from __future__ import annotations


class TradebridgeError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigurationError(TradebridgeError):
    """A setting is missing or invalid; the process must not start."""


class NotFoundError(TradebridgeError):
    """The resource does not exist, or belongs to another client (same answer on purpose)."""


class ConflictError(TradebridgeError):
    """A uniqueness or state rule of the data model refused the write."""


class ValidationError(TradebridgeError):
    """Input that cannot be accepted; the message says what is wrong."""


class MigrationError(TradebridgeError):
    """The schema on the server does not match the migration files."""
