"""Which Postgres a process talks to: DATABASE_URL, else (outside production) an embedded one."""

from __future__ import annotations

import dataclasses

from shared.db.embedded import ensure_database, start_embedded_postgres
from shared.errors import ConfigurationError
from shared.settings import Settings

DEV_DATABASE = "tradebridge"


def with_resolved_database(settings: Settings) -> Settings:
    if settings.database_url is not None:
        return settings
    if settings.is_production:
        raise ConfigurationError("DATABASE_URL is required in production mode")
    server_url = start_embedded_postgres(settings.embedded_pg_dir)
    return dataclasses.replace(settings, database_url=ensure_database(server_url, DEV_DATABASE))
